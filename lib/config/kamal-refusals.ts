// What Kamal 2.12 refuses in the app's own sections (`servers` roles, `boot`, `builder`), which berth does not
// use: berth keeps working, and warns once with Kamal's own message so that `kamal deploy` does not fail first.
// Kamal validates every section on every command, in this order (configuration.rb#initialize): the roles, boot,
// then builder, each against its example in lib/kamal/configuration/docs/*.yml, stopping at the first error;
// the messages are validator.rb's (`<context>: unknown key: x`, `<context>: should be a string`) and
// validator/builder.rb's (`builder: Builder arch not set`). Refusals in an accessory's own sections are errors
// (kamal-rules.ts): berth uses those sections.
import { isPlainObject } from './plain.ts'
import type { KeyPath } from './positions.ts'

export interface KamalRefusal {
  path: KeyPath
  at: 'key' | 'value'
  /** Kamal's message, word for word. */
  kamal: string
  /** What to change, as a sentence. */
  fix: string
}

/** docs/role.yml (`servers.workers`), docs/boot.yml, docs/builder.yml: the keys Kamal knows. */
const ROLE_KEYS = ['hosts', 'cmd', 'stop_timeout', 'options', 'logging', 'proxy', 'labels', 'env', 'asset_path']
const BOOT_KEYS = ['limit', 'wait', 'parallel_roles']
const BUILDER_KEYS = [
  'arch',
  'remote',
  'local',
  'pack',
  'cache',
  'context',
  'dockerfile',
  'target',
  'args',
  'secrets',
  'ssh',
  'driver',
  'provenance',
  'sbom',
]

/** ActiveSupport's `blank?` for YAML values: nil, false, an empty or all-blank string, an empty list or map. */
function blank(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return true
  if (typeof value === 'string') return value.trim() === ''
  if (Array.isArray(value)) return value.length === 0
  if (isPlainObject(value)) return Object.keys(value).length === 0
  return false
}

/** Ruby's `stringish?` in validator.rb: a string, a number or a boolean. */
function stringish(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
}

function unknownKeys(
  context: string,
  path: KeyPath,
  section: Record<string, unknown>,
  known: string[],
): KamalRefusal | undefined {
  const unknown = Object.keys(section).filter((key) => !known.includes(key))
  if (!unknown.length) return undefined
  return {
    path: [...path, unknown[0] as string],
    at: 'key',
    kamal: `${context}: unknown key${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')}`,
    fix: `remove ${unknown.length === 1 ? 'it' : 'them'} (Kamal's keys here: ${known.join(', ')})`,
  }
}

/**
 * Kamal's first refusal in the app's sections, or none. A config with neither `builder` nor `servers` is an
 * accessories-only config, berth's own use, and is never held to the builder's rules.
 */
export function kamalRefusal(config: Record<string, unknown>): KamalRefusal | undefined {
  const servers = config.servers
  if (isPlainObject(servers)) {
    for (const [name, role] of Object.entries(servers)) {
      if (!isPlainObject(role)) continue
      const refusal = unknownKeys(`servers/${name}`, ['servers', name], role, ROLE_KEYS)
      if (refusal) return refusal
    }
  }
  const boot = config.boot
  if (isPlainObject(boot)) {
    const refusal = unknownKeys('boot', ['boot'], boot, BOOT_KEYS)
    if (refusal) return refusal
  }
  if (config.builder === undefined && config.servers === undefined) return undefined
  const builder = isPlainObject(config.builder) ? config.builder : {}
  const unknown = unknownKeys('builder', ['builder'], builder, BUILDER_KEYS)
  if (unknown) return unknown
  if (builder.remote !== undefined && builder.remote !== null && !stringish(builder.remote))
    return {
      path: ['builder', 'remote'],
      at: 'value',
      kamal: 'builder/remote: should be a string',
      fix: 'write the remote builder as a string (`remote: ssh://docker@builder-host`), its arch under `builder.arch`',
    }
  if (blank(builder.arch))
    return {
      path: config.builder === undefined ? [] : ['builder'],
      at: 'key',
      kamal: 'builder: Builder arch not set',
      fix: 'add `builder: { arch: amd64 }` (or arm64, or both as a list)',
    }
  return undefined
}

/** The hooks Kamal 1 ran around Traefik; Kamal 2 refuses a config whose hooks folder still has one. */
export const TRAEFIK_REBOOT_HOOKS = ['pre-traefik-reboot', 'post-traefik-reboot']

/** configuration.rb's `ensure_no_traefik_reboot_hooks`, given which of TRAEFIK_REBOOT_HOOKS exist, in that order. */
export function traefikHooksRefusal(found: readonly string[]): Omit<KamalRefusal, 'path' | 'at'> | undefined {
  if (!found.length) return undefined
  return {
    kamal: `Found ${found.join(', ')}, these should be renamed to (pre|post)-proxy-reboot`,
    fix: `rename ${found.length === 1 ? 'it' : 'them'} to ${found.map((h) => h.replace('traefik', 'proxy')).join(', ')}`,
  }
}
