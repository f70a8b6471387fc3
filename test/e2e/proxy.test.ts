// Accessories behind kamal-proxy, on the lab's stand-in (test/lab/kamal-proxy.sh): berth routes them as Kamal
// does on boot, start, restart, stop, remove and reboot, points kamal-proxy back on a rollback, and `check`
// reads kamal-proxy's own view.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { engineTime, hostDocker } from '../lab/lab-info.mjs'
import { hostPaths, startKamalProxy } from '../lab/lab.mjs'
import { HOST1, HOST2, berth, image, project, shopConfig, useLab, writeConfig } from './support.ts'

useLab(test)

const SERVICE = 'shop-web'

function config(proxy: Record<string, unknown> = {}, more: Record<string, unknown> = {}) {
  return shopConfig({
    web: {
      image: image('redis:7'),
      host: HOST1,
      proxy: { host: 'web.example.test', app_port: 6379, ...proxy },
      ...more,
    },
  })
}

async function proxyOn(addr: string): Promise<void> {
  await startKamalProxy(hostPaths().find((h: { addr: string }) => h.addr === addr)!)
}

/** kamal-proxy's `list` on a host, escapes removed, as rows of cells. */
async function routes(addr: string): Promise<string[][]> {
  const r = await hostDocker(addr, ['exec', 'kamal-proxy', 'kamal-proxy', 'list'])
  assert.is(r.exitCode, 0, r.stderr)
  return r.stdout
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l: string) => l.trim())
    .slice(1)
    .map((l: string) => l.trim().split(/\s+/))
}

/** The id (12 hex) of the running container named `name`, or undefined. */
async function runningId(addr: string, name: string): Promise<string | undefined> {
  const r = await hostDocker(addr, ['ps', '--quiet', '--filter', `name=^${name}$`])
  return r.stdout.trim() || undefined
}

/** The stand-in's successful deploys of the service since the start: their targets' container ids, in order. */
async function deployedIds(addr: string): Promise<string[]> {
  const r = await hostDocker(addr, ['exec', 'kamal-proxy', 'cat', '/home/kamal-proxy/.config/kamal-proxy/calls.log'])
  return r.stdout
    .split('\n')
    .filter((l: string) => l.includes(` 0 kamal-proxy deploy ${SERVICE} `))
    .map((l: string) => /--target=([0-9a-f]{12}):/.exec(l)![1]!)
}

/** The accessory's containers that the engine started since `since`, in order (docker events). */
async function startedIds(addr: string, since: string): Promise<string[]> {
  const r = await hostDocker(addr, [
    'events',
    '--since',
    since,
    '--until',
    await engineTime(addr),
    '--filter',
    `label=service=${SERVICE}`,
    '--filter',
    'event=start',
    '--format',
    '{{.ID}}',
  ])
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((id: string) => id.slice(0, 12))
}

/** kamal-proxy routes the accessory to the container that runs under its name, and to nothing else. */
async function assertRoutedToCurrent(addr: string): Promise<void> {
  const id = await runningId(addr, SERVICE)
  assert.ok(id, 'the accessory runs')
  assert.equal(await routes(addr), [[SERVICE, 'web.example.test', '/', `${id}:6379`, 'running', 'no']])
}

test("boot, restart, reboot, stop, start, remove: kamal-proxy's target follows the container every time", async () => {
  await proxyOn(HOST1)
  const since = await engineTime(HOST1)
  const dir = project(config())
  const boot = await berth('boot', ['web'], { cwd: dir })
  assert.is(boot.code, 0, boot.stdout + boot.stderr)
  await assertRoutedToCurrent(HOST1)
  const log = await hostDocker(HOST1, ['exec', 'kamal-proxy', 'cat', '/home/kamal-proxy/.config/kamal-proxy/calls.log'])
  // Kamal's words (test/commands/accessory_test.rb "deploy"), with the app_port this config sets
  assert.match(
    log.stdout,
    `kamal-proxy deploy ${SERVICE} --target=${await runningId(HOST1, SERVICE)}:6379 --host=web.example.test ` +
      '--deploy-timeout=30s --drain-timeout=30s --buffer-requests --buffer-responses ' +
      '--log-request-header=Cache-Control --log-request-header=Last-Modified --log-request-header=User-Agent\n',
  )

  const restart = await berth('restart', ['web'], { cwd: dir })
  assert.is(restart.code, 0, restart.stdout + restart.stderr)
  await assertRoutedToCurrent(HOST1)

  writeConfig(dir, config({}, { image: image('redis:8') }))
  const reboot = await berth('reboot', ['web', '-y'], { cwd: dir })
  assert.is(reboot.code, 0, reboot.stdout + reboot.stderr)
  await assertRoutedToCurrent(HOST1)

  // a reboot whose new container fails its health check: kamal-proxy is pointed back at the old one
  const before = await runningId(HOST1, SERVICE)
  writeConfig(
    dir,
    config({}, { options: { 'health-cmd': 'false', 'health-interval': '500ms', 'health-retries': '1' } }),
  )
  const failed = await berth('reboot', ['web', '-y'], { cwd: dir })
  assert.is(failed.code, 1, failed.stdout + failed.stderr)
  assert.match(failed.stdout, `kamal-proxy routes ${SERVICE} to ${before} again`)
  assert.is(await runningId(HOST1, SERVICE), before)
  await assertRoutedToCurrent(HOST1)

  // every container the engine started was routed to, in the same order, and nothing else was
  assert.equal(await deployedIds(HOST1), await startedIds(HOST1, since))

  writeConfig(dir, config({}, { image: image('redis:8') }))
  const stop = await berth('stop', ['web'], { cwd: dir })
  assert.is(stop.code, 0, stop.stdout + stop.stderr)
  assert.equal(await routes(HOST1), [])
  const start = await berth('start', ['web'], { cwd: dir })
  assert.is(start.code, 0, start.stdout + start.stderr)
  await assertRoutedToCurrent(HOST1)
  assert.equal(await deployedIds(HOST1), await startedIds(HOST1, since))

  const remove = await berth('remove', ['web', '-y'], { cwd: dir })
  assert.is(remove.code, 0, remove.stdout + remove.stderr)
  assert.equal(await routes(HOST1), [])
})

