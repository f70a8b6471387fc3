// accessory-check's JSON contract: what renderCheckJson prints validates against the published schema
// (schemas/check.schema.json, strict), and a wrong document does not.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { renderCheckJson, renderCheckText } from '../../../lib/report/check.ts'
import { checkVerdict } from '../../../lib/report/labels.ts'
import { renderFailureJson } from '../../../lib/report/failure.ts'
import type { InvocationContext, ReportEntry } from '../../../lib/report/model.ts'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/check.schema.json', import.meta.url), 'utf8'))
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)
const context: InvocationContext = { accessoryHosts: new Map([['db', ['h1', 'h2']]]) }
const base = { accessory: 'db', service: 'app-db', configuredImage: 'postgres:17' }
const entries: ReportEntry[] = [
  {
    ...base,
    host: 'h1',
    found: 'in_sync',
    state: 'running',
    runningImage: 'postgres:17',
    runningImageId: 'sha256:1',
    containerId: 'abc',
    repoDigests: ['postgres@sha256:2'],
  },
  {
    ...base,
    host: 'h2',
    found: 'drift',
    state: 'running',
    runningImage: 'postgres:17',
    containerId: 'def',
    drift: [
      { kind: 'config', reasons: ['env A "1" → "2"'] },
      { kind: 'secrets', reasons: ['PW changed'] },
    ],
    notCompared: ['option --ulimit'],
    leftovers: [{ name: 'app-db-berth-old-x1', state: 'stopped' }],
  },
  { ...base, host: 'h3', found: 'unreachable', error: 'could not connect' },
  { ...base, host: 'h4', found: 'missing' },
  { ...base, host: 'h5', found: 'in_sync', state: 'restarting', runningImage: 'postgres:17', containerId: 'ghi' },
]

test('the document validates against the published schema, with the summary and one result per pair', () => {
  const doc = JSON.parse(renderCheckJson(entries, context))
  const valid: boolean = validate(doc)
  assert.ok(valid, JSON.stringify(validate.errors))
  assert.is(doc.schemaVersion, 2)
  assert.is(doc.exitCode, 1)
  assert.equal(doc.summary, { in_sync: 1, drift: 1, missing: 1, not_running: 1, unreachable: 1, leftovers: 1 })
  assert.equal(
    doc.results.map((r: { verdict: string }) => r.verdict),
    ['in_sync', 'drift', 'unreachable', 'missing', 'not_running'],
  )
  assert.equal(doc.results[0].running, {
    image: 'postgres:17',
    imageId: 'sha256:1',
    repoDigests: ['postgres@sha256:2'],
    state: 'running',
    containerId: 'abc',
  })
  assert.is(doc.results[3].running, null)
})

test('a wrong document fails validation (strict: no extra properties, known verdicts and kinds only)', () => {
  const good = () => JSON.parse(renderCheckJson(entries, context))
  const wrong = [
    (d: any) => void (d.extra = true),
    (d: any) => void (d.results[0].verdict = 'fine'),
    (d: any) => void (d.results[1].drift[0].kind = 'vibes'),
    (d: any) => void delete d.results[0].desired,
    (d: any) => void (d.results[0].running.secret = 'x'),
    (d: any) => void (d.schemaVersion = 1),
    (d: any) => void (d.exitCode = 3),
    (d: any) => void (d.error = { kind: 'usage' }),
    (d: any) => void (d.error = { kind: 'oops', message: 'x' }),
  ]
  for (const spoil of wrong) {
    const doc = good()
    spoil(doc)
    assert.not.ok(validate(doc), spoil.toString())
  }
})

test('a check that ends without a report (usage, config, lock, error) prints the same contract with `error`', () => {
  for (const [exitCode, kind, problems] of [
    [64, 'usage', undefined],
    [78, 'config', ['config/deploy.yml:3:1: /service: is required']],
    [1, 'lock', undefined],
    [1, 'error', undefined],
    [143, 'error', undefined],
  ] as const) {
    const doc = JSON.parse(
      renderFailureJson({ verb: 'check', exitCode, kind, message: 'Why.', problems: problems && [...problems] }),
    )
    const valid: boolean = validate(doc)
    assert.ok(valid, `${kind}: ${JSON.stringify(validate.errors)}`)
    assert.equal(doc.error, { kind, message: 'Why.', ...(problems ? { problems } : {}) })
    assert.equal([doc.exitCode, doc.results, doc.summary.in_sync], [exitCode, [], 0])
  }
  const usage = JSON.parse(renderFailureJson({ verb: 'check', exitCode: 64, kind: 'usage', message: 'Why.' }))
  delete usage.error
  const valid: boolean = validate(usage)
  assert.not.ok(valid, 'exit 64 without `error`')
  // Other verbs keep the report's shape.
  assert.equal(JSON.parse(renderFailureJson({ verb: 'boot', exitCode: 64, kind: 'usage', message: 'Why.' })), {
    verb: 'boot',
    exitCode: 64,
    error: { kind: 'usage', message: 'Why.' },
    entries: [],
  })
})

test('text: the sentences with their fixes, and what was not compared', () => {
  assert.is(checkVerdict(entries[1]!), 'drift')
  const text = renderCheckText(entries, context, { quiet: false })
  assert.ok(text.includes('Not compared for `db` on h2: option --ulimit.'), text)
  assert.ok(
    text.includes(
      'Accessory `db` has drifted on h2 (env A "1" → "2"; PW changed); run `npx zx scripts/accessory-reboot.mjs db --hosts h2` to update',
    ),
    text,
  )
})

test.run()
