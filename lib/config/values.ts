// The rules for every config value that reaches a command line, a file path or an ssh option on the way
// to a host. The JSON schema (schema.ts) checks shapes and types; this checks contents, so a hostile or
// mistaken value is refused at load (exit 78) before any host is contacted. Pure; used by validation.ts for YAML
// and .mjs configs alike, and by the CLI for the arguments that reach a host.
//
// Exempt by Kamal's design (documented in README.md): an accessory's `cmd` (appended for the remote shell
// to parse), `ssh.proxy_command` (a local command ssh runs) and `$(...)` in the secrets files.
import { isIPv6 } from 'node:net'
import { isPlainObject } from './plain.ts'

type Path = Array<string | number>
type Plain = Record<string, unknown>

export interface Problem {
  /** Where to point (a key or a value). */
  path: Path
  at: 'key' | 'value'
  message: string
  /** The JSON pointer shown; defaults to `path` (its parent for unknown keys). */
  pointer?: Path
}

// ---------------------------------------------------------------------------------------------
// The rules, each with the sentence that explains it.

/** A value shown in a message: JSON-quoted (control characters escaped) and cut short. */
export function show(value: unknown): string {
  const text = JSON.stringify(String(value)) ?? '""'
  return text.length > 50 ? `${text.slice(0, 40)}…" (${String(value).length} characters)` : text
}

const CONTROL = /[\x00-\x1f\x7f]/
/** Longest name, host or path segment berth accepts (file names and DNS names stop at 255). */
export const MAX_NAME = 255
/** Longest path (Linux PATH_MAX, less the terminating NUL and room for the service folder). */
const MAX_PATH = 3800

/** Docker's container-name rule; `service` and accessory names become container names and folders. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/
/** An accessory name: the end of `<service>-<name>` and the env file `<name>.env`. */
const ACCESSORY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

/**
 * A host for ssh: a name, an address or an ssh config alias (`db_1`), optionally `user@` first. Never
 * starts with `-` (ssh would read an option); no whitespace, quotes, `%` or shell characters (ssh puts the
 * host into ProxyCommand lines through `%h`).
 */
const HOST = /^(?:[a-zA-Z0-9_][a-zA-Z0-9_.-]*@)?(?<name>[a-zA-Z0-9_][a-zA-Z0-9_.-]*|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*)$/
const SSH_USER = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/
const JUMP_HOST = /^(?:[a-zA-Z0-9_][a-zA-Z0-9_.-]*@)?[a-zA-Z0-9_][a-zA-Z0-9_.-]*(?::[0-9]{1,5})?$/

/**
 * An env name docker sets (`--env NAME=v`, or a line of the `--env-file`): anything but `=`, whitespace and
 * control characters, so `discovery.type` and `server.http.listen-addr` too (docker reads the name up to the
 * first `=`, and refuses an env-file name with whitespace).
 */
const ENV_KEY = /^[^=\s\x00-\x1f\x7f]+$/
/** docker's env file skips a line that starts with `#` (a comment): a secret's name cannot. */
const ENV_FILE_KEY = /^[^#]/
/** A secret's name in the secrets files (dotenv keys). */
const SECRET_NAME = /^[a-zA-Z0-9_.]+$/
const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_./-]*$/
/** A `docker run` long option without its dashes (`memory`, `cap-add`, `health-cmd`). */
const OPTION_KEY = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/
const NETWORK = /^(?:container:)?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
/** A built-in log driver (`json-file`, `local`); plugins are named by image reference. */
const LOG_DRIVER = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
const LOG_OPTION_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
/** A docker named volume. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/
/** Mount options after the container path: `ro`, `z`, `ro,Z`, `nocopy`. */
const MOUNT_OPTION_WORDS = 'ro|rw|z|Z|nocopy|consistent|cached|delegated|shared|slave|private|rshared|rslave|rprivate'
const MOUNT_OPTIONS = new RegExp(`^(?:${MOUNT_OPTION_WORDS})(?:,(?:${MOUNT_OPTION_WORDS}))*$`)
/** `chmod` modes: octal, or symbolic (`u+rwx,go-w`). */
const MODE = /^(?:[0-7]{3,4}|[ugoa]*[-+=][rwxXst]*(?:,[ugoa]*[-+=][rwxXst]*)*)$/
/** `chown` owners: `user`, `user:group`, numeric ids. */
const OWNER = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*(?::[a-zA-Z0-9_][a-zA-Z0-9_.-]*)?$/

