// The roles under `servers` and their hosts, and which hosts an accessory runs on (Kamal's `host`, `hosts`,
// `role(s)`, `tag(s)`). Pure.
import type { AccessoryConfig, DeployConfig, ServerEntry } from './types.ts'
import { show } from './value-rules.ts'

type Where = (...rest: Array<string | number>) => string

/** Hosts in Kamal's precedence: host, hosts, role(s), tag(s); first-seen order, no duplicates. */
export function resolveHosts(
  config: DeployConfig,
  raw: AccessoryConfig,
  name: string,
  problems: string[],
  where: Where,
): string[] {
  if (raw.host !== undefined) return [raw.host]
  // `hosts: []` is Kamal's way to park an accessory (or a base file's, whose destination files add the hosts):
  // accepted, and runs nowhere (see noHostsAt)
  if (raw.hosts !== undefined) return unique(raw.hosts)
  const roles = raw.role !== undefined ? [raw.role] : raw.roles
  if (roles !== undefined)
    return hostsOfRoles(config, raw.role !== undefined ? 'role' : 'roles', roles, name, problems, where)
  const key = raw.tag !== undefined ? 'tag' : 'tags'
  const tags = raw.tag !== undefined ? [raw.tag] : (raw.tags ?? [])
  const hosts = unique(tags.flatMap((tag) => taggedHosts(config, tag)))
  return hosts.length
    ? hosts
    : runsNowhere(
        key,
        tags.length ? `No host under \`servers\` carries tag ${tags.map(show).join(' or ')}` : 'The list is empty',
        name,
        problems,
        where,
      )
}

/** An accessory's `role`/`roles` (under `key`): the hosts of those roles, which must exist and have hosts. */
function hostsOfRoles(
  config: DeployConfig,
  key: 'role' | 'roles',
  roles: string[],
  name: string,
  problems: string[],
  where: Where,
): string[] {
  const unknown = unknownRolesMessage(config, name, roles)
  if (unknown) {
    problems.push(`${where(key)}: /accessories/${name}/${key}: ${unknown}`)
    return []
  }
  const hosts = unique(roles.flatMap((role) => roleHosts(config, role)))
  return hosts.length
    ? hosts
    : runsNowhere(
        key,
        roles.length ? `Role ${roles.map(show).join(', ')} has no hosts under \`servers\`` : 'The list is empty',
        name,
        problems,
        where,
      )
}

/** A selection that resolves to no host would make every run a silent no-op: refused. */
function runsNowhere(key: string, why: string, name: string, problems: string[], where: Where): string[] {
  problems.push(
    `${where(key)}: /accessories/${name}/${key}: ${why}, so the accessory would run nowhere; name at least one host.`,
  )
  return []
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

export function roleNames(config: DeployConfig): string[] {
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

export function roleHosts(config: DeployConfig, role: string): string[] {
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
