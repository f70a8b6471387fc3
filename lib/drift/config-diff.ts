// (desired, observed) → what differs, field by field, in words a person can act on. Everything berth sets on
// `docker run` is compared: image (a digest pin by digest), the tag's image on the host, cmd, published port,
// volumes, clear env, labels, network, restart policy, logging, the `options:` berth can map to `docker
// inspect`, and secret values (named, never shown). What the image brings itself (its Env, Labels, Cmd) is
// not drift. What cannot be compared is listed as such, never as drift.
import path from 'node:path'
import type { Accessory } from '../config/accessory.ts'
import type { ContainerSettings, ObservedContainer, ObservedImage } from '../docker/inspect.ts'
import { dumpEnvValue } from '../docker/commands.ts'
import { canonicalImageRef, parseImageRef } from './image-ref.ts'
import { shellWords } from './shell-words.ts'
import {
  capability,
  device,
  deviceMapping,
  extraHost,
  keyValue,
  mountSpec,
  optionValues,
  parsePortSpec,
  tmpfs,
  ulimit,
  type PortBinding,
} from './options.ts'

type DriftKind = 'image' | 'image-id' | 'registry' | 'config' | 'secrets' | 'proxy'

export interface DriftFinding {
  kind: DriftKind
  /** Short phrases: `env POSTGRES_USER app → app2`, `port 5432:5432 → 5433:5432`. */
  reasons: string[]
}

export interface Comparison {
  findings: DriftFinding[]
  /** What could not be compared here (never drift): `option --ulimit`, `secret DB_PASSWORD (not resolved here)`. */
  notCompared: string[]
}

export interface CompareContext {
  host: string
  loggingArgs: readonly string[]
  /** The images the host answered for: configured references and the containers' own images. */
  images: readonly ObservedImage[]
  /** Secret keys whose values could not be resolved where berth runs. */
  unresolvedSecrets?: readonly string[]
  /** The remote shell's working directory (`$PWD`), against which docker made relative bind sources absolute. */
  loginDirectory?: string
}

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12)
const ref = (r: string) => parseImageRef(r)
const repoOf = (r: string) => `${ref(r).domain}/${ref(r).path}`

/** The image whose id is `id`, or that the reference `reference` names on the host. */
function imageById(images: readonly ObservedImage[], id: string): ObservedImage | undefined {
  return images.find((i) => i.id === id)
}
function imageByTag(images: readonly ObservedImage[], reference: string): ObservedImage | undefined {
  const wanted = canonicalImageRef(reference)
  return images.find((i) => i.repoTags.some((t) => canonicalImageRef(t) === wanted))
}

/** image: the reference (or, for a `name:tag@sha256:…` pin, the digest); image-id: the tag moved on the host. */
export function compareImage(
  accessory: Accessory,
  container: ObservedContainer,
  images: readonly ObservedImage[],
): DriftFinding[] {
  const wanted = ref(accessory.image)
  const running = ref(container.image)
  const own = imageById(images, container.imageId)
  if (wanted.digest) {
    const digests = [running.digest, ...(own?.repoDigests ?? []).map((d) => d.slice(d.indexOf('@') + 1))].filter(
      Boolean,
    )
    if (repoOf(accessory.image) === repoOf(container.image) && digests.includes(wanted.digest)) return []
    const now = running.digest ?? digests[0]
    const pinned =
      now && now !== wanted.digest ? ` (pinned digest ${short(wanted.digest)}…, running ${short(now)}…)` : ''
    return [
      {
        kind: 'image',
        reasons: [`image ${container.image} → ${accessory.image}${pinned}`],
      },
    ]
  }
  if (repoOf(accessory.image) !== repoOf(container.image) || (running.tag ?? 'latest') !== (wanted.tag ?? 'latest')) {
    return [{ kind: 'image', reasons: [`image ${container.image} → ${accessory.image}`] }]
  }
  const tagged = imageByTag(images, accessory.image)
  if (tagged && container.imageId && tagged.id !== container.imageId) {
    return [{ kind: 'image-id', reasons: [`tag moved on host (${short(container.imageId)}… → ${short(tagged.id)}…)`] }]
  }
  return []
}

