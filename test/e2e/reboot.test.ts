import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { hostDocker } from '../lab/lab-info.mjs'
import {
  HOST1,
  HOST2,
  HOST3,
  berth,
  containerOn,
  homeOf,
  image,
  onTerminal,
  useLab,
  writeConfig,
  bootedProject,
  shopConfig,
  startBerth,
} from './support.ts'

/** `db` on the given hosts with a directory and a named volume, and `cache` on HOST3. */
function config(
  dbTag: string,
  options: { hosts?: string[]; cmd?: string; cacheTag?: string; options?: Record<string, string> } = {},
) {
  return shopConfig({
    db: {
      image: image(`postgres:${dbTag}`),
      hosts: options.hosts ?? [HOST1, HOST2],
      env: { secret: ['DB_PASSWORD'] },
      directories: ['data:/var/lib/data'],
      volumes: ['shop-db-volume:/volume'],
      ...(options.cmd ? { cmd: options.cmd } : {}),
      ...(options.options ? { options: options.options } : {}),
    },
    cache: { image: image(`redis:${options.cacheTag ?? '7'}`), host: HOST3 },
  })
}

const bootedShop = (options: { hosts?: string[] } = {}) =>
  bootedProject(config('16', options), { '.kamal/secrets': 'DB_PASSWORD=first\n' })

useLab(test)

