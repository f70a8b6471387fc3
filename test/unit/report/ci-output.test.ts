// Output for CI and for people: GitHub annotations and job summary, colour only where wanted.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { colourWanted, paint } from '../../../lib/report/colour.ts'
import { githubAnnotations, githubStepSummary, workflowCommandGuard } from '../../../lib/report/github.ts'
import { renderText } from '../../../lib/report/render.ts'
import type { InvocationContext, ReportEntry } from '../../../lib/report/model.ts'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { FakeFleet } from '../../support/fake-fleet.ts'
import { tempDir } from '../../support/files.ts'
import { runWithFleet } from '../../support/run-script.ts'

const context: InvocationContext = { accessoryHosts: new Map([['db', ['h1', 'h2']]]) }
const base = { accessory: 'db', service: 'app-db', configuredImage: 'postgres:17' }
const entries: ReportEntry[] = [
  { ...base, host: 'h1', found: 'in_sync' },
  {
    ...base,
    host: 'h2',
    found: 'drift',
    runningImage: 'postgres:16',
    drift: [{ kind: 'image', reasons: ['image postgres:16 → postgres:17'] }],
  },
  { ...base, host: 'h3', found: 'unreachable', error: 'could not connect: 100%\nreally' },
]

test('annotations: a warning per pair that needs attention, an error per failure, escaped as GitHub reads them', () => {
  const lines = githubAnnotations('check', entries, context).trimEnd().split('\n')
  assert.is(lines.length, 2)
  assert.is(
    lines[0],
    '::warning title=berth check%3A db on h2::Accessory `db` image has changed on h2 (postgres:16 → postgres:17); run `npx zx scripts/accessory-reboot.mjs db --hosts h2` to update',
  )
  assert.is(
    lines[1],
    '::error title=berth check%3A db on h3::Accessory `db` failed on h3: could not connect: 100%25%0Areally',
  )
  assert.is(githubAnnotations('check', [entries[0]!], context), '')
})

test('job summary: a Markdown table with the exit code', () => {
  const summary = githubStepSummary('boot', entries, context, { exitCode: 1 })
  assert.ok(
    summary.startsWith('### berth boot: exit 1\n\n| Accessory | Host | Outcome | What to do |\n|---|---|---|---|\n'),
    summary,
  )
  assert.ok(summary.includes('| db | h2 | drift | Accessory `db` image has changed on h2'), summary)
})

test('job summary: the exit code the process ends with, the signal that interrupted it, the error that ended it', () => {
  const interrupted = githubStepSummary('reboot', entries, context, { exitCode: 143, interrupted: 'SIGTERM' })
  assert.ok(
    interrupted.startsWith(
      '### berth reboot: exit 143 (interrupted by SIGTERM)\n\nInterrupted by SIGTERM: no new step was started after it',
    ),
    interrupted,
  )
  assert.ok(interrupted.includes('| db | h3 | failed |'), interrupted)
  const held = githubStepSummary('reboot', [], context, { exitCode: 1, error: 'The deploy lock is held | by x\ny' })
  assert.is(held, '### berth reboot: exit 1\n\nThe deploy lock is held \\| by x y\n\n')
})

