import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { renderDetailsJson, renderDetailsText, renderTable } from '../../../lib/report/details.ts'
import { exitCodeFor } from '../../../lib/report/exit-codes.ts'
import { entryFor } from '../../../lib/flows/entries.ts'
import { detailsVerdict } from '../../../lib/report/labels.ts'
import type { InvocationContext, ReportEntry } from '../../../lib/report/model.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const context: InvocationContext = {
  accessoryHosts: new Map([
    ['db', ['10.0.0.5', '10.0.0.6']],
    ['cache', ['10.0.0.7']],
  ]),
}
const row = (over: Partial<ReportEntry>): ReportEntry => ({
  accessory: 'db',
  service: 'app-db',
  host: '10.0.0.5',
  state: 'running',
  runningImage: 'postgres:16',
  configuredImage: 'postgres:16',
  containerId: 'abc',
  found: 'in_sync',
  ...over,
})
const inSync = row({})
const drift = row({ host: '10.0.0.6', runningImage: 'postgres:15', found: 'drift' })
const missing: ReportEntry = {
  accessory: 'cache',
  service: 'app-cache',
  host: '10.0.0.7',
  configuredImage: 'redis:7',
  found: 'missing',
}
const down: ReportEntry = {
  accessory: 'cache',
  service: 'app-cache',
  host: '10.0.0.9',
  configuredImage: 'redis:7',
  found: 'unreachable',
  error: 'could not connect to 10.0.0.9 over ssh (timeout)',
}

test('renderTable pads every column to its widest cell, two spaces apart, no trailing blanks', () => {
  assert.is(
    renderTable(
      ['A', 'BB', 'C'],
      [
        ['xxx', 'y', 'z'],
        ['1', '22222', ''],
      ],
    ),
    'A    BB     C\nxxx  y      z\n1    22222\n',
  )
})

test('details text: the six columns, one row per accessory × host, dashes for what was not seen', () => {
  const text = renderDetailsText([inSync, drift, missing, down], context, { quiet: false })
  const lines = text.split('\n')
  assert.equal(lines.slice(0, 5), [
    'ACCESSORY  HOST      STATE    RUNNING-IMAGE  CONFIGURED-IMAGE  VERDICT',
    'db         10.0.0.5  running  postgres:16    postgres:16       in sync',
    'db         10.0.0.6  running  postgres:15    postgres:16       drift',
    'cache      10.0.0.7  -        -              redis:7           missing',
    'cache      10.0.0.9  -        -              redis:7           unreachable',
  ])
})

test('details text: a sentence with the fix for every row that needs attention, then the exit code', () => {
  const text = renderDetailsText([inSync, drift, missing, down], context, { quiet: false })
  assert.ok(
    text.includes(
      'Accessory `db` image has changed on 10.0.0.6 (postgres:15 → postgres:16); run `npx zx scripts/accessory-reboot.mjs db --hosts 10.0.0.6` to update',
    ),
    text,
  )
  assert.ok(
    text.includes('Accessory `cache` has no container on 10.0.0.7; run `npx zx scripts/accessory-boot.mjs cache'),
    text,
  )
  assert.ok(
    text.includes('Accessory `cache` failed on 10.0.0.9: could not connect to 10.0.0.9 over ssh (timeout)'),
    text,
  )
  assert.not.ok(text.includes('Accessory `db` is running on 10.0.0.5'), text)
  assert.ok(text.endsWith('1 in sync, 1 drift, 1 missing, 1 unreachable (exit 1).\n'), text)
})

test('details exit codes: unreachable → 1, drift or stopped → 2, all running in sync → 0', () => {
  assert.is(exitCodeFor([inSync, drift, down]), 1)
  assert.is(exitCodeFor([inSync, drift]), 2)
  assert.is(exitCodeFor([inSync, row({ state: 'stopped' })]), 2)
  assert.is(exitCodeFor([inSync]), 0)
  assert.is(exitCodeFor([]), 0)
})

test('details -q keeps only rows that need attention, and prints nothing when all run in sync', () => {
  assert.is(renderDetailsText([inSync], context, { quiet: true }), '')
  const text = renderDetailsText([inSync, row({ host: '10.0.0.6', state: 'stopped' })], context, {
    quiet: true,
  })
  assert.not.ok(text.includes('running'), text)
  assert.ok(text.includes('db         10.0.0.6  stopped'), text)
  assert.ok(text.includes('run `npx zx scripts/accessory-start.mjs db --hosts 10.0.0.6` to start it'), text)
})

