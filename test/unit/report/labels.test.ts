// One vocabulary from verdict to report (issue 21, item 3): every label berth shows for an accessory on a host is
// derived in lib/report/labels.ts from what was found, the container's state and what was done. These tests walk
// every combination of the three and check each label against the published words.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import type { ContainerState } from '../../../lib/docker/inspect.ts'
import { paint } from '../../../lib/report/colour.ts'
import { renderCheckJson } from '../../../lib/report/check.ts'
import { renderDetailsJson, renderDetailsText } from '../../../lib/report/details.ts'
import { exitCodeFor } from '../../../lib/report/exit-codes.ts'
import { githubAnnotations, githubStepSummary } from '../../../lib/report/github.ts'
import {
  CHECK_VERDICTS,
  checkVerdict,
  DETAILS_VERDICT_LABELS,
  detailsVerdict,
  needOf,
  needsPerson,
  OUTCOME_LABELS,
  outcomeOf,
  OUTCOMES,
  type Done,
  type Look,
} from '../../../lib/report/labels.ts'
import type { InvocationContext, ReportEntry } from '../../../lib/report/model.ts'
import { renderJson, renderText } from '../../../lib/report/render.ts'

const STATES: ContainerState[] = ['running', 'stopped', 'created', 'paused', 'restarting', 'dead']
const DONE: Done[] = [
  'booted',
  'rebooted',
  'restored',
  'started',
  'stopped',
  'restarted',
  'removed',
  'unchanged',
  'would_boot',
  'would_reboot',
  'planned',
  'failed',
  'skipped',
]

/** Every shape a look can have: a container is seen (with its state) only when it is in sync or drifted. */
const FOUND: Array<Omit<Look, 'done'>> = [
  ...STATES.map((state) => ({ found: 'in_sync' as const, state })),
  ...STATES.map((state) => ({ found: 'drift' as const, state })),
  { found: 'missing' },
  { found: 'unreachable' },
  {}, // no host looked at (exec --dry-run)
]
const name = (look: Look) => `${look.found ?? 'not looked'}/${look.state ?? '-'}/${look.done ?? '-'}`

/** Nothing done: [outcome, summary words, need, details verdict, its table label, check's verdict]. */
const FOUND_LABELS = (look: Omit<Look, 'done'>): [string, string, string, string, string, string] => {
  if (look.found === 'in_sync')
    return {
      running: ['running', 'running', 'none', 'in_sync', 'in sync', 'in_sync'],
      stopped: ['stopped', 'stopped', 'attention', 'stopped', 'stopped', 'not_running'],
      created: ['created', 'created, never started', 'attention', 'created', 'created', 'not_running'],
      paused: ['paused', 'paused', 'attention', 'paused', 'paused', 'not_running'],
      restarting: ['restarting', 'crash-looping', 'attention', 'restarting', 'crash loop', 'not_running'],
      dead: ['dead', 'dead', 'attention', 'dead', 'dead', 'not_running'],
    }[look.state!] as [string, string, string, string, string, string]
  if (look.found === 'drift') return ['drift', 'drifted', 'attention', 'drift', 'drift', 'drift']
  if (look.found === 'missing') return ['missing', 'missing', 'attention', 'missing', 'missing', 'missing']
  if (look.found === 'unreachable') return ['failed', 'failed', 'error', 'unreachable', 'unreachable', 'unreachable']
  return ['skipped', 'not attempted', 'untouched', 'unreachable', 'unreachable', 'unreachable']
}

/** Something done: [outcome, summary words, need]; what was found does not change them. */
const DONE_LABELS: Record<Done, [string, string, string]> = {
  booted: ['booted', 'booted', 'none'],
  rebooted: ['rebooted', 'rebooted', 'none'],
  restored: ['restored', 'restored', 'none'],
  started: ['started', 'started', 'none'],
  stopped: ['stopped_on_request', 'stopped on request', 'none'],
  restarted: ['restarted', 'restarted', 'none'],
  removed: ['removed', 'removed', 'none'],
  unchanged: ['unchanged', 'already as asked', 'none'],
  would_boot: ['would_boot', 'to boot', 'attention'],
  would_reboot: ['would_reboot', 'to reboot', 'attention'],
  planned: ['planned', 'to change', 'attention'],
  failed: ['failed', 'failed', 'error'],
  skipped: ['skipped', 'not attempted', 'untouched'],
}

const ALL: Look[] = FOUND.flatMap((found) => [found, ...DONE.map((done) => ({ ...found, done }))])

test('labels: every found × state × done combination gets the published words', () => {
  assert.is(ALL.length, FOUND.length * (DONE.length + 1))
  for (const look of ALL) {
    const [foundOutcome, foundSummary, foundNeed, details, detailsLabel, check] = FOUND_LABELS(look)
    const [outcome, summary, need] = look.done ? DONE_LABELS[look.done] : [foundOutcome, foundSummary, foundNeed]
    const got = [
      outcomeOf(look),
      OUTCOME_LABELS[outcomeOf(look)].summary,
      needOf(look),
      detailsVerdict(look),
      DETAILS_VERDICT_LABELS[detailsVerdict(look)],
      checkVerdict(look),
    ]
    assert.equal(got, [outcome, summary, need, details, detailsLabel, check], name(look))
  }
})

