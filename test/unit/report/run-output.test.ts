// A run's end: the one exit-code rule (lib/report/exit-codes.ts exitCodeOfRun), the one renderer of any verb's
// result or failure (lib/report/output.ts renderRun), and flags parsed once into typed values (lib/cli/args.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseVerbArgs, UsageError } from '../../../lib/cli/args.ts'
import { CONNECTION_OPTIONS } from '../../../lib/cli/verb-options.ts'
import { VERBS } from '../../../lib/cli/verbs.ts'
import { exitCodeOfRun } from '../../../lib/report/exit-codes.ts'
import { renderRun, type OutputView } from '../../../lib/report/output.ts'

const view = (over: Partial<OutputView> = {}): OutputView => ({
  verb: 'boot',
  json: false,
  quiet: false,
  colour: false,
  invocation: { accessoryHosts: new Map() },
  actions: false,
  ...over,
})

test('the exit-code rule: usage and config first, then a signal, then an error or a lock left behind, then the result', () => {
  assert.is(exitCodeOfRun({ failure: 'usage', interrupted: 'SIGINT' }), 64)
  assert.is(exitCodeOfRun({ failure: 'config' }), 78)
  assert.is(exitCodeOfRun({ failure: 'hook' }), 1)
  assert.is(exitCodeOfRun({ failure: 'error', interrupted: 'SIGTERM' }), 143)
  assert.is(exitCodeOfRun({ failure: 'lock' }), 1)
  assert.is(exitCodeOfRun({ result: 2, interrupted: 'SIGHUP' }), 129)
  assert.is(exitCodeOfRun({ result: 2, releaseFailed: true }), 1)
  assert.is(exitCodeOfRun({ result: 2 }), 2)
  assert.is(exitCodeOfRun({}), 0)
})

test('one renderer: a report, its annotations and the job summary, and the exit code with a lock left behind', async () => {
  const entry = {
    accessory: 'db',
    service: 'app-db',
    host: 'h1',
    found: 'drift' as const,
    configuredImage: 'postgres:17',
    runningImage: 'postgres:16',
  }
  const out = await renderRun(
    { result: { kind: 'report', report: { verb: 'boot', dryRun: false, entries: [entry] } }, releaseErrors: ['gone'] },
    view({ actions: true }),
  )
  assert.is(out.exitCode, 1)
  assert.match(out.annotations, /^::warning title=berth boot%3A db on h1::/)
  assert.equal(
    out.chunks.map((c) => c.stream),
    ['stdout', 'stderr'],
  )
  assert.match(out.chunks[0]!.text, /1 drifted \(exit 2\)\.\n$/)
  assert.is(out.chunks[1]!.text, 'berth: gone\n')
  assert.match(out.summary ?? '', /^### berth boot: exit 1\n\ngone\n/)
})

test('one renderer: aborted, nothing to do, the lock, a failure, a hook interrupted', async () => {
  const aborted = await renderRun(
    { result: { kind: 'aborted', verb: 'remove' }, releaseErrors: [] },
    view({ json: true }),
  )
  assert.is(aborted.exitCode, 1)
  assert.is(aborted.chunks[0]!.text, 'Aborted; nothing was changed.\n')
  assert.equal(JSON.parse(aborted.chunks[1]!.text).error.kind, 'aborted')
  const nothing = { kind: 'nothing' as const, configFile: 'deploy.yml', empty: { kind: 'check' as const, entries: [] } }
  const text = await renderRun({ result: nothing, releaseErrors: [] }, view())
  assert.equal(text.chunks, [{ stream: 'stdout', text: 'deploy.yml has no accessories, so there is nothing to do.\n' }])
  const json = await renderRun({ result: nothing, releaseErrors: [] }, view({ json: true, verb: 'check' }))
  assert.is(JSON.parse(json.chunks[0]!.text).schemaVersion, 2)
  const lock = { kind: 'lock' as const, action: 'status' as const, dryRun: false, lines: ['No lock.'], exitCode: 0 }
  assert.equal(
    JSON.parse((await renderRun({ result: lock, releaseErrors: [] }, view({ json: true }))).chunks[0]!.text),
    {
      verb: 'lock',
      action: 'status',
      dryRun: false,
      exitCode: 0,
      lines: ['No lock.'],
    },
  )
  const failure = await renderRun(
    { failure: { kind: 'usage', message: 'Bad.' }, stderr: 'Bad.\n', summary: true },
    view({ json: true, actions: true }),
  )
  assert.is(failure.exitCode, 64)
  assert.equal(JSON.parse(failure.chunks[1]!.text).error, { kind: 'usage', message: 'Bad.' })
  assert.match(failure.summary ?? '', /^### berth boot: exit 64\n/)
  assert.equal(await renderRun({ hookInterrupted: 'SIGINT' }, view({ json: true })), {
    annotations: '',
    chunks: [],
    exitCode: 130,
  })
})

test('flags are parsed once, into typed values; a bad value is a usage error from the parse', () => {
  const reboot = { ...VERBS.reboot!.options, ...CONNECTION_OPTIONS }
  const args = parseVerbArgs(['db', '--lock-wait', '2.5', '--rolling', '--concurrency', '3'], reboot)
  assert.equal(args.flags, {
    yes: false,
    drifted: false,
    rolling: true,
    'health-timeout': 60,
    'lock-wait': 2.5,
    registry: false,
    concurrency: 3,
    'host-timeout': 60,
  })
  assert.throws(
    () => parseVerbArgs(['db', '--health-timeout', 'soon'], reboot),
    (e: Error) => e instanceof UsageError && /^--health-timeout takes plain decimal seconds/.test(e.message),
  )
  assert.throws(() => parseVerbArgs(['db', '--concurrency', '0'], reboot), /^--concurrency takes a whole number/)
  const rule = { missing: 'Name an accessory, or `all`.' }
  assert.throws(() => parseVerbArgs([], reboot, rule), /^Name an accessory, or `all`\.$/)
  assert.is(parseVerbArgs([], reboot, { defaultTarget: 'all', ...rule }).target, 'all')
  // --help answers before anything else is checked
  assert.is(parseVerbArgs(['--help', '--health-timeout', 'soon'], reboot, rule).help, true)
})

test("logs --follow's end: nothing to say and exit 0, or its failure on stderr and exit 1", async () => {
  const ended = await renderRun({ result: { kind: 'streamed' }, releaseErrors: [] }, view({ verb: 'logs' }))
  assert.equal([ended.chunks, ended.exitCode], [[], 0])
  const failure = 'Following the log of accessory `db` failed on h1: gone.'
  const failed = await renderRun({ result: { kind: 'streamed', failure }, releaseErrors: [] }, view({ verb: 'logs' }))
  assert.equal([failed.chunks, failed.exitCode], [[{ stream: 'stderr', text: `${failure}\n` }], 1])
})

test.run()
