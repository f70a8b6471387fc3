// Verdicts that must be true, on the lab: an engine that does not answer, a container removed mid-read,
// every non-running state produced for real, leftovers of reboots killed with SIGKILL and the reboot that
// recovers them, docker's real error text, and --json / pipes on every path.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { assertLabUp, hostDocker, labHosts, resetLab } from '../lab/lab-info.mjs'
import {
  HOST1,
  HOST2,
  HOST3,
  REPO,
  SECRETS,
  berth,
  containerOn,
  homeOf,
  image,
  labSsh,
  project,
  startBerth,
  threeAccessories,
} from './support.ts'

test.before(async () => {
  await assertLabUp()
})
test.before.each(async () => {
  await resetLab()
})

const socketOf = (addr: string) =>
  labHosts()
    .find((h) => h.addr === addr)!
    .dockerHost.replace('unix://', '')

/** The engine on `addr` stops answering while `work` runs (its socket is moved aside, then back). */
async function withEngineDown<T>(addr: string, work: () => Promise<T>): Promise<T> {
  const socket = socketOf(addr)
  renameSync(socket, `${socket}.away`)
  try {
    return await work()
  } finally {
    renameSync(`${socket}.away`, socket)
  }
}

test('an engine that does not answer is an error for its host (exit 1, with the cause), never "missing"', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all', '--hosts', `${HOST1},${HOST2}`], { cwd: dir })).code, 0)
  await withEngineDown(HOST3, async () => {
    for (const args of [
      ['details', 'all'],
      ['boot', 'all', '--dry-run'],
      ['boot', 'all'],
      ['stop', 'cache'],
    ]) {
      const [verb, ...rest] = args as [string, ...string[]]
      const r = await berth(verb, rest, { cwd: dir })
      assert.is(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
      assert.match(
        r.stdout,
        new RegExp(
          `failed on ${HOST3.replaceAll('.', '\\.')}: could not list the containers: .*Cannot connect to the Docker daemon`,
        ),
        args.join(' '),
      )
      assert.not.match(
        r.stdout,
        /would boot|Booted accessory `cache`|has no container on 127\.\d+\.\d+\.13/i,
        args.join(' '),
      )
    }
  })
  assert.equal(
    await containerOn(HOST3, 'shop-cache'),
    undefined,
    'nothing was booted on the host that could not be read',
  )
})

