import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  execFailureLine,
  execOutcome,
  renderLogs,
  renderSection,
  renderSectionsJson,
  sectionHeader,
  splitLines,
} from '../../../lib/report/sections.ts'

test('section header and body; -q drops the header', () => {
  assert.is(sectionHeader('db', '10.0.0.5'), '== db on 10.0.0.5 ==')
  assert.is(renderSection('db', 'h', 'a\nb', { quiet: false }), '== db on h ==\na\nb\n')
  assert.is(renderSection('db', 'h', 'a\n', { quiet: true }), 'a\n')
  assert.is(renderSection('db', 'h', '', { quiet: false }), '== db on h ==\n')
})

test('splitLines drops only the empty piece after a final newline', () => {
  assert.equal(splitLines(''), [])
  assert.equal(splitLines('a\n\nb\n'), ['a', '', 'b'])
  assert.equal(splitLines('a\r\nb'), ['a', 'b'])
})

test('logs: sections in order; a failed host is named on stderr with why; exit 1', () => {
  const { chunks, exitCode } = renderLogs(
    [
      { accessory: 'db', host: 'h1', ok: true, lines: ['x', 'y'] },
      { accessory: 'db', host: 'h2', ok: false, lines: [], error: 'could not connect to h2 over ssh' },
      { accessory: 'db', host: 'h3', ok: true, lines: [] },
    ],
    { quiet: false },
  )
  assert.is(exitCode, 1)
  assert.equal(chunks, [
    { stream: 'stdout', text: '== db on h1 ==\nx\ny\n' },
    { stream: 'stdout', text: '== db on h2 ==\n' },
    { stream: 'stderr', text: 'Could not read the log of accessory `db` on h2: could not connect to h2 over ssh\n' },
    { stream: 'stdout', text: '== db on h3 ==\n' },
    { stream: 'stderr', text: '1 of 3 logs could not be read (exit 1).\n' },
  ])
  assert.is(renderLogs([{ accessory: 'db', host: 'h1', ok: true, lines: [] }], { quiet: false }).exitCode, 0)
})

test("exec: one accessory × host exits with the command's own code; several exit 1 if any failed", () => {
  const ok = { accessory: 'db', host: 'h1', exitCode: 0 }
  const three = { accessory: 'db', host: 'h2', exitCode: 3, error: '`false` exited 3 on h2.' }
  const unreached = { accessory: 'db', host: 'h3', error: 'could not connect to h3 over ssh' }
  assert.equal(execOutcome([ok]), { exitCode: 0, summary: '' })
  assert.equal(execOutcome([three]), { exitCode: 3, summary: '' })
  assert.equal(execOutcome([{ accessory: 'db', host: 'h', exitCode: 255 }]), { exitCode: 255, summary: '' })
  assert.equal(execOutcome([unreached]), { exitCode: 1, summary: '' })
  assert.equal(execOutcome([ok, ok]), { exitCode: 0, summary: '' })
  assert.equal(execOutcome([ok, three, unreached]), { exitCode: 1, summary: '2 of 3 runs failed (exit 1).\n' })
  assert.is(execFailureLine(three), 'Accessory `db` on h2: `false` exited 3 on h2.\n')
  assert.is(execFailureLine(ok), '')
})

test("logs and exec interrupted by a signal: the closing line and the exit code are the signal's (143, 130)", () => {
  const failed = { accessory: 'db', host: 'h2', ok: false, lines: [], error: 'interrupted by SIGTERM' }
  const logs = renderLogs([failed], { quiet: false, interrupted: 'SIGTERM' })
  assert.is(logs.exitCode, 143)
  assert.equal(logs.chunks.at(-1), {
    stream: 'stderr',
    text: 'Interrupted by SIGTERM: 1 of 1 log could not be read (exit 143).\n',
  })
  const unreached = { accessory: 'db', host: 'h3', error: 'not run: interrupted by SIGINT' }
  assert.equal(execOutcome([{ accessory: 'db', host: 'h1', exitCode: 0 }], 'SIGINT'), { exitCode: 130, summary: '' })
  assert.equal(execOutcome([{ accessory: 'db', host: 'h1', exitCode: 0 }, unreached], 'SIGINT'), {
    exitCode: 130,
    summary: 'Interrupted by SIGINT: 1 of 2 runs failed (exit 130).\n',
  })
})

test('sections as one JSON document', () => {
  assert.equal(JSON.parse(renderSectionsJson('logs', 'logs', [{ host: 'h1' }], 0)), {
    verb: 'logs',
    exitCode: 0,
    logs: [{ host: 'h1' }],
  })
})

test.run()