// docker/distribution's reference grammar (reference/regexp.go), without IPv6 registries.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`
const TAG = '[\\w][\\w.-]{0,127}'
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}'
export const IMAGE = new RegExp(`^(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::${TAG})?(?:@${DIGEST})?$`)
/** A registry server, optionally with a namespace after it (`ghcr.io/acme`). */
const REGISTRY_SERVER = new RegExp(`^${DOMAIN}(?:/${PATH_COMPONENT})*$`)

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
function pathProblem(path: string, what: string): string | undefined {
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
function containerPathProblem(path: string): string | undefined {
  if (path === '') return 'has no container path (the part after ":"); add one, like `:/path/in/container`'
  if (!path.startsWith('/')) return `has the container path ${show(path)}, which is not absolute; start it with "/"`
  // docker would mount it elsewhere (it cleans the path); a file's host path would leave the service folder
  if (segments(path).includes('..'))
    return `has the container path ${show(path)}, with a ".." segment; write the path without it`
  return pathProblem(path, 'the container path')
}

/** A path under the service folder on the host: relative, and never leaving it through `..`. */
function insideServiceProblem(path: string, what: string): string | undefined {
  if (segments(path).includes('..'))
    return `has ${what} ${show(path)}, with a ".." segment that would leave the accessory's folder on the host; remove the ".."`
  return pathProblem(path, what)
}

// ---------------------------------------------------------------------------------------------
// Walking the config

class Collector {
  readonly problems: Problem[] = []
  value(path: Path, message: string): void {
    this.problems.push({ path, at: 'value', message })
  }
  key(path: Path, message: string): void {
    this.problems.push({ path, at: 'key', message })
  }
  /** Applies `check` to a string (strings with NUL are reported once, by `nulProblems`). */
  string(path: Path, value: unknown, check: (v: string) => string | undefined): void {
    if (typeof value !== 'string' || value.includes('\0')) return
    const why = check(value)
    if (why) this.value(path, `${show(value)} ${why}.`)
  }
}

function matching(regex: RegExp, explain: string): (v: string) => string | undefined {
  return (v) =>
    v.length > MAX_NAME ? `is longer than ${MAX_NAME} characters; shorten it` : regex.test(v) ? undefined : explain
}

const NUL_MESSAGE = 'contains a NUL byte, which no command line, file name or env file can carry; remove it.'

/** Every NUL byte, in keys and values, anywhere in the config. */
function nulProblems(value: unknown, path: Path, out: Collector): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) out.value(path, `The value ${NUL_MESSAGE}`)
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulProblems(item, [...path, i], out))
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\0')) out.key([...path, key], `The key ${NUL_MESSAGE}`)
      nulProblems(item, [...path, key], out)
    }
  }
}

function hostProblems(path: Path, host: unknown, out: Collector): void {
  out.string(path, host, hostProblem)
}

/** Hosts under `servers`: a list, or roles holding lists or `{ hosts: [...] }`; entries `host` or `{host: tags}`. */
function serverProblems(servers: unknown, out: Collector): void {
  const entries = (list: unknown, base: Path) => {
    if (!Array.isArray(list)) return
    list.forEach((entry, i) => {
      if (typeof entry === 'string') hostProblems([...base, i], entry, out)
      else if (isPlainObject(entry))
        for (const host of Object.keys(entry))
          out.string([...base, i, host], host, (h) => hostProblem(h) && `(a host) ${hostProblem(h)}`)
    })
  }
  if (Array.isArray(servers)) entries(servers, ['servers'])
  else if (isPlainObject(servers)) {
    for (const [role, config] of Object.entries(servers)) {
      if (Array.isArray(config)) entries(config, ['servers', role])
      else if (isPlainObject(config)) entries(config.hosts, ['servers', role, 'hosts'])
    }
  }
}

