import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { exitCodeFor, EXIT_DRIFT, EXIT_ERROR, EXIT_OK } from '../../../lib/report/exit-codes.ts'
import { renderJson, renderText } from '../../../lib/report/render.ts'
import type { InvocationContext, Report, ReportEntry } from '../../../lib/report/model.ts'

const entry = (over: Partial<ReportEntry>): ReportEntry => ({
  accessory: 'db',
  service: 'app-db',
  host: '10.0.0.5',
  found: 'in_sync',
  configuredImage: 'postgres:17',
  ...over,
})
const context: InvocationContext = {
  accessoryHosts: new Map([
    ['db', ['10.0.0.5', '10.0.0.6']],
    ['cache', ['10.0.0.5']],
  ]),
}
const report = (entries: ReportEntry[], dryRun = false): Report => ({ verb: 'boot', dryRun, entries })

test('exit codes: failure beats drift beats in sync', () => {
  assert.is(exitCodeFor([entry({}), entry({ done: 'booted' }), entry({ done: 'restored' })]), EXIT_OK)
  assert.is(exitCodeFor([entry({}), entry({ found: 'drift' })]), EXIT_DRIFT)
  assert.is(exitCodeFor([entry({ found: 'drift' }), entry({ done: 'failed' })]), EXIT_ERROR)
  assert.is(exitCodeFor([entry({ done: 'would_boot' })]), EXIT_DRIFT)
  assert.is(exitCodeFor([]), EXIT_OK)
})

test('drift on every host of an accessory names the plain reboot command', () => {
  const text = renderText(
    report([
      entry({ found: 'drift', runningImage: 'postgres:16' }),
      entry({ host: '10.0.0.6', found: 'drift', runningImage: 'postgres:16' }),
    ]),
    context,
    { quiet: false },
  )
  assert.ok(
    text.includes(
      'Accessory `db` image has changed on 10.0.0.5 (postgres:16 → postgres:17); run `npx zx scripts/accessory-reboot.mjs db` to update',
    ),
    text,
  )
})

test('drift on some hosts names exactly those hosts, and repeats -c and -d', () => {
  const text = renderText(
    report([entry({ found: 'drift', runningImage: 'postgres:16' }), entry({ host: '10.0.0.6' })]),
    { ...context, configFlag: 'config/deploy.yml', destination: 'staging' },
    { quiet: false },
  )
  assert.ok(
    text.includes(
      'run `npx zx scripts/accessory-reboot.mjs db --hosts 10.0.0.5 -c config/deploy.yml -d staging` to update',
    ),
    text,
  )
})

test('running and stopped accessories are told apart', () => {
  const text = renderText(
    report([entry({}), entry({ host: '10.0.0.6', found: 'in_sync', state: 'stopped' })]),
    context,
    { quiet: false },
  )
  assert.ok(
    text.includes('Accessory `db` is running on 10.0.0.5 with the configured image (postgres:17); nothing to do.'),
  )
  assert.ok(
    text.includes(
      'Accessory `db` exists on 10.0.0.6 with the configured image (postgres:17) but is stopped; run `npx zx scripts/accessory-start.mjs db --hosts 10.0.0.6` to start it.',
    ),
  )
})

test('summary line counts outcomes and shows the exit code; quiet keeps only problems', () => {
  const r = report([
    entry({}),
    entry({ done: 'booted', accessory: 'cache' }),
    entry({ host: '10.0.0.6', found: 'unreachable', error: 'could not connect' }),
  ])
  const text = renderText(r, context, { quiet: false })
  assert.ok(text.trimEnd().endsWith('1 booted, 1 running, 1 failed (exit 1).'), text)
  const quiet = renderText(r, context, { quiet: true })
  assert.not.ok(quiet.includes('nothing to do'))
  assert.ok(quiet.includes('Accessory `db` failed on 10.0.0.6: could not connect'))
  assert.is(renderText(report([entry({})]), context, { quiet: true }), '')
})

test('dry run lists the planned commands under each accessory to boot', () => {
  const text = renderText(report([entry({ done: 'would_boot', plannedCommands: ['docker run x'] })], true), context, {
    quiet: false,
  })
  assert.ok(
    text.includes(
      'Accessory `db` has no container on 10.0.0.5; run `npx zx scripts/accessory-boot.mjs db --hosts 10.0.0.5` to boot it (postgres:17).\n    docker run x',
    ),
    text,
  )
  assert.ok(text.includes('Dry run: 1 to boot (exit 2).'))
})

test('JSON: one document with exit code, summary, and message + fix per entry', () => {
  const doc = JSON.parse(renderJson(report([entry({ found: 'drift', runningImage: 'postgres:16' })]), context))
  assert.is(doc.exitCode, 2)
  assert.is(doc.summary.drift, 1)
  assert.is(doc.entries[0].fix, 'npx zx scripts/accessory-reboot.mjs db --hosts 10.0.0.5')
  assert.is(doc.entries[0].runningImage, 'postgres:16')
  assert.match(doc.entries[0].message, /image has changed on 10.0.0.5/)
})

test('fix commands are shell-quoted: a config path or destination with spaces or quotes pastes as one word', () => {
  const text = renderText(
    report([entry({ found: 'drift', runningImage: 'postgres:16' }), entry({ host: '10.0.0.6' })]),
    { ...context, configFlag: "my app's config.yml" },
    { quiet: false },
  )
  assert.ok(
    text.includes(
      `run \`npx zx scripts/accessory-reboot.mjs db --hosts 10.0.0.5 -c 'my app'\\''s config.yml'\` to update`,
    ),
    text,
  )
})

test("JSON: every field of an entry is published, in the contract's order, with `outcome` for found and done", () => {
  // Required<>: a field added to ReportEntry must be added here, and then to the JSON (or this fails).
  const full: Required<ReportEntry> = {
    accessory: 'db',
    service: 'app-db',
    host: '10.0.0.5',
    found: 'drift',
    done: 'rebooted',
    configuredImage: 'postgres:17',
    runningImage: 'postgres:16',
    containerId: 'abc',
    state: 'running',
    error: 'e',
    detail: 'd',
    plannedCommands: ['docker run x'],
    leftovers: [{ name: 'app-db-berth-old-x1', state: 'stopped' }],
    drift: [{ kind: 'image', reasons: ['image postgres:16 → postgres:17'] }],
    notCompared: ['n'],
    runningImageId: 'sha256:1',
    repoDigests: ['postgres@sha256:2'],
  }
  const [published] = JSON.parse(renderJson(report([full]), context)).entries
  assert.equal(Object.keys(published), [
    'accessory',
    'service',
    'host',
    'configuredImage',
    'runningImage',
    'containerId',
    'state',
    'runningImageId',
    'outcome',
    'drift',
    'notCompared',
    'repoDigests',
    'leftovers',
    'error',
    'detail',
    'plannedCommands',
    'message',
    'fix',
  ])
  assert.is(published.outcome, 'rebooted')
})

test.run()
