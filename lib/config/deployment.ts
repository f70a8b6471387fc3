// A loaded config → the Deployment berth runs: its accessories (accessory.ts), roles and hosts
// (hosts-and-roles.ts), ssh settings and keys (ssh-settings.ts), logging. Every problem is collected and
// thrown as one ConfigError. Pure but for what resolving an accessory's `files:` does (accessory-files.ts:
// reading local files, and rendering `.erb` ones, whose backticks run local commands).
import type { DeployConfig } from './types.ts'
import type { SshSettings } from '../remote/ssh.ts'
import type { KeyData } from '../remote/ssh-agent.ts'
import type { ConfigSource, ResolveOptions } from './config-source.ts'
import { ConfigError } from './load.ts'
import { resolveAccessory, type Accessory } from './accessory.ts'
import { roleHosts, roleNames } from './hosts-and-roles.ts'
import { resolveKeyData, resolveMaxConcurrentStarts, resolveSsh } from './ssh-settings.ts'

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

export function resolveDeployment(source: ConfigSource, options: ResolveOptions): Deployment {
  const problems: string[] = []
  const { config } = source
  const accessories = resolveAccessories(source, options, problems)
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

/** Every accessory, in the config's order; the problems of all of them are collected, not just the first's. */
function resolveAccessories(source: ConfigSource, options: ResolveOptions, problems: string[]): Accessory[] {
  const accessories: Accessory[] = []
  for (const [name, raw] of Object.entries(source.config.accessories ?? {})) {
    try {
      accessories.push(resolveAccessory(source, name, raw, options))
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems)
      else throw error
    }
  }
  return accessories
}

/** Kamal's root `logging:` args; accessories have no logging of their own. */
function loggingArgs(config: DeployConfig): string[] {
  const { driver, options } = config.logging ?? {}
  if (!driver && !options) return ['--log-opt', 'max-size=10m']
  const args = driver ? ['--log-driver', driver] : []
  for (const [key, value] of Object.entries(options ?? {})) args.push('--log-opt', `${key}=${value}`)
  return args
}
