// How each `options:` value berth can compare reads back from `docker inspect`: the single-valued ones as a
// yes/no on HostConfig and Config, the repeatable ones as `key → value` lists in docker's resolved form.
import type { Accessory } from '../config/accessory.ts'
import type { ContainerSettings } from '../docker/inspect.ts'
import { capability, device, deviceMapping, extraHost, keyValue, mountSpec, tmpfs, ulimit } from './options.ts'

/** `64m` → bytes, as docker reads --memory and --shm-size. */
export function parseBytes(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(value.trim())
  if (!match) return undefined
  const power = ['', 'k', 'm', 'g', 't'].indexOf(match[2]!.toLowerCase())
  return Math.round(Number(match[1]) * 1024 ** power)
}

/** `1m30s`, `500ms` → nanoseconds, as docker reads --health-interval. */
export function parseDuration(value: string): number | undefined {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }
  let total = 0
  let rest = value.trim()
  if (!rest) return undefined
  while (rest) {
    const match = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest)
    if (!match) return undefined
    total += Number(match[1]) * units[match[2]!]!
    rest = rest.slice(match[0].length)
  }
  return Math.round(total)
}

type OptionReader = (
  value: string,
  host: Record<string, unknown>,
  config: Record<string, unknown>,
) => boolean | undefined

const health = (config: Record<string, unknown>) =>
  config.Healthcheck && typeof config.Healthcheck === 'object' ? (config.Healthcheck as Record<string, unknown>) : {}
const numberIs = (observed: unknown, wanted: number | undefined) => wanted !== undefined && observed === wanted
const texts = (list: unknown): string[] =>
  Array.isArray(list) ? list.filter((v): v is string => typeof v === 'string') : []
const records = (list: unknown): Array<Record<string, unknown>> =>
  Array.isArray(list) ? list.filter((v): v is Record<string, unknown> => !!v && typeof v === 'object') : []

/** The single-valued `options:` berth can read back from `docker inspect`: whether the container has the value. */
export const SINGLE_OPTIONS: Record<string, OptionReader> = {
  memory: (v, h) => numberIs(h.Memory, parseBytes(v)),
  'memory-reservation': (v, h) => numberIs(h.MemoryReservation, parseBytes(v)),
  'memory-swap': (v, h) => numberIs(h.MemorySwap, v === '-1' ? -1 : parseBytes(v)),
  'shm-size': (v, h) => numberIs(h.ShmSize, parseBytes(v)),
  cpus: (v, h) => numberIs(h.NanoCpus, Math.round(Number(v) * 1e9)),
  'cpu-shares': (v, h) => numberIs(h.CpuShares, Number(v)),
  'cpuset-cpus': (v, h) => h.CpusetCpus === v,
  'pids-limit': (v, h) =>
    Number(v) <= 0
      ? h.PidsLimit === null || h.PidsLimit === undefined || h.PidsLimit === 0 || h.PidsLimit === -1
      : numberIs(h.PidsLimit, Number(v)),
  user: (v, _h, c) => c.User === v,
  hostname: (v, _h, c) => c.Hostname === v,
  workdir: (v, _h, c) => c.WorkingDir === v,
  'stop-signal': (v, _h, c) => c.StopSignal === v,
  'stop-timeout': (v, _h, c) => numberIs(c.StopTimeout, Number(v)),
  privileged: (v, h) => h.Privileged === (v !== 'false'),
  'read-only': (v, h) => h.ReadonlyRootfs === (v !== 'false'),
  init: (v, h) => h.Init === (v !== 'false'),
  'health-cmd': (v, _h, c) => {
    const test = health(c).Test
    return Array.isArray(test) && test[0] === 'CMD-SHELL' && test[1] === v
  },
  'health-interval': (v, _h, c) => numberIs(health(c).Interval, parseDuration(v)),
  'health-timeout': (v, _h, c) => numberIs(health(c).Timeout, parseDuration(v)),
  'health-start-period': (v, _h, c) => numberIs(health(c).StartPeriod, parseDuration(v)),
  'health-start-interval': (v, _h, c) => numberIs(health(c).StartInterval, parseDuration(v)),
  'health-retries': (v, _h, c) => numberIs(health(c).Retries, Number(v)),
  'no-healthcheck': (v, _h, c) => {
    const test = health(c).Test
    return v === 'false' || (Array.isArray(test) && test[0] === 'NONE')
  },
}