test('labels: "failed" no longer doubles as "unreachable": a host not read and an action that failed differ', () => {
  const notRead: Look = { found: 'unreachable' }
  const actionFailed: Look = { found: 'in_sync', state: 'running', done: 'failed' }
  // The report JSON keeps its published word for both (`failed`, exit 1) ...
  assert.equal([outcomeOf(notRead), outcomeOf(actionFailed)], ['failed', 'failed'])
  assert.equal([needOf(notRead), needOf(actionFailed)], ['error', 'error'])
  // ... but what was found is its own field: the host that was read is not called unreachable.
  assert.equal([detailsVerdict(notRead), detailsVerdict(actionFailed)], ['unreachable', 'in_sync'])
  assert.equal([checkVerdict(notRead), checkVerdict(actionFailed)], ['unreachable', 'in_sync'])
})

test('labels: every published outcome is reachable, in the summary order of the report JSON', () => {
  assert.equal(OUTCOMES, [
    'booted',
    'rebooted',
    'restored',
    'started',
    'stopped_on_request',
    'restarted',
    'removed',
    'unchanged',
    'would_boot',
    'would_reboot',
    'planned',
    'running',
    'stopped',
    'created',
    'paused',
    'restarting',
    'dead',
    'missing',
    'drift',
    'skipped',
    'failed',
  ])
  assert.equal(new Set(ALL.map(outcomeOf)), new Set(OUTCOMES))
  assert.equal(Object.keys(DETAILS_VERDICT_LABELS), [
    'in_sync',
    'stopped',
    'created',
    'paused',
    'restarting',
    'dead',
    'drift',
    'missing',
    'unreachable',
  ])
})

test("labels: check's verdicts are exactly its schema's enum, in its summary's order", () => {
  assert.equal(CHECK_VERDICTS, ['in_sync', 'drift', 'missing', 'not_running', 'unreachable'])
  const schema = JSON.parse(readFileSync(new URL('../../../schemas/check.schema.json', import.meta.url), 'utf8'))
  const verdict = schema.properties.results.items.properties.verdict.enum as string[]
  assert.equal(new Set(ALL.map(checkVerdict)), new Set(verdict))
})

const context: InvocationContext = { accessoryHosts: new Map([['db', ['h1']]]) }
const entryOf = (look: Look, leftovers = false): ReportEntry => ({
  accessory: 'db',
  service: 'app-db',
  host: 'h1',
  configuredImage: 'postgres:16',
  ...look,
  ...(look.state ? { runningImage: 'postgres:16', containerId: 'abc' } : {}),
  ...(look.found === 'unreachable' || look.done === 'failed' || look.done === 'skipped' ? { error: 'boom.' } : {}),
  ...(leftovers ? { leftovers: [{ name: 'app-db-berth-old-x1', state: 'stopped' as const }] } : {}),
})

test('labels: every view reads its words from the labels, for every combination', () => {
  for (const look of ALL)
    for (const leftovers of [false, true]) {
      const entry = entryOf(look, leftovers)
      const what = `${name(look)}${leftovers ? ' + leftovers' : ''}`
      const report = { verb: 'boot', dryRun: false, entries: [entry] }
      const outcome = outcomeOf(look)
      const need = needOf(look)
      const json = JSON.parse(renderJson(report, context))
      assert.is(json.entries[0].outcome, outcome, what)
      assert.not.ok('found' in json.entries[0] || 'done' in json.entries[0], what)
      assert.is(json.summary[outcome], 1, what)
      const text = renderText(report, context, { quiet: false })
      assert.ok(text.endsWith(`1 ${OUTCOME_LABELS[outcome].summary} (exit ${json.exitCode}).\n`), `${what}: ${text}`)
      const exit = need === 'error' ? 1 : need === 'attention' || leftovers ? 2 : 0
      assert.is(exitCodeFor([entry]), exit, what)
      assert.is(needsPerson(entry), need !== 'none' || leftovers, what)
      assert.is(
        renderText(report, context, { quiet: true }).includes(json.entries[0].message),
        needsPerson(entry),
        what,
      )
      const colour = renderText(report, context, { quiet: false, colour: true }).split('\n')[0]!
      assert.is(colour, paint(outcome, json.entries[0].message, needsPerson(entry)), what)
      const annotation = githubAnnotations('boot', [entry], context)
      assert.is(annotation.startsWith(need === 'error' ? '::error ' : '::warning '), needsPerson(entry), what)
      assert.is(annotation === '', !needsPerson(entry), what)
      assert.ok(
        githubStepSummary('boot', [entry], context, { exitCode: exit }).includes(`| db | h1 | ${outcome} |`),
        what,
      )
      if (look.done || !look.found) continue // check and details are read-only looks
      const check = JSON.parse(renderCheckJson([entry], context)).results[0]
      assert.is(check.verdict, checkVerdict(look), what)
      const details = JSON.parse(renderDetailsJson([entry], context)).rows[0]
      assert.is(details.verdict, detailsVerdict(look), what)
      const table = renderDetailsText([entry], context, { quiet: false })
      assert.ok(
        table.split('\n')[1]!.endsWith(`  ${DETAILS_VERDICT_LABELS[detailsVerdict(look)]}`),
        `${what}: ${table}`,
      )
    }
})

test('labels: colours follow what an outcome needs: red an error, green nothing, yellow the rest', () => {
  for (const outcome of OUTCOMES) {
    const code = { error: 31, none: 32, attention: 33, untouched: 33 }[OUTCOME_LABELS[outcome].need]
    assert.is(paint(outcome, 'x'), `\u001b[${code}mx\u001b[0m`, outcome)
    if (OUTCOME_LABELS[outcome].need === 'none') assert.is(paint(outcome, 'x', true), '\u001b[33mx\u001b[0m', outcome)
  }
})

test.run()
