// Which failures are ssh's own: OpenSSH's messages, as its sources print them (sshconnect.c, kex.c, packet.c's
// sshpkt_vfatal, clientloop.c, mux.c, readconf.c; log.c ends each line with \r\n on stderr), are "could not
// connect"; a remote command's own exit 255 is that command's, whatever it prints, once the transport knows
// the connection held.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { tmpdir } from 'node:os'
import { LocalTransport } from '../../support/local-transport.ts'
import { describeFailure, isConnectionFailure } from '../../../lib/remote/command-failure.ts'
import type { CommandResult } from '../../../lib/remote/transport.ts'

const ssh = (...lines: string[]): CommandResult => ({
  exitCode: 255,
  stdout: '',
  stderr: lines.map((l) => `${l}\r\n`).join(''),
})

const OPENSSH_FAILURES: Array<[string, CommandResult]> = [
  ['TCP connect timed out (sshconnect.c)', ssh('ssh: connect to host 10.0.0.5 port 22: Connection timed out')],
  ['refused', ssh('ssh: connect to host 10.0.0.5 port 22: Connection refused')],
  ['no route', ssh('ssh: connect to host 10.0.0.5 port 22: No route to host')],
  ['name lookup', ssh('ssh: Could not resolve hostname db.example: Name or service not known')],
  // a host that answers the banner and then stalls: the keepalives (ServerAliveInterval) end the handshake
  ['stalled after the banner (packet.c SSH_ERR_CONN_TIMEOUT)', ssh('Connection to 10.0.0.5 port 22 timed out')],
  [
    'no banner within ConnectTimeout (kex.c, then packet.c)',
    ssh('Connection timed out during banner exchange', 'Connection to 10.0.0.5 port 22 timed out'),
  ],
  [
    'closed before the banner',
    ssh('kex_exchange_identification: Connection closed by remote host', 'Connection closed by 10.0.0.5 port 22'),
  ],
  [
    'reset before the banner',
    ssh('kex_exchange_identification: read: Connection reset by peer', 'Connection reset by 10.0.0.5 port 22'),
  ],
  ['a banner that is no banner', ssh('banner exchange: Connection to 10.0.0.5 port 22: invalid format')],
  ['closed', ssh('Connection closed by 10.0.0.5 port 22')],
  [
    'the server disconnects',
    ssh(
      'Received disconnect from 10.0.0.5 port 22:2: Too many authentication failures',
      'Disconnected from 10.0.0.5 port 22',
    ),
  ],
  [
    'no common algorithm',
    ssh('Unable to negotiate with 10.0.0.5 port 22: no matching host key type found. Their offer: ssh-rsa'),
  ],
  ['keepalives unanswered (clientloop.c)', ssh('Timeout, server 10.0.0.5 not responding.')],
  ['the connection dropped (clientloop.c)', ssh('Connection to 10.0.0.5 closed by remote host.')],
  ['the local end broke', ssh('client_loop: send disconnect: Broken pipe')],
  ['keys refused', ssh('root@10.0.0.5: Permission denied (publickey).')],
  ['host key', ssh('Host key verification failed.')],
  [
    'corrupt packets',
    ssh('ssh_dispatch_run_fatal: Connection to 10.0.0.5 port 22: message authentication code incorrect'),
  ],
  ['ssh config permissions', ssh('Bad owner or permissions on /root/.ssh/config')],
  [
    'a bad ssh config (readconf.c)',
    ssh(
      '/root/.ssh/config: line 3: Bad configuration option: conectTimeout',
      '/root/.ssh/config: terminating, 1 bad configuration options',
    ),
  ],
  [
    'a jump host that cannot reach the host',
    ssh(
      'channel 0: open failed: connect failed: Connection refused',
      'stdio forwarding failed',
      'kex_exchange_identification: Connection closed by remote host',
      'Connection closed by UNKNOWN port 65535',
    ),
  ],
  ['the shared connection went away (mux.c)', ssh('mux_client_request_session: read from master failed: Broken pipe')],
  ['LogLevel QUIET: no words at all', ssh()],
]

test("OpenSSH's own failures are 'could not connect to HOST over ssh', with ssh's own message", () => {
  for (const [name, result] of OPENSSH_FAILURES) {
    assert.ok(isConnectionFailure(result), `${name}: ${JSON.stringify(result.stderr)}`)
    const sentence = describeFailure('10.0.0.5', '`docker ps`/`docker inspect`', result)
    assert.ok(sentence.startsWith('could not connect to 10.0.0.5 over ssh ('), `${name}: ${sentence}`)
    const last = result.stderr.trim().split('\r\n').at(-1)
    if (last) assert.ok(sentence.includes(last), `${name}: ssh's message is in ${sentence}`)
    assert.not.match(sentence, /docker ps|fix the cause/, name)
  }
})

test("a command's own exit 255 is the command's: named, never 'could not connect'", () => {
  // no words from ssh: without knowing more, exit 255 with nothing on stderr is taken as ssh's
  const ran: CommandResult = { exitCode: 255, stdout: 'ran\n', stderr: '' }
  assert.ok(isConnectionFailure(ran))
  // and then the command's stdout is never given as ssh's reason
  assert.match(describeFailure('h1', '`sh -c`', ran), /^could not connect to h1 over ssh \(ssh exited 255\); /)
  // the ssh transport asked the shared connection afterwards: it was up, so the 255 is the command's
  const held = { ...ran, connectionFailed: false }
  assert.not.ok(isConnectionFailure(held))
  assert.match(describeFailure('h1', '`sh -c`', held), /^`sh -c` exited 255 \(ran\); fix the cause on h1/)
  // even when the command's output looks like ssh's words
  assert.not.ok(
    isConnectionFailure({ exitCode: 255, stdout: '', stderr: 'Connection refused\n', connectionFailed: false }),
  )
  // the transport knows the handshake failed: a connection failure whatever the words
  assert.ok(isConnectionFailure({ exitCode: 255, stdout: '', stderr: 'something new\n', connectionFailed: true }))
  // a tty session's normal goodbye is no failure of ssh's
  assert.not.ok(isConnectionFailure({ exitCode: 255, stdout: '', stderr: 'oops\r\nConnection to h1 closed.\r\n' }))
})

test("a transport without ssh never reports a connection failure: a local exit 255 is the command's", async () => {
  const result = await new LocalTransport(tmpdir()).run('local', { argv: ['sh', '-c', 'echo ran; exit 255'] })
  assert.is(result.exitCode, 255)
  assert.not.ok(isConnectionFailure(result))
  assert.match(describeFailure('local', '`sh -c`', result), /^`sh -c` exited 255 \(ran\)/)
})

test('a wait the signal ended is neither a connection failure nor a time-out', () => {
  const cut: CommandResult = { exitCode: 255, stdout: '', stderr: '', interrupted: true }
  assert.not.ok(isConnectionFailure(cut))
  assert.is(
    describeFailure('h1', '`docker ps`', cut),
    '`docker ps` did not run to its end on h1: the run was interrupted.',
  )
})

test.run()