test("details JSON: the same rows with null for unseen cells, the exit code, and each row's sentence and fix", () => {
  const doc = JSON.parse(renderDetailsJson([inSync, drift, down], context))
  assert.is(doc.verb, 'details')
  assert.is(doc.exitCode, 1)
  assert.equal(
    doc.rows.map((r: { host: string; verdict: string }) => [r.host, r.verdict]),
    [
      ['10.0.0.5', 'in_sync'],
      ['10.0.0.6', 'drift'],
      ['10.0.0.9', 'unreachable'],
    ],
  )
  assert.equal(doc.rows[2], {
    accessory: 'cache',
    service: 'app-cache',
    host: '10.0.0.9',
    state: null,
    runningImage: null,
    configuredImage: 'redis:7',
    containerId: null,
    verdict: 'unreachable',
    error: 'could not connect to 10.0.0.9 over ssh (timeout)',
    leftovers: [],
    message: 'Accessory `cache` failed on 10.0.0.9: could not connect to 10.0.0.9 over ssh (timeout)',
    fix: null,
  })
  assert.is(doc.rows[1].fix, 'npx zx scripts/accessory-reboot.mjs db --hosts 10.0.0.6')
})

test('entryFor turns each verdict into the entry every verb shows, and the table names it', () => {
  const deployment = deploymentFrom({
    service: 'app',
    image: 'app',
    accessories: { db: { image: 'postgres:16', host: 'h1' } },
  })
  const db = deployment.accessories[0]!
  const container = {
    id: '0123456789abcdef',
    name: 'app-db',
    image: 'docker.io/library/postgres:16',
    imageId: 'sha256:1',
    state: 'stopped' as const,
    service: 'app-db',
    labels: {},
  }
  const stopped = entryFor({
    kind: 'in_sync',
    accessory: db,
    host: 'h1',
    container,
    leftovers: [],
    notCompared: [],
    repoDigests: [],
  })
  assert.equal(stopped, {
    accessory: 'db',
    service: 'app-db',
    host: 'h1',
    configuredImage: 'postgres:16',
    state: 'stopped',
    runningImage: 'docker.io/library/postgres:16',
    containerId: '0123456789ab',
    runningImageId: 'sha256:1',
    found: 'in_sync',
  })
  assert.is(detailsVerdict(stopped), 'stopped')
  assert.is(
    detailsVerdict(
      entryFor({
        kind: 'drift',
        accessory: db,
        host: 'h1',
        container,
        leftovers: [],
        notCompared: [],
        repoDigests: [],
        findings: [{ kind: 'image', reasons: ['image a → b'] }],
      }),
    ),
    'drift',
  )
  assert.is(detailsVerdict(entryFor({ kind: 'missing', accessory: db, host: 'h1', leftovers: [] })), 'missing')
  const down = entryFor({ kind: 'unreachable', accessory: db, host: 'h1', error: 'boom' })
  assert.equal(down, {
    accessory: 'db',
    service: 'app-db',
    host: 'h1',
    configuredImage: 'postgres:16',
    found: 'unreachable',
    error: 'boom',
  })
  assert.is(detailsVerdict(down), 'unreachable')
  assert.is(detailsVerdict({ ...down, done: 'skipped' }), 'unreachable', 'a host not attempted is not called in sync')
  assert.is(detailsVerdict({ ...stopped, state: 'restarting' }), 'restarting')
  // A flow's result is what was done, beside what was found; it drops the verdict's error.
  assert.equal(
    entryFor({ kind: 'unreachable', accessory: db, host: 'h1', error: 'boom' }, { done: 'skipped', error: 'later' })
      .error,
    'later',
  )
  assert.equal(entryFor({ kind: 'missing', accessory: db, host: 'h1', leftovers: [] }, { done: 'booted' }), {
    accessory: 'db',
    service: 'app-db',
    host: 'h1',
    configuredImage: 'postgres:16',
    found: 'missing',
    done: 'booted',
  })
})

test.run()
