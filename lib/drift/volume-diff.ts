// `volumes:`, `options: volume` and the directories berth mounts (`directories:`, `files:`) against the binds and
// volumes docker recorded. Each recorded bind answers one configured entry; one nothing configured is drift.
import path from 'node:path'
import type { Accessory } from '../config/accessory.ts'
import type { Mount } from '../config/accessory-files.ts'
import type { ContainerSettings } from '../docker/inspect.ts'
import { EXPANDED } from './kamal-forms.ts'
import { mountSpec, tmpfs } from './options.ts'

/** The binds docker recorded, each taken by at most one configured entry; what is left was not configured. */
class RecordedBinds {
  private readonly left: string[]
  constructor(binds: readonly string[]) {
    this.left = [...binds]
  }

  /** Takes the first bind `match` accepts; false when none does. */
  take(match: (bind: string) => boolean): boolean {
    const at = this.left.findIndex(match)
    if (at < 0) return false
    this.left.splice(at, 1)
    return true
  }

  get untaken(): readonly string[] {
    return this.left
  }
}

/** Config reasons for the container's mounts; what cannot be compared goes to `notCompared`. */
export function compareVolumes(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  settings: ContainerSettings,
  notCompared: string[],
  loginDirectory: string | undefined,
): string[] {
  if (options.has('volumes-from')) {
    notCompared.push('volumes (options: volumes-from also mounts volumes)')
    return []
  }
  if (options.get('volume')?.some((v) => EXPANDED.test(v))) {
    notCompared.push('volumes (an options volume has ${...}, which the remote shell expands when Kamal boots it)')
    return []
  }
  const binds = new RecordedBinds(settings.binds)
  const volumes = [...accessory.volumes, ...(options.get('volume') ?? [])]
  const reasons = [
    ...volumes.flatMap((volume) => compareVolume(volume, binds, settings, notCompared, loginDirectory)),
    ...accessory.mounts.flatMap((mount) => compareMount(mount, binds, notCompared, loginDirectory)),
    ...binds.untaken.map((bind) => `volume ${bind} is mounted but not configured`),
  ]
  noteAnonymousVolumes(settings, coveredPaths(accessory, volumes, options), notCompared)
  return reasons
}

/** One `volumes:` entry: a lone path is an anonymous volume; `source:target[:opts]` a bind or a named volume. */
function compareVolume(
  volume: string,
  binds: RecordedBinds,
  settings: ContainerSettings,
  notCompared: string[],
  loginDirectory: string | undefined,
): string[] {
  if (!volume.includes(':')) return settings.volumes.includes(volume) ? [] : [`volume ${volume} is not mounted`]
  const [source = '', ...rest] = volume.split(':')
  if (!source.startsWith('.')) return binds.take((b) => b === volume) ? [] : [`volume ${volume} is not mounted`]
  // The docker CLI makes a source starting with "." absolute against its working directory, the ssh user's
  // login directory (`./pg:/data` → `/home/app/pg:/data`); check compares what docker recorded.
  if (loginDirectory === undefined) {
    notCompared.push(`volume ${volume} (the host did not say its login directory)`)
    binds.take((b) => b.startsWith('/') && b.endsWith(`:${rest.join(':')}`))
    return []
  }
  const resolved = `${path.posix.resolve(loginDirectory, source)}:${rest.join(':')}`
  return binds.take((b) => b === resolved) ? [] : [`volume ${volume} (${resolved}) is not mounted`]
}

/** One mount of `files:` or `directories:` (a relative one is mounted from the login directory). */
function compareMount(
  mount: Mount,
  binds: RecordedBinds,
  notCompared: string[],
  loginDirectory: string | undefined,
): string[] {
  const spec = `${mount.containerPath}${mount.options ? `:${mount.options}` : ''}`
  const wanted = `${mount.hostPath}:${spec}`
  // A folder relative to the login directory is mounted from "$PWD"/<service>/…: recorded absolute.
  if (mount.relative && loginDirectory === undefined) {
    notCompared.push(`volume ${wanted} (the host did not say its login directory)`)
    binds.take((b) => b.startsWith('/') && b.endsWith(`/${wanted}`))
    return []
  }
  const recorded = mount.relative ? `${loginDirectory}/${wanted}` : wanted
  return binds.take((b) => b === recorded) ? [] : [`volume ${wanted} is not mounted`]
}

/** The container paths something configured is mounted on: volumes, berth's mounts, `options: mount` and `tmpfs`. */
function coveredPaths(accessory: Accessory, volumes: readonly string[], options: ReadonlyMap<string, string[]>) {
  return [
    ...volumes.map((volume) => (volume.includes(':') ? (volume.split(':')[1] ?? '') : volume)),
    ...accessory.mounts.map((m) => m.containerPath),
    ...(options.get('mount') ?? []).map((spec) => mountSpec(spec)?.target ?? ''),
    ...(options.get('tmpfs') ?? []).map((spec) => tmpfs(spec).path),
  ]
}

/**
 * A VOLUME the image declares with nothing mounted on it lives in an anonymous volume that a new container
 * does not get back: its data stays behind at every reboot (as with Kamal). Said, never drift.
 */
function noteAnonymousVolumes(settings: ContainerSettings, covered: readonly string[], notCompared: string[]): void {
  for (const volume of settings.volumes) {
    if (!covered.includes(volume))
      notCompared.push(
        `anonymous volume ${volume} (nothing configured is mounted there, so a reboot starts with an empty one; ` +
          'add it to volumes: to keep its data)',
      )
  }
}
