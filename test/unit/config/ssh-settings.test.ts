// Kamal's ssh settings as berth honours them: key_data (a private ssh-agent for the run, keys over stdin),
// forward_agent, log_level; sshkit's keys validated. lib/remote/ssh-agent.ts runs the real ssh-agent here.
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadConfig, ConfigError } from '../../../lib/config/load.ts'
import { resolveDeployment } from '../../../lib/config/deployment.ts'
import type { ResolveOptions } from '../../../lib/config/config-source.ts'
import { sshArgv, SshTransport } from '../../../lib/remote/ssh.ts'
import { AgentError, startAgent } from '../../../lib/remote/ssh-agent.ts'
import { tempDir } from '../../support/files.ts'

/** A throwaway ed25519 private key (generated here, never committed). */
function freshKey(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-key-'))
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'berth-test', '-f', path.join(dir, 'id')])
  return readFileSync(path.join(dir, 'id'), 'utf8')
}

const alive = (pid: number) =>
  existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]!.startsWith('Z')

async function load(
  yml: string,
  files: Record<string, string> = {},
  options: Pick<ResolveOptions, 'unresolvedSecrets' | 'contactsHosts'> = {},
) {
  const cwd = tempDir({ 'config/deploy.yml': yml, ...files })
  const loaded = await loadConfig({ cwd, env: {} })
  return resolveDeployment(loaded, { cwd, env: {}, ...options })
}

const HEAD = 'service: app\nimage: app\naccessories:\n  db:\n    image: postgres:16\n    host: db1\n'

test("forward_agent and log_level reach ssh as -A/-a and LogLevel (Kamal's logger levels mapped)", async () => {
  const on = await load(`${HEAD}ssh:\n  forward_agent: true\n  log_level: debug\n`)
  assert.equal(sshArgv(on.ssh, 'db1', { stdin: false }).slice(4, 8), ['-A', '-o', 'LogLevel=DEBUG', '-l'])
  const off = await load(`${HEAD}ssh:\n  forward_agent: false\n  log_level: fatal\n`)
  assert.equal(sshArgv(off.ssh, 'db1', { stdin: false }).slice(4, 8), ['-a', '-o', 'LogLevel=FATAL', '-l'])
  const unset = await load(HEAD)
  const argv = sshArgv(unset.ssh, 'db1', { stdin: false }).join(' ')
  assert.not.ok(/ -A | -a |LogLevel/.test(argv), argv)
})

test('a terminal command (logs --follow) gets ssh -tt, quiet about the closing line unless log_level is set', async () => {
  const unset = await load(HEAD)
  const argv = sshArgv(unset.ssh, 'db1', { stdin: false, terminal: true })
  assert.equal(argv.slice(4, 7), ['-tt', '-o', 'LogLevel=ERROR'])
  assert.equal(argv.slice(-3), ['-n', '--', 'db1'])
  const set = await load(`${HEAD}ssh:\n  log_level: debug\n`)
  assert.equal(sshArgv(set.ssh, 'db1', { stdin: false, terminal: true }).slice(4, 8), [
    '-o',
    'LogLevel=DEBUG',
    '-tt',
    '-l',
  ])
  assert.not.ok(sshArgv(unset.ssh, 'db1', { stdin: false }).includes('-tt'))
})

test('log_level, sshkit: what Kamal refuses is refused', async () => {
  try {
    await load(
      `${HEAD}ssh:\n  log_level: loud\nsshkit:\n  max_concurrent_starts: "10"\n  pool_idle_timeout: 300\n  bogus: 1\n`,
    )
    assert.unreachable()
  } catch (e) {
    assert.instance(e, ConfigError)
    assert.equal((e as ConfigError).problems, [
      'config/deploy.yml:8:14: /ssh/log_level: "loud" is not a log level; ssh.log_level takes debug, info, warn, error, fatal, unknown (or 0 to 5), as Kamal\'s logger does.',
      'config/deploy.yml:10:26: /sshkit/max_concurrent_starts: must be integer',
      'config/deploy.yml:12:3: /sshkit: unknown key "bogus"',
    ])
  }
  const ok = await load(`${HEAD}sshkit:\n  max_concurrent_starts: 10\n  pool_idle_timeout: 300\n  dns_retries: 0\n`)
  assert.equal(ok.sshKeyData, [])
})