function registryProblems(registry: unknown, base: Path, out: Collector): void {
  if (!isPlainObject(registry)) return
  out.string(
    [...base, 'server'],
    registry.server,
    matching(
      REGISTRY_SERVER,
      'is not a registry server docker can log in to (like `ghcr.io` or `registry.example.com:5000`); fix it',
    ),
  )
  out.string([...base, 'username'], registry.username, (v) =>
    v === ''
      ? 'is empty, but docker login needs a user name; set it'
      : CONTROL.test(v)
        ? 'contains a control character (a newline...), which docker login cannot take; remove it'
        : v.length > MAX_NAME
          ? `is longer than ${MAX_NAME} characters, which no registry takes as a user name; fix it`
          : undefined,
  )
  if (registry.password === '')
    out.value(
      [...base, 'password'],
      'The password is empty, but docker login needs one; set it (or name a secret: [SECRET_NAME]).',
    )
}

function sshProblems(ssh: unknown, out: Collector): void {
  if (!isPlainObject(ssh)) return
  out.string(
    ['ssh', 'user'],
    ssh.user,
    matching(
      SSH_USER,
      'is not a user name ssh can take (letters, digits, ".", "-" and "_", not starting with "-"); fix it',
    ),
  )
  const port = ssh.port
  if (typeof port === 'number' || typeof port === 'string') {
    const n = typeof port === 'number' ? port : /^[0-9]+$/.test(port) ? Number(port) : NaN
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      out.value(['ssh', 'port'], `${show(port)} is not a port; ssh.port takes a number from 1 to 65535.`)
  }
  out.string(['ssh', 'proxy'], ssh.proxy, (v) =>
    v.split(',').every((hop) => JUMP_HOST.test(hop) && hop.length <= MAX_NAME)
      ? undefined
      : 'is not a jump host ssh can take: write `host`, `user@host` or `user@host:port` ' +
        '(several separated by ","), not starting with "-"; fix it',
  )
  out.string(['ssh', 'proxy_command'], ssh.proxy_command, (v) =>
    CONTROL.test(v)
      ? 'contains a control character (a newline...), but ssh reads ProxyCommand as one line; write it on one line'
      : undefined,
  )
  const fileProblem = (what: string) => (v: string) => {
    if (CONTROL.test(v))
      return `contains a control character (a newline...), but ${what} must be one line; fix the path`
    if (v.startsWith('-')) return `starts with "-", so ssh would read it as an option; write it as ./${v}`
    if (v.includes('"'))
      return `contains a double quote, which ssh config files cannot carry in a path; rename the file`
    if (v === '') return 'is empty; name a file'
    return undefined
  }
  if (Array.isArray(ssh.keys))
    ssh.keys.forEach((key, i) => out.string(['ssh', 'keys', i], key, fileProblem('a key path')))
  const level = ssh.log_level
  if (
    (typeof level === 'string' && !LOG_LEVELS.includes(level.toLowerCase())) ||
    (typeof level === 'number' && !(level >= 0 && level <= 5))
  ) {
    out.value(
      ['ssh', 'log_level'],
      `${show(level)} is not a log level; ssh.log_level takes ${LOG_LEVELS.join(', ')} (or 0 to 5), as Kamal's logger does.`,
    )
  }
  const config = ssh.config
  if (typeof config === 'string') out.string(['ssh', 'config'], config, fileProblem('an ssh config path'))
  if (Array.isArray(config))
    config.forEach((file, i) => out.string(['ssh', 'config', i], file, fileProblem('an ssh config path')))
}

/** Ruby Logger's levels, which Kamal hands net-ssh. */
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'unknown']

