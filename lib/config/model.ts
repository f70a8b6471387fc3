// Raw config → the accessories berth manages, with every Kamal default applied: names, hosts, env-file
// paths, mounts, options. Pure apart from reading the local `files:` an accessory uploads.
import { readFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import type { AccessoryConfig, DeployConfig, PathConfig, RegistryConfig, SecretOrString, ServerEntry } from './types.ts'
import type { SshSettings } from '../remote/ssh.ts'
import type { KeyData } from '../remote/ssh-agent.ts'
import { ConfigError } from './load.ts'
import { expandErb } from './erb.ts'
import { shellRunner, type CommandRunner } from './local-commands.ts'
import { MAX_NAME, publishValue, show } from './values.ts'
import { dumpEnvValue } from './env-file.ts'
import { resolveProxy, type AccessoryProxy } from './accessory-proxy.ts'

/** What model resolution needs from a loaded config (see load.ts). */
export interface ConfigSource {
  config: DeployConfig
  destination?: string
  secrets: Record<string, string>
  secretFiles: string[]
  /** The loader's warnings (a key written twice), said before the model's own. */
  warnings?: string[]
  locate(path: Array<string | number>): string
}

interface RegistryLogin {
  server?: string
  username: string
  password: string
  /** The secrets they come from (`[NAME]`), for what may be shown: a secret's value never is. */
  usernameSecret?: string
  passwordSecret?: string
}

interface FileUpload {
  /** Local path, for messages. */
  source: string
  /**
   * undefined: the local file is missing. Kamal's config takes that (it fails only at upload), so read-only runs
   * work and say the content was not compared; boot and reboot refuse before any host is touched (missingFiles
   * in lib/cli/select.ts).
   */
  content: string | undefined
  /** Where the entry is written (`file:line:col`), for messages. */
  at: string
  /** Relative to the remote login directory: `<service_name><remote>`. */
  remotePath: string
  mode: string
  owner?: string
}

export interface DirectorySpec {
  /** `mkdir -p` target: relative (to the login directory) or absolute. */
  path: string
  mode?: string
  owner?: string
}

/** A `--volume` value; `relative` host paths are mounted from the remote `$PWD`. */
export interface Mount {
  hostPath: string
  relative: boolean
  containerPath: string
  options?: string
}

export interface Accessory {
  /** The key under `accessories:`. */
  name: string
  /** Container name and `service` label: `<service>-<name>` unless set. */
  serviceName: string
  image: string
  hosts: string[]
  /** `hosts: []` (Kamal runs it nowhere): where that is written, for the sentence that says it is skipped. */
  noHostsAt?: string
  network: string
  restartPolicy: string
  port?: string
  cmd?: string
  labels: Array<[string, string]>
  /** `--flag value` pairs from `options:` (restart removed); a missing value means a bare flag. */
  options: Array<[string, string | undefined]>
  envClear: Array<[string, string]>
  envSecret: Array<[string, string]>
  envDirectory: string
  envFile: string
  volumes: string[]
  files: FileUpload[]
  directories: DirectorySpec[]
  mounts: Mount[]
  registryLogin?: RegistryLogin
  /** Secret keys that could not be resolved (only when resolving for a read-only check). */
  unresolvedSecrets?: string[]
  /** `proxy:`: registered with kamal-proxy after boot and start, removed on stop (Kamal's accessory proxy). */
  proxy?: AccessoryProxy
}

export interface Deployment {
  service: string
  /** The primary role's first host, where Kamal keeps the deploy lock; none for accessory-only configs. */
  primaryHost?: string
  /** The roles under `servers` and their hosts, for `-r/--roles`. */
  roles: Array<{ name: string; hosts: string[] }>
  destination?: string
  accessories: Accessory[]
  ssh: SshSettings
  /** `ssh.key_data`, resolved from the secrets: loaded into a private ssh-agent for a run that contacts hosts. */
  sshKeyData: KeyData[]
  /** key_data secrets that hold no key here (only when resolving for a run that contacts no host). */
  unresolvedKeyData: string[]
  loggingArgs: string[]
  /** `sshkit.max_concurrent_starts`: ssh handshakes in flight at once; unset leaves Kamal's default to the transport. */
  maxConcurrentStarts?: number
  /** Said on stderr before the run (Kamal's deprecation of inline key_data, say). */
  warnings: string[]
}

/** docker reads `--env-file` with a line scanner whose longest line is 64 KiB (bufio.MaxScanTokenSize). */
const MAX_ENV_FILE_LINE = 65_535

const DEFAULT_NETWORK = 'kamal'
const DEFAULT_RESTART_POLICY = 'unless-stopped'
const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10

/** `unresolvedSecrets: 'allow'`: a secret that cannot be resolved is recorded, not a config error (read-only checks). */
export interface ResolveOptions {
  cwd: string
  env: Record<string, string | undefined>
  unresolvedSecrets?: 'error' | 'allow'
  /**
   * false: the run reaches no host (accessory-config, exec --dry-run), so a `key_data` secret that holds no key
   * is recorded, not a config error. Every run that contacts hosts needs its keys, read-only or not.
   */
  contactsHosts?: boolean
  /** Runs backticks in `.erb` files; defaults to /bin/sh in `cwd` with the terminal's stdin and stderr. */
  run?: CommandRunner
}

/** Kamal validates `sshkit.max_concurrent_starts` as an integer (the schema); berth needs at least one handshake. */
function resolveMaxConcurrentStarts(source: ConfigSource, problems: string[]): number | undefined {
  const value = source.config.sshkit?.max_concurrent_starts
  if (value === undefined) return undefined
  if (Number.isInteger(value) && value >= 1) return value
  problems.push(
    `${source.locate(['sshkit', 'max_concurrent_starts'])}: /sshkit/max_concurrent_starts: must be a positive integer`,
  )
  return undefined
}

export function resolveDeployment(source: ConfigSource, options: ResolveOptions): Deployment {
  const problems: string[] = []
  const { config } = source
  const accessories: Accessory[] = []
  for (const [name, raw] of Object.entries(config.accessories ?? {})) {
    try {
      accessories.push(resolveAccessory(source, name, raw, options))
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems)
      else throw error
    }
  }
  const logging = loggingArgs(config)
  const warnings: string[] = [...(source.warnings ?? [])]
  const unresolvedKeyData: string[] = []
  const sshKeyData = resolveKeyData(source, options, problems, warnings, unresolvedKeyData)
  const maxConcurrentStarts = resolveMaxConcurrentStarts(source, problems)
  // the root registry is resolved for every accessory: say each of its problems once
  if (problems.length) throw new ConfigError([...new Set(problems)])
  return {
    service: config.service,
    primaryHost: roleHosts(config, config.primary_role ?? 'web')[0],
    roles: roleNames(config).map((name) => ({ name, hosts: roleHosts(config, name) })),
    destination: source.destination,
    accessories,
    ssh: resolveSsh(config),
    sshKeyData,
    unresolvedKeyData,
    loggingArgs: logging,
    ...(maxConcurrentStarts === undefined ? {} : { maxConcurrentStarts }),
    warnings,
  }
}

