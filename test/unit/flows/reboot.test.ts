// The reboot through the real runner with a fake transport: pull, create beside, swap, verify; rollback and
// failed pulls, --rolling, signals before and after every step, an interrupted reboot and its recovery, a
// rollback that never deletes the only good container, and the dry run that lists what the run sends.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
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

test('reboot: pull everywhere first, then create beside, swap in one command, verify, remove the old one; lock released', async () => {
  const fleet = bootedFleet()
  const r = await run('reboot', ['db', '-y'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:running`])
  assert.equal(names(fleet, 'h2'), ['shop-cache:redis:7:running', `shop-db:${NEW}:running`])
  const firstCreate = fleet.sent.findIndex((c) => c.line.startsWith('docker create'))
  const lastPull = fleet.sent.map((c) => c.line).lastIndexOf(`docker image pull ${NEW}`)
  assert.ok(lastPull < firstCreate, 'every pull before any create')
  const steps = [
    /^mkdir -p \.kamal && mkdir \.kamal\/lock-shop /,
    /^sh -c 'ids=\$\(docker ps --all --no-trunc --filter label=service --format /,
    /^docker image pull postgres:17$/,
    /^docker network create kamal$/,
    /^mkdir -p shop-db\/data$/,
    /^sh -c .* \.kamal\/apps\/shop\/env\/accessories\/db\.env 600$/,
    /^docker create --name shop-db-berth-new-\w+ /,
    /^docker rename (\w{12}) shop-db-berth-old-\w+ && docker rename (\w{12}) shop-db && docker stop \1 && docker start \2$/,
    /^docker inspect \w{12} --format /,
    /^docker container rm --force \w{12}$/,
    /^mkdir -p \.kamal && printf '%s\\n' '\[[\dTZ:-]+\] \[[^\]]+\] Pull db accessory image' >> \.kamal\/shop-audit\.log && printf '%s\\n' '.* Stopped db accessory' >> .* Remove db accessory container' >> .* Booted db accessory' >> \.kamal\/shop-audit\.log$/,
    /^rm \.kamal\/lock-shop\/details && rm -r \.kamal\/lock-shop$/,
  ]
  const h1 = fleet.lines('h1')
  assert.is(h1.length, steps.length, h1.join('\n'))
  steps.forEach((step, i) => assert.match(h1[i]!, step))
  assert.equal([...fleet.host('h1').locks], [])
})

test('reboot: a new container that crashes is rolled back; the old one runs again under its name (exit 1)', async () => {
  const fleet = bootedFleet()
  fleet.behaviour.set(NEW, 'crash')
  const r = await run('reboot', ['db', '-y', '--hosts', 'h2'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1, r.stdout)
  assert.match(
    r.stdout,
    /the new container did not stay up \(exited\); rolled back: the old container \(postgres:16\) runs again\./,
  )
  assert.equal(names(fleet, 'h2'), ['shop-cache:redis:7:running', `shop-db:${OLD}:running`])
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`], 'h1 was not selected')
  assert.equal([...fleet.host('h1').locks], [])
})

