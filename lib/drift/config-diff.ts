// (desired, observed) → what differs, field by field, in words a person can act on. Everything berth sets on
// `docker run` is compared: image (a digest pin by digest), the tag's image on the host, cmd, published port,
// volumes, clear env, labels, network, restart policy, logging, the `options:` berth can map to `docker
// inspect`, and secret values (named, never shown). What the image brings itself (its Env, Labels, Cmd) is
// not drift. What cannot be compared is listed as such, never as drift.
import type { Accessory } from '../config/model.ts'
import type { ContainerSettings, ObservedContainer, ObservedImage } from '../docker/inspect.ts'
import { dumpEnvValue } from '../docker/commands.ts'
import { canonicalImageRef, parseImageRef } from './image-ref.ts'
import { shellWords } from './shell-words.ts'

export type DriftKind = 'image' | 'image-id' | 'registry' | 'config' | 'secrets'

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

  // Environment: KAMAL_HOST and clear values are shown; secrets only named.
  const env = envMap(settings.env)
  const imageEnv = image ? envMap(image.env) : undefined
  const clear: Array<[string, string]> = [['KAMAL_HOST', context.host], ...accessory.envClear]
  for (const [key, value] of clear) {
    // Kamal hands values to the remote shell in Ruby's `dump` form: `${...}` expands there and `\n` stays two
    // characters; berth passes them literally. Either is what the config means; `${...}` cannot be known here.
    if (/\$\{[^}]*\}/.test(value)) {
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
  if (imageEnv) {
    for (const key of extra) if (imageEnv.get(key) !== env.get(key)) config.push(`env ${key} is set but not configured`)
  } else if (extra.length)
    notCompared.push(`env ${extra.join(', ')} (the container's image is not on the host to tell its own env apart)`)

  // Labels: the image's own are not drift.
  const labels = new Map(overlaps0(accessory, 'label', 'l') ? [] : accessory.labels)
  for (const [key, value] of labels) {
    if (container.labels[key] !== value)
      config.push(
        `label ${key} ${key in container.labels ? JSON.stringify(container.labels[key]) : 'unset'} → ${JSON.stringify(value)}`,
      )
  }
  for (const [key, value] of Object.entries(container.labels)) {
    if (labels.has(key)) continue
    if (image ? image.labels[key] !== value : false) config.push(`label ${key} is set but not configured`)
  }

  // `options:` that set what berth compares as its own setting (`publish` beside `port`, say) make that
  // setting not comparable: docker merges both.
  const optionKeys = new Set(accessory.options.map(([k]) => k))
  const overlaps = (...keys: string[]) => keys.some((k) => optionKeys.has(k))
  config.push(...compareCmd(accessory, settings, image, notCompared))
  if (overlaps('publish', 'p', 'publish-all', 'P')) notCompared.push('port (options: also publish ports)')
  else config.push(...comparePort(accessory, settings, notCompared))
  if (overlaps('volume', 'v', 'mount', 'volumes-from')) notCompared.push('volumes (options: also mount volumes)')
  else config.push(...compareVolumes(accessory, settings, notCompared))
  if (settings.networkMode !== accessory.network)
    config.push(`network ${settings.networkMode || 'default'} → ${accessory.network}`)
  const [policy = '', retries = '0'] = accessory.restartPolicy.split(':')
  const observedRetries = settings.restartPolicy.maximumRetryCount
  const observedPolicy = `${settings.restartPolicy.name || 'no'}${observedRetries ? `:${observedRetries}` : ''}`
  if (settings.restartPolicy.name !== policy || settings.restartPolicy.maximumRetryCount !== Number(retries))
    config.push(`restart ${observedPolicy} → ${accessory.restartPolicy}`)
  config.push(...compareLogging(context.loggingArgs, settings))
  config.push(...compareOptions(accessory, settings, notCompared))

  const findings: DriftFinding[] = []
  if (config.length) findings.push({ kind: 'config', reasons: config })
  if (secrets.length) findings.push({ kind: 'secrets', reasons: secrets })
  return { findings, notCompared }
}

const overlaps0 = (accessory: Accessory, ...keys: string[]) => accessory.options.some(([k]) => keys.includes(k))

