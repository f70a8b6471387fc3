// The `shard` member of a `--shard K/N` run's documents (and its job summary's heading): optional in the published check schema (version 2 still),
// present only when the run was sharded, and strict (index and count, whole numbers from 1).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { renderCheckJson } from '../../../lib/report/check.ts'
import { renderDetailsJson } from '../../../lib/report/details.ts'
import { githubStepSummary } from '../../../lib/report/github.ts'
import type { InvocationContext, ReportEntry } from '../../../lib/report/model.ts'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/check.schema.json', import.meta.url), 'utf8'))
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)
const entries: ReportEntry[] = [
  { accessory: 'db', service: 'app-db', host: 'h1', configuredImage: 'postgres:17', found: 'missing' },
]
const plain: InvocationContext = { accessoryHosts: new Map([['db', ['h1', 'h2']]]) }
const sharded: InvocationContext = { ...plain, shard: { index: 2, count: 3 } }

test('a sharded check document says which shard, right after exitCode, and is valid version 2', () => {
  const doc = JSON.parse(renderCheckJson(entries, sharded))
  const valid: boolean = validate(doc)
  assert.ok(valid, JSON.stringify(validate.errors))
  assert.is(doc.schemaVersion, 2)
  assert.equal(doc.shard, { index: 2, count: 3 })
  assert.equal(Object.keys(doc), ['schemaVersion', 'verb', 'exitCode', 'shard', 'summary', 'results'])
})

test('an unsharded document is as it was: no shard member', () => {
  assert.not.ok('shard' in JSON.parse(renderCheckJson(entries, plain)))
  assert.not.ok('shard' in JSON.parse(renderDetailsJson(entries, plain)))
  assert.equal(JSON.parse(renderDetailsJson(entries, sharded)).shard, { index: 2, count: 3 })
})

test('the schema refuses a malformed shard member', () => {
  for (const shard of [
    { index: 0, count: 2 },
    { index: 1 },
    { index: 1, count: 2, of: 9 },
    { index: 1.5, count: 2 },
    '1/2',
  ]) {
    const doc = { ...JSON.parse(renderCheckJson(entries, plain)), shard }
    assert.not.ok(validate(doc), JSON.stringify(shard))
  }
})

test("a sharded job's summary heading says which shard; an unsharded one is as it was", () => {
  assert.ok(
    githubStepSummary('check', entries, sharded, { exitCode: 2 }).startsWith('### berth check (shard 2/3): exit 2\n'),
  )
  assert.ok(githubStepSummary('check', entries, plain, { exitCode: 2 }).startsWith('### berth check: exit 2\n'))
})

test.run()
