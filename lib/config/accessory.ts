// One entry under `accessories:` → the accessory berth runs, with every Kamal default applied: names, hosts,
// env and env-file paths, docker options, mounts, registry login, proxy. Pure but for its `files:`
// (accessory-files.ts), which reads local files and renders `.erb` ones, running their backticks.
import type { AccessoryConfig } from './types.ts'
import type { ConfigSource, ResolveOptions } from './config-source.ts'
import { ConfigError } from './load.ts'
import { publishValue, show } from './value-rules.ts'
import { dumpEnvValue } from './env-file.ts'
import { resolveProxy, type AccessoryProxy } from './accessory-proxy.ts'
import { resolveHosts } from './hosts-and-roles.ts'
import { resolveRegistryLogin, type RegistryLogin } from './registry-login.ts'
import { resolveDirectories, resolveFiles, type DirectorySpec, type FileUpload, type Mount } from './accessory-files.ts'

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

/** docker reads `--env-file` with a line scanner whose longest line is 64 KiB (bufio.MaxScanTokenSize). */
const MAX_ENV_FILE_LINE = 65_535

const DEFAULT_NETWORK = 'kamal'
const DEFAULT_RESTART_POLICY = 'unless-stopped'

type At = Array<string | number>

/** What resolving one accessory collects: where its keys are, its problems, and its secrets as looked up. */
interface AccessoryScope {
  name: string
  where(...rest: At): string
  problems: string[]
  /** Secrets that could not be resolved (only with `unresolvedSecrets: 'allow'`). */
  unresolved: string[]
  /** A secret's value ('' when it cannot be had: then a problem says why, or `unresolved` names it). */
  secret(key: string, at: At): string
}

export function resolveAccessory(
  source: ConfigSource,
  name: string,
  raw: AccessoryConfig,
  options: ResolveOptions,
): Accessory {
  const { config } = source
  const scope = accessoryScope(source, name, options)
  const serviceName = raw.service ?? `${config.service}-${name}`
  const hosts = resolveHosts(config, raw, name, scope.problems, scope.where)
  const env = resolveEnv(raw.env, scope)
  const docker = dockerRunOptions(raw.options)
  const erbEnv = { ...options.env, ...Object.fromEntries(env.envClear), ...Object.fromEntries(env.envSecret) }
  const uploads = resolveFiles(
    raw.files ?? [],
    serviceName,
    erbEnv,
    options,
    (i) => scope.where('files', i),
    scope.problems,
  )
  const folders = resolveDirectories(raw.directories ?? [], serviceName)
  const registryLogin = accessoryRegistryLogin(source, raw, scope)
  if (scope.problems.length) throw new ConfigError(scope.problems)
  const proxy = resolveProxy(raw.proxy, {
    service: config.service,
    destination: source.destination,
    deploy_timeout: config.deploy_timeout,
    drain_timeout: config.drain_timeout,
  })
  const envDirectory = `.kamal/apps/${config.service}${source.destination ? `-${source.destination}` : ''}/env/accessories`
  return {
    ...(proxy ? { proxy } : {}),
    ...containerSettings(raw, serviceName, hosts, docker, scope),
    envClear: env.envClear,
    envSecret: env.envSecret,
    envDirectory,
    envFile: `${envDirectory}/${name}.env`,
    volumes: raw.volumes ?? [],
    files: uploads.files,
    directories: folders.directories,
    mounts: [...uploads.mounts, ...folders.mounts],
    registryLogin,
    ...(scope.unresolved.length ? { unresolvedSecrets: unresolvedEnvKeys(env, scope.unresolved) } : {}),
  }
}

/** Secrets are looked up here: a NUL byte or a missing secret is a problem, unless missing ones are allowed. */
function accessoryScope(source: ConfigSource, name: string, options: ResolveOptions): AccessoryScope {
  const where = (...rest: At) => source.locate(['accessories', name, ...rest])
  const problems: string[] = []
  const unresolved: string[] = []
  const secret = (key: string, at: At): string => {
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
      unresolved.push(key)
      return ''
    }
    problems.push(`${where(...at)}: /accessories/${name}/${at.join('/')}: ${secretNotFound(key, source.secretFiles)}`)
    return ''
  }
  return { name, where, problems, unresolved, secret }
}

function secretNotFound(key: string, files: string[]): string {
  return `Secret '${key}' not found in ${files.join(', ')}; add \`${key}=...\` to one of them`
}

