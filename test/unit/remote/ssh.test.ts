import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { includeFileContent } from '../../../lib/remote/ssh-include-file.ts'
import { sshArgv, SshTransport, type SshSettings } from '../../../lib/remote/ssh.ts'

const base: SshSettings = { user: 'root', keys: [], keysOnly: false, configFiles: true, connectTimeoutSeconds: 10 }

test('batch mode, connect timeout, user, and -n without stdin', () => {
  assert.equal(sshArgv(base, '10.0.0.5', { stdin: false }), [
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-l',
    'root',
    '-n',
    '--',
    '10.0.0.5',
  ])
})

test('with stdin there is no -n', () => {
  assert.not.ok(sshArgv(base, 'h', { stdin: true }).includes('-n'))
})

test('port, keys, keys_only, jump proxy and config files map to ssh flags', () => {
  const args = sshArgv(
    {
      ...base,
      user: 'deploy',
      port: 2222,
      keys: ['~/.ssh/a', '~/.ssh/b'],
      keysOnly: true,
      proxy: 'root@bastion',
      configFiles: ['ops/ssh_config'],
    },
    'h',
    { stdin: false },
  )
  assert.equal(args, [
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=10',
    '-F',
    'ops/ssh_config',
    '-J',
    'root@bastion',
    '-i',
    '~/.ssh/a',
    '-i',
    '~/.ssh/b',
    '-o',
    'IdentitiesOnly=yes',
    '-p',
    '2222',
    '-l',
    'deploy',
    '-n',
    '--',
    'h',
  ])
})

test('config: false ignores every ssh config file; several files go through one include file', () => {
  assert.ok(
    sshArgv({ ...base, configFiles: false }, 'h', { stdin: false })
      .join(' ')
      .includes('-F /dev/null'),
  )
  assert.ok(
    sshArgv({ ...base, configFiles: ['a', 'b'] }, 'h', { stdin: false, includeFile: '/tmp/inc' })
      .join(' ')
      .includes('-F /tmp/inc'),
  )
})

test('host-key checking is never switched off', () => {
  assert.not.ok(sshArgv(base, 'h', { stdin: false }).join(' ').includes('StrictHostKeyChecking'))
})

test('the host comes after --: a host that looks like an option is still a host', () => {
  const args = sshArgv(base, '-oProxyCommand=x', { stdin: false })
  assert.equal(args.slice(-2), ['--', '-oProxyCommand=x'])
})

test('the Include file quotes each path, and refuses a path that could add a line of its own', () => {
  assert.is(includeFileContent(['/etc/a config', '~/.ssh/b']), 'Include "/etc/a config"\nInclude "~/.ssh/b"\n')
  assert.throws(() => includeFileContent(['a', 'b\nProxyCommand touch x']), /cannot be included/)
  assert.throws(() => includeFileContent(['a"b', 'c']), /cannot be included/)
})

test('empty input (an empty file to upload) reaches the remote command as an immediate end of input', async () => {
  // a fake ssh that, like the real one, reads no stdin with -n, then runs `wc -c` on what it got
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-empty-'))
  writeFileSync(
    path.join(dir, 'ssh'),
    '#!/bin/sh\ncase " $* " in *" -n "*) exec wc -c </dev/null ;; *) exec wc -c ;; esac\n',
    { mode: 0o755 },
  )
  const saved = process.env.PATH
  process.env.PATH = `${dir}:${saved}`
  try {
    const transport = new SshTransport(base)
    for (const [input, bytes] of [
      ['', '0'],
      ['abc', '3'],
    ] as const) {
      // The guard timer is cleared once ssh answers: left running, it would hold the test process for 5 s.
      let guard: NodeJS.Timeout | undefined
      try {
        const result = await Promise.race([
          transport.run('h', { argv: ['cat'], input }),
          new Promise<never>((_, reject) => {
            guard = setTimeout(() => reject(new Error('ssh waits for input')), 5000)
          }),
        ])
        assert.is(result.stdout.trim(), bytes)
      } finally {
        clearTimeout(guard)
      }
    }
  } finally {
    process.env.PATH = saved
  }
})

test('the generated Include file is removed when the process exits', () => {
  // A child process runs one command through a transport with two config files, with a fake ssh that
  // prints the -F file it was given; the file must exist while ssh runs and be gone after exit.
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-include-'))
  writeFileSync(
    path.join(dir, 'ssh'),
    '#!/bin/sh\nwhile [ "$1" != -F ]; do shift; done; echo "$2"; cat "$2" >/dev/null || echo missing\n',
    { mode: 0o755 },
  )
  const script = `import { SshTransport } from ${JSON.stringify(new URL('../../../lib/remote/ssh.ts', import.meta.url).href)}
const t = new SshTransport({ user: 'root', keys: [], keysOnly: false, configFiles: ['a', 'b'], connectTimeoutSeconds: 1 })
const r = await t.run('h', { argv: ['true'] })
process.stdout.write(r.stdout)`
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
    encoding: 'utf8',
  })
  assert.is(child.status, 0, child.stderr)
  const file = child.stdout.trim()
  assert.match(file, /berth-ssh-.*\/config$/)
  assert.not.ok(existsSync(file), `${file} is still there`)
  assert.not.ok(existsSync(path.dirname(file)))
  // Interrupted with no handler of its own: the file goes, and the process still dies of SIGINT.
  const interrupted = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `${script}\nprocess.kill(process.pid, 'SIGINT'); await new Promise((r) => setTimeout(r, 5000))`,
    ],
    {
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
      encoding: 'utf8',
    },
  )
  assert.is(interrupted.signal, 'SIGINT', interrupted.stderr)
  assert.not.ok(existsSync(interrupted.stdout.trim()))
})

test.run()