/**
 * Kamal's `key_data`: each entry names a secret holding a private key; an entry that is no secret is taken as
 * the key itself (Kamal's deprecated inline form, with its warning).
 */
function resolveKeyData(
  source: ConfigSource,
  options: ResolveOptions,
  problems: string[],
  warnings: string[],
  unresolved: string[],
): KeyData[] {
  const keys: KeyData[] = []
  ;(source.config.ssh?.key_data ?? []).forEach((entry, i) => {
    const value = source.secrets[entry]
    if (value !== undefined && value.trim() !== '') keys.push({ name: entry, key: value })
    else if (/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(entry.trim())) {
      warnings.push(
        `${source.locate(['ssh', 'key_data', i])}: an inline private key in key_data is deprecated by Kamal ` +
          '(it will be removed in Kamal 3); put it in a secret and name the secret here.',
      )
      keys.push({ name: `inline key ${i}`, key: entry })
    } else if (options.contactsHosts === false) {
      unresolved.push(entry)
    } else {
      problems.push(
        `${source.locate(['ssh', 'key_data', i])}: /ssh/key_data/${i}: ${keyDataMissing(entry, value, source.secretFiles)}`,
      )
    }
  })
  return keys
}

/** Kamal's `ssh.log_level` (a Ruby Logger level for net-ssh) as the system ssh's LogLevel. */
export const SSH_LOG_LEVELS: Record<string, string> = {
  debug: 'DEBUG',
  info: 'VERBOSE',
  warn: 'INFO',
  error: 'ERROR',
  fatal: 'FATAL',
  unknown: 'QUIET',
}
const LOGGER_NUMBERS = ['debug', 'info', 'warn', 'error', 'fatal', 'unknown']