test('reboot: an unhealthy new container is rolled back too', async () => {
  const fleet = bootedFleet()
  fleet.behaviour.set(NEW, 'unhealthy')
  const r = await run('reboot', ['db', '-y'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(r.stdout, /the new container reported unhealthy; rolled back/)
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
})

test('reboot: a pull that fails on one host leaves every host of that accessory untouched; others go on', async () => {
  const fleet = bootedFleet()
  fleet.onCommand = (sent, phase) => {
    if (phase === 'before' && sent.host === 'h2' && sent.line === `docker image pull ${NEW}`) fleet.unpullable.add(NEW)
  }
  const r = await run('reboot', ['all', '-y'], fleet, projectWith(config(NEW, 'redis:8')))
  assert.is(r.code, 1, r.stdout)
  assert.match(
    r.stdout,
    /Accessory `db` failed on h2: could not pull postgres:17: .*Nothing was stopped: the old container still runs\./,
  )
  assert.match(
    r.stdout,
    /Accessory `db` was not touched on h1: the image could not be pulled on h2, so no host of `db` was rebooted\./,
  )
  assert.match(r.stdout, /Rebooted accessory `cache` on h2 \(redis:7 → redis:8\)\./)
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
  assert.not.ok(
    fleet.lines().some((l) => l.startsWith('docker create --name shop-db')),
    'no db container was created',
  )
})

test('reboot --rolling stops at the first failed host; later hosts are not attempted', async () => {
  const fleet = bootedFleet()
  fleet.behaviour.set(NEW, 'crash')
  const r = await run('reboot', ['db', '-y', '--rolling'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(r.stdout, /Accessory `db` was not touched on h2: --rolling stopped at the first failed host \(h1\)/)
  assert.not.ok(
    fleet.lines('h2').some((l) => l.startsWith('docker create')),
    'h2 was never touched',
  )
  assert.equal(names(fleet, 'h2'), ['shop-cache:redis:7:running', `shop-db:${OLD}:running`])
})

/** Every command of a one-host reboot, each a point where a signal can arrive. */
async function rebootPoints(): Promise<string[]> {
  const fleet = bootedFleet()
  await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  return fleet.lines('h1')
}

for (const phase of ['before', 'after'] as const) {
  test(`a SIGTERM ${phase === 'before' ? 'while each step of a reboot runs' : 'right after each step of a reboot'}: old or verified new container runs, lock released, no new step, exit 143`, async () => {
    const points = await rebootPoints()
    assert.ok(points.length >= 9, points.join('\n'))
    for (const [at] of points.entries()) {
      const fleet = bootedFleet()
      let signalledAt = -1
      fleet.onCommand = (_sent, p, index) => {
        if (p === phase && index === at && signalledAt < 0) {
          signalledAt = index
          process.emit('SIGTERM', 'SIGTERM')
        }
      }
      const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
      const where = `signal ${phase} ${points[at]}`
      assert.is(r.code, 143, `${where}\n${r.stdout}${r.stderr}`)
      // A signal during the lock's release comes after the report was printed.
      if (!points[at]!.startsWith('rm .kamal/lock-shop')) assert.match(r.stdout, /Interrupted by SIGTERM/, where)
      const h1 = fleet.host('h1')
      assert.equal([...h1.locks], [], `${where}: lock released`)
      const serving = h1.containers.filter((c) => c.name === 'shop-db')
      assert.is(serving.length, 1, `${where}: ${names(fleet, 'h1')}`)
      const rebooted = r.stdout.includes('Rebooted accessory `db` on h1')
      assert.equal(
        [serving[0]!.image, serving[0]!.state],
        [rebooted ? NEW : OLD, 'running'],
        `${where}: ${names(fleet, 'h1')}\n${r.stdout}`,
      )
      assert.not.ok(
        h1.containers.some((c) => c.name.includes('-berth-new-')),
        `${where}: no half-made container`,
      )
      // After the signal only commands that restore a host (the rollback: put back, look, remove the new
      // container) or release the lock were sent.
      const after = fleet.lines().slice(signalledAt + 1)
      // (and the audit line recording a change already made)
      for (const line of after)
        assert.match(
          line,
          /^(docker stop \w{12} 2>\/dev\/null ; docker rename \w{12} shop-db-berth-new-\w+ 2>\/dev\/null ; |docker inspect shop-db --type container |docker container rm --force|rm \.kamal\/lock-shop|mkdir -p \.kamal && printf )/,
          `${where}: sent after the signal: ${line}`,
        )
    }
  })
}

test('a SIGTERM during the pulls: no pull starts on another host after it, nothing is stopped', async () => {
  const fleet = bootedFleet()
  let signalled = false
  fleet.onCommand = (sent, phase) => {
    if (phase === 'before' && sent.line.startsWith('docker image pull') && !signalled) {
      signalled = true
      process.emit('SIGTERM', 'SIGTERM')
    }
  }
  const r = await run('reboot', ['all', '-y'], fleet, projectWith(config(NEW, 'redis:8')))
  assert.is(r.code, 143)
  assert.ok(fleet.lines().filter((l) => l.startsWith('docker image pull')).length <= 2, 'only pulls already in flight')
  assert.not.ok(fleet.lines().some((l) => l.startsWith('docker create') || l.startsWith('docker stop')))
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
})

/** h1 as a SIGKILL mid-swap leaves it: the old container renamed aside and stopped, the new one never started. */
function interruptedFleet(): FakeFleet {
  const fleet = bootedFleet()
  const h1 = fleet.host('h1')
  h1.containers = []
  fleet.addContainer('h1', {
    name: 'shop-db-berth-old-lx1abc',
    image: OLD,
    state: 'exited',
    labels: { service: 'shop-db' },
  })
  fleet.addContainer('h1', {
    name: 'shop-db-berth-new-lx1abc',
    image: NEW,
    state: 'created',
    labels: { service: 'shop-db' },
  })
  return fleet
}

test('after an interrupted reboot: boot does not boot anew, names the leftovers and the reboot that restores (exit 2)', async () => {
  const fleet = interruptedFleet()
  const r = await run('boot', ['db'], fleet, projectWith(config(OLD)))
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.match(
    r.stdout,
    /has no container named shop-db on h1; run `npx zx scripts\/accessory-reboot\.mjs db --hosts h1` to restore it\. An interrupted reboot left shop-db-berth-old-lx1abc \(stopped\), shop-db-berth-new-lx1abc \(created\) there/,
  )
  assert.not.ok(fleet.lines('h1').some((l) => l.startsWith('docker run')))
})

test('the next reboot recovers: the old container gets its name back and runs; stale temporary ones go', async () => {
  const fleet = interruptedFleet()
  const r = await run('reboot', ['db', '-y', '--drifted'], fleet, projectWith(config(OLD)))
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(
    r.stdout,
    /Restored accessory `db` on h1 after an interrupted reboot \(renamed shop-db-berth-old-lx1abc \(postgres:16\) back to shop-db and started it; removed shop-db-berth-new-lx1abc\)\./,
  )
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
})

test('a recovering reboot to a new image restores first, then replaces as usual', async () => {
  const fleet = interruptedFleet()
  const r = await run('reboot', ['db', '-y', '--drifted', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /Rebooted accessory `db` on h1 \(postgres:16 → postgres:17\)\./)
  assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:running`])
})

// A rollback never deletes the only good container (issue 18.4): the old container is removed by hand at each
// point of the swap and the verification, and the final state always has a container under the accessory's name
// (running when the new one can run), with a message that says what the host showed afterwards.
const oldId = (fleet: FakeFleet) =>
  fleet
    .host('h1')
    .containers.find((c) => c.name === 'shop-db')!
    .id.slice(0, 12)

const removeOld = (fleet: FakeFleet, id: string) =>
  void (fleet.host('h1').containers = fleet.host('h1').containers.filter((c) => !c.id.startsWith(id)))

const KEPT_NEW =
  /the old container \(postgres:16\) is gone \(removed while the reboot ran\), so the new container \(postgres:17\) was kept under the name shop-db and started: it runs\./

for (const [where, words] of [
  ['before the swap renames it aside', (w: string[], id: string) => w[1] === 'rename' && w[2] === id],
  ['after it was renamed aside, before it is stopped', (w: string[], id: string) => w[1] === 'stop' && w[2] === id],
] as const) {
  test(`rollback: the old container removed by hand ${where}: the new one is kept under the name and runs`, async () => {
    const fleet = bootedFleet()
    const id = oldId(fleet)
    fleet.onDocker = (host, w) => {
      if (host === 'h1' && words(w, id)) removeOld(fleet, id)
    }
    const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
    assert.is(r.code, 1, r.stdout + r.stderr)
    assert.match(r.stdout, /could not swap the containers: .*No such container/)
    assert.match(r.stdout, KEPT_NEW)
    assert.not.match(r.stdout, /rolled back/)
    assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:running`])
  })
}

/** A reboot on h1 whose new container behaves so; the old container is removed by hand while it is verified. */
async function rebootRemovingOldDuringVerification(behaviour: 'unhealthy' | 'crash') {
  const fleet = bootedFleet()
  fleet.behaviour.set(NEW, behaviour)
  const id = oldId(fleet)
  fleet.onCommand = (sent, phase) => {
    if (phase === 'before' && sent.host === 'h1' && /^docker inspect \w{12} --format /.test(sent.line))
      removeOld(fleet, id)
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  return { fleet, r }
}

test('rollback: the old container removed by hand during the verification, which fails: the new one is kept', async () => {
  const { fleet, r } = await rebootRemovingOldDuringVerification('unhealthy')
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(r.stdout, /the new container reported unhealthy; the old container \(postgres:16\) is gone/)
  assert.match(r.stdout, KEPT_NEW)
  assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:running`])
})

test('rollback: a new container that crashes, with the old one gone: kept, and said to be exited, not "back"', async () => {
  const { fleet, r } = await rebootRemovingOldDuringVerification('crash')
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /so the new container \(postgres:17\) was kept under the name shop-db, but it is exited: read `docker logs shop-db` on h1 and fix the cause\./,
  )
  assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:exited`])
})

test('rollback: a stopped old container removed by hand before the swap: the new one is kept and started', async () => {
  const fleet = bootedFleet()
  fleet.host('h1').containers[0]!.state = 'exited'
  const id = oldId(fleet)
  fleet.onDocker = (host, w) => {
    if (host === 'h1' && w[1] === 'rename' && w[2] === id) removeOld(fleet, id)
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(r.stdout, KEPT_NEW)
  assert.not.match(r.stdout, /stopped as it was/)
  assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:running`])
})

test('rollback: the new container removed by hand (docker rm -f shop-db) after the swap: the old one runs again', async () => {
  const fleet = bootedFleet()
  let removals = 0
  fleet.onCommand = (sent, phase) => {
    if (phase === 'before' && sent.host === 'h1' && /^docker inspect \w{12} --format /.test(sent.line) && !removals++)
      fleet.host('h1').containers = fleet.host('h1').containers.filter((c) => c.name !== 'shop-db')
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /the new container is gone \(removed while the reboot ran\); rolled back: the old container \(postgres:16\) runs again\./,
  )
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
})

test('rollback: the new container cannot start (gone before its start): the old one gets its name back and runs', async () => {
  const fleet = bootedFleet()
  fleet.onDocker = (host, w) => {
    if (
      host === 'h1' &&
      w[1] === 'start' &&
      fleet.host('h1').containers.find((c) => c.id.startsWith(w[2]!))?.image === NEW
    )
      fleet.host('h1').containers = fleet.host('h1').containers.filter((c) => c.image !== NEW)
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /could not swap the containers: .*; rolled back: the old container \(postgres:16\) runs again\./,
  )
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
})

test('rollback: a stopped old container is put back stopped, and the message says so because the host shows it', async () => {
  const fleet = bootedFleet()
  fleet.host('h1').containers[0]!.state = 'exited'
  fleet.behaviour.set(NEW, 'crash')
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(r.stdout, /rolled back: the old container \(postgres:16\) is back, stopped as it was\./)
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:exited`])
})

