// --dry-run on the lab (issue 19): every script with --dry-run, with a deploy lock held and containers
// present, leaves every host exactly as it was (the lock, the audit log, the containers, no engine event);
// and a dry run's verdict and exit code are the run's (a start of a running container is nothing to do).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { engineTime } from '../lab/lab-info.mjs'
import {
  HOST1,
  HOST2,
  HOST3,
  REPO,
  SECRETS,
  berth,
  changeEvents,
  containerOn,
  homeOf,
  hostSnapshot,
  project,
  threeAccessories,
  useLab,
} from './support.ts'

useLab(test)

/** Every script's dry runs, every action: [script (berth's verb), args]. */
const DRY_RUNS: Array<[string, string[]]> = [
  ['boot', ['all', '--dry-run']],
  ['reboot', ['all', '--dry-run']],
  ['reboot', ['all', '--dry-run', '--drifted', '--rolling']],
  ['start', ['all', '--dry-run']],
  ['stop', ['all', '--dry-run']],
  ['restart', ['all', '--dry-run']],
  ['remove', ['all', '--dry-run', '--image', '--directory', '--volumes']],
  ['exec', ['db', '--dry-run', '--', 'sh', '-c', 'touch /tmp/x']],
  ['exec', ['db', '--dry-run', '--new', '--', 'sh', '-c', 'touch /tmp/x']],
  ['logs', ['all', '--dry-run']],
  ['details', ['all', '--dry-run']],
  ['check', ['all', '--dry-run']],
  ['config', ['all', '--dry-run']],
  ['lock', ['status', '--dry-run']],
  ['lock', ['release', '--dry-run']],
  // the tunnel changes nothing on a host and has no dry run: --dry-run is refused (64), before any host is contacted
  ['tunnel', ['db', '--dry-run']],
]

test('every script with --dry-run leaves the hosts as they were: lock held, containers, audit log, no docker events', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['db'], { cwd: dir })).code, 0)
  assert.is((await berth('boot', ['cache'], { cwd: dir })).code, 0)
  assert.is((await berth('stop', ['cache'], { cwd: dir })).code, 0)
  // search is never booted: boot's dry run has something to boot; a Kamal lock is held on the lock host.
  const lockDir = path.join(homeOf(HOST1), '.kamal/lock-shop')
  mkdirSync(lockDir, { recursive: true })
  writeFileSync(
    path.join(lockDir, 'details'),
    `${Buffer.from('Locked by: kamal-user at 2026-01-01T00:00:00Z\nVersion: abc\nMessage: deploy').toString('base64')}\n`,
  )
  // Every script in scripts/ that acts on hosts is in DRY_RUNS.
  const scripts = readdirSync(path.join(REPO, 'scripts')).filter((f) => /^(accessory-.*|lock)\.mjs$/.test(f))
  const covered = new Set(DRY_RUNS.map(([verb]) => (verb === 'lock' ? 'lock.mjs' : `accessory-${verb}.mjs`)))
  assert.equal(
    scripts.filter((s) => !covered.has(s)),
    [],
    'a script without a dry run in this test',
  )

  const hosts = [HOST1, HOST2, HOST3]
  await new Promise((r) => setTimeout(r, 1100)) // docker events have one-second resolution
  const before = await Promise.all(hosts.map(hostSnapshot))
  const since = await Promise.all(hosts.map(engineTime))
  for (const [verb, args] of DRY_RUNS) {
    const r = await berth(verb, args, { cwd: dir })
    // 1 where the run would fail too (start/stop/restart of the never booted `search`)
    const expected = verb === 'tunnel' ? [64] : [0, 1, 2]
    assert.ok(expected.includes(r.code), `${verb} ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`)
    assert.not.match(r.stderr, /unexpected error/)
  }
  await new Promise((r) => setTimeout(r, 1100))
  const until = await Promise.all(hosts.map(engineTime))
  assert.equal(await Promise.all(hosts.map(hostSnapshot)), before)
  for (const [i, host] of hosts.entries()) assert.equal(await changeEvents(host, since[i]!, until[i]!), [], host)
  // The lock is still Kamal's, and still held.
  assert.match((await berth('lock', ['status'], { cwd: dir })).stdout, /Locked by: kamal-user/)
})

test("a dry run's verdict and exit code are the run's: start of a running container, stop of a stopped one, start of a stopped one", async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['cache'], { cwd: dir })).code, 0)
  const id = (await containerOn(HOST3, 'shop-cache'))!.id
  for (const [verb, state] of [
    ['start', 'running'],
    ['stop', 'running'],
    ['stop', 'stopped'],
    ['start', 'stopped'],
  ] as const) {
    const dry = await berth(verb, ['cache', '--dry-run'], { cwd: dir })
    assert.is((await containerOn(HOST3, 'shop-cache'))!.status, state === 'running' ? 'running' : 'exited')
    const real = await berth(verb, ['cache'], { cwd: dir })
    const changes = (verb === 'start') !== (state === 'running')
    if (changes) {
      assert.is(dry.code, 2, dry.stdout + dry.stderr)
      assert.match(dry.stdout, `Would ${verb} accessory \`cache\` on ${HOST3}; run without --dry-run to do it.`)
      assert.is(real.code, 0, real.stdout + real.stderr)
    } else {
      const nothing = `Nothing to do for accessory \`cache\` on ${HOST3}: it is already ${state}.`
      assert.equal([dry.code, real.code], [0, 0], dry.stdout + real.stdout)
      assert.match(dry.stdout, nothing)
      assert.match(real.stdout, nothing)
    }
  }
  assert.is((await containerOn(HOST3, 'shop-cache'))!.id, id)
})

test.run()
