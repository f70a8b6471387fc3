// accessory-tunnel on the lab: an accessory that serves HTTP (busybox httpd) without publishing a port,
// reached through the tunnel's local port. The lab's container addresses are reachable from here without
// any tunnel, so every request goes to 127.0.0.1:<the port the tunnel printed>, and the answer must be the
// accessory's own (its host's address, written by its command). Processes are checked by pid and by ports.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import path from 'node:path'
import { hostDocker, labDir, labNet, sshdPid } from '../lab/lab-info.mjs'
import { holderOf } from '../../lib/cli/local-ports.ts'
import {
  HOST1,
  HOST2,
  REPO,
  assertNothingLeft,
  berth,
  bootedProject,
  image,
  privateTmp,
  project,
  re,
  shopConfig,
  useLab,
  type RunResult,
} from './support.ts'

useLab(test)

/** The container's port: this lab's own (127.0.44 → 24480), so helpers on other labs never hold it. */
const PORT = 20_000 + Number(labNet().split('.')[2]) * 100 + 80

const web = {
  image: image('search:1'),
  host: HOST1,
  cmd: `sh -c 'mkdir -p /w && echo "$KAMAL_HOST" > /w/index.html && exec httpd -f -p ${PORT} -h /w'`,
  options: { expose: PORT },
}
/** Serves on PORT + 10, published only as the config's `port:` on the lab host's own address (no --expose). */
const published = {
  image: image('search:1'),
  host: HOST1,
  cmd: `sh -c 'mkdir -p /w && echo "published $KAMAL_HOST" > /w/index.html && exec httpd -f -p ${PORT + 10} -h /w'`,
  port: `${HOST1}:${PORT + 20}:${PORT + 10}`,
}
const config = shopConfig({
  web,
  published,
  multi: { image: image('search:1'), hosts: [HOST1, HOST2], cmd: 'sleep 1000' },
})

interface RunningTunnel {
  pid: number
  tmp: string
  /** The first stdout line (text) or document (--json), once it is there. */
  first: Promise<string>
  done: Promise<RunResult>
  signal(name: NodeJS.Signals): void
}

const ZX = path.join(REPO, 'node_modules/zx/build/cli.js')