test('rollback: both containers removed by hand: said plainly, with the reboot that creates it again', async () => {
  const fleet = bootedFleet()
  fleet.behaviour.set(NEW, 'crash')
  fleet.onCommand = (sent, phase) => {
    if (phase === 'before' && sent.host === 'h1' && /^docker inspect \w{12} --format /.test(sent.line))
      fleet.host('h1').containers = []
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /the old container \(postgres:16\) is gone \(removed while the reboot ran\), and so is the new one: no container is named shop-db on h1 now; run the reboot again to create it\./,
  )
})

test('the old container removed by hand after a verified swap: rebooted, and its removal is not said to have failed', async () => {
  const fleet = bootedFleet()
  const id = oldId(fleet)
  fleet.onCommand = (sent, phase) => {
    if (phase === 'before' && sent.host === 'h1' && sent.line === `docker container rm --force ${id}`)
      removeOld(fleet, id)
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 0, r.stdout)
  assert.match(
    r.stdout,
    /Rebooted accessory `db` on h1 \(postgres:16 → postgres:17\); the old container was already gone: it was removed while the reboot ran\./,
  )
  assert.not.match(r.stdout, /kept/)
  assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:running`])
})

test('a SIGTERM during the verification with the old container gone: the new one is kept and started', async () => {
  const fleet = bootedFleet()
  const id = oldId(fleet)
  fleet.onCommand = (sent, phase) => {
    if (phase === 'before' && sent.host === 'h1' && /^docker inspect \w{12} --format /.test(sent.line)) {
      removeOld(fleet, id)
      process.emit('SIGTERM', 'SIGTERM')
    }
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)), 1000)
  assert.is(r.code, 143, r.stdout)
  assert.match(r.stdout, /interrupted by SIGTERM before the new container was verified; the old container/)
  assert.match(r.stdout, KEPT_NEW)
  assert.equal(names(fleet, 'h1'), [`shop-db:${NEW}:running`])
  assert.equal([...fleet.host('h1').locks], [])
})

test('reboot --dry-run lists exactly the changing commands the run sends, host by host, in order', async () => {
  const { listed } = await dryRunAgreesWithRun('registry login, two accessories on h2', bootedFleet, TWO_ON_H2, ['all'])
  for (const host of ['h1', 'h2'])
    assert.is(listed.get(host)!.filter((l) => l.includes('docker login')).length, 1, `one login on ${host}`)

  await dryRunAgreesWithRun(
    'no network to create, one host',
    bootedFleet,
    {
      service: 'shop',
      image: 'shop/app',
      accessories: { db: { image: NEW, host: 'h1', network: 'bridge', directories: ['a:/a', 'b:/b'] } },
    },
    ['db'],
  )

  const missingOnH1 = () => {
    const fleet = bootedFleet()
    fleet.host('h1').containers = []
    return fleet
  }
  await dryRunAgreesWithRun('a missing accessory, and one to replace', missingOnH1, config(NEW), ['db'])
  await dryRunAgreesWithRun('after an interrupted reboot', interruptedFleet, config(NEW), ['db'])
  await dryRunAgreesWithRun('after an interrupted reboot, --drifted', interruptedFleet, config(NEW), [
    'db',
    '--drifted',
  ])
})

test('reboot --dry-run with files: uploads listed as sent (stdin named by size), same as the run', async () => {
  const setup = bootedFleet
  const cfg = {
    service: 'shop',
    image: 'shop/app',
    accessories: { db: { image: NEW, hosts: ['h1', 'h2'], files: ['conf/my.cnf:/etc/my.cnf'] } },
  }
  const dir = projectWith(cfg)
  mkdirSync(path.join(dir, 'conf'))
  writeFileSync(path.join(dir, 'conf/my.cnf'), '[mysqld]\n')
  const dry = await run('reboot', ['db', '--dry-run'], setup(), dir)
  assert.match(dry.stdout, /sh -c .*shop-db\/etc\/my\.cnf.* {2}# stdin: 9 bytes, not shown/)
  const fleet = setup()
  const r = await run('reboot', ['db', '-y'], fleet, dir)
  assert.is(r.code, 0, r.stdout)
  const uploads = fleet.lines().filter((l) => l.startsWith('sh -c') && l.includes('shop-db/etc/my.cnf'))
  assert.is(uploads.length, 2, 'one upload per host')
  for (const line of uploads) assert.ok(dry.stdout.includes(line), line)
})

test('reboot --dry-run of a missing accessory never starts a temporary name: it starts what docker create printed', async () => {
  const fleet = bootedFleet()
  fleet.host('h1').containers = []
  const r = await run('reboot', ['db', '--dry-run', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 2, r.stdout)
  assert.match(r.stdout, /docker create --name shop-db-berth-new-STAMP .* {2}# prints NEW_ID\n/)
  assert.match(r.stdout, /\n {4}docker rename NEW_ID shop-db && docker start NEW_ID\n/)
  assert.not.match(r.stdout, /docker start shop-db-berth-new-STAMP/)
})

test('rollback: a host that cannot be reached after the failure: nothing is removed blindly, and that is said', async () => {
  const fleet = bootedFleet()
  fleet.behaviour.set(NEW, 'crash')
  fleet.onCommand = (sent, phase) => {
    if (phase === 'after' && sent.host === 'h1' && /^docker inspect \w{12} --format /.test(sent.line))
      fleet.host('h1').unreachable = true
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /the new container did not stay up \(exited\); berth could not look at h1 after rolling back \(.*Connection refused.*\); check `docker ps -a --filter label=service=shop-db` on h1\./,
  )
  fleet.host('h1').unreachable = false
  assert.equal(names(fleet, 'h1').length, 2, 'both containers are still there')
})

test('rollback of a new container its restart policy keeps restarting: stopped, then the old one runs again', async () => {
  const fleet = bootedFleet()
  fleet.behaviour.set(NEW, 'crash-loop')
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /the new container did not stay up \(restarting\); rolled back: the old container \(postgres:16\) runs again\./,
  )
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
})

test('a new container caught being removed by hand during the verification: said so, and the old one runs again', async () => {
  const fleet = bootedFleet()
  let caught = 0
  fleet.onCommand = (sent, phase) => {
    const h1 = fleet.host('h1')
    if (phase !== 'before' || sent.host !== 'h1') return
    if (/^docker inspect \w{12} --format /.test(sent.line) && !caught++)
      h1.containers.find((c) => c.image === NEW)!.state = 'removing'
    else if (caught) h1.containers = h1.containers.filter((c) => c.state !== 'removing')
  }
  const r = await run('reboot', ['db', '-y', '--hosts', 'h1'], fleet, projectWith(config(NEW)))
  assert.is(r.code, 1)
  assert.match(
    r.stdout,
    /the new container is being removed \(by hand, while the reboot ran\); rolled back: the old container \(postgres:16\) runs again\./,
  )
  assert.not.match(r.stdout, /its last output/)
  assert.equal(names(fleet, 'h1'), [`shop-db:${OLD}:running`])
})

test.run()
