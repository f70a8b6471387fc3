// Kamal's audit log lines, as Kamal's auditor writes them (lib/kamal/commands/auditor.rb, tags.rb).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AUDIT, auditLine, auditLogFile, recordAudit } from '../../lib/audit/commands.ts'
import { shellJoin } from '../../lib/remote/quote.ts'

const now = new Date('2026-11-30T01:02:03.456Z')

test('a line is [time] [performer] [destination] message; the file is .kamal/<service>[-<destination>]-audit.log', () => {
  assert.is(
    auditLine({ service: 'app', performer: 'dev@example.com' }, AUDIT.booted('db'), now),
    '[2026-11-30T01:02:03Z] [dev@example.com] Booted db accessory',
  )
  assert.is(
    auditLine({ service: 'app', destination: 'staging', performer: 'root' }, AUDIT.stopped('db'), now),
    '[2026-11-30T01:02:03Z] [root] [staging] Stopped db accessory',
  )
  assert.is(auditLogFile('app'), '.kamal/app-audit.log')
  assert.is(auditLogFile('app', 'staging'), '.kamal/app-staging-audit.log')
})

test("Kamal's messages, and one remote command appending every line in order", () => {
  assert.equal(
    [
      AUDIT.started('db'),
      AUDIT.pulled('db'),
      AUDIT.removedContainer('db'),
      AUDIT.removedImage('db'),
      AUDIT.executed('db', 'psql -c select'),
    ],
    [
      'Started db accessory',
      'Pull db accessory image',
      'Remove db accessory container',
      'Removed db accessory image',
      "Executed cmd 'psql -c select' on db accessory",
    ],
  )
  const command = shellJoin(
    recordAudit({ service: 'app', performer: "o'brien" }, [AUDIT.stopped('db'), AUDIT.booted('db')], now).argv,
  )
  assert.is(
    command,
    "mkdir -p .kamal && echo '[2026-11-30T01:02:03Z] [o'\\''brien] Stopped db accessory' >> .kamal/app-audit.log && echo '[2026-11-30T01:02:03Z] [o'\\''brien] Booted db accessory' >> .kamal/app-audit.log",
  )
})

test.run()