function sshLogLevel(level: string | number | undefined): string | undefined {
  if (level === undefined) return undefined
  const name = typeof level === 'number' ? LOGGER_NUMBERS[level] : level.toLowerCase()
  return name === undefined ? undefined : SSH_LOG_LEVELS[name]
}

function resolveAccessory(
  source: ConfigSource,
  name: string,
  raw: AccessoryConfig,
  options: ResolveOptions,
): Accessory {
  const { config } = source
  const where = (...rest: Array<string | number>) => source.locate(['accessories', name, ...rest])
  const problems: string[] = []
  const unresolvedSecrets: string[] = []
  const secret = (key: string, at: Array<string | number>): string => {
    const value = source.secrets[key]
    if (value?.includes('\0')) {
      // the value itself is never shown
      problems.push(
        `${where(...at)}: /accessories/${name}/${at.join('/')}: ` +
          `The secret ${show(key)} holds a NUL byte, which no env file or command can carry; fix the secret.`,
      )
      return ''
    }
    if (value !== undefined) return value
    if (options.unresolvedSecrets === 'allow') {
      unresolvedSecrets.push(key)
      return ''
    }
    problems.push(`${where(...at)}: /accessories/${name}/${at.join('/')}: ${secretNotFound(key, source.secretFiles)}`)
    return ''
  }

  const serviceName = raw.service ?? `${config.service}-${name}`
  const image = raw.registry?.server ? `${raw.registry.server}/${raw.image}` : raw.image
  const hosts = resolveHosts(config, raw, name, problems, where)
  const appDir = `.kamal/apps/${config.service}${source.destination ? `-${source.destination}` : ''}`
  const envDirectory = `${appDir}/env/accessories`

  const { clear, secretKeys } = splitEnv(raw.env)
  const envClear = Object.entries(clear).map(([k, v]): [string, string] => [k, String(v)])
  const envSecret = secretKeys.map((spec, i): [string, string] => {
    // `KEY:ALIAS` writes KEY with the value of secret ALIAS.
    const [key, alias] = spec.includes(':') ? (spec.split(':', 2) as [string, string]) : [spec, spec]
    const value = secret(alias, ['env', 'secret', i])
    const line = Buffer.byteLength(`${key}=${dumpEnvValue(value)}`)
    if (line > MAX_ENV_FILE_LINE) {
      // the value itself is never shown
      problems.push(
        `${where('env', 'secret', i)}: /accessories/${name}/env/secret/${i}: ` +
          `The secret ${show(alias)} makes a ${line}-byte line in the env file, ` +
          `but docker reads env files at most ${MAX_ENV_FILE_LINE} bytes a line; ` +
          'put such content in a file under `files:` instead.',
      )
    }
    return [key, value]
  })

  const optionPairs: Array<[string, string | undefined]> = []
  let restartPolicy = DEFAULT_RESTART_POLICY
  for (const [key, value] of Object.entries(raw.options ?? {})) {
    if (key === 'restart') {
      restartPolicy = String(value)
      continue
    }
    for (const item of Array.isArray(value) ? value : [value])
      optionPairs.push([key, item === true ? undefined : String(item)])
  }

  const files: FileUpload[] = []
  const mounts: Mount[] = []
  ;(raw.files ?? []).forEach((entry, i) => {
    const spec = parsePathConfig(entry)
    const local = path.resolve(options.cwd, spec.local)
    const missing = !existsSync(local)
    let content = missing ? undefined : readFileSync(local, 'utf8')
    if (content !== undefined && local.endsWith('erb')) {
      // Kamal renders .erb files with the accessory's env in ENV.
      const env = { ...options.env, ...Object.fromEntries(envClear), ...Object.fromEntries(envSecret) }
      const rendered = expandErb(content, env, { run: options.run ?? shellRunner(options.cwd, options.env) })
      for (const problem of rendered.problems)
        problems.push(`${spec.local}:${problem.line}:${problem.col}: ${problem.message}`)
      content = rendered.output
    }
    const remotePath = `${serviceName}${spec.remote}`
    const at = where('files', i)
    files.push({ source: spec.local, at, content, remotePath, mode: spec.mode ?? '755', owner: spec.owner })
    mounts.push({ hostPath: remotePath, relative: true, containerPath: spec.remote, options: spec.options })
  })

  const directories: DirectorySpec[] = []
  const directoryMounts: Mount[] = []
  for (const entry of raw.directories ?? []) {
    const spec = parsePathConfig(entry)
    const relative = !path.posix.isAbsolute(spec.local)
    const hostPath = relative ? `${serviceName}/${spec.local}` : spec.local
    directories.push({ path: hostPath, mode: spec.mode, owner: spec.owner })
    directoryMounts.push({ hostPath, relative, containerPath: spec.remote, options: spec.options })
  }

  const registryAt = (at: Array<string | number>) => (raw.registry ? ['registry', ...at] : at)
  const registryLogin = resolveRegistryLogin(
    raw.registry ?? config.registry,
    (key, at) => secret(key, registryAt(at)),
    (at, message) => {
      const path = raw.registry ? ['accessories', name, ...registryAt(at)] : ['registry', ...at]
      problems.push(`${source.locate(path)}: /${path.join('/')}: ${message}`)
    },
  )

  if (problems.length) throw new ConfigError(problems)
  const proxy = resolveProxy(raw.proxy, {
    service: config.service,
    destination: source.destination,
    deploy_timeout: config.deploy_timeout,
    drain_timeout: config.drain_timeout,
  })
  return {
    ...(proxy ? { proxy } : {}),
    name,
    serviceName,
    image,
    hosts,
    ...(raw.hosts?.length === 0 ? { noHostsAt: where('hosts') } : {}),
    network: raw.network ?? DEFAULT_NETWORK,
    restartPolicy,
    port: raw.port === undefined ? undefined : publishValue(raw.port),
    cmd: raw.cmd,
    labels: [
      ['service', serviceName],
      ...Object.entries(raw.labels ?? {}).map(([k, v]): [string, string] => [k, String(v)]),
    ],
    options: optionPairs,
    envClear,
    envSecret,
    envDirectory,
    envFile: `${envDirectory}/${name}.env`,
    volumes: raw.volumes ?? [],
    files,
    directories,
    mounts: [...mounts, ...directoryMounts],
    registryLogin,
    ...(unresolvedSecrets.length
      ? {
          unresolvedSecrets: envSecret
            .filter(([, value], i) => value === '' && unresolvedSecrets.includes(secretKeys[i]!.split(':').at(-1)!))
            .map(([key]) => key),
        }
      : {}),
  }
}