function compareCmd(
  accessory: Accessory,
  settings: ContainerSettings,
  image: ObservedImage | undefined,
  notCompared: string[],
): string[] {
  const running = settings.cmd ?? []
  const show = (words: readonly string[]) => (words.length ? words.join(' ') : 'none')
  if (overlaps0(accessory, 'entrypoint')) {
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

/** `[ip:]host:container[/proto]` (Kamal's `port:` after doubling) → docker's PortBindings key and binding. */
function parsePublish(spec: string): { key: string; hostIp: string; hostPort: string } | undefined {
  const [rest = '', proto = 'tcp'] = spec.split('/')
  const parts = rest.startsWith('[') ? undefined : rest.split(':')
  if (!parts || parts.length < 2 || parts.length > 3) return undefined
  const [containerPort] = parts.slice(-1) as [string]
  const [hostPort] = parts.slice(-2, -1) as [string]
  if (!/^\d+$/.test(containerPort) || !/^\d*$/.test(hostPort)) return undefined
  return { key: `${containerPort}/${proto}`, hostIp: parts.length === 3 ? parts[0]! : '', hostPort }
}

function comparePort(accessory: Accessory, settings: ContainerSettings, notCompared: string[]): string[] {
  const observed = Object.entries(settings.portBindings).flatMap(([key, list]) => list.map((b) => ({ key, ...b })))
  const show = (b: { key: string; hostIp: string; hostPort: string }) =>
    `${b.hostIp ? `${b.hostIp}:` : ''}${b.hostPort}:${b.key.replace(/\/tcp$/, '')}`
  const wanted = accessory.port === undefined ? undefined : parsePublish(accessory.port)
  if (accessory.port !== undefined && !wanted) {
    notCompared.push(`port ${accessory.port}`)
    return []
  }
  const same = (b: { key: string; hostIp: string; hostPort: string }) =>
    wanted && b.key === wanted.key && b.hostPort === wanted.hostPort && (b.hostIp || '') === wanted.hostIp
  if (wanted && observed.length === 1 && same(observed[0]!)) return []
  if (!wanted && observed.length === 0) return []
  return [`port ${observed.length ? observed.map(show).join(', ') : 'none'} → ${wanted ? show(wanted) : 'none'}`]
}

function compareVolumes(accessory: Accessory, settings: ContainerSettings, notCompared: string[]): string[] {
  const reasons: string[] = []
  const binds = [...settings.binds]
  const take = (match: (bind: string) => boolean) => {
    const at = binds.findIndex(match)
    if (at < 0) return false
    binds.splice(at, 1)
    return true
  }
  const covered: string[] = []
  for (const volume of accessory.volumes) {
    if (!volume.includes(':')) {
      covered.push(volume)
      if (!settings.volumes.includes(volume)) reasons.push(`volume ${volume} is not mounted`)
      continue
    }
    const [source = '', ...rest] = volume.split(':')
    covered.push(rest[0] ?? '')
    // docker makes a relative host path absolute (`./rel:/rel` → `/home/app/rel:/rel`).
    const relative = source.startsWith('./') || source.startsWith('../')
    const tail = `/${source.replace(/^(\.\/)+/, '')}:${rest.join(':')}`
    if (!take((b) => b === volume || (relative && b.startsWith('/') && b.endsWith(tail))))
      reasons.push(`volume ${volume} is not mounted`)
  }
  for (const mount of accessory.mounts) {
    const spec = `${mount.containerPath}${mount.options ? `:${mount.options}` : ''}`
    const wanted = `${mount.hostPath}:${spec}`
    // A path relative to the login directory is recorded absolute: `/home/app/<service>/data:/data`.
    if (!take((b) => (mount.relative ? b.startsWith('/') && b.endsWith(`/${wanted}`) : b === wanted)))
      reasons.push(`volume ${wanted} is not mounted`)
  }
  for (const bind of binds) reasons.push(`volume ${bind} is mounted but not configured`)
  // A VOLUME the image declares with nothing mounted on it lives in an anonymous volume that a new container
  // does not get back: its data stays behind at every reboot (as with Kamal). Said, never drift.
  covered.push(...accessory.mounts.map((m) => m.containerPath))
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
const listHas = (list: unknown, value: string) => Array.isArray(list) && list.includes(value)
const numberIs = (observed: unknown, wanted: number | undefined) => wanted !== undefined && observed === wanted

/** The `options:` berth can read back from `docker inspect`; each says whether the container has the value. */
const OPTIONS: Record<string, OptionReader> = {
  memory: (v, h) => numberIs(h.Memory, parseBytes(v)),
  m: (v, h) => numberIs(h.Memory, parseBytes(v)),
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
  // docker records capabilities as CAP_<NAME> (or as given): either spelling is the same capability.
  'cap-add': (v, h) =>
    listHas(h.CapAdd, v) ||
    listHas(h.CapAdd, `CAP_${v.toUpperCase()}`) ||
    listHas(h.CapAdd, v.toUpperCase().replace(/^CAP_/, '')),
  'cap-drop': (v, h) =>
    listHas(h.CapDrop, v) ||
    listHas(h.CapDrop, `CAP_${v.toUpperCase()}`) ||
    listHas(h.CapDrop, v.toUpperCase().replace(/^CAP_/, '')),
  'add-host': (v, h) => listHas(h.ExtraHosts, v),
  'health-cmd': (v, _h, c) => {
    const test = health(c).Test
    return Array.isArray(test) && test[0] === 'CMD-SHELL' && test[1] === v
  },
  'health-interval': (v, _h, c) => numberIs(health(c).Interval, parseDuration(v)),
  'health-timeout': (v, _h, c) => numberIs(health(c).Timeout, parseDuration(v)),
  'health-start-period': (v, _h, c) => numberIs(health(c).StartPeriod, parseDuration(v)),
  'health-retries': (v, _h, c) => numberIs(health(c).Retries, Number(v)),
}

function compareOptions(accessory: Accessory, settings: ContainerSettings, notCompared: string[]): string[] {
  const reasons: string[] = []
  const comparedElsewhere = new Set([
    'publish',
    'p',
    'publish-all',
    'P',
    'volume',
    'v',
    'mount',
    'volumes-from',
    'label',
    'l',
    'entrypoint',
  ])
  for (const [key, value] of accessory.options) {
    if (comparedElsewhere.has(key)) continue
    const read = OPTIONS[key]
    if (!read) {
      notCompared.push(`option --${key}`)
      continue
    }
    if (!read(value ?? 'true', settings.hostConfig, settings.config))
      reasons.push(`option --${key}${value === undefined ? '' : ` ${value}`} is not what the container has`)
  }
  // Limits removed from the config stay on the container until it is recreated.
  const configured = new Set(accessory.options.map(([k]) => k))
  if (
    !configured.has('memory') &&
    !configured.has('m') &&
    typeof settings.hostConfig.Memory === 'number' &&
    settings.hostConfig.Memory > 0
  ) {
    reasons.push('option --memory is set on the container but not configured')
  }
  if (!configured.has('cpus') && typeof settings.hostConfig.NanoCpus === 'number' && settings.hostConfig.NanoCpus > 0) {
    reasons.push('option --cpus is set on the container but not configured')
  }
  return reasons
}
