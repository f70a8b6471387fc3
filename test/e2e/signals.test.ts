// SIGTERM at three points of a real reboot, and overlapping runs of one accessory-only config: on the lab,
// with the real scripts. Each run must end with the old container or a verified new one serving, the
// lock released, no half-made container left, and exit 143.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { hostDocker } from '../lab/lab-info.mjs'
import {
  HOST1,
  HOST2,
  HOST3,
  assertNothingLeft,
  berth,
  containerOn,
  homeOf,
  image,
  privateTmp,
  project,
  startBerth,
  stallingServer,
  stallingSshd,
  useLab,
  shopConfig,
  type RunResult,
} from './support.ts'

/** Accessory-only: db on HOST1 and HOST2, cache on HOST3. The lock lives on HOST1 (db's first host). */
function config(dbTag: string, cacheTag = '7', dbOptions: Record<string, string> = {}) {
  return shopConfig({
    db: {
      image: image(`postgres:${dbTag}`),
      hosts: [HOST1, HOST2],
      directories: ['data:/var/lib/data'],
      options: dbOptions,
    },
    cache: { image: image(`redis:${cacheTag}`), host: HOST3 },
  })
}

const lockDir = () => path.join(homeOf(HOST1), '.kamal/lock-shop')

async function leftovers(host: string): Promise<string[]> {
  const r = await hostDocker(host, ['ps', '-a', '--format', '{{.Names}}', '--filter', 'label=service=shop-db'])
  return r.stdout.split('\n').filter((n) => n.includes('-berth-'))
}

useLab(test)

// A health check that never passes keeps a reboot in its verification until it is signalled.
const neverHealthy = { 'health-cmd': 'false', 'health-interval': '1s', 'health-start-period': '300s' }

for (const point of [
  { name: 'during the pull', line: /docker image pull /, rolledBack: false },
  { name: 'while docker create runs', line: /docker create --name shop-db-berth-new-/, rolledBack: false },
  { name: 'while the new container is being verified', line: /docker inspect \w{12} --format /, rolledBack: true },
]) {
  test(`SIGTERM ${point.name}: the old container serves again, lock released, nothing half-made, exit 143`, async () => {
    const dir = project(config('16'))
    assert.is((await berth('boot', ['db', '--hosts', HOST1], { cwd: dir })).code, 0)
    const before = await containerOn(HOST1, 'shop-db')
    const { writeFileSync } = await import('node:fs')
    writeFileSync(
      path.join(dir, 'deploy.config.mjs'),
      `export default ${JSON.stringify(config('17', '7', neverHealthy))}\n`,
    )
    // In GitHub Actions: the job summary states the exit the process ends with, and the signal.
    const summary = path.join(dir, 'summary.md')
    const run = startBerth('reboot', ['db', '-y', '-v', '--hosts', HOST1, '--health-timeout', '300'], {
      cwd: dir,
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    })
    await run.stderrLine(point.line)
    run.signal('SIGTERM')
    const r = await run.done
    assert.is(r.code, 143, r.stdout + r.stderr)
    assert.match(r.stdout, /Interrupted by SIGTERM/)
    const written = readFileSync(summary, 'utf8')
    assert.ok(written.startsWith('### berth reboot: exit 143 (interrupted by SIGTERM)\n'), written)
    assert.match(written, /\| db \| 127\.[\d.]+ \| /)
    const after = await containerOn(HOST1, 'shop-db')
    assert.equal(after, { ...before!, status: 'running' }, 'the same old container serves under its name')
    assert.equal(await leftovers(HOST1), [], 'no -berth- container left')
    assert.not.ok(existsSync(lockDir()), 'the lock was released')
    if (point.rolledBack)
      assert.match(
        r.stdout,
        /interrupted by SIGTERM before the new container was verified; rolled back: the old container/,
      )
    // After the signal, only restoring commands (the rollback: put back, look, remove the new container) and the
    // lock release went out.
    const afterSignal = r.stderr.split('\n').slice(r.stderr.split('\n').findIndex((l) => /berth: SIGTERM/.test(l)) + 1)
    for (const line of afterSignal.filter((l) => l.startsWith('['))) {
      assert.match(
        line,
        /^\[[\d.]+\] (docker stop \w{12} 2>\/dev\/null ; docker rename \w{12} shop-db-berth-new-\w+ 2>\/dev\/null ; |docker inspect shop-db --type container |docker container rm --force|rm \.kamal\/lock-shop)/,
        `sent after the signal: ${line}`,
      )
    }
  })
}