function loggingProblems(logging: unknown, out: Collector): void {
  if (!isPlainObject(logging)) return
  out.string(['logging', 'driver'], logging.driver, (v) =>
    v.length <= MAX_NAME && (LOG_DRIVER.test(v) || IMAGE.test(v))
      ? undefined
      : "is not a docker log driver (a name like json-file, or a plugin's image reference); fix it",
  )
  if (!isPlainObject(logging.options)) return
  for (const [key, value] of Object.entries(logging.options)) {
    const path = ['logging', 'options', key]
    if (!key.includes('\0') && !(LOG_OPTION_KEY.test(key) && key.length <= MAX_NAME))
      out.key(
        path,
        `The log option name ${show(key)} is not one docker takes (letters, digits, ".", "-", "_"); fix it.`,
      )
    if (!['string', 'number', 'boolean'].includes(typeof value))
      out.value(path, `The log option ${show(key)} needs a string, number or boolean value; give it one.`)
  }
}

/** `local:remote[:options]` or the hash form, as Kamal reads it. */
function pathEntry(
  entry: unknown,
): { local: string; remote: string; options?: string; mode?: unknown; owner?: unknown } | undefined {
  if (typeof entry === 'string') {
    const parts = entry.split(':')
    return {
      local: parts[0] ?? '',
      remote: parts[1] ?? '',
      options: parts.length > 2 ? parts.slice(2).join(':') : undefined,
    }
  }
  if (isPlainObject(entry) && typeof entry.local === 'string' && typeof entry.remote === 'string') {
    return {
      local: entry.local,
      remote: entry.remote,
      options: typeof entry.options === 'string' ? entry.options : undefined,
      mode: entry.mode,
      owner: entry.owner,
    }
  }
  return undefined
}

type MountEntry = NonNullable<ReturnType<typeof pathEntry>>

/**
 * Each `files:` or `directories:` entry, parsed: `check` gives the problems of its local and remote parts;
 * the mount options, mode and owner are checked here. `at(key)` points at the entry (string form) or its key.
 */
function mountEntriesProblems(
  list: unknown,
  base: Path,
  out: Collector,
  check: (entry: MountEntry, at: (key: string) => Path, shown: (key: 'local' | 'remote') => string) => void,
): void {
  if (!Array.isArray(list)) return
  list.forEach((raw, i) => {
    const entry = pathEntry(raw)
    if (!entry || (entry.local + entry.remote).includes('\0')) return
    const at = (key: string) => (typeof raw === 'string' ? [...base, i] : [...base, i, key])
    check(entry, at, (key) => show(typeof raw === 'string' ? raw : entry[key]))
    if (entry.options !== undefined && !entry.options.includes('\0') && !MOUNT_OPTIONS.test(entry.options)) {
      out.value(
        at('options'),
        `${show(entry.options)} are not mount options docker takes ` +
          `(${MOUNT_OPTION_WORDS.replaceAll('|', ', ')}, separated by ","); fix them.`,
      )
    }
    out.string(
      at('mode'),
      entry.mode,
      matching(MODE, 'is not a mode chmod takes (like "755", "0600" or "u+rwx"); fix it'),
    )
    out.string(
      at('owner'),
      entry.owner,
      matching(OWNER, 'is not an owner chown takes (like "999", "postgres" or "999:999"); fix it'),
    )
  })
}

function filesProblems(files: unknown, base: Path, out: Collector): void {
  mountEntriesProblems(files, base, out, (entry, at, shown) => {
    if (entry.local === '')
      out.value(
        at('local'),
        'The file entry has no local file (the part before ":"); write `local/file:/path/in/container`.',
      )
    const remote =
      containerPathProblem(entry.remote) ??
      (entry.remote.endsWith('/')
        ? `has the container path ${show(entry.remote)}, which names a folder; name the file`
        : undefined)
    if (remote) out.value(at('remote'), `The file entry ${shown('remote')} ${remote}.`)
  })
}

