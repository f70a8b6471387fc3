// --shard K/N's split: stable whatever the order of the hosts, exact (disjoint shards that cover every host),
// balanced to one host, and empty (never an error) when there are more shards than hosts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { shardHosts, shardSelection, type Shard } from '../../../lib/flows/shard.ts'
import type { Selection } from '../../../lib/flows/selection.ts'
import type { Accessory } from '../../../lib/config/accessory.ts'

const fleet = (n: number) => Array.from({ length: n }, (_, i) => `db-${i}.example.com`)
const shards = (count: number): Shard[] => Array.from({ length: count }, (_, i) => ({ index: i + 1, count }))

/** A deterministic shuffle (no Math.random: the same order on every run of the test). */
function shuffled(hosts: readonly string[], seed: number): string[] {
  const out = [...hosts]
  let state = seed
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31
    const j = state % (i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

test('the same hosts fall in the same shard whatever their order', () => {
  const hosts = fleet(50)
  for (const shard of shards(4)) {
    const first = new Set(shardHosts(hosts, shard))
    for (const seed of [1, 7, 42]) assert.equal(new Set(shardHosts(shuffled(hosts, seed), shard)), first)
    assert.equal(new Set(shardHosts([...hosts].reverse(), shard)), first)
  }
})

test('the shards are disjoint and together are every host, each host once', () => {
  for (const [n, count] of [
    [1, 1],
    [7, 3],
    [50, 4],
    [200, 7],
  ] as const) {
    const hosts = fleet(n)
    const all = shards(count).flatMap((shard) => shardHosts(hosts, shard))
    assert.is(all.length, n, `${n} hosts in ${count} shards`)
    assert.equal(new Set(all), new Set(hosts))
  }
})

test('the shards differ in size by at most one host', () => {
  for (const [n, count] of [
    [200, 4],
    [5000, 20],
    [11, 3],
  ] as const) {
    const sizes = shards(count).map((shard) => shardHosts(fleet(n), shard).length)
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${n} hosts in ${count}: ${sizes.join(' ')}`)
  }
})

test('a shard keeps the hosts in the order given, and a host named twice counts once', () => {
  const hosts = fleet(9)
  const kept = shardHosts(hosts, { index: 2, count: 3 })
  assert.equal(
    kept,
    hosts.filter((h) => kept.includes(h)),
  )
  const twice = [...hosts, hosts[0]!]
  const sizes = shards(3).map((shard) => new Set(shardHosts(twice, shard)).size)
  assert.equal(sizes, [3, 3, 3])
})

test('more shards than hosts: some shards are empty, none fails', () => {
  const hosts = fleet(2)
  const split = shards(5).map((shard) => shardHosts(hosts, shard))
  assert.is(split.filter((s) => s.length === 0).length, 3)
  assert.equal(new Set(split.flat()), new Set(hosts))
})

const accessory = (name: string) => ({ name }) as unknown as Accessory

test('a selection is split by host, across accessories: a host shared by two accessories stays in one shard', () => {
  const selection: Selection[] = [
    { accessory: accessory('db'), hosts: fleet(6) },
    { accessory: accessory('cache'), hosts: fleet(6).slice(0, 3) },
    { accessory: accessory('search'), hosts: ['search-1'] },
  ]
  const parts = shards(3).map((shard) => shardSelection(selection, shard))
  const pairs = parts.flatMap((part) => part.flatMap((s) => s.hosts.map((h) => `${s.accessory.name}@${h}`)))
  assert.is(pairs.length, 10)
  assert.is(new Set(pairs).size, 10)
  for (const host of fleet(3)) {
    const holding = parts.filter((part) => part.some((s) => s.hosts.includes(host)))
    assert.is(holding.length, 1, host)
  }
  for (const part of parts)
    assert.ok(
      part.every((s) => s.hosts.length > 0),
      'no accessory is left with no host',
    )
})
test.run()