/**
 * A repeatable option as `key → value` in docker's resolved form, from the config and from the container.
 * The same key given twice keeps the last value (docker's own rule); `extras` says whether whatever the
 * container has beyond the config is drift (nothing but `options:` sets these) or may come from the daemon.
 */
export interface ListOption {
  wanted: (spec: string) => [string, string] | undefined
  observed: (settings: ContainerSettings, accessory: Accessory) => Array<[string, string]> | undefined
  same?: (wanted: string, observed: string) => boolean
  extras: boolean
}

const self = (value: string | undefined): [string, string] | undefined =>
  value === undefined ? undefined : [value, value]
const capabilities = (list: unknown) => texts(list).map((c) => self(capability(c))!)
const limitText = (soft: unknown, hard: unknown) => `${String(soft)}:${String(hard)}`
const tmpfsOptions = (options: string) => options.split(',').filter(Boolean).sort().join(',')
const mountText = (type: string, readOnly: boolean, source: string) => `${type}:${readOnly ? 'ro' : 'rw'}:${source}`

export const LIST_OPTIONS: Record<string, ListOption> = {
  'add-host': {
    wanted: (v) => self(extraHost(v)),
    observed: (s) => texts(s.hostConfig.ExtraHosts).map((h) => self(extraHost(h))!),
    extras: true,
  },
  'cap-add': { wanted: (v) => self(capability(v)), observed: (s) => capabilities(s.hostConfig.CapAdd), extras: true },
  'cap-drop': { wanted: (v) => self(capability(v)), observed: (s) => capabilities(s.hostConfig.CapDrop), extras: true },
  device: {
    wanted: (v) => self(deviceMapping(v)),
    observed: (s) =>
      records(s.hostConfig.Devices).map((d) =>
        self(device(String(d.PathOnHost), String(d.PathInContainer || d.PathOnHost), String(d.CgroupPermissions)))!,
      ),
    extras: true,
  },
  // The daemon's default-ulimits may be recorded on the container too: only the configured ones are compared.
  ulimit: {
    wanted: (v) => {
      const limit = ulimit(v)
      return limit && [limit.name, limitText(limit.soft, limit.hard)]
    },
    observed: (s) => records(s.hostConfig.Ulimits).map((u) => [String(u.Name), limitText(u.Soft, u.Hard)]),
    extras: false,
  },
  sysctl: {
    wanted: (v) => {
      const [key, value] = keyValue(v)
      return value === undefined ? undefined : [key.replaceAll('/', '.'), value]
    },
    observed: (s) =>
      Object.entries(s.hostConfig.Sysctls ?? {}).map(([k, v]): [string, string] => [k.replaceAll('/', '.'), String(v)]),
    extras: false,
  },
  tmpfs: {
    wanted: (v) => {
      const mount = tmpfs(v)
      return [mount.path, tmpfsOptions(mount.options)]
    },
    observed: (s) =>
      Object.entries(s.hostConfig.Tmpfs ?? {}).map(([k, v]): [string, string] => [k, tmpfsOptions(String(v))]),
    extras: true,
  },
  mount: {
    wanted: (v) => {
      const mount = mountSpec(v)
      return mount && [mount.target, mountText(mount.type, mount.readOnly, mount.source)]
    },
    observed: (s) =>
      records(s.hostConfig.Mounts).map((m) => [
        String(m.Target),
        mountText(String(m.Type), m.ReadOnly === true, typeof m.Source === 'string' ? m.Source : ''),
      ]),
    // docker makes a relative bind source absolute from the login directory.
    same: (wanted, observed) => {
      if (wanted === observed) return true
      const [type, mode, ...source] = wanted.split(':')
      const relative = source.join(':').replace(/^(\.\/)+/, '')
      return (
        !wanted.includes(':/') &&
        type === 'bind' &&
        observed.startsWith(`bind:${mode}:/`) &&
        observed.endsWith(`/${relative}`)
      )
    },
    extras: true,
  },
  // docker adds the container's short id (before 25) or nothing: only the configured aliases are compared.
  'network-alias': {
    wanted: (v) => self(v),
    observed: (s, a) => s.networkAliases && (s.networkAliases[a.network] ?? []).map((alias) => self(alias)!),
    extras: false,
  },
}