function splitEnv(env: AccessoryConfig['env']): {
  clear: Record<string, string | number | boolean>
  secretKeys: string[]
} {
  if (!env) return { clear: {}, secretKeys: [] }
  if ('secret' in env || 'clear' in env || 'tags' in env) {
    return {
      clear: (env.clear ?? {}) as Record<string, string | number | boolean>,
      secretKeys: (env.secret ?? []) as string[],
    }
  }
  return { clear: env as Record<string, string | number | boolean>, secretKeys: [] }
}

function parsePathConfig(entry: PathConfig): {
  local: string
  remote: string
  mode?: string
  owner?: string
  options?: string
} {
  if (typeof entry !== 'string') return entry
  const [local = '', remote = '', options] = splitLimit(entry, ':', 3)
  return { local, remote, options }
}

/** Ruby's `split(":", 3)`: the last part keeps any further separators. */
function splitLimit(value: string, separator: string, limit: number): string[] {
  const parts = value.split(separator)
  return parts.length <= limit ? parts : [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(separator)]
}

function resolveRegistryLogin(
  registry: RegistryConfig | undefined,
  secret: (key: string, at: Array<string | number>) => string,
  invalid: (at: Array<string | number>, message: string) => void,
): RegistryLogin | undefined {
  if (!registry || registry.username === undefined || registry.password === undefined) return undefined
  // Kamal does not log in to local registries.
  if (registry.server?.startsWith('localhost')) return undefined
  const lookup = (value: SecretOrString, key: string) => (Array.isArray(value) ? secret(value[0], [key]) : value)
  const username = lookup(registry.username, 'username')
  if (Array.isArray(registry.username) && (/[\x00-\x1f\x7f]/.test(username) || username.length > MAX_NAME)) {
    // the secret's value is never shown
    invalid(
      ['username'],
      `The secret ${show(registry.username[0])} holds a control character (a newline...) ` +
        `or more than ${MAX_NAME} characters, which docker login cannot take as a user name; fix the secret.`,
    )
  }
  return {
    server: registry.server,
    username,
    password: lookup(registry.password, 'password'),
    ...(Array.isArray(registry.username) ? { usernameSecret: registry.username[0] } : {}),
    ...(Array.isArray(registry.password) ? { passwordSecret: registry.password[0] } : {}),
  }
}