test('a key_data secret that holds no key is a config error for every run that contacts hosts, read-only ones too', async () => {
  const yml = `${HEAD}ssh:\n  key_data: [SSH_KEY]\n`
  // SSH_KEY=$SSH_KEY in .kamal/secrets, the variable unset (GitHub Actions without the repository secret); no file
  for (const files of [
    { '.kamal/secrets': 'SSH_KEY=$UNSET_9f3a\n' },
    { '.kamal/secrets': "SSH_KEY=''\n" },
    { '.kamal/secrets': 'SSH_KEY="  \n  "\n' },
    {},
  ] as Record<string, string>[])
    for (const unresolvedSecrets of ['allow', 'error'] as const) {
      try {
        await load(yml, files, { unresolvedSecrets })
        assert.unreachable(`${JSON.stringify(files)} ${unresolvedSecrets}`)
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e
        assert.is(e.problems.length, 1)
        assert.match(
          e.problems[0]!,
          /^config\/deploy\.yml:8:14: \/ssh\/key_data\/0: The secret "SSH_KEY" named by key_data is /,
        )
        assert.match(e.problems[0]!, files['.kamal/secrets'] ? /is empty/ : /is not set in/)
        assert.match(e.problems[0]!, /set `SSH_KEY=\.\.\.` to the private key/)
      }
    }
  // a run that reaches no host (accessory-config, exec --dry-run) shows it as not set
  for (const unresolvedSecrets of ['allow', 'error'] as const) {
    const d = await load(yml, { '.kamal/secrets': 'SSH_KEY=\n' }, { unresolvedSecrets, contactsHosts: false })
    assert.equal(d.sshKeyData, [])
    assert.equal(d.unresolvedKeyData, ['SSH_KEY'])
  }
})

test("key_data names secrets; a missing one is a config error; an inline key is Kamal's deprecated form, with its warning", async () => {
  const key = freshKey()
  const d = await load(`${HEAD}ssh:\n  key_data: [SSH_KEY]\n`, { '.kamal/secrets': `SSH_KEY="${key.trimEnd()}"\n` })
  assert.equal(d.sshKeyData, [{ name: 'SSH_KEY', key: key.trimEnd() }])
  try {
    await load(`${HEAD}ssh:\n  key_data: [NOPE]\n`, { '.kamal/secrets': 'OTHER=1\n' })
    assert.unreachable()
  } catch (e) {
    assert.equal((e as ConfigError).problems, [
      'config/deploy.yml:8:14: /ssh/key_data/0: The secret "NOPE" named by key_data is not set in ' +
        '.kamal/secrets-common or .kamal/secrets, so no host could be logged into; set `NOPE=...` to the private key ' +
        "there (in GitHub Actions: add the repository secret and pass it in the step's `env`).",
    ])
  }
  const inline = await load(`${HEAD}ssh:\n  key_data:\n    - ${JSON.stringify(key)}\n`)
  assert.is(inline.sshKeyData[0]!.name, 'inline key 0')
  assert.match(
    inline.warnings[0]!,
    /^config\/deploy\.yml:9:7: an inline private key in key_data is deprecated by Kamal/,
  )
})

