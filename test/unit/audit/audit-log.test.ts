// Kamal's audit log lines, as Kamal's auditor writes them (lib/kamal/commands/auditor.rb, tags.rb).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { AUDIT, auditLine, auditLogFile, kamalAuditText, recordAudit } from '../../../lib/audit/audit-log.ts'
import { StepEngine } from '../../../lib/flows/engine.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import type { Transport } from '../../../lib/remote/transport.ts'

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
    "mkdir -p .kamal && printf '%s\\n' '[2026-11-30T01:02:03Z] [o'\\''brien] Stopped db accessory' >> .kamal/app-audit.log && printf '%s\\n' '[2026-11-30T01:02:03Z] [o'\\''brien] Booted db accessory' >> .kamal/app-audit.log",
  )
})

test('a newline cannot forge a record: the text is what Kamal\'s `echo "<String#dump>"` leaves through bash', () => {
  const line = auditLine(
    { service: 'app', performer: 'dev@example.com\n[2026-01-01T00:00:00Z] [boss] Removed db accessory image' },
    AUDIT.executed('db', 'psql -c "select 1"\necho hi'),
    now,
  )
  assert.is(
    kamalAuditText(line),
    '[2026-11-30T01:02:03Z] [dev@example.com\\n[2026-01-01T00:00:00Z] [boss] Removed db accessory image] ' +
      'Executed cmd \'psql -c "select 1"\\necho hi\' on db accessory',
  )
  // Ruby's dump, less what bash's double quotes take back: \\ \" \$ \` give \ " $ `; the rest stays escaped
  assert.is(kamalAuditText('a\\b"c$d`e'), 'a\\b"c$d`e')
  assert.is(kamalAuditText('\t\r\f\v\b\x07\x1b\x00\x01\x7f'), '\\t\\r\\f\\v\\b\\a\\e\\x00\\x01\\x7F')
  assert.is(kamalAuditText('#{x} #$y #@z #a'), '\\#{x} \\#$y \\#@z #a')
  assert.is(kamalAuditText('é\u2028ü'), 'é\u2028ü')
  assert.is(kamalAuditText('${HOME} $(id)'), '${HOME} $(id)')
  assert.not.match(kamalAuditText(line), /\n/)
})

test('an audit line that could not be written is told (the run goes on), naming the host, the file and the record', async () => {
  const warnings: string[] = []
  const transport: Transport = {
    run: async () => ({ exitCode: 1, stdout: '', stderr: 'sh: .kamal/app-audit.log: Read-only file system' }),
    stream: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
  }
  const engine = new StepEngine(transport, {
    audit: { service: 'app', performer: 'dev@example.com' },
    warn: (text) => warnings.push(text),
  })
  await engine.audit('h1', [AUDIT.stopped('db'), AUDIT.started('db')])
  assert.equal(warnings, [
    'h1: the audit log .kamal/app-audit.log was not written (sh: .kamal/app-audit.log: Read-only file system), ' +
      "so it lacks: Stopped db accessory; Started db accessory. What was done stays done; check that host's .kamal/app-audit.log.",
  ])
})

test.run()
