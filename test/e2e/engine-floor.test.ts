// #22: a read-only look at a host costs two docker processes (`docker ps`, then one `docker inspect` of the
// containers and the configured images together), three only when an accessory's container runs an image the
// second did not return. Counted on the host itself: a `docker` earlier on PATH logs each call, then runs docker.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { hostDocker } from '../lab/lab-info.mjs'
import {
  HOST1,
  HOST3,
  SECRETS,
  berth,
  homeOf,
  image,
  labSsh,
  loggingSsh,
  project,
  shopConfig,
  threeAccessories,
  useLab,
  writeConfig,
} from './support.ts'

useLab(test)

/**
 * Every `docker` the host runs from now on is logged, one line each: `calls()` gives their first words, `argv()`
 * the whole lines (each empties the log); `stop()` takes the logging docker away.
 */
function countDockerOn(addr: string): { calls(): string[]; argv(): string[]; stop(): void } {
  const home = homeOf(addr)
  const log = path.join(home, 'docker-calls')
  rmSync(log, { force: true })
  mkdirSync(path.join(home, 'bin'), { recursive: true })
  writeFileSync(
    path.join(home, 'bin/docker'),
    `#!/bin/sh\nPATH=\${PATH#"$HOME/bin:"}\necho "$*" >> "$HOME/docker-calls"\nexec docker "$@"\n`,
  )
  chmodSync(path.join(home, 'bin/docker'), 0o755)
  writeFileSync(path.join(home, '.bashrc'), 'export PATH="$HOME/bin:$PATH"\n')
  const argv = () => {
    const lines = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []
    rmSync(log, { force: true })
    return lines
  }
  return {
    argv,
    calls: () => argv().map((line) => line.split(' ')[0]!),
    stop: () => {
      rmSync(path.join(home, 'bin'), { recursive: true, force: true })
      rmSync(path.join(home, '.bashrc'), { force: true })
    },
  }
}

test('check, details and a boot with nothing to do run two docker processes per host; another image, three', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  const docker = countDockerOn(HOST1)
  for (const [verb, ...args] of [
    ['check', 'all'],
    ['details', 'all'],
    ['boot', 'all'],
  ] as const) {
    const r = await berth(verb, [...args], { cwd: dir })
    assert.is(r.code, 0, `${verb}: ${r.stdout}${r.stderr}`)
    assert.equal(docker.calls(), ['ps', 'inspect'], verb)
  }
  // db's container runs postgres:16, the config now says postgres:17 (not on the host): the image drift is seen
  // as before, with the running image fetched by id in a third process.
  writeConfig(dir, threeAccessories({ db: 'postgres:17' }))
  const r = await berth('check', ['db', '--json'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  const host1 = JSON.parse(r.stdout).results.find((e: { host: string }) => e.host === HOST1)
  assert.is(host1.verdict, 'drift', r.stdout)
  assert.match(JSON.stringify(host1), /postgres:16 → [^"]*postgres:17/)
  assert.equal(docker.calls(), ['ps', 'inspect', 'image'])
})

test('check and details run no local git; a boot that boots asks it once, for its audit lines', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const shims = mkdtempSync(path.join(tmpdir(), 'berth-git-'))
  const log = path.join(shims, 'calls')
  const git = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim()
  writeFileSync(path.join(shims, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\nexec '${git}' "$@"\n`, { mode: 0o755 })
  const env = { PATH: `${shims}:${process.env.PATH}` }
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [])
  for (const verb of ['check', 'details']) assert.is((await berth(verb, ['all'], { cwd: dir, env })).code, 2, verb)
  assert.equal(calls(), [], 'read-only verbs ask git nothing')
  const boot = await berth('boot', ['all'], { cwd: dir, env })
  assert.is(boot.code, 0, boot.stdout + boot.stderr)
  assert.equal(calls(), ['config user.email'])
  rmSync(shims, { recursive: true, force: true })
})

test('a network named like the configured image: not taken for the image; the drift is seen as ever', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['cache'], { cwd: dir })).code, 0)
  // redis:8 is not on HOST3; a network carries its name, which docker inspect would find after the image.
  assert.is((await hostDocker(HOST3, ['network', 'create', image('redis:8')])).exitCode, 0)
  writeConfig(dir, threeAccessories({ cache: 'redis:8' }))
  const r = await berth('check', ['cache', '--json'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  const [entry] = JSON.parse(r.stdout).results
  assert.is(entry.verdict, 'drift', r.stdout)
  assert.equal(
    entry.drift.map((d: { kind: string }) => d.kind),
    ['image'],
  )
  assert.match(entry.message, /redis:7 → [^ ]*redis:8/)
})

test("a run over 12 hosts says nothing of Node's own on stderr (no MaxListenersExceededWarning)", async () => {
  // Twelve names for HOST1's sshd, each its own host to berth: twelve handshakes and twelve waits at once.
  const hosts = Array.from({ length: 12 }, (_, i) => `floor-${String(i + 1).padStart(2, '0')}`)
  const lab = readFileSync(labSsh().config, 'utf8').replace(
    /^Host .*$/m,
    `Host floor-*\n  HostName ${HOST1}\n  HostKeyAlias ${HOST1}`,
  )
  const dir = project(shopConfig({ cache: { image: image('redis:7'), hosts } }))
  writeFileSync(path.join(dir, 'ssh_config'), lab)
  writeConfig(
    dir,
    shopConfig({ cache: { image: image('redis:7'), hosts } }, { ssh: { config: path.join(dir, 'ssh_config') } }),
  )
  const r = await berth('check', ['cache'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.is(r.stdout.split('\n').filter((l) => /has no container on floor-\d\d/.test(l)).length, 12, r.stdout)
  assert.not.match(r.stderr, /MaxListenersExceededWarning|\(node:\d+\)/, r.stderr)
})

test("check and details: one ssh process per host, no master beside it; an app's labelled containers are not inspected", async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  // an app container of the same service (Kamal labels it service=shop): labelled, but no accessory's
  const app = await hostDocker(HOST1, ['run', '-d', '--label', 'service=shop', image('redis:7')])
  assert.is(app.exitCode, 0, app.stderr)
  const appId = app.stdout.trim()
  const docker = countDockerOn(HOST1)
  const ssh = loggingSsh()
  try {
    for (const verb of ['check', 'details', 'boot']) {
      const r = await berth(verb, ['all'], { cwd: dir, env: { PATH: ssh.PATH } })
      assert.is(r.code, 0, `${verb}: ${r.stdout}${r.stderr}`)
      const inspect = docker.argv().find((l) => l.startsWith('inspect ')) ?? ''
      assert.match(inspect, /^inspect [0-9a-f]{64} /, verb)
      assert.not.ok(inspect.includes(appId), `${verb} inspected the app container: ${inspect}`)
    }
    const calls = ssh.calls().trim().split('\n')
    const toHost1 = calls.filter((c) => c.includes(` -- ${HOST1}`))
    // check, details: the command itself; boot: its master (-N), then the same command as a session over it
    assert.is(toHost1.length, 4, calls.join('\n'))
    assert.equal(
      toHost1.map((c) => [c.includes('ControlMaster'), c.includes(' -N ')]),
      [
        [false, false],
        [false, false],
        [true, true],
        [true, false],
      ],
      calls.join('\n'),
    )
  } finally {
    docker.stop()
    rmSync(ssh.dir, { recursive: true, force: true })
    await hostDocker(HOST1, ['rm', '-f', appId])
  }
})

test.run()