/** registry: the registry's digest for the tag is none of the running image's RepoDigests (pushed, never pulled). */
export function compareRegistry(
  accessory: Accessory,
  repoDigests: readonly string[],
  digest: string,
): { finding?: DriftFinding; notCompared?: string } {
  const repo = repoOf(accessory.image)
  const known = repoDigests.filter((d) => repoOf(d) === repo).map((d) => d.slice(d.indexOf('@') + 1))
  if (known.length === 0)
    return { notCompared: `registry digest (the running image has no digest from ${ref(accessory.image).domain})` }
  // Digests are hex: one in upper case is the same digest.
  if (known.some((d) => d.toLowerCase() === digest.toLowerCase())) return {}
  return {
    finding: {
      kind: 'registry',
      reasons: [
        `the registry has another image for ${accessory.image} (running ${short(known[0]!)}…, registry ${short(digest)}…)`,
      ],
    },
  }
}

/** What the remote shell makes of Kamal's `--env KEY="<dump>"` for a value without `${...}`. */
function kamalShellValue(value: string): string {
  return dumpEnvValue(value).replaceAll('\\\\', '\\')
}

const envMap = (env: readonly string[]) =>
  new Map(
    env.map((e) => [
      e.slice(0, e.includes('=') ? e.indexOf('=') : e.length),
      e.includes('=') ? e.slice(e.indexOf('=') + 1) : '',
    ]),
  )

