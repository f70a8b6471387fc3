// `port:` and `options: publish` against docker's PortBindings.
import type { Accessory } from '../config/accessory.ts'
import type { ContainerSettings } from '../docker/inspect.ts'
import { sameWords } from './cmd-diff.ts'
import { parsePortSpec, type PortBinding } from './options.ts'

/** Config reasons for the published ports; `options: publish-all` publishes what the image says, not compared. */
export function comparePorts(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  settings: ContainerSettings,
  notCompared: string[],
): string[] {
  if (!options.has('publish-all'))
    return comparePort([accessory.port, ...(options.get('publish') ?? [])], settings, notCompared)
  notCompared.push("port (options: publish-all publishes the image's ports)")
  return []
}

/** `port:` and `options: publish` together, against docker's PortBindings (each binding once). */
function comparePort(
  specs: ReadonlyArray<string | undefined>,
  settings: ContainerSettings,
  notCompared: string[],
): string[] {
  const observed = Object.entries(settings.portBindings).flatMap(([key, list]) => list.map((b) => ({ key, ...b })))
  const wanted: PortBinding[] = []
  for (const spec of specs) {
    if (spec === undefined) continue
    const bindings = parsePortSpec(spec)
    if (!bindings) {
      notCompared.push(`port ${spec}`)
      return []
    }
    wanted.push(...bindings)
  }
  const show = (b: PortBinding) => {
    const port = b.key.replace(/\/tcp$/, '')
    const ip = b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp
    return ip ? `${ip}:${b.hostPort}:${port}` : b.hostPort ? `${b.hostPort}:${port}` : port
  }
  const sorted = (list: PortBinding[]) => list.map((b) => `${b.key} ${b.hostIp} ${b.hostPort}`).sort()
  if (sameWords(sorted(wanted), sorted(observed))) return []
  return [
    `port ${observed.length ? observed.map(show).join(', ') : 'none'} → ${wanted.length ? wanted.map(show).join(', ') : 'none'}`,
  ]
}
