// Kamal's pre-connect hook: the environment it runs with (lib/cli/hook-env.ts), and, through the runner against
// a FakeFleet, that it runs before any host is contacted, stops the run when it fails, and never runs with -H.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  abbreviatedVersion,
  hookEnv,
  hookFile,
  hookOutputShown,
  kamalCommand,
  kamalVersion,
  outputTail,
} from '../../../lib/cli/hook-env.ts'
import { FakeFleet } from '../../support/fake-fleet.ts'
import { runWithFleet } from '../../support/run-script.ts'

const now = new Date('2026-12-06T15:00:00.123Z')
const base = {
  now,
  performer: 'ops@example.com',
  service: 'shop',
  version: '0123456789abcdef0123456789abcdef01234567',
  knownRoles: ['web', 'workers', 'jobs'],
  lock: false,
  secrets: { DB_PASSWORD: 's3cret', KAMAL_REGISTRY_PASSWORD: 'pw' },
}

test('boot with -d and -r: exactly Kamal tags, roles resolved against the config, then the secrets', () => {
  const env = hookEnv({
    ...base,
    destination: 'staging',
    hosts: ['10.0.0.1', '10.0.0.2'],
    roles: ['w*'],
    ...kamalCommand('accessory-boot', undefined),
  })
  assert.equal(env, {
    KAMAL_RECORDED_AT: '2026-12-06T15:00:00Z',
    KAMAL_PERFORMER: 'ops@example.com',
    KAMAL_DESTINATION: 'staging',
    KAMAL_VERSION: '0123456789abcdef0123456789abcdef01234567',
    KAMAL_SERVICE_VERSION: 'shop@0123456',
    KAMAL_SERVICE: 'shop',
    KAMAL_HOSTS: '10.0.0.1,10.0.0.2',
    KAMAL_ROLES: 'web,workers',
    KAMAL_LOCK: 'false',
    KAMAL_COMMAND: 'accessory',
    KAMAL_SUBCOMMAND: 'boot',
    DB_PASSWORD: 's3cret',
    KAMAL_REGISTRY_PASSWORD: 'pw',
  })
})

test('check without -d, -r and without a version: those variables are absent, not empty', () => {
  const env = hookEnv({
    ...base,
    version: undefined,
    hosts: ['h1'],
    secrets: {},
    ...kamalCommand('accessory-check', 'db'),
  })
  assert.equal(env, {
    KAMAL_RECORDED_AT: '2026-12-06T15:00:00Z',
    KAMAL_PERFORMER: 'ops@example.com',
    KAMAL_SERVICE_VERSION: 'shop',
    KAMAL_SERVICE: 'shop',
    KAMAL_HOSTS: 'h1',
    KAMAL_LOCK: 'false',
    KAMAL_COMMAND: 'accessory',
    KAMAL_SUBCOMMAND: 'check',
  })
})

test('a secret named like a tag wins, as Kamal merges the secrets last', () => {
  const env = hookEnv({ ...base, hosts: [], secrets: { KAMAL_HOSTS: 'x' }, command: 'lock', subcommand: 'status' })
  assert.is(env.KAMAL_HOSTS, 'x')
  assert.is(env.KAMAL_COMMAND, 'lock')
  assert.is(env.KAMAL_SUBCOMMAND, 'status')
})

test("versions: $VERSION first, else git's sha (with _uncommitted_<hex> when dirty, not abbreviated), else none", () => {
  assert.is(kamalVersion('v1.2', { revision: 'abc', dirty: true }, 'ff'), 'v1.2')
  assert.is(kamalVersion(undefined, { revision: 'abcdef0123', dirty: false }, 'ff'), 'abcdef0123')
  assert.is(kamalVersion(undefined, { revision: 'abcdef0123', dirty: true }, 'ff'), 'abcdef0123_uncommitted_ff')
  assert.is(kamalVersion(undefined, undefined, 'ff'), undefined)
  assert.is(abbreviatedVersion('abcdef0123'), 'abcdef0')
  assert.is(abbreviatedVersion('abcdef0123_uncommitted_ff'), 'abcdef0123_uncommitted_ff')
})

test("verbs in Kamal's words; the hook file under hooks_path or .kamal/hooks, from the working directory", () => {
  assert.equal(kamalCommand('accessory-reboot', undefined), { command: 'accessory', subcommand: 'reboot' })
  assert.equal(kamalCommand('lock', 'release'), { command: 'lock', subcommand: 'release' })
  assert.is(hookFile('/p', undefined), '/p/.kamal/hooks/pre-connect')
  assert.is(hookFile('/p', 'bin/hooks'), '/p/bin/hooks/pre-connect')
  assert.is(hookFile('/p', '/etc/h'), '/etc/h/pre-connect')
})

