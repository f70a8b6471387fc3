// `docker inspect` JSON → what berth knows about a container. Pure: parses text, never throws on odd
// fields, so a container created by hand or by another tool still yields a usable observation.

export type ContainerState = 'running' | 'stopped' | 'paused' | 'restarting' | 'created' | 'dead'

/** A container with a process that a stop would end: running, paused, or between restarts. */
export function isUp(state: ContainerState): boolean {
  return state === 'running' || state === 'paused' || state === 'restarting'
}

export interface ObservedContainer {
  id: string
  name: string
  /** `.Config.Image`: the reference the container was created from, as given to `docker run`. */
  image: string
  /** `.Image`: the image ID the container runs. */
  imageId: string
  state: ContainerState
  service?: string
  labels: Record<string, string>
  startedAt?: string
}

export class InspectParseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InspectParseError'
  }
}

/**
 * The result of `inspectServiceContainers`: the containers, or why the host could not be read. Exit 1 with
 * only `No such object` errors means some containers were removed meanwhile; the rest are still there.
 */
export function parseInspectResult(result: { exitCode: number; stdout: string; stderr: string }): ObservedContainer[] | undefined {
  if (result.exitCode === 0) return parseInspect(result.stdout)
  const errors = result.stderr.split('\n').map((l) => l.trim()).filter(Boolean)
  const onlyVanished = result.exitCode === 1 && errors.length > 0 && errors.every((l) => /^Error: No such (object|container)/i.test(l))
  return onlyVanished && result.stdout.trim().startsWith('[') ? parseInspect(result.stdout) : undefined
}

/** Parses `docker inspect` output; empty output means no containers. */
export function parseInspect(stdout: string): ObservedContainer[] {
  const text = stdout.trim()
  if (text === '') return []
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    throw new InspectParseError(`docker inspect printed something that is not JSON: ${text.slice(0, 120)}`)
  }
  if (!Array.isArray(data)) throw new InspectParseError('docker inspect did not print a JSON array')
  return data.map(toObservedContainer)
}

function toObservedContainer(entry: unknown): ObservedContainer {
  const record = (value: unknown): Record<string, unknown> => (value && typeof value === 'object' ? (value as Record<string, unknown>) : {})
  const text = (value: unknown): string => (typeof value === 'string' ? value : '')
  const root = record(entry)
  const config = record(root.Config)
  const state = record(root.State)
  const labels = Object.fromEntries(Object.entries(record(config.Labels)).map(([k, v]) => [k, text(v)]))
  return {
    id: text(root.Id),
    name: text(root.Name).replace(/^\//, ''),
    image: text(config.Image),
    imageId: text(root.Image),
    state: containerState(text(state.Status)),
    service: labels.service,
    labels,
    startedAt: text(state.StartedAt) || undefined,
  }
}

function containerState(status: string): ContainerState {
  switch (status) {
    case 'running':
    case 'paused':
    case 'restarting':
    case 'created':
    case 'dead':
      return status
    default:
      return 'stopped' // exited, removing, or anything newer docker may add
  }
}
