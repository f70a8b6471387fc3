// One ssh connection per host per run, on the lab, with the real scripts; counts from the hosts' sshd logs
// (LogLevel VERBOSE: one 'Accepted publickey' per connection, one 'Starting session' per remote command).
// Every run gets its own TMPDIR, so "nothing left behind" means: that directory is empty afterwards (no
// control directory, no socket) and no process names it (no ssh master). Counts, never times.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { countAcceptedConnections, countSessions, dockerdPid, sshdPid } from '../lab/lab-info.mjs'
import {
  HOST1,
  HOST2,
  HOST3,
  SECRETS,
  assertNothingLeft,
  berth,
  image,
  privateTmp,
  project,
  re,
  stallingSshd,
  startBerth,
  threeAccessories,
  type RunResult,
  useLab,
  shopConfig,
} from './support.ts'

const HOSTS = [HOST1, HOST2, HOST3]

function counts(): Map<string, { connections: number; sessions: number }> {
  return new Map(HOSTS.map((h) => [h, { connections: countAcceptedConnections(h), sessions: countSessions(h) }]))
}

/** What happened on each host between two `counts()`. */
function delta(before: ReturnType<typeof counts>, after: ReturnType<typeof counts>) {
  return Object.fromEntries(
    HOSTS.map((h) => [
      h,
      {
        connections: after.get(h)!.connections - before.get(h)!.connections,
        sessions: after.get(h)!.sessions - before.get(h)!.sessions,
      },
    ]),
  )
}

