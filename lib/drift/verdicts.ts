// (desired, observed) → one verdict per accessory × host. This is where the image is compared.
import type { Accessory } from '../config/model.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import { temporaryRole, type TemporaryRole } from '../docker/names.ts'
import { sameImageRef } from './image-ref.ts'

/** What one host showed: its labelled containers, or why it could not be looked at. */
export type HostObservation = { ok: true; containers: ObservedContainer[] } | { ok: false; error: string }

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

export type Verdict =
  | (VerdictBase & Observed & { kind: 'missing' })
  | (VerdictBase & Observed & { kind: 'in_sync'; container: ObservedContainer })
  | (VerdictBase & Observed & { kind: 'drift'; container: ObservedContainer })
  | (VerdictBase & { kind: 'unobserved'; error: string })

export type VerdictKind = Verdict['kind']

/** The accessory's labelled containers, split into berth's temporary ones and the rest. */
export function labelledContainers(accessory: Accessory, containers: readonly ObservedContainer[]): { own: ObservedContainer[]; leftovers: Leftover[] } {
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
export function accessoryContainer(accessory: Accessory, containers: readonly ObservedContainer[]): ObservedContainer | undefined {
  const { own } = labelledContainers(accessory, containers)
  return own.find((c) => c.name === accessory.serviceName) ?? own.find((c) => c.state === 'running') ?? own[0]
}

export function judge(accessory: Accessory, host: string, observation: HostObservation): Verdict {
  if (!observation.ok) return { kind: 'unobserved', accessory, host, error: observation.error }
  const { leftovers } = labelledContainers(accessory, observation.containers)
  const container = accessoryContainer(accessory, observation.containers)
  if (!container) return { kind: 'missing', accessory, host, leftovers }
  if (sameImageRef(container.image, accessory.image)) return { kind: 'in_sync', accessory, host, container, leftovers }
  return { kind: 'drift', accessory, host, container, leftovers }
}

/** Verdicts in config order: accessories first, then each accessory's hosts. */
export function judgeAll(
  selection: ReadonlyArray<{ accessory: Accessory; hosts: string[] }>,
  observations: ReadonlyMap<string, HostObservation>,
): Verdict[] {
  return selection.flatMap(({ accessory, hosts }) =>
    hosts.map((host) => judge(accessory, host, observations.get(host) ?? { ok: false, error: 'host was not observed' })),
  )
}