test('the private agent: keys arrive over stdin, ssh-add lists them, the public halves are files, stop ends the agent', async () => {
  const key = freshKey()
  const agent = await startAgent([{ name: 'SSH_KEY', key: key.trimEnd() }])
  try {
    assert.ok(alive(agent.pid))
    assert.is(readFileSync(`/proc/${agent.pid}/comm`, 'utf8').trim(), 'ssh-agent')
    const listed = execFileSync('ssh-add', ['-L'], { env: { SSH_AUTH_SOCK: agent.socket }, encoding: 'utf8' })
    assert.match(listed, /^ssh-ed25519 \S+ berth-test\n$/)
    // the key went on stdin: neither the agent's argv nor any file holds it
    assert.not.ok(readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').includes('PRIVATE'))
    const folder = path.dirname(agent.socket)
    assert.is((await import('node:fs')).statSync(folder).mode & 0o777, 0o700)
    for (const file of readdirSync(folder))
      if (file !== 'agent.sock')
        assert.not.ok(readFileSync(path.join(folder, file), 'utf8').includes('PRIVATE KEY'), file)
    assert.equal(
      agent.publicKeyFiles.map((f) => readFileSync(f, 'utf8')),
      [listed],
    )
  } finally {
    agent.stop()
  }
  for (let i = 0; i < 50 && alive(agent.pid); i++) await new Promise((r) => setTimeout(r, 20))
  assert.not.ok(alive(agent.pid), 'the agent is gone after stop')
  assert.not.ok(existsSync(path.dirname(agent.socket)), 'its folder is removed')
})

test('a key ssh-add refuses is named by its secret, never shown', async () => {
  try {
    await startAgent([{ name: 'SSH_KEY', key: 'not-a-key-but-secret-text' }])
    assert.unreachable()
  } catch (e) {
    assert.instance(e, AgentError)
    assert.match((e as Error).message, /^ssh\.key_data SSH_KEY could not be loaded into ssh-agent \(/)
    assert.not.ok((e as Error).message.includes('secret-text'))
  }
})

test('when berth is killed outright, the watchdog stops the agent and removes its folder', async () => {
  const key = freshKey()
  const script = `import { startAgent } from ${JSON.stringify(new URL('../../../lib/remote/ssh-agent.ts', import.meta.url).href)}
const agent = await startAgent([{ name: 'K', key: ${JSON.stringify(key)} }])
process.stdout.write(agent.pid + ' ' + agent.socket + '\\n')
setInterval(() => {}, 1000)`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const [pid, socket] = await new Promise<[number, string]>((resolve) =>
    child.stdout.once('data', (d) => {
      const [p, sock] = String(d).trim().split(' ')
      resolve([Number(p), sock!])
    }),
  )
  try {
    assert.ok(alive(pid), `agent pid ${pid}`)
  } finally {
    child.kill('SIGKILL')
  }
  for (let i = 0; i < 150 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20))
  assert.not.ok(alive(pid), 'the agent outlived a killed berth')
  for (let i = 0; i < 50 && existsSync(path.dirname(socket)); i++) await new Promise((r) => setTimeout(r, 20))
  assert.not.ok(existsSync(path.dirname(socket)), 'its folder (public keys only) is removed too')
})

test('only the ssh processes berth spawns see the agent (SSH_AUTH_SOCK in their environment)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-fake-ssh-'))
  writeFileSync(path.join(dir, 'ssh'), '#!/bin/sh\nprintf %s "$SSH_AUTH_SOCK"\n', { mode: 0o755 })
  const saved = { PATH: process.env.PATH, SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK }
  process.env.PATH = `${dir}:${saved.PATH}`
  process.env.SSH_AUTH_SOCK = '/users/own/agent'
  try {
    const settings = { user: 'root', keys: [], keysOnly: false, configFiles: true, connectTimeoutSeconds: 1 }
    assert.is(
      (
        await new SshTransport({ ...settings, agentSocket: '/tmp/berth-agent-x/agent.sock' }).run('h', {
          argv: ['true'],
        })
      ).stdout,
      '/tmp/berth-agent-x/agent.sock',
    )
    assert.is((await new SshTransport(settings).run('h', { argv: ['true'] })).stdout, '/users/own/agent')
    assert.is(process.env.SSH_AUTH_SOCK, '/users/own/agent')
  } finally {
    process.env.PATH = saved.PATH
    if (saved.SSH_AUTH_SOCK === undefined) delete process.env.SSH_AUTH_SOCK
    else process.env.SSH_AUTH_SOCK = saved.SSH_AUTH_SOCK
  }
  assert.ok(spawnSync('true').status === 0)
})

test.run()