function startTunnel(dir: string, args: string[], extraEnv: Record<string, string | undefined> = {}): RunningTunnel {
  const tmp = privateTmp()
  const env = Object.entries({ ...process.env, FORCE_COLOR: '0', TMPDIR: tmp, ...extraEnv })
  const child = spawn(process.execPath, [ZX, path.join(REPO, 'scripts/accessory-tunnel.mjs'), ...args], {
    cwd: dir,
    env: Object.fromEntries(env.filter(([, value]) => value !== undefined)),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let gotLine: (line: string) => void = () => {}
  const first = new Promise<string>((resolve) => (gotLine = resolve))
  child.stdout.on('data', (d) => {
    stdout += d
    if (stdout.includes('\n')) gotLine(stdout.slice(0, stdout.indexOf('\n')))
  })
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<RunResult>((resolve) =>
    child.on('close', (code, signal) => {
      gotLine(`(exited ${code ?? signal} before a line: ${stderr})`)
      resolve({ code: code ?? -1, stdout, stderr })
    }),
  )
  return { pid: child.pid!, tmp, first, done, signal: (name) => void child.kill(name) }
}

/** What 127.0.0.1:port answers over HTTP. */
async function fetchLocal(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/`)
  return (await response.text()).trim()
}

const listen = (port: number, host = '127.0.0.1') =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port, host }, () => resolve(server))
  })
const close = (server: Server) => new Promise((resolve) => server.close(resolve))

/** The pid that listens on 127.0.0.1:port now (read from /proc, as the tunnel names holders). */
function listenerPid(port: number): number {
  const holder = /^pid (\d+)/.exec(holderOf(port) ?? '')
  assert.ok(holder, `nothing listens on ${port}: ${holderOf(port)}`)
  return Number(holder[1])
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

const zombie = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .startsWith('Z')
  } catch {
    return true
  }
}

/** After the run: the port can be listened on again, the ssh that held it is gone, the run left nothing. */
async function assertClosed(tunnel: RunningTunnel, r: RunResult, port: number, sshPid: number): Promise<void> {
  assert.ok(!alive(sshPid) || zombie(sshPid), 'ssh still runs')
  await close(await listen(port))
  await assertNothingLeft(tunnel.tmp, r)
}

test('a request through the local port the tunnel printed gets the accessory answer (--json)', async () => {
  const dir = await bootedProject(config)
  const tunnel = startTunnel(dir, ['web', '--json'])
  const document = JSON.parse(await tunnel.first)
  assert.equal(document.forwards.length, 1, JSON.stringify(document))
  const [forward] = document.forwards
  assert.equal(forward.local, { address: '127.0.0.1', port: PORT })
  assert.is(forward.remote.port, PORT)
  assert.equal([document.verb, document.accessory, document.host, document.image], ['tunnel', 'web', HOST1, web.image])
  assert.is(await fetchLocal(PORT), HOST1)
  const ssh = listenerPid(PORT)
  tunnel.signal('SIGTERM')
  const r = await tunnel.done
  assert.is(r.code, 0, r.stderr)
  await assertClosed(tunnel, r, PORT, ssh)
})

test("the config's port: is a port the tunnel forwards (the container side)", async () => {
  const dir = await bootedProject(config)
  const tunnel = startTunnel(dir, ['published', '--json'])
  const document = JSON.parse(await tunnel.first)
  assert.equal(
    document.forwards.map((f: { local: { port: number }; remote: { port: number } }) => [f.local.port, f.remote.port]),
    [[PORT + 10, PORT + 10]],
  )
  assert.is(await fetchLocal(PORT + 10), `published ${HOST1}`)
  tunnel.signal('SIGTERM')
  assert.is((await tunnel.done).code, 0)
})

test('a local port already taken moves to the next free one, and the line says so', async () => {
  const dir = await bootedProject(config)
  const held = await listen(PORT)
  try {
    const tunnel = startTunnel(dir, ['web'])
    const line = await tunnel.first
    assert.match(
      line,
      new RegExp(
        `^web on ${re(HOST1)} \\(${re(web.image)}\\): localhost:${PORT + 1} → [0-9.]+:${PORT}; Ctrl-C closes$`,
      ),
    )
    assert.is(await fetchLocal(PORT + 1), HOST1)
    tunnel.signal('SIGINT')
    const r = await tunnel.done
    assert.is(r.code, 0, r.stderr)
  } finally {
    await close(held)
  }
})

test('--ports is honoured; a port asked for that is taken is 64 naming who holds it', async () => {
  const dir = await bootedProject(config)
  const tunnel = startTunnel(dir, ['web', '--ports', `${PORT + 7}:${PORT}`, '--json'])
  const document = JSON.parse(await tunnel.first)
  assert.equal(document.forwards[0].local, { address: '127.0.0.1', port: PORT + 7 })
  assert.is(await fetchLocal(PORT + 7), HOST1)
  tunnel.signal('SIGTERM')
  assert.is((await tunnel.done).code, 0)

  for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
    const held = await listen(PORT + 3, host)
    try {
      const r = await berth('tunnel', ['web', '--ports', `${PORT + 3}:${PORT}`], { cwd: dir })
      assert.is(r.code, 64, r.stdout + r.stderr)
      assert.match(r.stderr, `Local port ${PORT + 3} (--ports ${PORT + 3}:${PORT}) is taken, by pid ${process.pid} (`)
    } finally {
      await close(held)
    }
  }
  const zero = await berth('tunnel', ['web', '--ports', `0:${PORT}`], { cwd: dir })
  assert.is(zero.code, 64, zero.stderr)
  assert.match(zero.stderr, "got '0:")
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} closes it: exit 0, nothing listening, no ssh left`, async () => {
    const dir = await bootedProject(config)
    const tunnel = startTunnel(dir, ['web'])
    assert.match(await tunnel.first, `localhost:${PORT} → `)
    const ssh = listenerPid(PORT)
    tunnel.signal(signal)
    const r = await tunnel.done
    assert.is(r.code, 0, r.stderr)
    assert.match(r.stderr, `berth: ${signal}: closing the tunnel.`)
    await assertClosed(tunnel, r, PORT, ssh)
  })
}

test('berth killed with SIGKILL leaves no tunnel behind: its ssh ends, the port is free', async () => {
  const dir = await bootedProject(config)
  const tunnel = startTunnel(dir, ['web'])
  assert.match(await tunnel.first, `localhost:${PORT} → `)
  const ssh = listenerPid(PORT)
  tunnel.signal('SIGKILL')
  await tunnel.done
  // the master's session reads berth's pipe: it ends once berth is gone (a generous bound)
  for (let i = 0; i < 100 && alive(ssh) && !zombie(ssh); i++) await new Promise((resolve) => setTimeout(resolve, 100))
  assert.ok(!alive(ssh) || zombie(ssh), `ssh ${ssh} still runs`)
  await close(await listen(PORT))
})

test('the ssh settings of every verb: a key only in key_data reaches the host through the private agent', async () => {
  // no IdentityFile anywhere, known hosts still checked: the key reaches ssh only through berth's agent
  const sshConfig = `Host *\n  UserKnownHostsFile ${path.join(labDir(), 'known_hosts')}\n  StrictHostKeyChecking yes\n`
  const key = readFileSync(path.join(labDir(), 'id_ed25519'), 'utf8').trimEnd()
  const dir = project(
    { ...config, ssh: { config: 'ssh_config', keys_only: true, key_data: ['SSH_KEY'] } },
    { ssh_config: sshConfig, '.kamal/secrets': `SSH_KEY="${key}"\n` },
  )
  const booted = await berth('boot', ['web'], { cwd: dir, env: { SSH_AUTH_SOCK: undefined } })
  assert.is(booted.code, 0, booted.stdout + booted.stderr)
  const tunnel = startTunnel(dir, ['web', '--json'], { SSH_AUTH_SOCK: undefined })
  const document = JSON.parse(await tunnel.first)
  assert.is(document.forwards[0].local.port, PORT)
  assert.is(await fetchLocal(PORT), HOST1)
  tunnel.signal('SIGTERM')
  assert.is((await tunnel.done).code, 0)
})

/** The per-connection sshd processes of a lab host: children of its listener (by pid, from /proc). */
function connectionSshds(host: string): number[] {
  const listener = String(sshdPid(host))
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .split(' ')[1] === listener
        )
      } catch {
        return false
      }
    })
    .map(Number)
}

