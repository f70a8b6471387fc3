// The fleet and project the flow tests share (test/unit/flows/orchestration.test.ts, reboot.test.ts): a config
// with db on h1 and h2 and cache on h2, a fleet where both run their old images, a run of a verb through the real
// runner against it, and the check that a dry run lists exactly what the run sends.
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { FakeFleet } from './fake-fleet.ts'
import { runWithFleet } from './run-script.ts'

export const OLD = 'postgres:16'
export const NEW = 'postgres:17'

export function projectWith(config: object): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-orchestration-'))
  writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(config)}\n`)
  return dir
}

/** db on h1 and h2, cache on h2; no servers, so the lock lives on h1 (db's first host). */
export function config(dbImage: string, cacheImage = 'redis:7') {
  return {
    service: 'shop',
    image: 'shop/app',
    accessories: {
      db: { image: dbImage, hosts: ['h1', 'h2'], directories: ['data:/var/lib/data'] },
      cache: { image: cacheImage, host: 'h2' },
    },
  }
}

/** A fleet where db and cache run the old images. */
export function bootedFleet(): FakeFleet {
  const fleet = new FakeFleet()
  fleet.addContainer('h1', { name: 'shop-db', image: OLD })
  fleet.addContainer('h2', { name: 'shop-db', image: OLD })
  fleet.addContainer('h2', { name: 'shop-cache', image: 'redis:7' })
  return fleet
}

export const run = (verb: string, args: string[], fleet: FakeFleet, dir: string, settleMs?: number) =>
  runWithFleet(verb, args, { cwd: dir, fleet, ...(settleMs === undefined ? {} : { settleMs }) })

export const names = (fleet: FakeFleet, host: string) =>
  fleet
    .host(host)
    .containers.map((c) => `${c.name}:${c.image}:${c.state}`)
    .sort()

// The dry run prints what the run sends (issue 18.13, 19): both come from one plan. The changing commands a real
// run sends through the fake fleet, per host, equal the commands the dry run lists, once the run's own stamp and
// the id `docker create` printed are written as the dry run writes them (STAMP, NEW_ID). (Recovery steps come
// first in both; with several accessories on a host, the run's logins and pulls all come before the rest.)
const READS_AND_LOCK = /^(mkdir -p \.kamal && (mkdir|echo|printf) |rm \.kamal\/lock-|sh -c 'ids=|docker inspect )/

export async function dryRunAgreesWithRun(
  name: string,
  setup: () => FakeFleet,
  config: object,
  args: string[],
  verb: 'reboot' | 'boot' = 'reboot',
) {
  const dir = projectWith(config)
  const dryFleet = setup()
  const dry = await run(verb, [...args, '--dry-run', '--json'], dryFleet, dir)
  const listed = new Map<string, string[]>()
  const pairs = new Map<string, number>()
  for (const entry of JSON.parse(dry.stdout).entries as Array<{ host: string; plannedCommands?: string[] }>) {
    if (entry.plannedCommands) pairs.set(entry.host, (pairs.get(entry.host) ?? 0) + 1)
    listed.set(entry.host, [
      ...(listed.get(entry.host) ?? []),
      ...(entry.plannedCommands ?? []).map((l) => l.replace(/ {2}# (stdin: \d+ bytes, not shown|prints NEW_ID)$/, '')),
    ])
  }
  // The same containers, with the same ids, as the dry run looked at.
  const fleet = setup()
  for (const [name, host] of fleet.hosts) host.containers = structuredClone(dryFleet.host(name).containers)
  const before = new Set([...fleet.hosts.values()].flatMap((h) => h.containers.map((c) => c.id)))
  const r = await run(verb, verb === 'reboot' ? [...args, '-y'] : args, fleet, dir)
  assert.is(r.code, 0, `${name}: ${r.stdout}${r.stderr}`)
  const created = [...fleet.hosts.values()].flatMap((h) => h.containers.filter((c) => !before.has(c.id)))
  for (const host of new Set([...fleet.sent.map((c) => c.host), ...listed.keys()])) {
    const sent = fleet
      .lines(host)
      .filter((l) => !READS_AND_LOCK.test(l))
      .map((l) => created.reduce((line, c) => line.replaceAll(c.id.slice(0, 12), 'NEW_ID'), l))
      .map((l) => l.replace(/-berth-(new|old)-[0-9a-z]+/g, '-berth-$1-STAMP'))
    // The run logs in and pulls for every accessory of a host before it replaces any (the dry run lists by pair).
    const pullPhase = (l: string) => l.startsWith('docker image pull') || l.includes('docker login')
    const printed = listed.get(host) ?? []
    const inRunOrder =
      verb === 'reboot' && (pairs.get(host) ?? 0) > 1
        ? [...printed.filter(pullPhase), ...printed.filter((l) => !pullPhase(l))]
        : printed
    assert.equal(inRunOrder, sent, `${name}, ${host}`)
  }
  return { dry: dry.stdout, listed }
}

/** db on h1 and h2, cache on h2, behind a registry login: what a dry run must list once per host. */
export const TWO_ON_H2 = {
  service: 'shop',
  image: 'shop/app',
  registry: { server: 'registry.example', username: 'u', password: 'p' },
  accessories: {
    db: { image: NEW, hosts: ['h1', 'h2'], directories: ['data:/var/lib/data'] },
    cache: { image: 'redis:8', host: 'h2' },
  },
}