/**
 * A key_data secret with no key in it: without it no host can be logged into (the CI set-up whose repository
 * secret is missing: `SSH_KEY=$SSH_KEY` in .kamal/secrets expands to nothing), so no verb that contacts hosts
 * runs.
 */
function keyDataMissing(key: string, value: string | undefined, files: string[]): string {
  const where = files.join(' or ')
  const what =
    value === undefined
      ? `is not set in ${where}`
      : `is empty (in ${where}, a \`$VARIABLE\` that is not set expands to nothing)`
  const assignment = /^\w+$/.test(key) ? `\`${key}=...\`` : 'it'
  return (
    `The secret ${show(key)} named by key_data ${what}, so no host could be logged into; set ${assignment} to the ` +
    "private key there (in GitHub Actions: add the repository secret and pass it in the step's `env`)."
  )
}

function secretNotFound(key: string, files: string[]): string {
  return `Secret '${key}' not found in ${files.join(', ')}; add \`${key}=...\` to one of them`
}

/** Hosts in Kamal's precedence: host, hosts, role(s), tag(s); first-seen order, no duplicates. */
function resolveHosts(
  config: DeployConfig,
  raw: AccessoryConfig,
  name: string,
  problems: string[],
  where: (...rest: Array<string | number>) => string,
): string[] {
  if (raw.host !== undefined) return [raw.host]
  // A selection that resolves to no host would make every run a silent no-op: refused here.
  const none = (key: string, why: string) => {
    problems.push(
      `${where(key)}: /accessories/${name}/${key}: ${why}, so the accessory would run nowhere; name at least one host.`,
    )
    return []
  }
  // `hosts: []` is Kamal's way to park an accessory (or a base file's, whose destination files add the hosts):
  // accepted, and runs nowhere (see noHostsAt)
  if (raw.hosts !== undefined) return unique(raw.hosts)
  const roles = raw.role !== undefined ? [raw.role] : raw.roles
  if (roles !== undefined) {
    const key = raw.role !== undefined ? 'role' : 'roles'
    const unknown = unknownRolesMessage(config, name, roles)
    if (unknown) {
      problems.push(`${where(key)}: /accessories/${name}/${key}: ${unknown}`)
      return []
    }
    const hosts = unique(roles.flatMap((role) => roleHosts(config, role)))
    return hosts.length
      ? hosts
      : none(
          key,
          roles.length ? `Role ${roles.map(show).join(', ')} has no hosts under \`servers\`` : 'The list is empty',
        )
  }
  const key = raw.tag !== undefined ? 'tag' : 'tags'
  const tags = raw.tag !== undefined ? [raw.tag] : (raw.tags ?? [])
  const hosts = unique(tags.flatMap((tag) => taggedHosts(config, tag)))
  return hosts.length
    ? hosts
    : none(
        key,
        tags.length ? `No host under \`servers\` carries tag ${tags.map(show).join(' or ')}` : 'The list is empty',
      )
}