test("the host's sshd gone mid-tunnel ends the run with exit 1 and the cause", async () => {
  const dir = await bootedProject(config)
  const tunnel = startTunnel(dir, ['web'])
  assert.match(await tunnel.first, `localhost:${PORT} → `)
  const ssh = listenerPid(PORT)
  const sshds = connectionSshds(HOST1)
  assert.ok(sshds.length > 0, 'no sshd serves the tunnel')
  for (const pid of sshds) process.kill(pid, 'SIGKILL')
  const r = await tunnel.done
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(r.stderr, new RegExp(`berth: the tunnel to ${re(HOST1)} closed: .*${re(HOST1)}.*; run it again`))
  await assertClosed(tunnel, r, PORT, ssh)
})

test('a stopped accessory is exit 2 with the start command; a missing one with the boot command', async () => {
  const dir = await bootedProject(config)
  const stopped = await berth('stop', ['web'], { cwd: dir })
  assert.is(stopped.code, 0, stopped.stderr)
  const r = await berth('tunnel', ['web'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.match(r.stderr, `run \`npx zx scripts/accessory-start.mjs web --hosts ${HOST1}\` to start it.`)
  const json = await berth('tunnel', ['web', '--json'], { cwd: dir })
  assert.is(json.code, 2)
  assert.is(JSON.parse(json.stdout).error.kind, 'not_running')

  assert.is((await hostDocker(HOST2, ['rm', '-f', 'shop-multi'])).exitCode, 0)
  const missing = await berth('tunnel', ['multi', '--hosts', HOST2], { cwd: dir })
  assert.is(missing.code, 2, missing.stdout + missing.stderr)
  assert.match(missing.stderr, `run \`npx zx scripts/accessory-boot.mjs multi --hosts ${HOST2}\` to boot it.`)
})

test('an accessory on several hosts without --hosts is 64 naming the hosts', async () => {
  const dir = project(config)
  const r = await berth('tunnel', ['multi'], { cwd: dir })
  assert.is(r.code, 64, r.stdout + r.stderr)
  assert.match(
    r.stderr,
    `\`multi\` runs on ${HOST1}, ${HOST2}; a tunnel reaches one host: pick one with --hosts ${HOST1}.`,
  )
})

test.run()
