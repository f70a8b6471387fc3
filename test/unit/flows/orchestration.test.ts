// The flows through the real runner (flags, config, lock, report, exit code) with a fake transport: the re-check
// under the lock, the one lock host, the lock released on every path, an engine that does not answer, boot's dry
// run, and start/stop/restart beside a container a reboot set aside. The reboot's own flows: reboot.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FakeFleet } from '../../support/fake-fleet.ts'
import {
  bootedFleet,
  config,
  dryRunAgreesWithRun,
  names,
  NEW,
  OLD,
  projectWith,
  run,
  TWO_ON_H2,
} from '../../support/flow-runs.ts'

test('boot looks again under the lock: a container booted meanwhile by another run is not booted twice', async () => {
  const fleet = new FakeFleet()
  fleet.onCommand = (sent, phase) => {
    // Between the first look and the lock, another run boots db on h1.
    if (phase === 'before' && sent.line.startsWith('mkdir -p .kamal && mkdir'))
      fleet.addContainer('h1', { name: 'shop-db', image: OLD })
  }
  const r = await run('boot', ['db'], fleet, projectWith(config(OLD)))
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /Accessory `db` is running on h1 with the configured image/)
  assert.match(r.stdout, /Booted accessory `db` on h2/)
  assert.is(fleet.lines('h1').filter((l) => l.startsWith('docker run')).length, 0)
  assert.equal([...fleet.host('h1').locks], [])
})

test('one lock host per config: runs with different selections meet the same lock', async () => {
  const fleet = bootedFleet()
  fleet.host('h1').locks.add('.kamal/lock-shop')
  const dir = projectWith(config(NEW, 'redis:8'))
  // cache lives only on h2, but its lock is the config's: on h1.
  const r = await run('reboot', ['cache', '-y'], fleet, dir)
  assert.is(r.code, 1)
  assert.match(r.stderr, /The deploy lock \.kamal\/lock-shop on h1 is held by test since/)
  assert.is(fleet.lines('h2').filter((l) => !l.startsWith('docker ps')).length, 0, 'nothing changed on h2')
  const hostsFlag = await run('reboot', ['db', '-y', '--hosts', 'h2'], fleet, dir)
  assert.is(hostsFlag.code, 1)
  assert.match(hostsFlag.stderr, /lock-shop on h1 is held/)
})

test('an unreachable lock host: said plainly, nothing changed anywhere, and the fix does not name --hosts', async () => {
  const fleet = bootedFleet()
  fleet.host('h1').unreachable = true
  const r = await run('reboot', ['cache', '-y'], fleet, projectWith(config(OLD, 'redis:8')))
  assert.is(r.code, 1)
  assert.match(
    r.stderr,
    /could not take the deploy lock: it lives on h1 \(the first host of the first accessory, `db`, as this config has no servers\)/,
  )
  assert.not.match(r.stderr, /--hosts/)
  assert.equal(names(fleet, 'h2'), ['shop-cache:redis:7:running', `shop-db:${OLD}:running`])
})

test('lock released on every path: done, failed, rolled back, nothing to do, dry run takes none', async () => {
  const cases: Array<[string[], string, 'ok' | 'crash']> = [
    [['db', '-y'], NEW, 'ok'],
    [['db', '-y'], NEW, 'crash'],
    [['db', '-y', '--drifted'], OLD, 'ok'],
    [['db', '--dry-run'], NEW, 'ok'],
  ]
  for (const [args, image, behaviour] of cases) {
    const fleet = bootedFleet()
    fleet.behaviour.set(NEW, behaviour)
    let maxLocks = 0
    fleet.onCommand = () => void (maxLocks = Math.max(maxLocks, fleet.host('h1').locks.size))
    await run('reboot', [...args], fleet, projectWith(config(image)))
    assert.equal([...fleet.host('h1').locks], [], `${args.join(' ')} ${behaviour}`)
    if (args.includes('--dry-run')) assert.is(maxLocks, 0)
  }
  for (const verb of ['start', 'stop', 'restart', 'boot']) {
    const fleet = bootedFleet()
    fleet.host('h2').containers = []
    const r = await run(verb, ['all'], fleet, projectWith(config(OLD)))
    assert.equal([...fleet.host('h1').locks], [], `${verb}: ${r.stdout}`)
  }
})

test('an engine that does not answer is an error for its host, never "missing": nothing is booted or locked', async () => {
  const fleet = bootedFleet()
  fleet.host('h2').engineDown = true
  fleet.host('h2').containers = []
  const dir = projectWith(config(OLD))
  for (const [verb, args] of [
    ['details', ['all']],
    ['boot', ['all']],
    ['boot', ['all', '--dry-run']],
    ['stop', ['all']],
  ] as const) {
    const r = await run(verb, [...args], fleet, dir)
    assert.is(r.code, 1, `${verb}: ${r.stdout}`)
    assert.match(r.stdout, /failed on h2: could not list the containers: .*Cannot connect to the Docker daemon/, verb)
    assert.not.match(r.stdout, /Would boot|has no container|boot it/, verb)
  }
  assert.not.ok(
    fleet.lines().some((l) => l.startsWith('docker run')),
    'nothing booted',
  )
  assert.equal([...new Set(fleet.lines('h2').map((l) => l.slice(0, 12)))], ["sh -c 'ids=$"], 'h2 was only read')
})

test('boot --dry-run lists exactly the commands the boot sends: network and login once per host', async () => {
  const { listed } = await dryRunAgreesWithRun(
    'two accessories on h2',
    () => new FakeFleet(),
    TWO_ON_H2,
    ['all'],
    'boot',
  )
  for (const host of ['h1', 'h2'])
    for (const once of ['docker login', 'docker network create'])
      assert.is(listed.get(host)!.filter((l) => l.includes(once)).length, 1, `one ${once} on ${host}`)
})

test('start/stop/restart with only a set-aside old container: the one fix that applies (the reboot that restores it)', async () => {
  for (const verb of ['start', 'stop', 'restart']) {
    const fleet = bootedFleet()
    fleet.host('h1').containers = []
    fleet.addContainer('h1', {
      name: 'shop-db-berth-old-lx1abc',
      image: OLD,
      state: 'exited',
      labels: { service: 'shop-db' },
    })
    const r = await run(verb, ['db', '--hosts', 'h1'], fleet, projectWith(config(OLD)))
    assert.is(r.code, 1, r.stdout)
    assert.match(
      r.stdout,
      new RegExp(
        `Accessory \`db\` failed on h1: it has no container named shop-db there, so there is nothing to ${verb}\\. ` +
          'An interrupted reboot left shop-db-berth-old-lx1abc \\(stopped\\) there; run `npx zx scripts/accessory-reboot\\.mjs db --hosts h1` to restore',
      ),
      verb,
    )
    assert.not.match(r.stdout, /accessory-boot/, `${verb}: boot would make a second container beside the one set aside`)
    assert.is(fleet.lines('h1').filter((l) => l.startsWith('docker container')).length, 0, `${verb} changed nothing`)
  }
})

test.run()
