// A dry run says what the run would do (issue 19): for each lifecycle verb and container state, the dry
// run's verdict and exit code are the run's (a change is `planned`, exit 2, where the run does it and exits
// 0); the dry run sends nothing that changes a host. And lock.mjs: release --dry-run releases nothing.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { FakeFleet, type FakeContainer } from '../../support/fake-fleet.ts'
import { runWithFleet } from '../../support/run-script.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'berth-dry-run-'))
writeFileSync(
  path.join(dir, 'deploy.config.mjs'),
  `export default ${JSON.stringify({ service: 'shop', image: 'shop/app', accessories: { db: { image: 'postgres:16', host: 'h1' } } })}\n`,
)

const STATES: Record<string, Array<Partial<FakeContainer> & { name: string; image: string }>> = {
  running: [{ name: 'shop-db', image: 'postgres:16' }],
  stopped: [{ name: 'shop-db', image: 'postgres:16', state: 'exited' }],
  paused: [{ name: 'shop-db', image: 'postgres:16', state: 'paused' }],
  created: [{ name: 'shop-db', image: 'postgres:16', state: 'created' }],
  missing: [],
  'leftover-only': [
    { name: 'shop-db-berth-old-1a2b3c', image: 'postgres:16', state: 'exited', labels: { service: 'shop-db' } },
  ],
}

function fleetIn(state: string): FakeFleet {
  const fleet = new FakeFleet()
  fleet.host('h1')
  for (const c of STATES[state]!) fleet.addContainer('h1', c)
  return fleet
}

const snapshot = (fleet: FakeFleet) =>
  JSON.stringify({ containers: fleet.host('h1').containers, locks: [...fleet.host('h1').locks] })

/** Commands that only read: the inspection, and the lock's status. */
const READS = /^sh -c '(ids=\$\(docker ps|\{ \[ -e "\$1" \] \|\| \[ -L "\$1" \]; \} \|\| exit 3;)/

async function outcome(verb: string, args: string[], fleet: FakeFleet) {
  const r = await runWithFleet(verb, [...args, '--json'], { cwd: dir, fleet })
  const doc = JSON.parse(r.stdout) as { exitCode: number; entries: Array<{ outcome: string }> }
  assert.is(doc.exitCode, r.code)
  return { code: r.code, outcome: doc.entries.map((e) => e.outcome).join(','), stderr: r.stderr }
}

const CHANGED = new Set(['started', 'stopped_on_request', 'restarted', 'removed'])

for (const verb of ['start', 'stop', 'restart', 'remove']) {
  for (const state of Object.keys(STATES)) {
    test(`${verb} on a ${state} container: the dry run's verdict and exit code are the run's; it changes nothing`, async () => {
      const dryFleet = fleetIn(state)
      const before = snapshot(dryFleet)
      const dry = await outcome(verb, ['db', '--dry-run'], dryFleet)
      assert.is(snapshot(dryFleet), before, 'the dry run changed nothing')
      for (const line of dryFleet.lines()) assert.match(line, READS, `the dry run sent ${line}`)
      const realFleet = fleetIn(state)
      const realBefore = snapshot(realFleet)
      const real = await outcome(verb, ['db', ...(verb === 'remove' ? ['-y'] : [])], realFleet)
      // What the run changed: the containers' states (a restart changes the process, not the state).
      const changed = CHANGED.has(real.outcome) && (snapshot(realFleet) !== realBefore || verb === 'restart')
      if (changed) {
        assert.equal(
          [dry.outcome, dry.code, real.code],
          ['planned', 2, 0],
          `${verb} ${state}: ${JSON.stringify({ dry, real })}`,
        )
      } else {
        assert.equal(
          [dry.outcome, dry.code],
          [real.outcome, real.code],
          `${verb} ${state}: ${JSON.stringify({ dry, real })}`,
        )
      }
    })
  }
}

test('a start of a running container and a stop of a stopped one send nothing and say so, dry or not (exit 0)', async () => {
  for (const [verb, state] of [
    ['start', 'running'],
    ['stop', 'stopped'],
  ] as const) {
    for (const flags of [['--dry-run'], []]) {
      const fleet = fleetIn(state)
      const r = await runWithFleet(verb, ['db', ...flags], { cwd: dir, fleet })
      assert.is(r.code, 0, r.stdout + r.stderr)
      assert.match(r.stdout, `Nothing to do for accessory \`db\` on h1: it is already ${state}.`)
      assert.equal(
        fleet.lines().filter((l) => !READS.test(l)),
        [],
        'no docker command, no lock, no audit line',
      )
    }
  }
})

test('lock.mjs release --dry-run names the lock it would release and leaves it (exit 2); status --dry-run reads', async () => {
  const fleet = new FakeFleet()
  fleet.addContainer('h1', { name: 'shop-db', image: 'postgres:16' })
  fleet.host('h1').locks.add('.kamal/lock-shop')
  const dry = await runWithFleet('lock', ['release', '--dry-run'], { cwd: dir, fleet })
  assert.is(dry.code, 2, dry.stdout + dry.stderr)
  assert.match(
    dry.stdout,
    'Would release the deploy lock .kamal/lock-shop on h1 (Locked by: test at 2026-01-01T00:00:00Z; ',
  )
  assert.match(dry.stdout, 'rm .kamal/lock-shop/details && rm -r .kamal/lock-shop')
  assert.ok(fleet.host('h1').locks.has('.kamal/lock-shop'), 'the lock is still held')
  assert.is((await runWithFleet('lock', ['status', '--dry-run'], { cwd: dir, fleet })).code, 0)
  for (const line of fleet.lines()) assert.match(line, READS, line)
  const released = await runWithFleet('lock', ['release'], { cwd: dir, fleet })
  assert.is(released.code, 0, released.stdout + released.stderr)
  assert.not.ok(fleet.host('h1').locks.has('.kamal/lock-shop'))
  const none = await runWithFleet('lock', ['release', '--dry-run'], { cwd: dir, fleet })
  assert.equal([none.code, none.stdout], [0, 'No deploy lock .kamal/lock-shop on h1.\n'])
})

test('lock.mjs with no action names the lock actions (64), not accessories', async () => {
  const r = await runWithFleet('lock', [], { cwd: dir, fleet: new FakeFleet() })
  assert.is(r.code, 64)
  assert.match(r.stderr, 'Name a lock action: `status` (show the deploy lock) or `release` (remove it).')
  assert.not.match(r.stderr, /accessory/)
})

test.run()