/** The accessory's container: names, image, hosts, network, restart policy, port, command, labels, options. */
function containerSettings(
  raw: AccessoryConfig,
  serviceName: string,
  hosts: string[],
  docker: DockerRunOptions,
  scope: AccessoryScope,
): Pick<
  Accessory,
  | 'name'
  | 'serviceName'
  | 'image'
  | 'hosts'
  | 'noHostsAt'
  | 'network'
  | 'restartPolicy'
  | 'port'
  | 'cmd'
  | 'labels'
  | 'options'
> {
  return {
    name: scope.name,
    serviceName,
    image: raw.registry?.server ? `${raw.registry.server}/${raw.image}` : raw.image,
    hosts,
    ...(raw.hosts?.length === 0 ? { noHostsAt: scope.where('hosts') } : {}),
    network: raw.network ?? DEFAULT_NETWORK,
    restartPolicy: docker.restartPolicy,
    port: raw.port === undefined ? undefined : publishValue(raw.port),
    cmd: raw.cmd,
    labels: [
      ['service', serviceName],
      ...Object.entries(raw.labels ?? {}).map(([k, v]): [string, string] => [k, String(v)]),
    ],
    options: docker.options,
  }
}

interface DockerRunOptions {
  restartPolicy: string
  options: Array<[string, string | undefined]>
}

/** `options:` as `--flag value` pairs (a list repeats the flag, `true` is a bare flag); `restart` apart. */
function dockerRunOptions(options: AccessoryConfig['options']): DockerRunOptions {
  const pairs: Array<[string, string | undefined]> = []
  let restartPolicy = DEFAULT_RESTART_POLICY
  for (const [key, value] of Object.entries(options ?? {})) {
    if (key === 'restart') {
      restartPolicy = String(value)
      continue
    }
    for (const item of Array.isArray(value) ? value : [value])
      pairs.push([key, item === true ? undefined : String(item)])
  }
  return { restartPolicy, options: pairs }
}

interface AccessoryEnv {
  envClear: Array<[string, string]>
  envSecret: Array<[string, string]>
  /** The `env.secret` entries as written (`KEY` or `KEY:ALIAS`), in envSecret's order. */
  secretKeys: string[]
}

/** `env:` as clear pairs and secret pairs, each secret looked up and checked against docker's env-file line limit. */
function resolveEnv(env: AccessoryConfig['env'], scope: AccessoryScope): AccessoryEnv {
  const { clear, secretKeys } = splitEnv(env)
  const envClear = Object.entries(clear).map(([k, v]): [string, string] => [k, String(v)])
  const envSecret = secretKeys.map((spec, i): [string, string] => {
    // `KEY:ALIAS` writes KEY with the value of secret ALIAS.
    const [key, alias] = spec.includes(':') ? (spec.split(':', 2) as [string, string]) : [spec, spec]
    const value = scope.secret(alias, ['env', 'secret', i])
    const line = Buffer.byteLength(`${key}=${dumpEnvValue(value)}`)
    if (line > MAX_ENV_FILE_LINE) {
      // the value itself is never shown
      scope.problems.push(
        `${scope.where('env', 'secret', i)}: /accessories/${scope.name}/env/secret/${i}: ` +
          `The secret ${show(alias)} makes a ${line}-byte line in the env file, ` +
          `but docker reads env files at most ${MAX_ENV_FILE_LINE} bytes a line; ` +
          'put such content in a file under `files:` instead.',
      )
    }
    return [key, value]
  })
  return { envClear, envSecret, secretKeys }
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

/** The env keys whose secret could not be resolved (read-only checks). */
function unresolvedEnvKeys(env: AccessoryEnv, unresolved: string[]): string[] {
  return env.envSecret
    .filter(([, value], i) => value === '' && unresolved.includes(env.secretKeys[i]!.split(':').at(-1)!))
    .map(([key]) => key)
}

/** The accessory's own `registry:`, else the root one; problems point at whichever it is. */
function accessoryRegistryLogin(
  source: ConfigSource,
  raw: AccessoryConfig,
  scope: AccessoryScope,
): RegistryLogin | undefined {
  const registryAt = (at: At) => (raw.registry ? ['registry', ...at] : at)
  return resolveRegistryLogin(
    raw.registry ?? source.config.registry,
    (key, at) => scope.secret(key, registryAt(at)),
    (at, message) => {
      const path = raw.registry ? ['accessories', scope.name, ...registryAt(at)] : ['registry', ...at]
      scope.problems.push(`${source.locate(path)}: /${path.join('/')}: ${message}`)
    },
  )
}