test('reboot to a new image keeps name, labels, directory and named volume data, and rewrites the env file', async () => {
  const dir = await bootedShop()
  // Data written by the old container, in its bind-mounted directory and in its named volume.
  assert.is(
    (
      await hostDocker(HOST1, [
        'exec',
        'shop-db',
        'sh',
        '-c',
        'echo dir-data > /var/lib/data/f && echo vol-data > /volume/f',
      ])
    ).exitCode,
    0,
  )
  writeConfig(dir, config('17'))
  writeFileSync(path.join(dir, '.kamal/secrets'), 'DB_PASSWORD=rotated\n')
  const r = await berth('reboot', ['db', '-y'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.ok(
    r.stdout.includes(`Rebooted accessory \`db\` on ${HOST1} (${image('postgres:16')} → ${image('postgres:17')}).`),
    r.stdout,
  )
  for (const host of [HOST1, HOST2]) {
    const c = await containerOn(host, 'shop-db')
    assert.equal(c && [c.image, c.status], [image('postgres:17'), 'running'], host)
    const labelled = await hostDocker(host, ['ps', '-aq', '--filter', 'label=service=shop-db'])
    assert.is(labelled.stdout.trim().split('\n').length, 1, `one container left on ${host}`)
  }
  const files = await hostDocker(HOST1, [
    'exec',
    'shop-db',
    'sh',
    '-c',
    'cat /var/lib/data/f /volume/f /VERSION; echo; env',
  ])
  assert.match(files.stdout, /dir-data\nvol-data\n/)
  assert.match(files.stdout, /postgres:17/)
  assert.match(files.stdout, /DB_PASSWORD=rotated/)
  assert.is(
    readFileSync(path.join(homeOf(HOST2), '.kamal/apps/shop/env/accessories/db.env'), 'utf8'),
    'DB_PASSWORD=rotated\n',
  )
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
})

test('a pull that fails leaves every old container running and untouched, exit 1', async () => {
  const dir = await bootedShop()
  const before = await Promise.all([containerOn(HOST1, 'shop-db'), containerOn(HOST2, 'shop-db')])
  writeConfig(dir, config('99-missing'))
  const r = await berth('reboot', ['db', '-y'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(r.stdout, `could not pull ${image('postgres:99-missing')}`)
  assert.match(r.stdout, /Nothing was stopped: the old container still runs/)
  assert.equal(await Promise.all([containerOn(HOST1, 'shop-db'), containerOn(HOST2, 'shop-db')]), before)
})

test('a new container that exits at once is rolled back: the old one runs again, exit 1', async () => {
  const dir = await bootedShop({ hosts: [HOST1] })
  const before = await containerOn(HOST1, 'shop-db')
  writeConfig(dir, config('17', { hosts: [HOST1], cmd: 'sh -c "echo cannot start; exit 3"' }))
  const r = await berth('reboot', ['db', '-y'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(r.stdout, /the new container did not stay up/)
  assert.match(r.stdout, /cannot start/)
  assert.ok(r.stdout.includes(`rolled back: the old container (${image('postgres:16')}) runs again`), r.stdout)
  assert.equal(await containerOn(HOST1, 'shop-db'), before && { ...before, status: 'running' })
  assert.is(
    (await hostDocker(HOST1, ['ps', '-aq', '--filter', 'label=service=shop-db'])).stdout.trim().split('\n').length,
    1,
  )
})

test('two concurrent reboots: one wins, the other fails naming the lock holder', async () => {
  const dir = await bootedShop()
  writeConfig(dir, config('17'))
  const [a, b] = await Promise.all([
    berth('reboot', ['db', '-y'], { cwd: dir, env: { BERTH_LOCK_HOLDER: 'run-a' } }),
    berth('reboot', ['db', '-y'], { cwd: dir, env: { BERTH_LOCK_HOLDER: 'run-b' } }),
  ])
  const codes = [a.code, b.code].sort()
  assert.equal(codes, [0, 1], a.stdout + a.stderr + b.stdout + b.stderr)
  const loser = a.code === 1 ? a : b
  const winner = a.code === 1 ? 'run-b' : 'run-a'
  assert.match(
    loser.stderr,
    new RegExp(`The deploy lock \\.kamal/lock-shop on ${HOST1.replaceAll('.', '\\.')} is held by ${winner} since `),
  )
  assert.match(loser.stderr, /--lock-wait SECONDS/)
  // The lock is released after the winner's run.
  assert.match((await berth('lock', ['status'], { cwd: dir })).stdout, /No deploy lock/)
})

test('a stale lock blocks, is shown by lock.mjs status, and lock.mjs release frees it; --lock-wait waits', async () => {
  const dir = await bootedShop()
  const lockDir = path.join(homeOf(HOST1), '.kamal/lock-shop')
  mkdirSync(lockDir, { recursive: true })
  writeFileSync(
    path.join(lockDir, 'details'),
    Buffer.from('Locked by: someone at 2026-01-01T00:00:00Z\nVersion: 2.12.0\nMessage: manual').toString('base64'),
  )
  const blocked = await berth('reboot', ['db', '-y'], { cwd: dir })
  assert.is(blocked.code, 1)
  assert.match(blocked.stderr, /held by someone since 2026-01-01T00:00:00Z \(manual\)/)
  assert.match(blocked.stderr, /npx zx scripts\/lock\.mjs release/)
  assert.match((await berth('lock', ['status'], { cwd: dir })).stdout, /Locked by: someone/)
  const released = await berth('lock', ['release'], { cwd: dir })
  assert.is(released.code, 0, released.stderr)
  assert.match(released.stdout, /Released the deploy lock/)
  // Held again, then released 1.5 s later: --lock-wait 20 waits for it.
  mkdirSync(lockDir)
  writeFileSync(path.join(lockDir, 'details'), '')
  setTimeout(() => void import('node:fs').then((fs) => fs.rmSync(lockDir, { recursive: true })), 1500)
  const waited = await berth('reboot', ['db', '-y', '--lock-wait', '20'], { cwd: dir })
  assert.is(waited.code, 0, waited.stdout + waited.stderr)
})

test('without a terminal and without -y it refuses (64) and changes nothing', async () => {
  const dir = await bootedShop({ hosts: [HOST1] })
  const before = await containerOn(HOST1, 'shop-db')
  writeConfig(dir, config('17', { hosts: [HOST1] }))
  const r = await berth('reboot', ['db'], { cwd: dir })
  assert.is(r.code, 64)
  assert.match(r.stderr, /Refusing to ask for confirmation without a terminal; nothing was changed\. Pass -y\/--yes/)
  assert.equal(await containerOn(HOST1, 'shop-db'), before)
})

test('on a terminal it asks: "n" aborts and changes nothing, "y" reboots', async () => {
  const dir = await bootedShop({ hosts: [HOST1] })
  const before = await containerOn(HOST1, 'shop-db')
  writeConfig(dir, config('17', { hosts: [HOST1] }))
  const no = await onTerminal('reboot', ['db'], dir, 'n\n')
  assert.is(no.code, 1, no.stdout)
  assert.ok(
    no.stdout.includes(`Reboot db on ${HOST1}? Each container is stopped and replaced by a new one. [y/N]`),
    no.stdout,
  )
  assert.match(no.stdout, /Aborted; nothing was changed\./)
  assert.equal(await containerOn(HOST1, 'shop-db'), before)
  const yes = await onTerminal('reboot', ['db'], dir, 'y\n')
  assert.is(yes.code, 0, yes.stdout)
  assert.is((await containerOn(HOST1, 'shop-db'))!.image, image('postgres:17'))
})

test('--drifted reboots only drifted pairs', async () => {
  const dir = await bootedShop()
  // Drift on HOST2 only: its container runs an older image than the config says.
  await hostDocker(HOST2, ['rm', '-f', 'shop-db'])
  assert.is(
    (
      await hostDocker(HOST2, [
        'run',
        '-d',
        '--name',
        'shop-db',
        '--network',
        'kamal',
        '--label',
        'service=shop-db',
        image('postgres:17'),
      ])
    ).exitCode,
    0,
  )
  const untouched = [await containerOn(HOST1, 'shop-db'), await containerOn(HOST3, 'shop-cache')]
  const r = await berth('reboot', ['all', '--drifted', '-y'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.ok(
    r.stdout.includes(`Rebooted accessory \`db\` on ${HOST2} (${image('postgres:17')} → ${image('postgres:16')}).`),
    r.stdout,
  )
  assert.ok(r.stdout.includes('1 rebooted, 2 running (exit 0).'), r.stdout)
  assert.equal([await containerOn(HOST1, 'shop-db'), await containerOn(HOST3, 'shop-cache')], untouched)
  assert.is((await containerOn(HOST2, 'shop-db'))!.image, image('postgres:16'))
})

test('--rolling stops at the first failed host and leaves the rest untouched', async () => {
  const dir = await bootedShop({ hosts: [HOST1, HOST2, HOST3] })
  // Break HOST2: the env directory path is a file there, so preparing it fails before anything stops.
  const envDir = path.join(homeOf(HOST2), '.kamal/apps/shop/env')
  await import('node:fs').then((fs) => fs.rmSync(envDir, { recursive: true }))
  writeFileSync(envDir, 'not a directory')
  const host3Before = await containerOn(HOST3, 'shop-db')
  writeConfig(dir, config('17', { hosts: [HOST1, HOST2, HOST3] }))
  const r = await berth('reboot', ['db', '--rolling', '-y'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.ok(r.stdout.includes(`Rebooted accessory \`db\` on ${HOST1}`), r.stdout)
  assert.match(
    r.stdout,
    new RegExp(`Accessory \`db\` failed on ${HOST2.replaceAll('.', '\\.')}: could not write env file`),
  )
  assert.ok(
    r.stdout.includes(
      `Accessory \`db\` was not touched on ${HOST3}: --rolling stopped at the first failed host (${HOST2})`,
    ),
    r.stdout,
  )
  assert.is((await containerOn(HOST1, 'shop-db'))!.image, image('postgres:17'))
  assert.is((await containerOn(HOST2, 'shop-db'))!.image, image('postgres:16'))
  assert.equal(await containerOn(HOST3, 'shop-db'), host3Before)
})

test('a health check is waited for: healthy → rebooted; unhealthy → rolled back', async () => {
  const dir = await bootedShop({ hosts: [HOST1] })
  const withHealth = (cmd: string) => {
    const c = config('17', { hosts: [HOST1] })
    Object.assign(c.accessories.db, {
      options: { 'health-cmd': cmd, 'health-interval': '500ms', 'health-retries': '1' },
    })
    return c
  }
  writeConfig(dir, withHealth('test -f /VERSION'))
  const healthy = await berth('reboot', ['db', '-y'], { cwd: dir })
  assert.is(healthy.code, 0, healthy.stdout + healthy.stderr)
  const health = await hostDocker(HOST1, ['inspect', 'shop-db', '--format', '{{.State.Health.Status}}'])
  assert.is(health.stdout.trim(), 'healthy')
  const before = await containerOn(HOST1, 'shop-db')
  const unhealthy = withHealth('false')
  unhealthy.accessories.db.image = image('postgres:16')
  writeConfig(dir, unhealthy)
  const r = await berth('reboot', ['db', '-y'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(r.stdout, /the new container reported unhealthy; rolled back/)
  assert.equal(await containerOn(HOST1, 'shop-db'), before)
})

test('--dry-run lists the reboot commands and changes nothing; unknown names exit 64', async () => {
  const dir = await bootedShop({ hosts: [HOST1] })
  const before = await containerOn(HOST1, 'shop-db')
  writeConfig(dir, config('17', { hosts: [HOST1] }))
  const r = await berth('reboot', ['db', '--dry-run'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.ok(r.stdout.includes(`Would reboot accessory \`db\` on ${HOST1}`), r.stdout)
  assert.ok(r.stdout.includes(`docker image pull ${image('postgres:17')}`), r.stdout)
  assert.match(r.stdout, /docker create --name shop-db-berth-new-STAMP/)
  assert.equal(await containerOn(HOST1, 'shop-db'), before)
  const unknown = await berth('reboot', ['nope', '-y'], { cwd: dir })
  assert.is(unknown.code, 64)
  assert.match(unknown.stderr, /No accessory named 'nope' \(known: db, cache\)/)
})

test('the old container removed by hand mid-reboot, then the verification fails: the new one is kept and runs', async () => {
  const dir = await bootedShop({ hosts: [HOST1] })
  const old = await containerOn(HOST1, 'shop-db')
  // The health check stays `starting` (start period 300s), so the reboot waits in its verification while the
  // test plays the person at the host: the old container, set aside, is removed; the new one is stopped.
  const waiting = { 'health-cmd': 'false', 'health-interval': '1s', 'health-start-period': '300s' }
  writeConfig(dir, config('17', { hosts: [HOST1], options: waiting }))
  const run = startBerth('reboot', ['db', '-y', '-v', '--health-timeout', '300'], { cwd: dir })
  await run.stderrLine(/docker inspect \w{12} --format /)
  const aside = await hostDocker(HOST1, ['ps', '-aq', '--filter', 'name=shop-db-berth-old-'])
  assert.ok(aside.stdout.trim(), 'the old container is set aside during the verification')
  assert.is((await hostDocker(HOST1, ['rm', '-f', aside.stdout.trim()])).exitCode, 0)
  assert.is((await hostDocker(HOST1, ['stop', '--time', '1', 'shop-db'])).exitCode, 0)
  const r = await run.done
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.ok(
    r.stdout.includes(
      `the old container (${image('postgres:16')}) is gone (removed while the reboot ran), so the new container ` +
        `(${image('postgres:17')}) was kept under the name shop-db and started: it runs.`,
    ),
    r.stdout,
  )
  const now = await containerOn(HOST1, 'shop-db')
  assert.equal(now && [now.image, now.status], [image('postgres:17'), 'running'])
  assert.is.not(now!.id, old!.id)
})

test.run()