function directoriesProblems(directories: unknown, base: Path, out: Collector): void {
  mountEntriesProblems(directories, base, out, (entry, at, shown) => {
    const local =
      entry.local === ''
        ? 'has no host folder (the part before ":"); write `data:/path/in/container`'
        : entry.local.startsWith('/')
          ? pathProblem(entry.local, 'the host folder')
          : insideServiceProblem(entry.local, 'the host folder')
    if (local) out.value(at('local'), `The directory entry ${shown('local')} ${local}.`)
    const remote = containerPathProblem(entry.remote)
    if (remote) out.value(at('remote'), `The directory entry ${shown('remote')} ${remote}.`)
  })
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

function envProblems(env: unknown, base: Path, out: Collector): void {
  if (!isPlainObject(env)) return
  const special = 'clear' in env || 'secret' in env || 'tags' in env
  const clear = special ? env.clear : env
  const clearBase = special ? [...base, 'clear'] : base
  if (isPlainObject(clear)) {
    for (const key of Object.keys(clear)) {
      if (!key.includes('\0') && !(ENV_KEY.test(key) && key.length <= MAX_NAME)) {
        out.key(
          [...clearBase, key],
          `The env name ${show(key)} is not a name docker can set (it is empty, or holds "=", whitespace or a ` +
            `control character, where docker would split it); rename it.`,
        )
      }
    }
  }
  if (special && Array.isArray(env.secret)) {
    env.secret.forEach((spec, i) =>
      out.string([...base, 'secret', i], spec, (v) => {
        const [key = '', alias] = v.includes(':') ? [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)] : [v, v]
        if (!ENV_KEY.test(key) || !ENV_FILE_KEY.test(key) || key.length > MAX_NAME)
          return (
            'does not start with a name docker can set from an env file (no "=", whitespace or control ' +
            'character, and no "#" first, which makes the line a comment); write `NAME` or `NAME:SECRET_NAME`'
          )
        if (alias === undefined || !SECRET_NAME.test(alias))
          return 'names no secret a secrets file can hold (letters, digits, "_", "."); write `NAME` or `NAME:SECRET_NAME`'
        return undefined
      }),
    )
  }
}

function optionsProblems(options: unknown, base: Path, out: Collector): void {
  if (!isPlainObject(options)) return
  for (const [key, value] of Object.entries(options)) {
    const path = [...base, key]
    if (key.includes('\0')) continue
    if (!(OPTION_KEY.test(key) && key.length <= MAX_NAME)) {
      out.key(
        path,
        `The option ${show(key)} is not a docker run option name (letters, digits and "-", without the leading "--"); fix it.`,
      )
      continue
    }
    if (key === 'restart') continue // load.ts checks the restart policy with Kamal's messages
    const items = Array.isArray(value) ? value : [value]
    items.forEach((item, i) => {
      const at = Array.isArray(value) ? [...path, i] : path
      if (item === null || item === undefined)
        out.value(
          at,
          `The option ${show(key)} has no value; give it one, or \`true\` for a flag without a value (\`--${key}\`).`,
        )
      else if (!['string', 'number', 'boolean'].includes(typeof item))
        out.value(
          at,
          `The option ${show(key)} needs a string, number or boolean value (or a list of them); give it one.`,
        )
      else if (Array.isArray(value) && typeof item === 'boolean')
        out.value(
          at,
          `The option ${show(key)} lists a boolean; a list holds the values of a repeated option, so write strings or numbers.`,
        )
    })
  }
}

