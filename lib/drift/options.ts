// The `options:` Kamal passes through to `docker run`, read the way docker reads them and put in the form
// `docker inspect` shows them, so what an option adds is compared with what the container has: a value
// docker normalises (`x=10.0.0.2` → `x:10.0.0.2`, `net_admin` → `CAP_NET_ADMIN`, `8080:80` →
// `80/tcp` bound to host port 8080) is the same value. Pure.

/** A flag's other spellings, as docker takes them. */
const SPELLINGS: Record<string, string> = {
  l: 'label',
  e: 'env',
  p: 'publish',
  P: 'publish-all',
  m: 'memory',
  v: 'volume',
  h: 'hostname',
  u: 'user',
  w: 'workdir',
  c: 'cpu-shares',
  'net-alias': 'network-alias',
  net: 'network',
}

/** Flags docker adds up when repeated; for any other flag the last value is the one the container gets. */
const REPEATED = new Set([
  'label',
  'label-file',
  'env',
  'env-file',
  'add-host',
  'cap-add',
  'cap-drop',
  'device',
  'device-cgroup-rule',
  'ulimit',
  'sysctl',
  'tmpfs',
  'mount',
  'publish',
  'network-alias',
  'volume',
  'volumes-from',
  'dns',
  'dns-option',
  'dns-search',
  'security-opt',
  'group-add',
  'expose',
  'link',
  'storage-opt',
  'annotation',
])

function optionName(flag: string): string {
  return SPELLINGS[flag] ?? flag
}

/** `options:` pairs by docker's name for the flag: every value of a repeated flag, the last of any other. */
export function optionValues(options: ReadonlyArray<readonly [string, string | undefined]>): Map<string, string[]> {
  const byName = new Map<string, string[]>()
  for (const [flag, value] of options) {
    const name = optionName(flag)
    const values = REPEATED.has(name) ? (byName.get(name) ?? []) : []
    byName.set(name, [...values, value ?? 'true'])
  }
  return byName
}

/** `KEY=value` as docker splits `--label` and `--env`; a bare `KEY` has no value here. */
export function keyValue(spec: string): [string, string | undefined] {
  const at = spec.indexOf('=')
  return at < 0 ? [spec, undefined] : [spec.slice(0, at), spec.slice(at + 1)]
}

export interface PortBinding {
  /** docker's PortBindings key: `80/tcp`. */
  key: string
  hostIp: string
  hostPort: string
}

const portRange = (text: string): [number, number] | undefined => {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text)
  if (!match) return undefined
  const start = Number(match[1])
  const end = match[2] === undefined ? start : Number(match[2])
  return start <= end && end <= 65535 ? [start, end] : undefined
}

/**
 * `[ip:][hostPort:]containerPort[/proto]` → the bindings docker records (nat.ParsePortSpec): the protocol in
 * lower case, an IPv6 address without brackets, a range one binding a port, a host range with one container
 * port kept as a range. Undefined for what docker would refuse or berth does not read.
 */
export function parsePortSpec(spec: string): PortBinding[] | undefined {
  const parts = spec.split(':')
  const last = parts.pop()!
  const hostPortText = parts.length ? parts.pop()! : ''
  let hostIp = parts.join(':')
  if (hostIp.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1)
  if (hostIp !== '' && !/^[0-9a-fA-F.:]+$/.test(hostIp)) return undefined
  const slash = last.indexOf('/')
  const containerText = slash < 0 ? last : last.slice(0, slash)
  const proto = slash < 0 || last.slice(slash + 1) === '' ? 'tcp' : last.slice(slash + 1).toLowerCase()
  if (!['tcp', 'udp', 'sctp'].includes(proto)) return undefined
  const container = portRange(containerText)
  const host = hostPortText === '' ? undefined : portRange(hostPortText)
  if (!container || (hostPortText !== '' && !host)) return undefined
  const count = container[1] - container[0] + 1
  if (host && host[1] - host[0] + 1 !== count && count !== 1) return undefined
  const bindings: PortBinding[] = []
  for (let i = 0; i < count; i++) {
    let hostPort = host ? String(host[0] + i) : ''
    if (host && count === 1 && host[0] !== host[1]) hostPort = `${host[0]}-${host[1]}`
    bindings.push({ key: `${container[0] + i}/${proto}`, hostIp, hostPort })
  }
  return bindings
}