/** Everything berth sets on `docker run`, compared with what docker recorded. */
export function compareSettings(
  accessory: Accessory,
  container: ObservedContainer,
  context: CompareContext,
): Comparison {
  const settings = container.settings
  if (!settings) return { findings: [], notCompared: ['container settings (docker inspect gave none)'] }
  const image = imageById(context.images, container.imageId)
  const notCompared: string[] = []
  const config: string[] = []
  const secrets: string[] = []

  // What `options:` adds (`--env`, `--label`, `--publish`, `--volume`, …) is configured like the rest.
  const options = optionValues(accessory.options)
  const optionPairs = (name: string) => (options.get(name) ?? []).map(keyValue)

  // Environment: KAMAL_HOST and clear values are shown; secrets only named.
  const env = envMap(settings.env)
  const imageEnv = image ? envMap(image.env) : undefined
  const clear: Array<[string, string | undefined]> = [
    ['KAMAL_HOST', context.host],
    ...accessory.envClear,
    ...optionPairs('env'),
  ]
  for (const [key, value] of new Map(clear)) {
    if (value === undefined) {
      notCompared.push(`env ${key} (options: env takes its value from the host's environment)`)
      continue
    }
    // Kamal hands values to the remote shell in Ruby's `dump` form: `${...}` expands there and `\n` stays two
    // characters; berth passes them literally. Either is what the config means; `${...}` cannot be known here.
    if (EXPANDED.test(value)) {
      notCompared.push(`env ${key} (its \${...} is expanded by the remote shell when Kamal boots it)`)
      continue
    }
    const running = env.get(key)
    // The running value is never shown: the key may have held a secret before.
    if (running !== value && running !== kamalShellValue(value))
      config.push(`env ${key} ${env.has(key) ? 'changed' : 'is not set'} (configured ${JSON.stringify(value)})`)
  }
  const unresolved = new Set(context.unresolvedSecrets ?? [])
  for (const [key, value] of accessory.envSecret) {
    if (unresolved.has(key)) notCompared.push(`secret ${key} (not resolved here)`)
    else if (!env.has(key)) secrets.push(`${key} not set`)
    // The env file holds Kamal's escaped form, which docker reads literally: both forms are the same secret.
    else if (env.get(key) !== value && env.get(key) !== dumpEnvValue(value)) secrets.push(`${key} changed`)
  }
  const configured = new Set([...clear.map(([k]) => k), ...accessory.envSecret.map(([k]) => k)])
  const extra = [...env.keys()].filter((k) => !configured.has(k))
  if (options.has('env-file')) {
    if (extra.length) notCompared.push(`env ${extra.join(', ')} (options: env-file may set them)`)
  } else if (imageEnv) {
    for (const key of extra) if (imageEnv.get(key) !== env.get(key)) config.push(`env ${key} is set but not configured`)
  } else if (extra.length)
    notCompared.push(`env ${extra.join(', ')} (the container's image is not on the host to tell its own env apart)`)

  // Labels: berth's and Kamal's `service`, `labels:` and `options: label`; the image's own are not drift.
  const labels = new Map([...accessory.labels, ...optionPairs('label').map(([k, v]): [string, string] => [k, v ?? ''])])
  for (const [key, value] of labels) {
    if (EXPANDED.test(value)) {
      notCompared.push(`label ${key} (its \${...} is expanded by the remote shell when Kamal boots it)`)
      continue
    }
    const running = container.labels[key]
    if (running !== value && running !== kamalShellValue(value))
      config.push(
        `label ${key} ${key in container.labels ? JSON.stringify(running) : 'unset'} → ${JSON.stringify(value)}`,
      )
  }
  const extraLabels = Object.entries(container.labels).filter(
    ([key, value]) => !labels.has(key) && (image ? image.labels[key] !== value : false),
  )
  if (options.has('label-file')) {
    if (extraLabels.length)
      notCompared.push(`label ${extraLabels.map(([k]) => k).join(', ')} (options: label-file may set them)`)
  } else for (const [key] of extraLabels) config.push(`label ${key} is set but not configured`)

  config.push(...compareCmd(accessory, settings, image, notCompared))
  if (options.has('publish-all')) notCompared.push("port (options: publish-all publishes the image's ports)")
  else config.push(...comparePort([accessory.port, ...(options.get('publish') ?? [])], settings, notCompared))
  if (options.has('volumes-from')) notCompared.push('volumes (options: volumes-from also mounts volumes)')
  else if (options.get('volume')?.some((v) => EXPANDED.test(v)))
    notCompared.push('volumes (an options volume has ${...}, which the remote shell expands when Kamal boots it)')
  else config.push(...compareVolumes(accessory, options, settings, notCompared, context.loginDirectory))
  if (settings.networkMode !== accessory.network)
    config.push(`network ${settings.networkMode || 'default'} → ${accessory.network}`)
  const [policy = '', retries = '0'] = accessory.restartPolicy.split(':')
  const observedRetries = settings.restartPolicy.maximumRetryCount
  const observedPolicy = `${settings.restartPolicy.name || 'no'}${observedRetries ? `:${observedRetries}` : ''}`
  if (settings.restartPolicy.name !== policy || settings.restartPolicy.maximumRetryCount !== Number(retries))
    config.push(`restart ${observedPolicy} → ${accessory.restartPolicy}`)
  config.push(...compareLogging(context.loggingArgs, settings))
  config.push(...compareOptions(accessory, options, settings, notCompared))

  const findings: DriftFinding[] = []
  if (config.length) findings.push({ kind: 'config', reasons: config })
  if (secrets.length) findings.push({ kind: 'secrets', reasons: secrets })
  return { findings, notCompared }
}

/** A `${...}` that Kamal leaves for the remote shell to expand. */
const EXPANDED = /\$\{[^}]*\}/

function compareCmd(
  accessory: Accessory,
  settings: ContainerSettings,
  image: ObservedImage | undefined,
  notCompared: string[],
): string[] {
  const running = settings.cmd ?? []
  const show = (words: readonly string[]) => (words.length ? words.join(' ') : 'none')
  if (accessory.options.some(([k]) => k === 'entrypoint')) {
    notCompared.push('cmd (options: entrypoint)')
    return []
  }
  // An empty `cmd` adds nothing to `docker run`: the image's own CMD runs.
  if (accessory.cmd !== undefined && accessory.cmd.trim() !== '') {
    const words = shellWords(accessory.cmd)
    if (!words) {
      notCompared.push('cmd (it uses shell syntax, which the remote shell expands)')
      return []
    }
    return sameWords(words, running) ? [] : [`cmd ${show(running)} → ${show(words)}`]
  }
  if (!image) return []
  return sameWords(image.cmd ?? [], running)
    ? []
    : [`cmd ${show(running)} → the image's own (${show(image.cmd ?? [])})`]
}