test('a container removed between docker ps and docker inspect: the rest of the host is still read', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  // On HOST1, `docker inspect` first removes the first container it was asked about: someone else's `docker rm`.
  const home = homeOf(HOST1)
  mkdirSync(path.join(home, 'bin'), { recursive: true })
  writeFileSync(
    path.join(home, 'bin/docker'),
    '#!/bin/sh\nPATH=${PATH#"$HOME/bin:"}\nif [ "$1" = inspect ] && [ $# -gt 2 ]; then docker rm -f "$2" > /dev/null; fi\nexec docker "$@"\n',
  )
  chmodSync(path.join(home, 'bin/docker'), 0o755)
  writeFileSync(path.join(home, '.bashrc'), 'export PATH="$HOME/bin:$PATH"\n')
  const r = await berth('details', ['all'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.not.match(r.stdout, /unreachable|exited 1/)
  const host1Rows = r.stdout.split('\n').filter((l) => l.includes(` ${HOST1} `))
  assert.equal(host1Rows.map((l) => /\b(in sync|missing)\b/.exec(l)?.[1]).sort(), ['in sync', 'missing'], r.stdout)
})

test('stopped, crash-looping and paused containers need attention (exit 2) with the right fix; start unpauses', async () => {
  const config = threeAccessories()
  Object.assign(config.accessories.cache, { cmd: 'sh -c "exit 3"' })
  const dir = project(config, SECRETS)
  await berth('boot', ['all'], { cwd: dir })
  assert.is((await hostDocker(HOST1, ['stop', 'shop-db'])).exitCode, 0)
  assert.is((await hostDocker(HOST2, ['pause', 'shop-search'])).exitCode, 0)
  // A `cmd` that exits at once under `--restart unless-stopped` is a crash loop.
  // Docker's restart back-off doubles each time: after 6 restarts the container spends 6.4 s at a time in
  // `restarting`, so the observations below (boot, then details, each about a second on a loaded machine) see
  // the loop rather than the instant it runs between two crashes.
  const restarts = async () =>
    Number((await hostDocker(HOST3, ['inspect', 'shop-cache', '--format', '{{.RestartCount}}'])).stdout.trim())
  for (let i = 0; i < 150 && (await restarts()) < 6; i++) await new Promise((r) => setTimeout(r, 200))
  for (let i = 0; i < 50 && (await containerOn(HOST3, 'shop-cache'))?.status !== 'restarting'; i++)
    await new Promise((r) => setTimeout(r, 100))
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.ok(
    r.stdout.includes(
      `Accessory \`db\` exists on ${HOST1} with the configured image (${image('postgres:16')}) but is stopped; run \`npx zx scripts/accessory-start.mjs db --hosts ${HOST1}\` to start it.`,
    ),
    r.stdout,
  )
  assert.ok(
    r.stdout.includes(
      `but is paused; run \`npx zx scripts/accessory-start.mjs search --hosts ${HOST2}\` to unpause it.`,
    ),
    r.stdout,
  )
  assert.ok(
    r.stdout.includes(
      `Accessory \`cache\` keeps restarting on ${HOST3} (a crash loop, ${image('redis:7')}); run \`npx zx scripts/accessory-logs.mjs cache --hosts ${HOST3}\` to see why`,
    ),
    r.stdout,
  )
  assert.match(r.stdout, /1 stopped, 1 paused, 1 crash-looping \(exit 2\)\./)
  // A crash-looping container runs for an instant between two crashes; an observation in that instant truly
  // sees it running, so look again (docker's back-off keeps it `restarting` nearly all the time).
  let details = await berth('details', ['all'], { cwd: dir })
  for (let i = 0; i < 5 && !/crash loop/.test(details.stdout); i++)
    details = await berth('details', ['all'], { cwd: dir })
  assert.is(details.code, 2)
  assert.match(details.stdout, /crash loop/)
  // The README's CI recipe ends non-zero, naming what does not run and why.
  let recipe = await berth('reboot', ['all', '--drifted', '-y'], { cwd: dir })
  for (let i = 0; i < 5 && !/keeps restarting/.test(recipe.stdout); i++)
    recipe = await berth('reboot', ['all', '--drifted', '-y'], { cwd: dir })
  assert.is(recipe.code, 2, recipe.stdout + recipe.stderr)
  assert.match(recipe.stdout, /keeps restarting/)
  const started = await berth('start', ['search', '--hosts', HOST2], { cwd: dir })
  assert.is(started.code, 0, started.stdout + started.stderr)
  assert.is((await containerOn(HOST2, 'shop-search'))?.status, 'running')
})

function dbConfig(tag: string) {
  return {
    service: 'shop',
    image: 'shop/app',
    ssh: labSsh(),
    accessories: {
      db: {
        image: image(`postgres:${tag}`),
        host: HOST1,
        directories: ['data:/var/lib/data'],
        options: { 'health-cmd': 'false', 'health-interval': '1s', 'health-start-period': '300s' },
      },
    },
  }
}

for (const point of [
  { name: 'after docker create', line: /docker create --name shop-db-berth-new-/ },
  { name: 'during the swap', line: /docker rename \w{12} shop-db-berth-old-\w+ && docker rename/ },
  { name: 'during the check', line: /docker inspect \w{12} --format/ },
]) {
  test(`leftovers of a reboot killed with SIGKILL ${point.name} are visible everywhere, and the next reboot recovers`, async () => {
    const dir = project(dbConfig('16'))
    assert.is((await berth('boot', ['db'], { cwd: dir })).code, 0)
    writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(dbConfig('17'))}\n`)
    const run = startBerth('reboot', ['db', '-y', '-v', '--health-timeout', '300'], { cwd: dir })
    await run.stderrLine(point.line)
    await new Promise((r) => setTimeout(r, 300))
    run.signal('SIGKILL')
    await run.done
    // The remote command in flight when berth was killed still completes (its ssh is in a process group of
    // its own): give it a moment to land before looking.
    let names: string[] = []
    for (let i = 0; i < 50; i++) {
      names = (await hostDocker(HOST1, ['ps', '-a', '--format', '{{.Names}}'])).stdout.split('\n').filter(Boolean)
      if (names.some((n) => n.includes('-berth-'))) break
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.ok(
      names.some((n) => n.includes('-berth-')),
      `a temporary container was left: ${names}`,
    )
    for (const verb of ['details', 'boot']) {
      const r = await berth(verb, ['db'], { cwd: dir })
      assert.is(r.code, 2, `${verb}: ${r.stdout}${r.stderr}`)
      assert.match(r.stdout, /An interrupted reboot left shop-db-berth-/, verb)
    }
    // SIGKILL left the lock: the next reboot names it and how to release it.
    const blocked = await berth('reboot', ['db', '-y'], { cwd: dir })
    assert.is(blocked.code, 1)
    assert.match(blocked.stderr, /release it with `npx zx scripts\/lock\.mjs release`/)
    assert.is((await berth('lock', ['release'], { cwd: dir })).code, 0)
    writeFileSync(
      path.join(dir, 'deploy.config.mjs'),
      `export default ${JSON.stringify({ ...dbConfig('17'), accessories: { db: { ...dbConfig('17').accessories.db, options: {} } } })}\n`,
    )
    const recovered = await berth('reboot', ['db', '-y', '--drifted'], { cwd: dir })
    assert.is(recovered.code, 0, recovered.stdout + recovered.stderr)
    const after = (await hostDocker(HOST1, ['ps', '-a', '--format', '{{.Names}} {{.Status}}'])).stdout
      .split('\n')
      .filter(Boolean)
    assert.equal(after.length, 1, after.join('\n'))
    assert.match(after[0]!, /^shop-db Up/)
    assert.is((await containerOn(HOST1, 'shop-db'))?.image, image('postgres:17'))
    const clean = await berth('details', ['db'], { cwd: dir })
    assert.is(clean.code, 0, clean.stdout)
  })
}

test("a docker error keeps docker's cause, not its usage pointer", async () => {
  const config = threeAccessories()
  Object.assign(config.accessories.cache, { options: { memory: 'lots' } })
  const r = await berth('boot', ['cache'], { cwd: project(config, SECRETS) })
  assert.is(r.code, 1)
  assert.match(r.stdout, /invalid (size|argument).*lots/)
  assert.not.match(r.stdout, /See 'docker run --help'/)
})

test('--json prints one JSON document on usage errors (64), config errors (78) and a held lock (1)', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const usage = await berth('boot', ['all', '--json', '--no-such-flag'], { cwd: dir })
  assert.is(usage.code, 64)
  assert.equal([JSON.parse(usage.stdout).exitCode, JSON.parse(usage.stdout).error.kind], [64, 'usage'])
  const bad = project({ service: 'shop', accessories: { db: { host: HOST1 } } })
  const config = await berth('boot', ['all', '--json'], { cwd: bad })
  assert.is(config.code, 78)
  const doc = JSON.parse(config.stdout)
  assert.equal([doc.exitCode, doc.error.kind], [78, 'config'])
  assert.ok(doc.error.problems.length > 0)
  mkdirSync(path.join(homeOf(HOST1), '.kamal/lock-shop'), { recursive: true })
  writeFileSync(
    path.join(homeOf(HOST1), '.kamal/lock-shop/details'),
    Buffer.from('Locked by: someone at 2026-01-01T00:00:00Z\nVersion: x\nMessage: m').toString('base64'),
  )
  const held = await berth('boot', ['all', '--json'], { cwd: dir })
  assert.is(held.code, 1, held.stdout + held.stderr)
  const lock = JSON.parse(held.stdout)
  assert.equal([lock.exitCode, lock.error.kind], [1, 'lock'])
  assert.match(lock.error.message, /held by someone/)
})

test('a large report piped into head keeps its exit code; a closed stderr is not a crash; no lock is left', async () => {
  const accessories: Record<string, object> = {}
  for (let i = 0; i < 40; i++) accessories[`a${i}`] = { image: image('redis:7'), hosts: [HOST1, HOST2, HOST3] }
  const dir = project({ service: 'big', image: 'big/app', ssh: labSsh(), accessories })
  const zx = `${process.execPath} ${path.join(REPO, 'node_modules/zx/build/cli.js')} ${path.join(REPO, 'scripts/accessory-boot.mjs')}`
  const piped = spawnSync('bash', ['-o', 'pipefail', '-c', `${zx} all --dry-run | head -1`], {
    cwd: dir,
    encoding: 'utf8',
  })
  assert.is(piped.status, 2, piped.stdout + piped.stderr)
  assert.is(piped.stdout.split('\n').filter(Boolean).length, 1)
  const json = spawnSync('bash', ['-o', 'pipefail', '-c', `${zx} all --dry-run --json | head -c 100`], {
    cwd: dir,
    encoding: 'utf8',
  })
  assert.is(json.status, 2)
  const noStderr = spawnSync('bash', ['-c', `${zx} all --dry-run -v 2>&-`], { cwd: dir, encoding: 'utf8' })
  assert.is(noStderr.status, 2, noStderr.stdout.slice(-500))
  const booted = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: booted })).code, 0)
  const zxStop = zx.replace('accessory-boot.mjs', 'accessory-stop.mjs')
  const stopped = spawnSync('bash', ['-o', 'pipefail', '-c', `${zxStop} all | head -1`], {
    cwd: booted,
    encoding: 'utf8',
  })
  assert.is(stopped.status, 0, stopped.stderr)
  assert.not.ok(existsSync(path.join(homeOf(HOST1), '.kamal/lock-shop')), 'the lock was released')
})

test("changes are recorded in Kamal's audit log on each host, in Kamal's format; read-only verbs write nothing", async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['db'], { cwd: dir, env: { BERTH_LOCK_HOLDER: 'ci' } })).code, 0)
  const log = path.join(homeOf(HOST1), '.kamal/shop-audit.log')
  const { readFileSync } = await import('node:fs')
  const lines = () => readFileSync(log, 'utf8').trimEnd().split('\n')
  assert.match(lines()[0]!, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\] Booted db accessory$/)
  for (const verb of ['details', 'check', 'logs']) await berth(verb, ['db'], { cwd: dir })
  assert.is(lines().length, 1, 'read-only verbs recorded nothing')
  assert.is((await berth('restart', ['db', '--hosts', HOST1], { cwd: dir })).code, 0)
  writeFileSync(
    path.join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify(threeAccessories({ db: 'postgres:17' }))}\n`,
  )
  assert.is((await berth('reboot', ['db', '-y', '--hosts', HOST1], { cwd: dir })).code, 0)
  assert.equal(
    lines().map((l) => l.replace(/^\[[^\]]+\] \[[^\]]+\] /, '')),
    [
      'Booted db accessory',
      'Stopped db accessory',
      'Started db accessory',
      'Pull db accessory image',
      'Stopped db accessory',
      'Remove db accessory container',
      'Booted db accessory',
    ],
  )
})

test.run()
