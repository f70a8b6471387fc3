// (desired, observed) → one verdict per accessory × host. This is where the image is compared.
import type { Accessory } from '../config/accessory.ts'
import type { ObservedContainer, ObservedImage } from '../docker/inspect.ts'
import { temporaryRole, type TemporaryRole } from '../docker/names.ts'
import type { ProxyView } from '../docker/proxy-commands.ts'
import type { DriftFinding } from './drift-finding.ts'
import { compareImage, compareRegistry } from './image-diff.ts'
import { compareProxy, proxyDownError } from './proxy-drift.ts'
import { compareSettings } from './settings-diff.ts'

/** What one host showed: its labelled containers (and the images asked about), or why it could not be looked at. */
export type HostObservation =
  | { ok: true; containers: ObservedContainer[]; images?: ObservedImage[]; proxy?: ProxyView; loginDirectory?: string }
  | { ok: false; error: string }

/** What judging needs besides the accessory: the deployment's logging flags, and with --registry the registry's answers. */
export interface JudgeContext {
  loggingArgs: readonly string[]
  /** Configured image reference → the digest its registry has for the tag now (or why it could not say). */
  registry?: ReadonlyMap<string, { ok: true; digest: string } | { ok: false; error: string }>
}

const DEFAULT_CONTEXT: JudgeContext = { loggingArgs: ['--log-opt', 'max-size=10m'] }

/** A temporary container an interrupted reboot left behind. */
export interface Leftover {
  container: ObservedContainer
  role: TemporaryRole
}

interface VerdictBase {
  accessory: Accessory
  host: string
}

interface Observed {
  /** berth's temporary containers for this accessory on this host (never the accessory itself). */
  leftovers: Leftover[]
}

interface Compared {
  container: ObservedContainer
  /** The registry digests docker knows for the image the container runs (empty when unknown). */
  repoDigests: string[]
  /** What was not compared (never drift), for warnings. */
  notCompared: string[]
}

export type Verdict =
  | (VerdictBase & Observed & { kind: 'missing' })
  | (VerdictBase & Observed & Compared & { kind: 'in_sync' })
  | (VerdictBase & Observed & Compared & { kind: 'drift'; findings: DriftFinding[] })
  | (VerdictBase & { kind: 'unreachable'; error: string })

/** The accessory's labelled containers, split into berth's temporary ones and the rest. */
function labelledContainers(
  accessory: Accessory,
  containers: readonly ObservedContainer[],
): { own: ObservedContainer[]; leftovers: Leftover[] } {
  const own: ObservedContainer[] = []
  const leftovers: Leftover[] = []
  for (const c of containers.filter((c) => c.service === accessory.serviceName)) {
    const role = temporaryRole(accessory.serviceName, c.name)
    if (role) leftovers.push({ container: c, role })
    else own.push(c)
  }
  return { own, leftovers }
}

/**
 * The container Kamal's label filter finds for the accessory, never one of berth's temporary ones. When
 * several carry the label (one renamed by hand, say), the one with the accessory's name wins, then a running one.
 */
export function accessoryContainer(
  accessory: Accessory,
  containers: readonly ObservedContainer[],
): ObservedContainer | undefined {
  const { own } = labelledContainers(accessory, containers)
  return own.find((c) => c.name === accessory.serviceName) ?? own.find((c) => c.state === 'running') ?? own[0]
}

/** Image first: when the image differs, the settings a reboot replaces anyway are not listed. */
export function judge(
  accessory: Accessory,
  host: string,
  observation: HostObservation,
  context: JudgeContext = DEFAULT_CONTEXT,
): Verdict {
  if (!observation.ok) return { kind: 'unreachable', accessory, host, error: observation.error }
  const registry = context.registry?.get(accessory.image)
  if (registry && !registry.ok)
    return {
      kind: 'unreachable',
      accessory,
      host,
      error: `could not ask the registry for ${accessory.image}: ${registry.error}`,
    }
  if (accessory.proxy && observation.proxy && !observation.proxy.running)
    return { kind: 'unreachable', accessory, host, error: proxyDownError(accessory, host, observation.proxy.error) }
  const { leftovers } = labelledContainers(accessory, observation.containers)
  const container = accessoryContainer(accessory, observation.containers)
  if (!container) return { kind: 'missing', accessory, host, leftovers }
  const images = observation.images ?? []
  const image = compareImage(accessory, container, images)
  const settings = compareSettings(accessory, container, {
    host,
    loggingArgs: context.loggingArgs,
    images,
    unresolvedSecrets: accessory.unresolvedSecrets,
    loginDirectory: observation.loginDirectory,
  })
  const repoDigests = images.find((i) => i.id === container.imageId)?.repoDigests ?? []
  const notCompared = [...settings.notCompared]
  for (const file of accessory.files)
    if (file.content === undefined)
      notCompared.push(`file ${file.source} (the local file is missing here; its mount is compared)`)
  const fromRegistry = registry?.ok && !image.length ? compareRegistry(accessory, repoDigests, registry.digest) : {}
  if (fromRegistry.notCompared) notCompared.push(fromRegistry.notCompared)
  const routed = compareProxy(accessory, container, observation.proxy)
  const findings = image.some((f) => f.kind === 'image')
    ? image
    : [
        ...image,
        ...(fromRegistry.finding ? [fromRegistry.finding] : []),
        ...settings.findings,
        ...(routed ? [routed] : []),
      ]
  const base = { accessory, host, container, repoDigests, leftovers, notCompared }
  return findings.length ? { kind: 'drift', ...base, findings } : { kind: 'in_sync', ...base }
}

/** Verdicts in config order: accessories first, then each accessory's hosts. */
export function judgeAll(
  selection: ReadonlyArray<{ accessory: Accessory; hosts: string[] }>,
  observations: ReadonlyMap<string, HostObservation>,
  context: JudgeContext = DEFAULT_CONTEXT,
): Verdict[] {
  return selection.flatMap(({ accessory, hosts }) =>
    hosts.map((host) =>
      judge(accessory, host, observations.get(host) ?? { ok: false, error: 'host was not observed' }, context),
    ),
  )
}