const sameWords = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((w, i) => w === b[i])

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

function compareVolumes(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  settings: ContainerSettings,
  notCompared: string[],
  loginDirectory: string | undefined,
): string[] {
  const reasons: string[] = []
  const binds = [...settings.binds]
  const take = (match: (bind: string) => boolean) => {
    const at = binds.findIndex(match)
    if (at < 0) return false
    binds.splice(at, 1)
    return true
  }
  const covered: string[] = []
  for (const volume of [...accessory.volumes, ...(options.get('volume') ?? [])]) {
    if (!volume.includes(':')) {
      covered.push(volume)
      if (!settings.volumes.includes(volume)) reasons.push(`volume ${volume} is not mounted`)
      continue
    }
    const [source = '', ...rest] = volume.split(':')
    covered.push(rest[0] ?? '')
    // The docker CLI makes a source starting with "." absolute against its working directory, the ssh user's
    // login directory (`./pg:/data` → `/home/app/pg:/data`); check compares what docker recorded.
    if (source.startsWith('.')) {
      if (loginDirectory === undefined) {
        notCompared.push(`volume ${volume} (the host did not say its login directory)`)
        take((b) => b.startsWith('/') && b.endsWith(`:${rest.join(':')}`))
        continue
      }
      const resolved = `${path.posix.resolve(loginDirectory, source)}:${rest.join(':')}`
      if (!take((b) => b === resolved)) reasons.push(`volume ${volume} (${resolved}) is not mounted`)
      continue
    }
    if (!take((b) => b === volume)) reasons.push(`volume ${volume} is not mounted`)
  }
  for (const mount of accessory.mounts) {
    const spec = `${mount.containerPath}${mount.options ? `:${mount.options}` : ''}`
    const wanted = `${mount.hostPath}:${spec}`
    // A folder relative to the login directory is mounted from "$PWD"/<service>/…: recorded absolute.
    if (mount.relative && loginDirectory === undefined) {
      notCompared.push(`volume ${wanted} (the host did not say its login directory)`)
      take((b) => b.startsWith('/') && b.endsWith(`/${wanted}`))
      continue
    }
    const recorded = mount.relative ? `${loginDirectory}/${wanted}` : wanted
    if (!take((b) => b === recorded)) reasons.push(`volume ${wanted} is not mounted`)
  }
  for (const bind of binds) reasons.push(`volume ${bind} is mounted but not configured`)
  // A VOLUME the image declares with nothing mounted on it lives in an anonymous volume that a new container
  // does not get back: its data stays behind at every reboot (as with Kamal). Said, never drift.
  covered.push(...accessory.mounts.map((m) => m.containerPath))
  // `options: mount` and `tmpfs` put something there too.
  for (const spec of options.get('mount') ?? []) covered.push(mountSpec(spec)?.target ?? '')
  for (const spec of options.get('tmpfs') ?? []) covered.push(tmpfs(spec).path)
  for (const path of settings.volumes) {
    if (!covered.includes(path))
      notCompared.push(
        `anonymous volume ${path} (nothing configured is mounted there, so a reboot starts with an empty one; ` +
          'add it to volumes: to keep its data)',
      )
  }
  return reasons
}

