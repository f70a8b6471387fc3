// The rules for single config values that reach a command line, a file path or an ssh option on the way to
// a host, each with the sentence that explains it: hosts, ports, paths, volumes, images, names. Pure. The
// walkers (value-problems.ts, accessory-values.ts) apply them to a config; the CLI to its own arguments.
import { isIPv6 } from 'node:net'

/** A value shown in a message: JSON-quoted (control characters escaped) and cut short. */
export function show(value: unknown): string {
  const text = JSON.stringify(String(value)) ?? '""'
  return text.length > 50 ? `${text.slice(0, 40)}…" (${String(value).length} characters)` : text
}

export const CONTROL = /[\x00-\x1f\x7f]/
/** Longest name, host or path segment berth accepts (file names and DNS names stop at 255). */
export const MAX_NAME = 255
/** Longest path (Linux PATH_MAX, less the terminating NUL and room for the service folder). */
const MAX_PATH = 3800

/** An accessory name: the end of `<service>-<name>` and the env file `<name>.env`. */
export const ACCESSORY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/**
 * A host for ssh: a name, an address or an ssh config alias (`db_1`), optionally `user@` first. Never
 * starts with `-` (ssh would read an option); no whitespace, quotes, `%` or shell characters (ssh puts the
 * host into ProxyCommand lines through `%h`).
 */
const HOST = /^(?:[a-zA-Z0-9_][a-zA-Z0-9_.-]*@)?(?<name>[a-zA-Z0-9_][a-zA-Z0-9_.-]*|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/

/** A docker named volume. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/
/** Mount options after the container path: `ro`, `z`, `ro,Z`, `nocopy`. */
export const MOUNT_OPTION_WORDS =
  'ro|rw|z|Z|nocopy|consistent|cached|delegated|shared|slave|private|rshared|rslave|rprivate'
export const MOUNT_OPTIONS = new RegExp(`^(?:${MOUNT_OPTION_WORDS})(?:,(?:${MOUNT_OPTION_WORDS}))*$`)

// docker/distribution's reference grammar (reference/regexp.go), without IPv6 registries.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'
export const IMAGE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`)
/** A registry server, optionally with a namespace after it (`ghcr.io/acme`). */
export const REGISTRY_SERVER = new RegExp(`^${DOMAIN}(?:/${PATH_COMPONENT})*$`)

/** Docker's publish syntax: `[ip:][hostPort:]containerPort[/proto]`, ports and ranges within 1–65535. */
export function publishProblem(value: string): string | undefined {
  const match =
    /^(?:((?:\d{1,3}(?:\.\d{1,3}){3})|\[[0-9a-fA-F:.]+\]):)?(?:([0-9]*(?:-[0-9]+)?):)?([0-9]+(?:-[0-9]+)?)(?:\/(?:tcp|udp|sctp))?$/.exec(
      value,
    )
  if (!match)
    return (
      'is not a port docker can publish; write `PORT`, `HOST_PORT:CONTAINER_PORT` or `IP:HOST_PORT:CONTAINER_PORT` ' +
      '(for example "127.0.0.1:5432:5432")'
    )
  const [, ip, hostPorts, containerPorts] = match
  if (ip && !ip.startsWith('[') && ip.split('.').some((octet) => Number(octet) > 255))
    return `has the address ${ip}, which is not an IPv4 address; fix the address`
  for (const part of [hostPorts, containerPorts]) {
    for (const port of (part ?? '').split('-').filter(Boolean)) {
      if (Number(port) < 1 || Number(port) > 65535) return `names port ${port}; ports go from 1 to 65535`
    }
  }
  return undefined
}

/** Kamal doubles a port without `:` (`"3306"` → `"3306:3306"`). */
export function publishValue(port: string | number): string {
  const value = String(port)
  return value.includes(':') ? value : `${value}:${value}`
}

/** Why `host` cannot be handed to ssh, or undefined. */
export function hostProblem(host: string): string | undefined {
  if (host.startsWith('-')) return `starts with "-", so ssh would read it as an option; use the host's name or address`
  if (host.length > MAX_NAME)
    return `is longer than ${MAX_NAME} characters, so it is no host name; use the host's name or address`
  const name = HOST.exec(host)?.groups?.name
  // a name with ":" must be an IPv6 address
  if (name === undefined || (name.includes(':') && !isIPv6(name))) {
    return (
      'is not a host name ssh can take: a host is a name, an address or an ssh config alias (like db_1), ' +
      'optionally with `user@` first, made of letters, digits, ".", "-", "_" and ":"; fix it'
    )
  }
  return undefined
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '')
}