test('two overlapping reboots of one accessory-only config with different selections: never both run', async () => {
  const dir = project(config('16'))
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  const { writeFileSync } = await import('node:fs')
  // db becomes healthy after a few seconds, so the first run holds the lock while the second starts.
  const slowHealthy = { 'health-cmd': 'test -f /tmp/up || (sleep 2; touch /tmp/up; false)', 'health-interval': '1s' }
  writeFileSync(
    path.join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify(config('17', '8', slowHealthy))}\n`,
  )
  const all = startBerth('reboot', ['all', '-y', '-v'], { cwd: dir })
  await all.stderrLine(/docker image pull /)
  assert.ok(existsSync(lockDir()), 'the first run holds the lock on HOST1')
  // `cache` lives only on HOST3, yet its run meets the same lock.
  const cache = await berth('reboot', ['cache', '-y'], { cwd: dir })
  assert.is(cache.code, 1, cache.stdout + cache.stderr)
  assert.match(
    cache.stderr,
    /The deploy lock \.kamal\/lock-shop on 127\.\d+\.\d+\.\d+ is held by .* \(accessory-reboot all\)/,
  )
  const hostsRun = await berth('reboot', ['db', '-y', '--hosts', HOST2], { cwd: dir })
  assert.is(hostsRun.code, 1)
  assert.match(hostsRun.stderr, /is held by/)
  const first = await all.done
  assert.is(first.code, 0, first.stdout + first.stderr)
  assert.match(first.stdout, /Rebooted accessory `cache` on/)
  assert.equal((await containerOn(HOST3, 'shop-cache'))?.image, image('redis:8'))
  assert.equal([await leftovers(HOST1), await leftovers(HOST2)], [[], []])
  assert.not.ok(existsSync(lockDir()))
})

/**
 * Runs `verb` on a config whose hosts include one that hangs after its ssh banner, sends `signal` once the
 * handshake is stuck there, and returns the result and how long the exit took after the signal.
 */
async function signalledWhileStalled(
  verb: string,
  args: string[],
  hosts: (stalled: string) => string[],
  signal: 'SIGTERM' | 'SIGINT',
): Promise<{ r: RunResult; seconds: number; tmp: string }> {
  const stall = await stallingSshd({ banner: true })
  try {
    const dir = project({
      service: 'shop',
      image: 'shop/app',
      ssh: { config: stall.configFile },
      accessories: { db: { image: image('postgres:16'), hosts: hosts(stall.host) } },
    })
    const tmp = privateTmp()
    const run = startBerth(verb, args, { cwd: dir, env: { TMPDIR: tmp } })
    // Without the fix the run waits for ssh's keepalives (45 s), ConnectTimeout or the host time limit (60 s):
    // the guard ends it long after the bounds below, so a test fails instead of hanging.
    const guard = setTimeout(() => run.signal('SIGKILL'), 90_000)
    await stall.reached
    await new Promise((resolve) => setTimeout(resolve, 500))
    const signalled = Date.now()
    run.signal(signal)
    const r = await run.done
    clearTimeout(guard)
    return { r, seconds: (Date.now() - signalled) / 1000, tmp }
  } finally {
    await stall.close()
  }
}

test('SIGTERM during check while a host hangs after the ssh banner: report and exit 143 within seconds, nothing left', async () => {
  const { r, seconds, tmp } = await signalledWhileStalled('check', ['db'], (stalled) => [HOST1, stalled], 'SIGTERM')
  assert.is(r.code, 143, r.stdout + r.stderr)
  assert.ok(seconds < 10, `exit ${seconds}s after SIGTERM (bound 10 s)`)
  assert.match(r.stderr, /berth: SIGTERM/)
  // the report is printed: the host that answered, and the interruption
  assert.match(r.stdout, /Interrupted by SIGTERM/)
  assert.ok(r.stdout.includes(HOST1), r.stdout)
  await assertNothingLeft(tmp, r)
})

test('SIGINT during exec while its host hangs after the ssh banner: nothing ran, exit 130 within seconds', async () => {
  const { r, seconds, tmp } = await signalledWhileStalled(
    'exec',
    ['db', '--', 'true'],
    (stalled) => [stalled],
    'SIGINT',
  )
  assert.is(r.code, 130, r.stdout + r.stderr)
  assert.ok(seconds < 10, `exit ${seconds}s after SIGINT (bound 10 s)`)
  assert.match(r.stderr, /not run: the run was interrupted by SIGINT/)
  await assertNothingLeft(tmp, r)
})

test('SIGTERM during check --registry while the registry never answers: report and exit 143 within seconds', async () => {
  const registry = await stallingServer()
  try {
    const dir = project(shopConfig({ db: { image: `${registry.host}:${registry.port}/postgres:16`, hosts: [HOST1] } }))
    const run = startBerth('check', ['db', '--registry'], { cwd: dir })
    const guard = setTimeout(() => run.signal('SIGKILL'), 60_000)
    await registry.reached
    await new Promise((resolve) => setTimeout(resolve, 300))
    const signalled = Date.now()
    run.signal('SIGTERM')
    const r = await run.done
    const seconds = (Date.now() - signalled) / 1000
    clearTimeout(guard)
    assert.is(r.code, 143, r.stdout + r.stderr)
    // without the fix the look-up runs to its own 10 s limit first
    assert.ok(seconds < 5, `exit ${seconds}s after SIGTERM (bound 5 s)`)
    assert.match(r.stdout, /Interrupted by SIGTERM/)
  } finally {
    await registry.close()
  }
})

test.run()