/** `--log-driver D --log-opt k=v …` → what docker records in HostConfig.LogConfig. */
function compareLogging(loggingArgs: readonly string[], settings: ContainerSettings): string[] {
  let driver: string | undefined
  const options: Record<string, string> = {}
  for (let i = 0; i < loggingArgs.length; i += 2) {
    const value = loggingArgs[i + 1] ?? ''
    if (loggingArgs[i] === '--log-driver') driver = value
    else if (loggingArgs[i] === '--log-opt')
      options[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1)
  }
  const reasons: string[] = []
  const observed = settings.logConfig
  if (driver && observed.type !== driver) reasons.push(`log driver ${observed.type || 'default'} → ${driver}`)
  // Only the configured options: docker merges the daemon's own log-opts defaults into every container.
  for (const key of Object.keys(options)) {
    if (observed.config[key] !== options[key])
      reasons.push(`log option ${key} ${observed.config[key] ?? 'unset'} → ${options[key] ?? 'unset'}`)
  }
  return reasons
}

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
const OPTIONS: Record<string, OptionReader> = {
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
interface ListOption {
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

const LIST_OPTIONS: Record<string, ListOption> = {
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

/** Compared with the setting they belong to, or not read back at all. */
const COMPARED_ELSEWHERE = new Set([
  'env',
  'env-file',
  'label',
  'label-file',
  'publish',
  'publish-all',
  'volume',
  'volumes-from',
  'entrypoint',
])

function compareOptions(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  settings: ContainerSettings,
  notCompared: string[],
): string[] {
  const reasons: string[] = []
  // Kamal hands a value to the remote shell in Ruby's `dump` form, which the shell reads back as the same
  // value except for escapes such as `\n` (kept as two characters) and `${...}` (expanded there).
  const forms = (value: string) => [...new Set([value, kamalShellValue(value)])]
  for (const [name, values] of options) {
    if (COMPARED_ELSEWHERE.has(name)) continue
    const expanded = values.filter((v) => EXPANDED.test(v))
    if (expanded.length)
      notCompared.push(
        `option --${name} ${expanded.join(', ')} (its \${...} is expanded by the remote shell when Kamal boots it)`,
      )
    const list = LIST_OPTIONS[name]
    const read = OPTIONS[name]
    if (list) {
      reasons.push(...compareListOption(name, list, values, expanded.length > 0, accessory, settings, notCompared))
    } else if (!read) {
      notCompared.push(`option --${name}`)
    } else {
      const value = values.at(-1)!
      if (!expanded.includes(value) && !forms(value).some((v) => read(v, settings.hostConfig, settings.config)))
        reasons.push(`option --${name}${value === 'true' ? '' : ` ${value}`} is not what the container has`)
    }
  }
  // Options removed from the config stay on the container until it is recreated.
  for (const [name, list] of Object.entries(LIST_OPTIONS)) {
    if (!list.extras || options.has(name)) continue
    for (const [key] of list.observed(settings, accessory) ?? [])
      reasons.push(`option --${name} ${key} is set on the container but not configured`)
  }
  if (!options.has('memory') && typeof settings.hostConfig.Memory === 'number' && settings.hostConfig.Memory > 0) {
    reasons.push('option --memory is set on the container but not configured')
  }
  if (!options.has('cpus') && typeof settings.hostConfig.NanoCpus === 'number' && settings.hostConfig.NanoCpus > 0) {
    reasons.push('option --cpus is set on the container but not configured')
  }
  return reasons
}

function compareListOption(
  name: string,
  option: ListOption,
  values: readonly string[],
  someExpanded: boolean,
  accessory: Accessory,
  settings: ContainerSettings,
  notCompared: string[],
): string[] {
  const observed = option.observed(settings, accessory)
  if (!observed) {
    notCompared.push(`option --${name} (docker inspect did not say)`)
    return []
  }
  const wanted = new Map<string, { spec: string; value: string }>()
  // A value not read here (a `${...}`, or what berth cannot parse) may be any of the container's: then only
  // the values read are compared, and nothing the container has beyond them is called drift.
  let unread = someExpanded
  for (const spec of values) {
    if (EXPANDED.test(spec)) continue
    const entry = option.wanted(spec) ?? option.wanted(kamalShellValue(spec))
    if (entry) wanted.set(entry[0], { spec, value: entry[1] })
    else {
      notCompared.push(`option --${name} ${spec}`)
      unread = true
    }
  }
  const has = new Map(observed)
  const same = option.same ?? ((a: string, b: string) => a === b)
  const reasons: string[] = []
  for (const [key, { spec, value }] of wanted) {
    const running = has.get(key)
    if (running === undefined || !same(value, running))
      reasons.push(`option --${name} ${spec} is not what the container has`)
  }
  if (option.extras && !unread)
    for (const [key] of observed)
      if (!wanted.has(key)) reasons.push(`option --${name} ${key} is set on the container but not configured`)
  return reasons
}
