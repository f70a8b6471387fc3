import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sshArgv, type SshSettings } from '../../lib/remote/ssh.ts'

const base: SshSettings = { user: 'root', keys: [], keysOnly: false, configFiles: true, connectTimeoutSeconds: 10 }

test('batch mode, connect timeout, user, and -n without stdin', () => {
  assert.equal(sshArgv(base, '10.0.0.5', { stdin: false }), ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-l', 'root', '-n', '--', '10.0.0.5'])
})

test('with stdin there is no -n', () => {
  assert.not.ok(sshArgv(base, 'h', { stdin: true }).includes('-n'))
})

test('port, keys, keys_only, jump proxy and config files map to ssh flags', () => {
  const args = sshArgv({ ...base, user: 'deploy', port: 2222, keys: ['~/.ssh/a', '~/.ssh/b'], keysOnly: true, proxy: 'root@bastion', configFiles: ['ops/ssh_config'] }, 'h', { stdin: false })
  assert.equal(args, ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-F', 'ops/ssh_config', '-J', 'root@bastion', '-i', '~/.ssh/a', '-i', '~/.ssh/b', '-o', 'IdentitiesOnly=yes', '-p', '2222', '-l', 'deploy', '-n', '--', 'h'])
})

test('config: false ignores every ssh config file; several files go through one include file', () => {
  assert.ok(sshArgv({ ...base, configFiles: false }, 'h', { stdin: false }).join(' ').includes('-F /dev/null'))
  assert.ok(sshArgv({ ...base, configFiles: ['a', 'b'] }, 'h', { stdin: false, includeFile: '/tmp/inc' }).join(' ').includes('-F /tmp/inc'))
})

test('host-key checking is never switched off', () => {
  assert.not.ok(sshArgv(base, 'h', { stdin: false }).join(' ').includes('StrictHostKeyChecking'))
})

test.run()