function accessoryProblems(config: Plain, name: string, acc: Plain, out: Collector): void {
  const base = ['accessories', name]
  if (!name.includes('\0')) {
    if (!(ACCESSORY_NAME.test(name) && name.length <= MAX_NAME)) {
      out.key(
        base,
        `The accessory name ${show(name)} cannot name a container and its env file: ` +
          'use letters, digits, "_", "." and "-", starting with a letter or digit; rename it.',
      )
    } else if (name === 'all') {
      out.key(
        base,
        'The accessory name "all" cannot be selected on the command line, where `all` means every accessory; rename it.',
      )
    }
  }
  out.string(
    [...base, 'service'],
    acc.service,
    matching(
      CONTAINER_NAME,
      'is not a container name docker accepts (two or more letters, digits, "_", "." or "-", starting with a letter or digit); fix it',
    ),
  )
  if (typeof config.service === 'string' && acc.service === undefined && ACCESSORY_NAME.test(name)) {
    const derived = `${config.service}-${name}`
    if (derived.length > MAX_NAME)
      out.key(
        base,
        `The container name ${show(derived)} (service-accessory) is longer than ${MAX_NAME} characters; ` +
          'shorten the accessory name or set `service`.',
      )
  }
  const image = typeof acc.image === 'string' ? acc.image : undefined
  const server =
    isPlainObject(acc.registry) && typeof acc.registry.server === 'string' ? acc.registry.server : undefined
  if (image !== undefined && !image.includes('\0')) {
    const full = server ? `${server}/${image}` : image
    if (!(IMAGE.test(full) && full.length <= MAX_NAME)) {
      out.value(
        [...base, 'image'],
        `${show(full)} is not an image reference docker can pull: ` +
          'write `[registry/]name[:tag][@digest]` in lower case (for example "postgres:16"); fix it.',
      )
    }
  }
  registryProblems(acc.registry, [...base, 'registry'], out)
  if (typeof acc.host === 'string') hostProblems([...base, 'host'], acc.host, out)
  if (Array.isArray(acc.hosts)) acc.hosts.forEach((host, i) => hostProblems([...base, 'hosts', i], host, out))
  const port = acc.port
  if (typeof port === 'number') {
    if (port < 1 || port > 65535) out.value([...base, 'port'], `${port} is not a port; ports go from 1 to 65535.`)
  } else {
    out.string([...base, 'port'], port, (v) => publishProblem(publishValue(v)))
  }
  out.string(
    [...base, 'network'],
    acc.network,
    matching(
      NETWORK,
      'is not a docker network name (letters, digits, "_", ".", "-", starting with a letter or digit, or `container:NAME`); fix it',
    ),
  )
  if (isPlainObject(acc.labels)) {
    for (const key of Object.keys(acc.labels)) {
      if (!key.includes('\0') && !(LABEL_KEY.test(key) && key.length <= MAX_NAME)) {
        out.key(
          [...base, 'labels', key],
          `The label name ${show(key)} is not one docker takes ` +
            '(letters, digits, ".", "-", "_", "/", starting with a letter or digit); rename it.',
        )
      }
    }
  }
  envProblems(acc.env, [...base, 'env'], out)
  optionsProblems(acc.options, [...base, 'options'], out)
  if (Array.isArray(acc.volumes))
    acc.volumes.forEach((volume, i) => out.string([...base, 'volumes', i], volume, volumeProblem))
  filesProblems(acc.files, [...base, 'files'], out)
  directoriesProblems(acc.directories, [...base, 'directories'], out)
}

/** Two accessories with one container name would replace each other's container and share a folder. */
function uniqueServiceProblems(config: Plain, accessories: Plain, out: Collector): void {
  const owner = new Map<string, string>()
  for (const [name, acc] of Object.entries(accessories)) {
    if (!isPlainObject(acc)) continue
    const service =
      typeof acc.service === 'string'
        ? acc.service
        : typeof config.service === 'string'
          ? `${config.service}-${name}`
          : undefined
    if (service === undefined) continue
    const first = owner.get(service)
    if (first === undefined) owner.set(service, name)
    else {
      out.value(
        typeof acc.service === 'string' ? ['accessories', name, 'service'] : ['accessories', name],
        `Accessories ${show(first)} and ${show(name)} both use the container name ${show(service)}, ` +
          "so one would replace the other's container and files; give each its own `service`.",
      )
    }
  }
}

/** Every value rule, for a config that may still have type errors (those are skipped here). */
export function valueProblems(config: unknown): Problem[] {
  const out = new Collector()
  if (!isPlainObject(config)) return out.problems
  nulProblems(config, [], out)
  out.string(['service'], config.service, (v) =>
    /^[a-zA-Z0-9]/.test(v) || v === ''
      ? undefined
      : 'starts with neither a letter nor a digit, but it begins every container name; fix it',
  )
  serverProblems(config.servers, out)
  registryProblems(config.registry, ['registry'], out)
  sshProblems(config.ssh, out)
  loggingProblems(config.logging, out)
  const accessories = config.accessories
  if (isPlainObject(accessories)) {
    for (const [name, acc] of Object.entries(accessories))
      if (isPlainObject(acc)) accessoryProblems(config, name, acc, out)
    uniqueServiceProblems(config, accessories, out)
  }
  return out.problems
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