test('output: shown unless -q or hooks_output quiet (for all hooks or this one); -v shows it anyway', () => {
  const flags = { quiet: false, verbose: false }
  assert.ok(hookOutputShown(undefined, 'pre-connect', flags))
  assert.not.ok(hookOutputShown('quiet', 'pre-connect', flags))
  assert.not.ok(hookOutputShown({ 'pre-connect': 'quiet' }, 'pre-connect', flags))
  assert.ok(hookOutputShown({ 'pre-deploy': 'quiet' }, 'pre-connect', flags))
  assert.ok(hookOutputShown('quiet', 'pre-connect', { quiet: false, verbose: true }))
  assert.not.ok(hookOutputShown(undefined, 'pre-connect', { quiet: true, verbose: false }))
  assert.is(outputTail('a\nb\nc\n\n', 2), 'b\nc')
})

/** A project with one accessory on h1 and a pre-connect hook that logs its KAMAL_* variables to `log`. */
function hooked(script: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-hooks-'))
  writeFileSync(
    path.join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify({ service: 'shop', image: 'shop', accessories: { db: { image: 'postgres:16', host: 'h1' } } })}\n`,
  )
  mkdirSync(path.join(dir, '.kamal/hooks'), { recursive: true })
  const hook = path.join(dir, '.kamal/hooks/pre-connect')
  writeFileSync(hook, `#!/bin/sh\n${script}\n`)
  chmodSync(hook, 0o755)
  return { dir, log: path.join(dir, 'hook.log') }
}

test('the hook runs once, before the first command to a host; a failing one stops the run, naming itself', async () => {
  const { dir, log } = hooked(
    'env | grep ^KAMAL_ | sort >> hook.log; echo run >> hook.log; echo "vpn down" >&2; exit 3',
  )
  const fleet = new FakeFleet()
  const r = await runWithFleet('boot', ['db'], { cwd: dir, fleet })
  assert.is(r.code, 1)
  assert.equal(fleet.sent, [])
  assert.match(r.stderr, /pre-connect hook \.kamal\/hooks\/pre-connect failed with exit code 3/)
  assert.match(r.stderr, /vpn down/)
  assert.match(r.stderr, /-H/)
  assert.is(
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l === 'run').length,
    1,
  )
  assert.match(readFileSync(log, 'utf8'), /KAMAL_SUBCOMMAND=boot/)
})

test('-H: no hook; accessory-config: no hook (it contacts no host)', async () => {
  const { dir, log } = hooked('echo run >> hook.log; exit 1')
  const fleet = new FakeFleet()
  const r = await runWithFleet('check', ['db', '-H'], { cwd: dir, fleet })
  assert.ok(fleet.sent.length > 0)
  assert.not.match(r.stderr, /pre-connect/)
  const c = await runWithFleet('config', [], { cwd: dir, fleet: new FakeFleet() })
  assert.is(c.code, 0)
  assert.not.ok(existsSync(log))
})

test('a hook that is not executable stops the run with the chmod that fixes it', async () => {
  const { dir } = hooked('exit 0')
  chmodSync(path.join(dir, '.kamal/hooks/pre-connect'), 0o644)
  const fleet = new FakeFleet()
  const r = await runWithFleet('boot', ['db', '--json'], { cwd: dir, fleet })
  assert.is(r.code, 1)
  assert.equal(fleet.sent, [])
  assert.match(r.stderr, /is not executable.*chmod \+x \.kamal\/hooks\/pre-connect/)
  assert.is(JSON.parse(r.stdout).error.kind, 'hook')
})

test('a secret holding a NUL byte: the run stops naming the secret, never showing its value', async () => {
  const { dir, log } = hooked('echo run >> hook.log')
  writeFileSync(path.join(dir, '.kamal/secrets'), 'TOKEN=top\0hidden-value\n')
  const fleet = new FakeFleet()
  const r = await runWithFleet('check', ['db'], { cwd: dir, fleet })
  assert.is(r.code, 1)
  assert.equal(fleet.sent, [])
  assert.match(r.stderr, /cannot be given "TOKEN": its value holds a NUL byte/)
  assert.not.match(r.stderr, /hidden-value/)
  assert.not.ok(existsSync(log))
})

/** A process is still running (not gone, not a zombie). */
function running(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z')
  } catch {
    return false
  }
}

test('a hook that leaves a process running (a VPN, an ssh master) holding its output: the run goes on, it stays', async () => {
  const { dir } = hooked('sleep 120 & echo $! > daemon.pid; echo started; exit 0')
  const fleet = new FakeFleet()
  const r = await runWithFleet('check', ['db'], { cwd: dir, fleet })
  const daemon = Number(readFileSync(path.join(dir, 'daemon.pid'), 'utf8'))
  try {
    assert.ok(fleet.sent.length > 0, r.stderr)
    assert.match(r.stderr, /started/)
    assert.ok(running(daemon), 'the process the hook started is left running')
  } finally {
    process.kill(daemon, 'SIGKILL')
  }
})

test.run()
