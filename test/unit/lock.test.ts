// Kamal's deploy lock, command for command (lib/kamal/commands/lock.rb), and the one lock host per config.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  acquireLock,
  encodeDetails,
  formatLockDetails,
  lockDirectory,
  lockStatus,
  parseLockDetails,
  releaseLock,
} from '../../lib/lock/commands.ts'
import { lockHostOf } from '../../lib/lock/deploy-lock.ts'
import { describeCommand } from '../../lib/remote/transport.ts'
import { shellJoin } from '../../lib/remote/quote.ts'
import { deploymentFrom } from '../support/deployment.ts'

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
    'stat .kamal/lock-app > /dev/null && cat .kamal/lock-app/details | base64 -d',
  )
  assert.is(shellJoin(releaseLock('.kamal/lock-app').argv), 'rm .kamal/lock-app/details && rm -r .kamal/lock-app')
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
