// Which accessories and hosts a run touches: `NAME` or `all`, narrowed by `--hosts`.
import type { Deployment } from '../config/model.ts'
import type { Selection } from '../flows/selection.ts'
import { UsageError, argText, hostMatches } from './args.ts'

export function selectAccessories(deployment: Deployment, target: string, hostPatterns: string[] | undefined): Selection[] {
  const known = deployment.accessories.map((a) => a.name)
  const chosen = target === 'all' ? deployment.accessories : deployment.accessories.filter((a) => a.name === target)
  if (chosen.length === 0) {
    throw new UsageError(
      known.length
        ? `No accessory named ${argText(target)} (known: ${known.join(', ')}); pass one of them or \`all\`.`
        : `No accessory named ${argText(target)}: the config has no accessories; add them under \`accessories:\`.`,
    )
  }
  if (!hostPatterns) return chosen.map((accessory) => ({ accessory, hosts: accessory.hosts }))

  const allHosts = [...new Set(chosen.flatMap((a) => a.hosts))]
  const unmatched = hostPatterns.filter((p) => !allHosts.some((h) => hostMatches(p, h)))
  if (unmatched.length) {
    throw new UsageError(
      `--hosts ${unmatched.join(',')} matches no host of ${target === 'all' ? 'any accessory' : `\`${target}\``} (its hosts: ${allHosts.join(', ') || 'none'}).`,
    )
  }
  return chosen
    .map((accessory) => ({ accessory, hosts: accessory.hosts.filter((h) => hostPatterns.some((p) => hostMatches(p, h))) }))
    .filter((s) => s.hosts.length > 0)
}