/** Problems shared by every path: control characters, `:` (it splits `--volume`), over-long segments. */
export function pathProblem(path: string, what: string): string | undefined {
  if (CONTROL.test(path))
    return `has ${what} ${show(path)}, which contains a control character (a newline, a tab...) that no mount can carry; remove it`
  if (path.includes(':'))
    return `has ${what} ${show(path)}, which contains ":" and would split docker's --volume value; rename it`
  if (segments(path).some((s) => Buffer.byteLength(s) > MAX_NAME))
    return `has ${what} ${show(path)}, with a segment longer than ${MAX_NAME} bytes that no file system takes; shorten it`
  if (Buffer.byteLength(path) > MAX_PATH)
    return `has ${what} ${show(path)}, longer than the ${MAX_PATH} bytes a path may have; shorten it`
  return undefined
}

/** A path inside the container: absolute. */
export function containerPathProblem(path: string): string | undefined {
  if (path === '') return 'has no container path (the part after ":"); add one, like `:/path/in/container`'
  if (!path.startsWith('/')) return `has the container path ${show(path)}, which is not absolute; start it with "/"`
  // docker would mount it elsewhere (it cleans the path); a file's host path would leave the service folder
  if (segments(path).includes('..'))
    return `has the container path ${show(path)}, with a ".." segment; write the path without it`
  return pathProblem(path, 'the container path')
}

/** A path under the service folder on the host: relative, and never leaving it through `..`. */
export function insideServiceProblem(path: string, what: string): string | undefined {
  if (segments(path).includes('..'))
    return `has ${what} ${show(path)}, with a ".." segment that would leave the accessory's folder on the host; remove the ".."`
  return pathProblem(path, what)
}

/** A rule for names: at most MAX_NAME characters, matching `regex`, else `explain`. */
export function matching(regex: RegExp, explain: string): (v: string) => string | undefined {
  return (v) =>
    v.length > MAX_NAME ? `is longer than ${MAX_NAME} characters; shorten it` : regex.test(v) ? undefined : explain
}

/**
 * `--volume` values as written (Kamal passes them on unchanged): `name:/path[:opts]`, `/host/path:/path[:opts]`,
 * `./host/path:/path[:opts]` (the docker CLI makes a source starting with "." absolute against its working
 * directory, the ssh user's login directory), or an anonymous `/path`. Any other source is a volume name to
 * docker, which refuses one with "/" or "~" when the container is created (verified with docker 20.10 and 28).
 */
export function volumeProblem(volume: string): string | undefined {
  const parts = volume.split(':')
  if (parts.length === 1) return containerPathProblem(volume)
  if (parts.length > 3) return 'has more than three ":"-separated parts; write `name:/path/in/container[:options]`'
  const [source = '', target = '', options] = parts
  if (source === '') return 'has no volume name or host path before ":"; write `name:/path/in/container`'
  if (source.startsWith('/') || source.startsWith('.')) {
    const why = pathProblem(source, 'the host path')
    if (why) return why
  } else if (!VOLUME_NAME.test(source) || source.length > MAX_NAME) {
    return (
      `starts with ${show(source)}, which docker reads as a volume name and refuses (a name has only letters, ` +
      'digits, "_", "." and "-"); for a host folder write an absolute path, or start it with "./" to mean the ' +
      "ssh user's login directory"
    )
  }
  const why = containerPathProblem(target)
  if (why) return why
  if (options !== undefined && !MOUNT_OPTIONS.test(options))
    return (
      `has the mount options ${show(options)}, which docker does not take ` +
      `(${MOUNT_OPTION_WORDS.replaceAll('|', ', ')}, separated by ","); fix them`
    )
  return undefined
}

/** The CLI's `-d`: it becomes part of file names here and folder names on the hosts. */
export function destinationProblem(destination: string): string | undefined {
  if (destination.length > MAX_NAME || !ACCESSORY_NAME.test(destination)) {
    return (
      `The destination ${show(destination)} cannot name a config file and a folder on the hosts: ` +
      'use letters, digits, "_", "." and "-", starting with a letter or digit.'
    )
  }
  return undefined
}
