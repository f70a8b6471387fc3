// scripts/merge-check-shards.mjs on real `check --json` documents captured from the lab (test/fixtures/check-shards:
// a drifted cache and a host down, as `check all`, `--shard 1/2` and `--shard 2/2`): the merge validates against
// the published schema and is the unsharded verdict; a lost, repeated or foreign shard is a failure, never a pass.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Ajv } from 'ajv'
import { parse } from 'yaml'
import { mergeCheckShards, mergedSummary } from '../../../scripts/merge-check-shards.mjs'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/check.schema.json', import.meta.url), 'utf8'))
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/check-shards/${name}.json`, import.meta.url), 'utf8'))
const whole = fixture('whole')
const shards = () => [fixture('shard-1-of-2'), fixture('shard-2-of-2')]
const isValid = (doc: unknown) => {
  const valid: boolean = validate(doc)
  assert.ok(valid, JSON.stringify(validate.errors))
}
type Result = { accessory: string; host: string }
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const sorted = (results: Result[]) =>
  [...results].sort((a, b) => byText(a.accessory, b.accessory) || byText(a.host, b.host))

test('the captured shards are real: each valid, disjoint halves of the whole run', () => {
  const [one, two] = shards()
  for (const doc of [whole, one, two]) isValid(doc)
  assert.equal([one.exitCode, two.exitCode, whole.exitCode].sort(), [1, 1, 2].sort())
  assert.is(one.results.length + two.results.length, whole.results.length)
})

test('the merge of both shards is the unsharded document: exit code, summary and every result', () => {
  const merged = mergeCheckShards(shards())
  isValid(merged)
  assert.is(merged.exitCode, whole.exitCode)
  assert.equal(merged.summary, whole.summary)
  assert.equal(merged.results, sorted(whole.results))
  assert.not.ok('shard' in merged)
  assert.not.ok('error' in merged)
  assert.equal(mergeCheckShards(shards().reverse()), merged, 'the order of the files does not matter')
})

test('drift and nothing failed merges to 2; all in sync to 0', () => {
  const drifting = shards().filter((d) => d.exitCode === 2)[0]
  const inSync = { ...drifting, shard: { index: 1, count: 2 }, exitCode: 0, summary: { ...drifting.summary, drift: 0 } }
  inSync.results = drifting.results.filter((r: { verdict: string }) => r.verdict === 'in_sync')
  const other = { ...drifting, shard: { index: 2, count: 2 } }
  assert.is(mergeCheckShards([inSync, other]).exitCode, 2)
  assert.is(mergeCheckShards([inSync, { ...inSync, shard: { index: 2, count: 2 } }]).exitCode, 0)
})

test('a lost, repeated or foreign shard fails the merge (1) with a sentence, and the document stays valid', () => {
  const [one, two] = shards()
  const cases: Array<[unknown[], number, RegExp]> = [
    [[one], 0, /Shard 2\/2 sent no check document/],
    [[one], 1, /1 file\(s\) are not check documents/],
    [[one, one], 0, /Shard 1\/2 sent more than one document/],
    [[one, { ...two, shard: { index: 2, count: 3 } }], 0, /different splits/],
    [[one, whole], 0, /have no `shard` member/],
  ]
  for (const [documents, unreadable, message] of cases) {
    const merged = mergeCheckShards(documents as never, { unreadable })
    isValid(merged)
    assert.is(merged.exitCode, 1, String(message))
    assert.match(merged.error!.message, message)
  }
  const allUnreadable = mergeCheckShards([], { unreadable: 2 })
  assert.is(allUnreadable.exitCode, 1)
  isValid(allUnreadable)
})

test('--shards N: shards lost altogether are still missed, and a document of another split is refused', () => {
  const [one, two] = shards()
  assert.match(mergeCheckShards([], { shards: 3 }).error!.message, /Shards 1\/3, 2\/3, 3\/3 sent no check document/)
  assert.match(mergeCheckShards([one, two], { shards: 3 }).error!.message, /different splits/)
  assert.is(mergeCheckShards([one, two], { shards: 2 }).exitCode, whole.exitCode)
})

test('the script: merged document on stdout, summary appended, exit code; bad usage is 64', () => {
  const script = fileURLToPath(new URL('../../../scripts/merge-check-shards.mjs', import.meta.url))
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-merge-'))
  const summary = path.join(dir, 'summary.md')
  const files = ['shard-1-of-2', 'shard-2-of-2'].map((name) =>
    fileURLToPath(new URL(`../../fixtures/check-shards/${name}.json`, import.meta.url)),
  )
  const run = (args: string[]) =>
    spawnSync(process.execPath, [script, ...args], { env: { GITHUB_STEP_SUMMARY: summary }, encoding: 'utf8' })
  const ok = run(['--shards', '2', ...files])
  assert.is(ok.status, whole.exitCode, ok.stderr)
  assert.equal(JSON.parse(ok.stdout), mergeCheckShards(shards()))
  assert.match(readFileSync(summary, 'utf8'), /^### berth check, 2 shards merged/)
  const lost = run(['--shards', '2', files[0]!, path.join(dir, 'missing.json')])
  assert.is(lost.status, 1)
  assert.match(lost.stderr, /missing\.json cannot be read as JSON/)
  for (const bad of [[], ['--shards'], ['--shards', '0', ...files], ['--shards', 'x', ...files]]) {
    const r = run(bad)
    assert.is(r.status, 64, bad.join(' '))
    assert.match(r.stderr, /^Usage: node scripts\/merge-check-shards\.mjs/)
  }
})

test('an invalid config in the shards keeps its 78 and its problems; a cancelled shard its 143', () => {
  const [one] = shards()
  const config = {
    schemaVersion: 2,
    verb: 'check',
    exitCode: 78,
    error: { kind: 'config', message: 'Invalid config (1 problem).', problems: ['deploy.yml:1:1: bad'] },
    summary: { in_sync: 0, drift: 0, missing: 0, not_running: 0, unreachable: 0, leftovers: 0 },
    results: [],
  }
  const merged = mergeCheckShards([config, config])
  isValid(merged)
  assert.is(merged.exitCode, 78)
  assert.equal(merged.error!.problems, ['deploy.yml:1:1: bad'])
  const cancelled = { ...one, shard: { index: 2, count: 2 }, exitCode: 143, interrupted: 'SIGTERM' }
  const stopped = mergeCheckShards([one, cancelled])
  isValid(stopped)
  assert.is(stopped.exitCode, 143)
  assert.is(stopped.interrupted, 'SIGTERM')
})

test('the step summary: the verdict, the counts, one row per result that needs a person, cells escaped', () => {
  const merged = mergeCheckShards(shards())
  const text = mergedSummary(merged, 2)
  assert.ok(text.startsWith(`### berth check, 2 shards merged: exit ${whole.exitCode} (failed)\n`), text)
  assert.match(text, /5 in_sync, 1 drift, 1 unreachable\./)
  const rows = text.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| Accessory'))
  assert.equal(
    rows.map((row) => row.split(' | ').slice(0, 3).join(' | ')),
    sorted(merged.results)
      .filter((r) => (r as unknown as { verdict: string }).verdict !== 'in_sync')
      .map((r) => `| ${r.accessory} | ${r.host} | ${(r as unknown as { verdict: string }).verdict}`),
  )
  const hostile = { ...merged, results: [{ ...merged.results[0]!, verdict: 'drift', message: 'a|b\nc\\' }] }
  assert.match(mergedSummary(hostile, 2), /\| a\\\|b c\\\\ \|/)
})

test('the example workflow: its matrix is SHARDS jobs of --shard K/SHARDS, merged with --shards SHARDS', () => {
  const text = readFileSync(new URL('../../../examples/github-actions-sharded.yml', import.meta.url), 'utf8')
  const workflow = parse(text)
  const shards = Number(workflow.env.SHARDS)
  assert.equal(
    workflow.jobs.check.strategy.matrix.shard,
    Array.from({ length: shards }, (_, i) => i + 1),
  )
  const steps = (job: string): string => workflow.jobs[job].steps.map((s: { run?: string }) => s.run ?? '').join('\n')
  assert.match(
    steps('check'),
    /accessory-check\.mjs all .*--json[^\n]*\n\s*--shard "\$\{\{ matrix\.shard \}\}\/\$SHARDS"/,
  )
  assert.match(steps('verdict'), /node scripts\/merge-check-shards\.mjs --shards "\$SHARDS" reports\/check-\*\.json/)
  assert.equal(workflow.jobs.verdict.needs, 'check')
  assert.is(workflow.jobs.verdict.if, 'always()')
})

test.run()