test('job summary: written once for a run that reports entries or ends non-zero, not for a config print', async () => {
  const dir = tempDir({
    'config/deploy.yml': 'service: shop\nimage: shop/app\naccessories:\n  db:\n    image: postgres:16\n    host: h1\n',
  })
  const summary = path.join(dir, 'summary.md')
  const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }
  assert.is((await runWithFleet('config', [], { cwd: dir, fleet: new FakeFleet(), env })).code, 0)
  assert.not.ok(existsSync(summary), 'accessory-config has nothing to summarize')
  const check = await runWithFleet('check', ['all'], { cwd: dir, fleet: new FakeFleet(), env })
  const written = readFileSync(summary, 'utf8')
  assert.ok(written.startsWith(`### berth check: exit ${check.code}\n`), written)
  assert.is(written.match(/### berth/g)!.length, 1)
})

/** What a guarded writer lets out when `text` arrives in the given pieces. */
function guarded(pieces: string[]): string {
  let out = ''
  const guard = workflowCommandGuard((t) => void (out += t))
  for (const piece of pieces) guard.write(piece)
  guard.flush()
  return out
}

test('workflow commands: a line that starts with :: (after blanks) or holds ##[ is escaped, however the text is cut', () => {
  const text =
    'ok\n::error::a\n  ::add-mask::b\r::stop-commands::c\n\t::warning::d\nx ##[error]e\nmid :: stays\n:\n#\n::\n'
  const want =
    'ok\n%3A:error::a\n  %3A:add-mask::b\r%3A:stop-commands::c\n\t%3A:warning::d\nx ##%5Berror]e\nmid :: stays\n:\n#\n%3A:\n'
  assert.is(guarded([text]), want)
  // Every way of cutting the text in two and in single characters gives the same.
  for (let i = 0; i <= text.length; i++) assert.is(guarded([text.slice(0, i), text.slice(i)]), want, `cut at ${i}`)
  assert.is(guarded([...text]), want)
  assert.is(guarded(['plain text, no newline']), 'plain text, no newline')
  assert.is(guarded(['ends with ', ':']), 'ends with :')
  assert.is(guarded([':']), ':')
})

test('workflow commands: every blank the runner trims before :: counts (NEL, no-break and ideographic spaces)', () => {
  // The runner's TrimStart() is .NET's char.IsWhiteSpace, which holds U+0085 (NEL); JavaScript's \s does not.
  for (const blank of ['\u0085', '\u00a0', '\u2003', '\u3000', '\u0085 \t'])
    assert.is(guarded([`ok\n${blank}::add-mask::x\n`]), `ok\n${blank}%3A:add-mask::x\n`, JSON.stringify(blank))
  assert.is(guarded(['\u0085', ':', ':error::y']), '\u0085%3A:error::y')
})

test('job summary: a backslash before | or a carriage return in a value stays in its cell', () => {
  const row = (error: string) =>
    githubStepSummary('check', [{ ...base, host: 'h9', found: 'unreachable', error }], context, { exitCode: 1 })
      .split('\n')
      .filter((line) => line.startsWith('| db | h9 |'))
  // GitHub reads \\ as one escaped backslash: the | after it would end the cell.
  const [withPipe] = row('a\\|b')
  assert.ok(withPipe?.includes('a\\\\\\|b'), withPipe)
  assert.not.match(withPipe!.replace(/\\./g, ''), /a\|/, withPipe)
  // A lone \r ends a Markdown line as \n does.
  const withReturn = row('c\rd\r\ne')
  assert.is(withReturn.length, 1)
  assert.not.match(withReturn[0]!, /\r/)
})

test('job summary: a usage error (64) and an invalid config (78) are summarized with their exit and why', async () => {
  const dir = tempDir({
    'config/deploy.yml': 'service: shop\nimage: shop/app\naccessories:\n  db:\n    image: postgres:16\n    host: h1\n',
    'bad/deploy.yml': 'service: shop\nimage: shop/app\naccessories:\n  db:\n    image: postgres:16\n',
  })
  const summary = path.join(dir, 'summary.md')
  const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary }
  const usage = await runWithFleet('check', ['all', '--bogus'], { cwd: dir, fleet: new FakeFleet(), env })
  assert.is(usage.code, 64)
  assert.ok(existsSync(summary), 'a usage error is summarized')
  assert.match(readFileSync(summary, 'utf8'), /^### berth check: exit 64\n\n.*--bogus/)
  rmSync(summary)
  const invalid = await runWithFleet('check', ['all', '-c', 'bad/deploy.yml'], {
    cwd: dir,
    fleet: new FakeFleet(),
    env,
  })
  assert.is(invalid.code, 78)
  assert.ok(existsSync(summary), 'an invalid config is summarized')
  assert.match(readFileSync(summary, 'utf8'), /^### berth check: exit 78\n\nInvalid config \(1 problem\)/)
})

test('colour: on a terminal only; NO_COLOR turns it off, FORCE_COLOR on (0 or false off)', () => {
  assert.is(colourWanted({}, true), true)
  assert.is(colourWanted({}, false), false)
  assert.is(colourWanted({ NO_COLOR: '1' }, true), false)
  assert.is(colourWanted({ FORCE_COLOR: '1' }, false), true)
  assert.is(colourWanted({ FORCE_COLOR: '0' }, true), false)
  assert.is(paint('failed', 'x'), '\u001b[31mx\u001b[0m')
  assert.is(paint('booted', 'x'), '\u001b[32mx\u001b[0m')
  assert.is(paint('drift', 'x'), '\u001b[33mx\u001b[0m')
  const coloured = renderText({ verb: 'boot', dryRun: false, entries }, context, { quiet: false, colour: true })
  assert.ok(coloured.includes('\u001b[33mAccessory `db` image has changed'), coloured)
  assert.not.ok(renderText({ verb: 'boot', dryRun: false, entries }, context, { quiet: false }).includes('\u001b['))
})

test.run()
