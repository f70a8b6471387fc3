// `--shard K/N` through the real runner with a fake fleet: parsed once (bad values are 64 with a sentence),
// taken by check and details only (every other verb refuses it, 64, saying why, before any host is contacted),
// each shard reads only its hosts, the shards together read every host once, and an empty shard is exit 0.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Ajv } from 'ajv'
import { VERBS } from '../../../lib/cli/verbs.ts'
import { helpText } from '../../../lib/cli/verb-options.ts'
import { FakeFleet } from '../../support/fake-fleet.ts'
import { runWithFleet } from '../../support/run-script.ts'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/check.schema.json', import.meta.url), 'utf8'))
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)

const HOSTS = ['h1', 'h2', 'h3', 'h4', 'h5']

/** db on five hosts, cache on two of them; every container running the configured image. */
function project(): { dir: string; fleet: FakeFleet } {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-shard-'))
  const config = {
    service: 'shop',
    image: 'shop/app',
    accessories: { db: { image: 'postgres:16', hosts: HOSTS }, cache: { image: 'redis:7', hosts: ['h4', 'h2'] } },
  }
  writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(config)}\n`)
  const fleet = new FakeFleet()
  for (const host of HOSTS) fleet.addContainer(host, { name: 'shop-db', image: 'postgres:16' })
  for (const host of ['h2', 'h4']) fleet.addContainer(host, { name: 'shop-cache', image: 'redis:7' })
  return { dir, fleet }
}

const contacted = (fleet: FakeFleet) => [...new Set(fleet.sent.map((c) => c.host))].sort()

test('bad --shard values are usage errors (64) saying what K/N takes, before any host is contacted', async () => {
  for (const value of ['0/2', '3/2', '1/0', '2', '1/2/3', 'a/b', '1.5/2', '-1/2', '0x1/2', '1e1/20', '', '1 /2']) {
    const { dir, fleet } = project()
    const r = await runWithFleet('check', ['all', `--shard=${value}`], { cwd: dir, fleet })
    assert.is(r.code, 64, `${value}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, /--shard takes K\/N, shard K of N with 1 ≤ K ≤ N/, value)
    assert.is(fleet.sent.length, 0, value)
  }
})

test('every verb but check and details refuses --shard (64), saying why, and contacts no host', async () => {
  const why: Record<string, RegExp> = {
    boot: /accessory-boot changes hosts under Kamal's deploy lock, which one run per config takes/,
    reboot: /accessory-reboot changes hosts under Kamal's deploy lock/,
    start: /accessory-start changes hosts/,
    stop: /accessory-stop changes hosts/,
    restart: /accessory-restart changes hosts/,
    remove: /accessory-remove changes hosts/,
    logs: /accessory-logs prints lines for a person/,
    exec: /accessory-exec runs whatever command you give/,
    config: /accessory-config contacts no host/,
    lock: /lock acts on the one deploy lock/,
    tunnel: /accessory-tunnel forwards ports of one accessory on one host/,
  }
  assert.equal(
    Object.keys(why).sort(),
    Object.keys(VERBS)
      .filter((v) => v !== 'check' && v !== 'details')
      .sort(),
  )
  for (const [verb, reason] of Object.entries(why)) {
    const { dir, fleet } = project()
    const target = verb === 'lock' ? 'status' : 'all'
    const r = await runWithFleet(verb, [target, '--shard', '1/2', '--', 'true'], { cwd: dir, fleet })
    assert.is(r.code, 64, `${verb}: ${r.stderr}`)
    assert.match(r.stderr, reason, verb)
    assert.match(r.stderr, /run it once, without --shard\./, verb)
    assert.is(fleet.sent.length, 0, verb)
    assert.not.match(helpText(VERBS[verb]!), /--shard/, `${verb}'s --help does not offer --shard`)
  }
  for (const verb of ['check', 'details']) assert.match(helpText(VERBS[verb]!), /--shard K\/N/)
})

test('check --shard K/N reads only its hosts; the shards read every host once; the document says which shard', async () => {
  const seen: string[][] = []
  let results = 0
  for (const index of [1, 2, 3]) {
    const { dir, fleet } = project()
    const r = await runWithFleet('check', ['all', '--shard', `${index}/3`, '--json'], { cwd: dir, fleet })
    const doc = JSON.parse(r.stdout)
    assert.ok(validate(doc) as boolean, JSON.stringify(validate.errors))
    assert.is(r.code, 0, r.stderr)
    assert.equal(doc.shard, { index, count: 3 })
    assert.equal([...new Set(doc.results.map((x: { host: string }) => x.host))].sort(), contacted(fleet))
    seen.push(contacted(fleet))
    results += doc.results.length
  }
  assert.equal(seen.flat().sort(), HOSTS)
  assert.is(results, 7, 'every accessory × host once')
})

test('details --shard: the document says which shard; without --shard neither document has the member', async () => {
  const { dir, fleet } = project()
  const sharded = JSON.parse(
    (await runWithFleet('details', ['all', '--shard', '2/2', '--json'], { cwd: dir, fleet })).stdout,
  )
  assert.equal(sharded.shard, { index: 2, count: 2 })
  for (const verb of ['details', 'check']) {
    const plain = JSON.parse((await runWithFleet(verb, ['all', '--json'], { cwd: dir, fleet })).stdout)
    assert.not.ok('shard' in plain, verb)
  }
})

test('a shard that holds no host (more shards than hosts) is exit 0 with a sentence, and a valid empty document', async () => {
  const counts = await Promise.all(
    Array.from({ length: 7 }, async (_, i) => {
      const { dir, fleet } = project()
      const r = await runWithFleet('check', ['all', '--shard', `${i + 1}/7`, '--json'], { cwd: dir, fleet })
      assert.is(r.code, 0, r.stderr)
      const doc = JSON.parse(r.stdout)
      assert.ok(validate(doc) as boolean, JSON.stringify(validate.errors))
      assert.equal(doc.shard, { index: i + 1, count: 7 })
      return { results: doc.results.length, contacted: fleet.sent.length }
    }),
  )
  assert.is(counts.filter((c) => c.results === 0).length, 2)
  assert.ok(
    counts.every((c) => (c.results === 0) === (c.contacted === 0)),
    'an empty shard contacts no host',
  )
  const empty = counts.findIndex((c) => c.results === 0) + 1
  const { dir, fleet } = project()
  const text = await runWithFleet('check', ['all', '--shard', `${empty}/7`], { cwd: dir, fleet })
  assert.is(text.code, 0)
  assert.is(
    text.stdout,
    `Shard ${empty}/7 holds none of the 5 selected hosts (7 shards split them, so 2 hold none), so there is nothing to do.\n`,
  )
})

test('--shard narrows after --hosts: it splits the hosts the other flags selected', async () => {
  const { dir, fleet } = project()
  const a = await runWithFleet('check', ['db', '--hosts', 'h1,h2,h3', '--shard', '1/2', '--json'], { cwd: dir, fleet })
  const b = await runWithFleet('check', ['db', '--hosts', 'h1,h2,h3', '--shard', '2/2', '--json'], { cwd: dir, fleet })
  const hosts = [a, b].flatMap((r) => JSON.parse(r.stdout).results.map((x: { host: string }) => x.host))
  assert.equal(hosts.sort(), ['h1', 'h2', 'h3'])
})

test.run()
