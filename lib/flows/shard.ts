// `--shard K/N`: a stable 1/N of a run's hosts, so N CI jobs read a fleet in parallel. Pure. The hosts are
// ranked by the sha256 of their name (ties, which no two names have, by the name) and shard K keeps every N-th
// from the K-th: the split depends only on the set of hosts, never on their order in the config, and the N
// shards are disjoint, cover every host, and differ in size by at most one.
import { createHash } from 'node:crypto'
import { selectionHosts, type Selection } from './selection.ts'

/** Shard `index` of `count` (1 ≤ index ≤ count), as `--shard index/count` names it. */
export interface Shard {
  index: number
  count: number
}

const rankKey = (host: string) => createHash('sha256').update(host).digest('hex')
/** Code-unit order, the same in every locale. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The hosts of shard `shard`, in the order they were given. */
export function shardHosts(hosts: readonly string[], shard: Shard): string[] {
  const keys = new Map([...new Set(hosts)].map((host) => [host, rankKey(host)]))
  const ranked = [...keys.keys()].sort((a, b) => byText(keys.get(a)!, keys.get(b)!) || byText(a, b))
  const kept = new Set(ranked.filter((_, rank) => rank % shard.count === shard.index - 1))
  return hosts.filter((host) => kept.has(host))
}

/** Each accessory with only the hosts of shard `shard` (split over every host of the selection); none left out. */
export function shardSelection(selection: readonly Selection[], shard: Shard): Selection[] {
  const kept = new Set(shardHosts(selectionHosts(selection), shard))
  return selection
    .map((s) => ({ ...s, hosts: s.hosts.filter((host) => kept.has(host)) }))
    .filter((s) => s.hosts.length > 0)
}
