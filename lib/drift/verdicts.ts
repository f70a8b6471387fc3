// (desired, observed) → one verdict per accessory × host. This is where the image is compared.
import type { Accessory } from '../config/model.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import { sameImageRef } from './image-ref.ts'

/** What one host showed: its labelled containers, or why it could not be looked at. */
export type HostObservation = { ok: true; containers: ObservedContainer[] } | { ok: false; error: string }

interface VerdictBase {
  accessory: Accessory
  host: string
}

export type Verdict =
  | (VerdictBase & { kind: 'missing' })
  | (VerdictBase & { kind: 'in_sync'; container: ObservedContainer })
  | (VerdictBase & { kind: 'drift'; container: ObservedContainer })
  | (VerdictBase & { kind: 'unobserved'; error: string })

export type VerdictKind = Verdict['kind']

/**
 * The container Kamal's label filter finds for the accessory. When several carry the label (one renamed
 * by hand, say), the one with the accessory's name wins, then a running one.
 */
export function accessoryContainer(accessory: Accessory, containers: readonly ObservedContainer[]): ObservedContainer | undefined {
  const labelled = containers.filter((c) => c.service === accessory.serviceName)
  return labelled.find((c) => c.name === accessory.serviceName) ?? labelled.find((c) => c.state === 'running') ?? labelled[0]
}

export function judge(accessory: Accessory, host: string, observation: HostObservation): Verdict {
  if (!observation.ok) return { kind: 'unobserved', accessory, host, error: observation.error }
  const container = accessoryContainer(accessory, observation.containers)
  if (!container) return { kind: 'missing', accessory, host }
  if (sameImageRef(container.image, accessory.image)) return { kind: 'in_sync', accessory, host, container }
  return { kind: 'drift', accessory, host, container }
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