/** sshd logs a connection or session just after accepting it: let the logs settle before counting. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300))

useLab(test)

test('a read-only run opens one connection and one session per host, and leaves nothing behind', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  for (const args of [
    ['details', 'all'],
    ['check', 'all'],
    ['boot', 'all'],
  ]) {
    const tmp = privateTmp()
    await settle()
    const before = counts()
    const [verb, ...rest] = args as [string, ...string[]]
    const r = await berth(verb, rest, { cwd: dir, env: { TMPDIR: tmp } })
    assert.is(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`)
    await settle()
    for (const [host, d] of Object.entries(delta(before, counts())))
      assert.equal(d, { connections: 1, sessions: 1 }, `${args.join(' ')} on ${host}`)
    await assertNothingLeft(tmp, r)
  }
})

test('a reboot opens exactly one connection per host for all its commands, and closes it', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  writeFileSync(
    path.join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify(threeAccessories({ db: 'postgres:17' }))}\n`,
  )
  const tmp = privateTmp()
  await settle()
  const before = counts()
  const r = await berth('reboot', ['db', '-y'], { cwd: dir, env: { TMPDIR: tmp } })
  assert.is(r.code, 0, r.stdout + r.stderr)
  await settle()
  const d = delta(before, counts())
  // db runs on HOST1 (also the lock host) and HOST2; HOST3 is not part of the run.
  for (const host of [HOST1, HOST2]) {
    assert.is(d[host]!.connections, 1, `${host}: ${JSON.stringify(d[host])}`)
    assert.ok(d[host]!.sessions >= 6, `${host}: several sessions over that connection: ${JSON.stringify(d[host])}`)
  }
  assert.equal(d[HOST3], { connections: 0, sessions: 0 })
  await assertNothingLeft(tmp, r)
})

test('a reboot that fails (the new container crashes, rolled back) leaves no connection or socket behind', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['db', '--hosts', HOST1], { cwd: dir })).code, 0)
  const crashing = threeAccessories()
  Object.assign(crashing.accessories.db, { cmd: 'sh -c "exit 3"' })
  writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(crashing)}\n`)
  const tmp = privateTmp()
  await settle()
  const before = counts()
  const r = await berth('reboot', ['db', '-y', '--hosts', HOST1], { cwd: dir, env: { TMPDIR: tmp } })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(r.stdout, /rolled back/)
  await settle()
  assert.is(delta(before, counts())[HOST1]!.connections, 1)
  await assertNothingLeft(tmp, r)
})

test('a reboot stopped by SIGTERM closes its shared connection and removes the socket', async () => {
  const neverHealthy = { 'health-cmd': 'false', 'health-interval': '1s', 'health-start-period': '300s' }
  const config = (tag: string, options: Record<string, string> = {}) =>
    shopConfig({ db: { image: image(`postgres:${tag}`), host: HOST1, options } })
  const dir = project(config('16'))
  assert.is((await berth('boot', ['db'], { cwd: dir })).code, 0)
  writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(config('17', neverHealthy))}\n`)
  const tmp = privateTmp()
  await settle()
  const before = counts()
  const run = startBerth('reboot', ['db', '-y', '-v', '--health-timeout', '300'], { cwd: dir, env: { TMPDIR: tmp } })
  await run.stderrLine(/docker inspect \w{12} --format /)
  run.signal('SIGTERM')
  const r = await run.done
  assert.is(r.code, 143, r.stdout + r.stderr)
  await settle()
  assert.is(delta(before, counts())[HOST1]!.connections, 1)
  await assertNothingLeft(tmp, r)
})

test('details with one engine stopped (SIGSTOP) ends at the per-host time limit: exit 1, that host an error, the others reported', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  const tmp = privateTmp()
  const pid = dockerdPid(HOST2)
  process.kill(pid, 'SIGSTOP')
  let r: RunResult
  try {
    const run = startBerth('details', ['all', '--host-timeout', '5'], { cwd: dir, env: { TMPDIR: tmp } })
    // Without the limit the run never ends; the test gives it far more than the limit, then fails.
    const guard = setTimeout(() => run.signal('SIGKILL'), 60_000)
    r = await run.done
    clearTimeout(guard)
  } finally {
    process.kill(pid, 'SIGCONT')
  }
  assert.is(r.code, 1, r.stdout + r.stderr)
  const rows = r.stdout.split('\n')
  for (const host of [HOST1, HOST3]) {
    assert.ok(
      rows.some((l) => l.includes(` ${host} `) && /in sync/.test(l)),
      `${host} is reported: ${r.stdout}`,
    )
  }
  assert.ok(
    rows.some((l) => l.includes(` ${HOST2} `) && /unreachable/.test(l)),
    r.stdout,
  )
  assert.match(
    r.stdout,
    new RegExp(
      `got no answer from ${HOST2.replaceAll('.', '\\.')} within 5s \\(the per-host time limit, --host-timeout\\)`,
    ),
  )
  await assertNothingLeft(tmp, r)
})

for (const stall of [
  {
    what: 'answers the banner, then stalls (its keepalives end the handshake)',
    banner: true,
    extra: ['ServerAliveInterval 1', 'ServerAliveCountMax 1'],
    message: (host: string, port: number) => `Connection to ${host} port ${port} timed out`,
  },
  {
    what: 'never sends a banner (ConnectTimeout ends the banner exchange)',
    banner: false,
    extra: [],
    message: () => 'Connection timed out during banner exchange',
  },
]) {
  test(`a host whose sshd ${stall.what}: "could not connect to HOST over ssh" with ssh's own words, exit 1`, async () => {
    const sshd = await stallingSshd({ banner: stall.banner, extra: stall.extra })
    try {
      const dir = project({
        service: 'shop',
        image: 'shop/app',
        ssh: { config: sshd.configFile },
        accessories: { db: { image: image('postgres:16'), hosts: [HOST1, sshd.host] } },
      })
      const tmp = privateTmp()
      const r = await berth('check', ['db'], { cwd: dir, env: { TMPDIR: tmp } })
      assert.is(r.code, 1, r.stdout + r.stderr)
      const line = r.stdout.split('\n').find((l) => l.includes(`failed on ${sshd.host}:`)) ?? r.stdout
      assert.match(
        line,
        new RegExp(`could not connect to ${re(sshd.host)} over ssh \\([^)]*${re(stall.message(sshd.host, sshd.port))}`),
      )
      assert.not.match(line, /docker ps|exited 255|fix the cause/)
      assert.ok(r.stdout.includes(`no container on ${HOST1}`), `the other host is reported: ${r.stdout}`)
      await assertNothingLeft(tmp, r)
    } finally {
      await sshd.close()
    }
  })
}

test("exec: a command's own exit 255 is reported as exit 255 with its output; a host whose sshd is stopped is 'could not connect'", async () => {
  const dir = project(shopConfig({ db: { image: image('postgres:16'), host: HOST1 } }))
  assert.is((await berth('boot', ['db'], { cwd: dir })).code, 0)
  const r = await berth('exec', ['db', '--', 'sh', '-c', 'echo ran; exit 255'], { cwd: dir })
  // one target: the command's own exit code and bytes, nothing added (README, accessory-exec)
  assert.is(r.code, 255, r.stdout + r.stderr)
  assert.is(r.stdout, 'ran\n')
  assert.not.match(r.stdout + r.stderr, /could not connect/)
  // the same with --json: the exit code is the command's
  const json = await berth('exec', ['db', '--json', '--', 'sh', '-c', 'echo ran; exit 255'], { cwd: dir })
  assert.match(json.stdout, /"exitCode": ?255/)

  // sshd stopped (SIGSTOP): a new connection hangs before the banner, ssh gives up after ConnectTimeout
  const pid = sshdPid(HOST1)
  process.kill(pid, 'SIGSTOP')
  let down: RunResult
  try {
    down = await berth('exec', ['db', '--', 'sh', '-c', 'echo ran; exit 255'], { cwd: dir })
  } finally {
    process.kill(pid, 'SIGCONT')
  }
  assert.is(down.code, 1, down.stdout + down.stderr)
  assert.ok(
    (down.stdout + down.stderr).includes(
      `could not connect to ${HOST1} over ssh (Connection timed out during banner exchange`,
    ),
    down.stdout + down.stderr,
  )
  assert.not.match(down.stdout, /^ran$/m)
})

test.run()
