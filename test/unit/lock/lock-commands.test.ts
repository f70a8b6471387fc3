// Kamal's deploy lock, command for command (lib/kamal/commands/lock.rb), and the one lock host per config.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  acquireLock,
  encodeDetails,
  formatLockDetails,
  lockDirectory,
  lockStatus,
  NO_DETAILS,
  NOT_A_FILE,
  NO_LOCK,
  parseLockDetails,
  readLockStatus,
  releaseLock,
} from '../../../lib/lock/lock-commands.ts'
import { lockHostOf } from '../../../lib/lock/deploy-lock.ts'
import { lockCommand } from '../../../lib/flows/lock-status.ts'
import { describeCommand, type Transport } from '../../../lib/remote/transport.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const details = {
  lockedBy: 'dev@example.com',
  at: '2026-11-30T01:02:03Z',
  version: 'berth',
  message: 'accessory-reboot all',
}

test("Kamal's lock text round-trips, and its details are base64 in 60-character lines as Ruby writes them", () => {
  const text = formatLockDetails(details)
  assert.is(text, 'Locked by: dev@example.com at 2026-11-30T01:02:03Z\nVersion: berth\nMessage: accessory-reboot all')
  assert.equal(parseLockDetails(text), details)
  assert.equal(parseLockDetails(`${text}\n`), details)
  assert.is(parseLockDetails('garbage'), undefined)
  const encoded = encodeDetails(text)
  assert.ok(encoded.split('\n').every((line) => line.length <= 60))
  assert.is(Buffer.from(encoded.replaceAll('\n', ''), 'base64').toString('utf8'), text)
})

test('lock commands: mkdir (atomic) with details on stdin, status decoded, release', () => {
  assert.is(lockDirectory('app'), '.kamal/lock-app')
  assert.is(lockDirectory('app', 'staging'), '.kamal/lock-app-staging')
  assert.is(
    describeCommand(acquireLock('.kamal/lock-app', 'x')),
    `mkdir -p .kamal && mkdir .kamal/lock-app && sh -c 'cat > "$1"/details' sh .kamal/lock-app  # stdin: 5 bytes, not shown`,
  )
  assert.is(
    shellJoin(lockStatus('.kamal/lock-app').argv),
    `sh -c '{ [ -e "$1" ] || [ -L "$1" ]; } || exit 3; { [ -e "$1"/details ] || [ -L "$1"/details ]; } || exit 4; ` +
      `{ [ -f "$1"/details ] && [ -r "$1"/details ]; } || exit 5; head -c 65537 "$1"/details' sh .kamal/lock-app`,
  )
  assert.is(shellJoin(releaseLock('.kamal/lock-app').argv), 'rm .kamal/lock-app/details && rm -r .kamal/lock-app')
  assert.is(shellJoin(releaseLock('.kamal/lock-app', false).argv), 'rm -r .kamal/lock-app')
})

test("the lock's status is read here: no lock, Kamal's details, or a lock whose details cannot be read, and why", () => {
  const text = formatLockDetails(details)
  // Kamal writes `echo "<Base64.encode64>"`: 60-character lines and a newline
  assert.equal(readLockStatus(0, `${encodeDetails(text)}\n\n`), { held: true, details, text })
  assert.equal(readLockStatus(NO_LOCK, ''), { held: false })
  const noDetails = readLockStatus(NO_DETAILS, '')
  assert.ok(noDetails.held && !noDetails.details)
  assert.match(noDetails.held && !noDetails.details ? noDetails.problem : '', 'it has no details file')
  const problem = (stdout: string) => {
    const state = readLockStatus(0, stdout)
    return state.held && !state.details ? state.problem : `read: ${JSON.stringify(state)}`
  }
  assert.is(problem(''), 'its details file is empty')
  // a carriage return or U+2028 in what Kamal wrote (a performer, a version) is still Kamal's form
  const odd = { lockedBy: 'ann\r<a@b>', at: '2026-01-01T00:00:00Z', version: 'v\u2028x', message: 'm' }
  assert.equal(readLockStatus(0, encodeDetails(formatLockDetails(odd))), {
    held: true,
    details: odd,
    text: 'Locked by: ann\\x0d<a@b> at 2026-01-01T00:00:00Z\nVersion: v\u2028x\nMessage: m',
  })
  assert.is(problem('QUFB'.repeat(16385)), 'its details file is larger than 65536 bytes, far more than Kamal writes')
  const notAFile = readLockStatus(NOT_A_FILE, '')
  assert.is(
    notAFile.held && !notAFile.details && notAFile.problem,
    'its details are not a file that can be read (a directory, a pipe or a device)',
  )
  assert.is(problem('not base64!\n'), 'its details file is not base64; it reads: not base64!')
  assert.is(problem('a\u001b[31mb\u0000'), 'its details file is not base64; it reads: a\\x1b[31mb\\x00')
  assert.match(problem(`${'x'.repeat(300)}!`), /^its details file is not base64; it reads: x{200}… \(301 characters\)$/)
  assert.is(
    problem(Buffer.from([0xff, 0xfe, 0x00]).toString('base64')),
    'its details file decodes to bytes that are not text',
  )
  assert.is(
    problem(Buffer.from('someone\nelse').toString('base64')),
    "its details are not in Kamal's form; they read: someone\nelse",
  )
})

test('release racing another release: the lock gone under it is released (exit 0), not a failure', async () => {
  const deployment = deploymentFrom({ service: 'app', image: 'app', accessories: { db: { image: 'pg', host: 'h1' } } })
  let held = true
  const transport: Transport = {
    run: async (_host, command) => {
      const line = shellJoin(command.argv)
      if (line.startsWith('sh -c ')) {
        const stdout = held ? `${encodeDetails(formatLockDetails(details))}\n` : ''
        return { exitCode: held ? 0 : NO_LOCK, stdout, stderr: '' }
      }
      // the other release removed it between this one's status and its rm
      held = false
      return {
        exitCode: 1,
        stdout: '',
        stderr: "rm: cannot remove '.kamal/lock-app/details': No such file or directory",
      }
    },
    stream: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
  }
  const report = await lockCommand(deployment, transport, 'release', { dryRun: false, releaseCommand: 'x' })
  assert.equal(report, {
    lines: [
      'The deploy lock .kamal/lock-app on h1 was released meanwhile (by another release or by the run that held it).',
    ],
    exitCode: 0,
  })
})

test("one lock host per config: the primary role's first host, else the first host of the first accessory", () => {
  const withServers = deploymentFrom({
    service: 'app',
    image: 'app',
    servers: { web: ['10.0.0.1', '10.0.0.2'] },
    accessories: { db: { image: 'pg', host: '10.0.0.9' } },
  })
  assert.equal(lockHostOf(withServers), { host: '10.0.0.1', why: "the primary role's first host" })
  const accessoryOnly = deploymentFrom({
    service: 'app',
    image: 'app',
    accessories: { db: { image: 'pg', hosts: ['10.0.0.5', '10.0.0.6'] }, cache: { image: 'redis', host: '10.0.0.7' } },
  })
  assert.is(lockHostOf(accessoryOnly)!.host, '10.0.0.5')
  assert.match(lockHostOf(accessoryOnly)!.why, /first host of the first accessory, `db`/)
})

test.run()
