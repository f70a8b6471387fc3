// The pure parts of connection sharing: the handshake gate, reading the user's ssh config (with its
// Includes) for ControlMaster/ControlPath, and `ssh -G` output.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { FakeFleet } from '../../support/fake-fleet.ts'
import { runWithFleet } from '../../support/run-script.ts'
import { createServer } from 'node:net'
import { makeControlDirectory } from '../../../lib/remote/connections.ts'
import { masterAlive, terminateMaster } from '../../../lib/remote/control-socket.ts'
import { Gate } from '../../../lib/remote/gate.ts'
import {
  configKeywords,
  sshConfigFiles,
  UserSshConfig,
  userSharesConnections,
} from '../../../lib/remote/user-ssh-config.ts'
import { sshArgv } from '../../../lib/remote/ssh.ts'

test('the gate lets at most N pieces of work run at once, the rest in order', async () => {
  const gate = new Gate(2)
  let running = 0
  let peak = 0
  const order: number[] = []
  await Promise.all(
    Array.from({ length: 7 }, (_, i) =>
      gate.run(async () => {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        order.push(i)
        running--
      }),
    ),
  )
  assert.is(peak, 2)
  assert.equal(order.sort(), [0, 1, 2, 3, 4, 5, 6])
})

test('a failing piece of work frees its place', async () => {
  const gate = new Gate(1)
  await gate.run(async () => Promise.reject(new Error('x'))).catch(() => {})
  assert.is(await gate.run(async () => 'next'), 'next')
})

test('which files ssh reads: its own two, none, or the named ones', () => {
  assert.equal(sshConfigFiles(true, '/home/u'), ['/home/u/.ssh/config', '/etc/ssh/ssh_config'])
  assert.equal(sshConfigFiles(false, '/home/u'), [])
  assert.equal(sshConfigFiles(['~/ops/ssh', '/abs'], '/home/u'), ['/home/u/ops/ssh', '/abs'])
})

test('keywords are read through Include (relative to ~/.ssh, globs, quotes), case-insensitively', () => {
  const home = mkdtempSync(path.join(tmpdir(), 'berth-sshcfg-'))
  mkdirSync(path.join(home, '.ssh', 'conf.d'), { recursive: true })
  writeFileSync(path.join(home, '.ssh', 'config'), 'Host *\n  User deploy\nInclude "conf.d/*.conf"\n')
  writeFileSync(path.join(home, '.ssh', 'conf.d', 'a.conf'), 'Host db\n  controlmaster=auto\n')
  writeFileSync(path.join(home, '.ssh', 'conf.d', 'b.txt'), 'ControlPath /x\n')
  const keywords = configKeywords([path.join(home, '.ssh', 'config')], home)
  assert.ok(keywords.has('controlmaster'))
  assert.not.ok(keywords.has('controlpath'), 'b.txt does not match the glob')
  assert.ok(keywords.has('user'))
})

test('a config without Control* or ServerAlive* leaves sharing and keepalives to berth', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-sshcfg-'))
  writeFileSync(path.join(dir, 'config'), 'Host 10.*\n  User root\n  BatchMode yes\n')
  const user = new UserSshConfig([path.join(dir, 'config'), path.join(dir, 'missing')])
  assert.not.ok(user.mentionsSharing)
  assert.not.ok(user.setsKeepalive)
  writeFileSync(path.join(dir, 'config2'), 'Host *\n  ServerAliveInterval 5\n  ControlPath ~/.ssh/cm-%C\n')
  const other = new UserSshConfig([path.join(dir, 'config2')])
  assert.ok(other.mentionsSharing)
  assert.ok(other.setsKeepalive)
})

test('ssh -G output: the user shares connections when ControlMaster is on or a ControlPath is set', () => {
  assert.not.ok(userSharesConnections('user root\ncontrolmaster false\ncontrolpersist no\n'))
  assert.ok(userSharesConnections('controlmaster auto\ncontrolpath /home/u/.ssh/cm-%C\n'))
  assert.ok(userSharesConnections('controlmaster false\ncontrolpath /home/u/.ssh/cm-%C\n'))
  assert.not.ok(userSharesConnections('controlmaster no\ncontrolpath none\n'))
})

test('the control directory is private and short enough for socket paths', () => {
  const dir = makeControlDirectory()
  assert.is(statSync(dir).mode & 0o777, 0o700)
  assert.ok(path.join(dir, 'x'.repeat(40)).length + 17 < 104)
  rmSync(dir, { recursive: true })
})

test('connection options go before the host, never after it', () => {
  const args = sshArgv({ user: 'root', keys: [], keysOnly: false, configFiles: true, connectTimeoutSeconds: 10 }, 'h', {
    stdin: false,
    extra: ['-o', 'ControlMaster=auto'],
  })
  assert.ok(args.indexOf('ControlMaster=auto') < args.indexOf('h'))
})