/** The one check that an accessory's `role`/`roles` name roles under `servers` (Kamal's accessory.rb ensure_valid_roles). */
function unknownRolesMessage(config: DeployConfig, name: string, roles: string[]): string | undefined {
  const known = roleNames(config)
  const unknown = roles.filter((role) => !known.includes(role))
  if (!unknown.length) return undefined
  const listed = unknown.map(show).join(', ')
  const named = `Accessory ${show(name)} names ${unknown.length > 1 ? 'roles' : 'role'} ${listed}`
  if (!known.length)
    return (
      `${named}, but \`servers\` has no roles; add ${listed} under \`servers\`, ` +
      'or give the accessory its hosts with `host` or `hosts`.'
    )
  if (known.length === 1)
    return `${named}, but the only role under \`servers\` is ${show(known[0])}; name ${show(known[0])}, or add ${listed} under \`servers\`.`
  return (
    `${named}, but the roles under \`servers\` are ${known.map(show).join(', ')}; ` +
    `name one of those, or add ${listed} under \`servers\`.`
  )
}

function roleNames(config: DeployConfig): string[] {
  if (!config.servers) return []
  return Array.isArray(config.servers) ? ['web'] : Object.keys(config.servers)
}

function roleEntries(config: DeployConfig, role: string): ServerEntry[] {
  const servers = config.servers
  if (!servers) return []
  if (Array.isArray(servers)) return role === 'web' ? servers : []
  const roleConfig = servers[role]
  if (!roleConfig) return []
  return Array.isArray(roleConfig) ? roleConfig : (roleConfig.hosts ?? [])
}

function entryHost(entry: ServerEntry): string {
  return typeof entry === 'string' ? entry : Object.keys(entry)[0]!
}

function roleHosts(config: DeployConfig, role: string): string[] {
  return roleEntries(config, role).map(entryHost)
}

/** Kamal matches tags only in role-keyed `servers` whose roles are plain arrays of `{host: tags}`. */
function taggedHosts(config: DeployConfig, tag: string): string[] {
  const servers = config.servers
  if (!servers || Array.isArray(servers)) return []
  const hosts: string[] = []
  for (const roleConfig of Object.values(servers)) {
    if (!Array.isArray(roleConfig)) continue
    for (const entry of roleConfig) {
      if (typeof entry === 'string') continue
      const [host, tags] = Object.entries(entry)[0]!
      if (Array.isArray(tags) ? tags.includes(tag) : tags.includes(tag)) hosts.push(host)
    }
  }
  return hosts
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}

function resolveSsh(config: DeployConfig): SshSettings {
  const ssh = config.ssh ?? {}
  const proxy = ssh.proxy === undefined ? undefined : ssh.proxy.includes('@') ? ssh.proxy : `root@${ssh.proxy}`
  const configFiles =
    ssh.config === undefined || ssh.config === true ? true : ssh.config === false ? false : [ssh.config].flat()
  return {
    user: ssh.user ?? 'root',
    port: ssh.port === undefined ? undefined : Number(ssh.port),
    proxy,
    proxyCommand: ssh.proxy_command,
    keys: ssh.keys ?? [],
    keysOnly: ssh.keys_only ?? false,
    configFiles,
    connectTimeoutSeconds: DEFAULT_CONNECT_TIMEOUT_SECONDS,
    ...(ssh.forward_agent !== undefined ? { forwardAgent: ssh.forward_agent } : {}),
    ...(sshLogLevel(ssh.log_level) ? { logLevel: sshLogLevel(ssh.log_level) } : {}),
  }
}

/** Kamal's root `logging:` args; accessories have no logging of their own. */
function loggingArgs(config: DeployConfig): string[] {
  const { driver, options } = config.logging ?? {}
  if (!driver && !options) return ['--log-opt', 'max-size=10m']
  const args = driver ? ['--log-driver', driver] : []
  for (const [key, value] of Object.entries(options ?? {})) args.push('--log-opt', `${key}=${value}`)
  return args
}
