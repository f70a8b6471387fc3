// Which accessories and hosts a run touches: `NAME` or `all`, narrowed by `--hosts`, and, as Kamal narrows
// them, by `-r/--roles` (the hosts of those roles under `servers`) and `-p/--primary` (the primary host).
import type { Deployment } from '../config/deployment.ts'
import { noHostsReason } from '../config/preflight.ts'
import type { Selection } from '../flows/selection.ts'
import { UsageError, argText, hostMatches } from './args.ts'

export interface HostFilters {
  hosts?: string[]
  roles?: string[]
  primary?: boolean
}

/** The hosts `-r` and `-p` allow (undefined: all), or a usage error when they name nothing. */
function allowedHosts(deployment: Deployment, filters: HostFilters): Set<string> | undefined {
  let allowed: Set<string> | undefined
  if (filters.roles) {
    const known = deployment.roles.map((r) => r.name)
    const unmatched = filters.roles.filter((p) => !known.some((name) => hostMatches(p, name)))
    if (unmatched.length) {
      throw new UsageError(
        `--roles ${unmatched.join(',')} matches no role under \`servers\` (roles: ${known.join(', ') || 'none'}).`,
      )
    }
    allowed = new Set(
      deployment.roles.filter((r) => filters.roles!.some((p) => hostMatches(p, r.name))).flatMap((r) => r.hosts),
    )
  }
  if (filters.primary) {
    if (!deployment.primaryHost)
      throw new UsageError(
        "--primary names the primary role's first host, but the config has no hosts under `servers`.",
      )
    allowed = new Set(allowed === undefined || allowed.has(deployment.primaryHost) ? [deployment.primaryHost] : [])
  }
  return allowed
}

export function selectAccessories(
  deployment: Deployment,
  target: string,
  hostPatterns: string[] | undefined,
  filters: Omit<HostFilters, 'hosts'> = {},
): Selection[] {
  const known = deployment.accessories.map((a) => a.name)
  const chosen = target === 'all' ? deployment.accessories : deployment.accessories.filter((a) => a.name === target)
  if (chosen.length === 0) {
    throw new UsageError(
      known.length
        ? `No accessory named ${argText(target)} (known: ${known.join(', ')}); pass one of them or \`all\`.`
        : `No accessory named ${argText(target)}: the config has no accessories; add them under \`accessories:\`.`,
    )
  }
  const parked = chosen.length === 1 && target !== 'all' ? chosen[0]! : undefined
  if (parked?.noHostsAt !== undefined) {
    throw new UsageError(
      `Nothing to run: ${noHostsReason(parked, deployment.destination)}. (\`all\` skips it, as Kamal does.)`,
    )
  }
  const allowed = allowedHosts(deployment, filters)
  let selection = chosen.map((accessory) => ({
    accessory,
    hosts: allowed ? accessory.hosts.filter((h) => allowed.has(h)) : accessory.hosts,
  }))
  const of = target === 'all' ? 'any accessory' : `\`${target}\``
  if (allowed && selection.every((s) => s.hosts.length === 0)) {
    const by = [filters.roles ? `--roles ${filters.roles.join(',')}` : '', filters.primary ? '--primary' : '']
      .filter(Boolean)
      .join(' with ')
    throw new UsageError(
      `${by} selects no host of ${of} (its hosts: ${[...new Set(chosen.flatMap((a) => a.hosts))].join(', ')}).`,
    )
  }
  if (hostPatterns) {
    const allHosts = [...new Set(selection.flatMap((s) => s.hosts))]
    const unmatched = hostPatterns.filter((p) => !allHosts.some((h) => hostMatches(p, h)))
    if (unmatched.length) {
      throw new UsageError(
        `--hosts ${unmatched.join(',')} matches no host of ${of} (its hosts: ${allHosts.join(', ') || 'none'}).`,
      )
    }
    selection = selection.map((s) => ({
      ...s,
      hosts: s.hosts.filter((h) => hostPatterns.some((p) => hostMatches(p, h))),
    }))
  }
  return selection.filter((s) => s.hosts.length > 0)
}