async function details(args: string[], config: object) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-connections-'))
  writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(config)}\n`)
  const fleet = new FakeFleet()
  return { ...(await runWithFleet('details', ['all', ...args], { cwd: dir, fleet })), fleet }
}

const base = { service: 'shop', image: 'shop/app', accessories: { db: { image: 'postgres:16', host: 'h1' } } }

test('--concurrency and --host-timeout: a bad value is a usage error before any host is contacted', async () => {
  for (const args of [
    ['--concurrency', '0'],
    ['--concurrency', 'x'],
    ['--host-timeout', '-1'],
  ]) {
    const r = await details(args, base)
    assert.is(r.code, 64, `${args.join(' ')}: ${r.stderr}`)
    assert.equal(r.fleet.sent, [])
  }
  assert.is((await details(['--concurrency', '5', '--host-timeout', '0'], base)).code, 2)
})

test('sshkit.max_concurrent_starts must be a positive integer (exit 78, no host contacted)', async () => {
  const r = await details([], { ...base, sshkit: { max_concurrent_starts: 'many' } })
  assert.is(r.code, 78, r.stderr)
  assert.match(r.stderr, /\/sshkit\/max_concurrent_starts: must be integer/)
  assert.equal(r.fleet.sent, [])
  const zero = await details([], { ...base, sshkit: { max_concurrent_starts: 0 } })
  assert.is(zero.code, 78, zero.stderr)
  assert.match(zero.stderr, /\/sshkit\/max_concurrent_starts: must be a positive integer/)
  assert.equal(zero.fleet.sent, [])
  assert.is((await details([], { ...base, sshkit: { max_concurrent_starts: 10 } })).code, 2)
})

/** A unix socket that reads the 24-byte request and then answers as `reply` says. */
async function fakeMaster(
  reply: 'close' | 'deny' | 'silent' | 'alive',
): Promise<{ socket: string; received: () => Buffer; stop: () => void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-mux-test-'))
  const socket = path.join(dir, 'master')
  let received = Buffer.alloc(0)
  const server = createServer((connection) => {
    const hello = Buffer.alloc(12)
    hello.writeUInt32BE(8, 0)
    hello.writeUInt32BE(1, 4)
    hello.writeUInt32BE(4, 8)
    connection.write(hello)
    connection.on('data', (chunk) => {
      received = Buffer.concat([received, chunk])
      if (received.length < 24) return
      if (reply === 'close') connection.destroy()
      if (reply === 'alive') {
        const alive = Buffer.alloc(16) // MUX_S_ALIVE, the client's request id, the master's pid
        alive.writeUInt32BE(12, 0)
        alive.writeUInt32BE(0x80000005, 4)
        alive.writeUInt32BE(1, 8)
        alive.writeUInt32BE(4242, 12)
        connection.write(alive)
      }
      if (reply === 'deny') {
        const denied = Buffer.alloc(12)
        denied.writeUInt32BE(8, 0)
        denied.writeUInt32BE(0x80000002, 4)
        denied.writeUInt32BE(1, 8)
        connection.end(denied)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(socket, resolve))
  return {
    socket,
    received: () => received,
    stop: () => (server.close(), rmSync(dir, { recursive: true, force: true })),
  }
}

test('masters are asked to exit over their control socket, as `ssh -O exit` asks (hello, MUX_C_TERMINATE)', async () => {
  const master = await fakeMaster('close')
  try {
    assert.ok(await terminateMaster(master.socket))
    assert.is(
      master.received().toString('hex'),
      '00000008' + '00000001' + '00000004' + '00000008' + '10000005' + '00000001',
    )
  } finally {
    master.stop()
  }
  const denying = await fakeMaster('deny')
  try {
    assert.not.ok(await terminateMaster(denying.socket), 'a refusal is no exit')
  } finally {
    denying.stop()
  }
  const silent = await fakeMaster('silent')
  try {
    assert.not.ok(await terminateMaster(silent.socket, 200), 'a master that stays is no exit')
  } finally {
    silent.stop()
  }
  assert.not.ok(await terminateMaster(path.join(tmpdir(), 'berth-no-such-socket')), 'no socket: no exit')
})

test('a master is asked whether it is up over its control socket, as `ssh -O check` asks (MUX_C_ALIVE_CHECK)', async () => {
  const master = await fakeMaster('alive')
  try {
    assert.ok(await masterAlive(master.socket))
    assert.is(
      master.received().toString('hex'),
      '00000008' + '00000001' + '00000004' + '00000008' + '10000004' + '00000001',
    )
  } finally {
    master.stop()
  }
  for (const reply of ['close', 'deny', 'silent'] as const) {
    const other = await fakeMaster(reply)
    try {
      assert.not.ok(await masterAlive(other.socket, 200), `a master that answers ${reply} is not up`)
    } finally {
      other.stop()
    }
  }
  assert.not.ok(await masterAlive(path.join(tmpdir(), 'berth-no-such-socket')), 'no socket: no master')
})

test.run()