test('check: nothing on a fresh boot; each kind of route drift, with the fix', async () => {
  await proxyOn(HOST1)
  const dir = project(config())
  assert.is((await berth('boot', ['web'], { cwd: dir })).code, 0)
  const fresh = await berth('check', ['all'], { cwd: dir })
  assert.is(fresh.code, 0, fresh.stdout + fresh.stderr)
  const kp = (...args: string[]) => hostDocker(HOST1, ['exec', 'kamal-proxy', 'kamal-proxy', ...args])
  const id = (await runningId(HOST1, SERVICE))!

  // removed by hand → drift; `start` (the fix) routes it again
  assert.is((await kp('remove', SERVICE)).exitCode, 0)
  let r = await berth('check', ['all'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.match(r.stdout, `kamal-proxy does not route ${SERVICE}`)
  assert.match(r.stdout, /run `npx zx scripts\/accessory-start\.mjs web --hosts [\d.]+` to update/)
  const start = await berth('start', ['web'], { cwd: dir })
  assert.is(start.code, 0, start.stdout + start.stderr)
  await assertRoutedToCurrent(HOST1)
  assert.is((await berth('check', ['all'], { cwd: dir })).code, 0)

  // target changed by hand
  assert.is((await kp('deploy', SERVICE, '--target=kamal-proxy:80', '--host=web.example.test')).exitCode, 0)
  r = await berth('check', ['all'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.match(r.stdout, `kamal-proxy routes ${SERVICE} to kamal-proxy:80, not ${id}:6379`)
  assert.is((await berth('start', ['web'], { cwd: dir })).code, 0)

  // host and TLS changed in the config
  writeConfig(dir, config({ host: 'www.example.test', ssl: true }))
  r = await berth('check', ['all', '--json'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  const drift = JSON.parse(r.stdout).results[0].drift
  assert.equal(drift, [
    { kind: 'proxy', reasons: ['proxy host web.example.test → www.example.test', 'proxy TLS off → on'] },
  ])
  assert.is((await berth('start', ['web'], { cwd: dir })).code, 0)
  assert.is((await berth('check', ['all'], { cwd: dir })).code, 0)
  assert.equal(await routes(HOST1), [[SERVICE, 'www.example.test', '/', `${id}:6379`, 'running', 'yes']])
})

test('a reboot interrupted after its swap: the recovery routes kamal-proxy back to the restored container', async () => {
  await proxyOn(HOST1)
  const dir = project(config())
  assert.is((await berth('boot', ['web'], { cwd: dir })).code, 0)
  const old = (await runningId(HOST1, SERVICE))!
  // what a reboot killed after its swap and route leaves: the old container aside and stopped, the new one
  // under the name (no longer running), kamal-proxy routing to the new one
  const docker = async (...args: string[]) => {
    const r = await hostDocker(HOST1, args)
    assert.is(r.exitCode, 0, r.stderr)
    return r.stdout.trim()
  }
  await docker('rename', SERVICE, `${SERVICE}-berth-old-zz`)
  await docker('stop', old)
  const next = (
    await docker(
      'run',
      '--detach',
      '--name',
      SERVICE,
      '--network',
      'kamal',
      '--label',
      `service=${SERVICE}`,
      image('redis:7'),
    )
  ).slice(0, 12)
  await docker(
    'exec',
    'kamal-proxy',
    'kamal-proxy',
    'deploy',
    SERVICE,
    `--target=${next}:6379`,
    '--host=web.example.test',
  )
  await docker('stop', next)
  const r = await berth('reboot', ['web', '-y', '--drifted'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, `kamal-proxy routes ${SERVICE} to ${old} again`)
  assert.is(await runningId(HOST1, SERVICE), old)
  await assertRoutedToCurrent(HOST1)
})

test('no kamal-proxy on a host: an error there with the fix, before anything is changed', async () => {
  await proxyOn(HOST1)
  const dir = project(
    shopConfig({ web: { image: image('redis:7'), hosts: [HOST1, HOST2], proxy: { app_port: 6379 } } }),
  )
  const r = await berth('boot', ['web'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(
    r.stdout,
    new RegExp(`kamal-proxy does not answer on ${HOST2.replace(/\./g, '\\.')} .*\`kamal proxy boot\``),
  )
  assert.is((await hostDocker(HOST2, ['ps', '-aq'])).stdout.trim(), '')
  assert.ok(await runningId(HOST1, SERVICE))
  const check = await berth('check', ['all'], { cwd: dir })
  assert.is(check.code, 1, check.stdout + check.stderr)
  assert.match(check.stdout, 'kamal proxy boot')
})

test.run()