/** `name:ip` or `name=ip` (IPv6 in brackets or not) → docker's `name:ip`. */
export function extraHost(spec: string): string {
  const at = spec.includes('=') ? spec.indexOf('=') : spec.indexOf(':')
  if (at < 0) return spec
  let ip = spec.slice(at + 1)
  if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1)
  return `${spec.slice(0, at)}:${ip.toLowerCase()}`
}

/** `net_admin`, `NET_ADMIN` and `CAP_NET_ADMIN` are one capability; docker 23+ records the last. */
export function capability(name: string): string {
  const upper = name.toUpperCase()
  return upper === 'ALL' || upper.startsWith('CAP_') ? upper : `CAP_${upper}`
}

const DEVICE_MODE = /^(?!.*(.).*\1)[rwm]{1,3}$/
/** `src[:dst][:perms]` → `src:dst:perms` as docker records a device; undefined for a CDI name. */
export function deviceMapping(spec: string): string | undefined {
  if (!spec.startsWith('/')) return undefined
  const parts = spec.split(':')
  if (parts.length > 3) return undefined
  const [source, second, third] = parts as [string, string | undefined, string | undefined]
  let target = source
  let mode = 'rwm'
  if (third !== undefined) [target, mode] = [second!, third]
  else if (second !== undefined) {
    if (DEVICE_MODE.test(second)) mode = second
    else target = second
  }
  return device(source, target || source, mode)
}

/** A device as docker records it, its permissions in docker's order (`rw` and `wr` are the same). */
export function device(source: string, target: string, permissions: string): string {
  return `${source}:${target}:${'rwm'
    .split('')
    .filter((p) => permissions.includes(p))
    .join('')}`
}

/** `nofile=1024[:2048]` → name, soft and hard limit as docker records them. */
export function ulimit(spec: string): { name: string; soft: number; hard: number } | undefined {
  const match = /^([a-z]+)=([+-]?\d+)(?::([+-]?\d+))?$/.exec(spec)
  if (!match) return undefined
  const soft = Number(match[2])
  return { name: match[1]!, soft, hard: match[3] === undefined ? soft : Number(match[3]) }
}

/** `/run[:opts]` → the path and its options, as docker records `--tmpfs` (options compared as a set). */
export function tmpfs(spec: string): { path: string; options: string } {
  const at = spec.indexOf(':')
  return at < 0 ? { path: spec, options: '' } : { path: spec.slice(0, at), options: spec.slice(at + 1) }
}

export interface MountSpec {
  type: string
  source: string
  target: string
  readOnly: boolean
}

/** Splits a CSV record as Go's encoding/csv does for one line (docker reads `--mount` with it). */
function csvFields(text: string): string[] | undefined {
  const fields: string[] = []
  let i = 0
  for (;;) {
    let field = ''
    if (text[i] === '"') {
      i++
      for (;;) {
        if (i >= text.length) return undefined
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"'
            i += 2
            continue
          }
          i++
          break
        }
        field += text[i++]
      }
      if (i < text.length && text[i] !== ',') return undefined
    } else {
      const end = text.indexOf(',', i)
      field = text.slice(i, end < 0 ? text.length : end)
      if (field.includes('"')) return undefined // Go's csv: a bare quote in a field that is not quoted
      i = end < 0 ? text.length : end
    }
    fields.push(field)
    if (i >= text.length) return fields
    i++ // the comma
  }
}

/** `type=bind,src=/a,dst=/b,readonly` → what docker records of it in HostConfig.Mounts. */
export function mountSpec(spec: string): MountSpec | undefined {
  const fields = csvFields(spec)
  if (!fields) return undefined
  const mount: MountSpec = { type: 'volume', source: '', target: '', readOnly: false }
  for (const field of fields) {
    const [key, value] = keyValue(field)
    switch (key.trim().toLowerCase()) {
      case 'type':
        mount.type = (value ?? '').toLowerCase()
        break
      case 'source':
      case 'src':
        mount.source = value ?? ''
        break
      case 'target':
      case 'destination':
      case 'dst':
        mount.target = value ?? ''
        break
      case 'readonly':
      case 'ro':
        if (value !== undefined && !['true', '1', 'false', '0'].includes(value.toLowerCase())) return undefined
        mount.readOnly = value === undefined || ['true', '1'].includes(value.toLowerCase())
        break
    }
  }
  return mount.target ? mount : undefined
}
