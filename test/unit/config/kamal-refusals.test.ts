// What Kamal 2.12 refuses in the app's own sections (lib/config/kamal-refusals.ts): Kamal's first message, in
// Kamal's order (roles, boot, builder), word for word; accessories-only configs are never held to them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { kamalRefusal } from '../../../lib/config/kamal-refusals.ts'
import { loadConfig } from '../../../lib/config/load.ts'

const KAMAL = fileURLToPath(new URL('../../fixtures/kamal/', import.meta.url))

const base = { service: 's', image: 'i', accessories: { db: { image: 'postgres', host: 'h' } } }
const kamal = (config: Record<string, unknown>) => kamalRefusal({ ...base, ...config })?.kamal

test('builder: arch must be set (not blank), unknown keys first, a remote hash is not a string', () => {
  assert.is(kamal({ servers: ['h'] }), 'builder: Builder arch not set')
  for (const arch of [null, '', '  ', [], false])
    assert.is(kamal({ builder: { arch } }), 'builder: Builder arch not set')
  assert.is(kamal({ builder: { arch: 'amd64' } }), undefined)
  assert.is(kamal({ builder: { arch: ['amd64', 'arm64'] } }), undefined)
  assert.is(kamal({ builder: { multiarch: false, cache: {} } }), 'builder: unknown key: multiarch')
  assert.is(kamal({ builder: { multiarch: false, 'x-a': 1 } }), 'builder: unknown keys: multiarch, x-a')
  assert.is(kamal({ builder: { arch: 'amd64', remote: { host: 'ssh://b' } } }), 'builder/remote: should be a string')
  assert.is(kamal({ builder: { arch: 'amd64', remote: 'ssh://b' } }), undefined)
})

test('roles, then boot, then builder, as Kamal validates them; array roles have no keys', () => {
  const config = {
    servers: { web: ['h'], job: { hosts: ['h'], traefik: true } },
    boot: { wiat: 1 },
    builder: { multiarch: true },
  }
  assert.equal(kamalRefusal({ ...base, ...config }), {
    path: ['servers', 'job', 'traefik'],
    at: 'key',
    kamal: 'servers/job: unknown key: traefik',
    fix: "remove it (Kamal's keys here: hosts, cmd, stop_timeout, options, logging, proxy, labels, env, asset_path)",
  })
  assert.is(kamal({ ...config, servers: ['h'] }), 'boot: unknown key: wiat')
  assert.is(
    kamal({ ...config, servers: ['h'], boot: { limit: 2, wait: 3, parallel_roles: true } }),
    'builder: unknown key: multiarch',
  )
})

test('accessories only, with neither builder nor servers, is berth own use: no refusal', () => {
  assert.is(kamal({}), undefined)
  assert.is(kamal({ boot: { limit: 1 } }), undefined)
  // a builder written down is the app's: held to Kamal's rules
  assert.is(kamal({ builder: {} }), 'builder: Builder arch not set')
})

test("no warning on what Kamal accepts: its own test configs, kamal init's template, the projects from its docs", async () => {
  const env = { PATH: process.env.PATH, KAMAL_REGISTRY_PASSWORD: 'x' }
  const tests = `${KAMAL}kamal-tests`
  for (const file of readdirSync(tests).filter((f) => f.endsWith('.yml') && !/^deploy_for_(required_)?dest/.test(f))) {
    const loaded = await loadConfig({ cwd: tests, file, env })
    assert.is(loaded.kamalRefuses, undefined, file)
  }
  for (const dest of ['world', 'mars']) {
    const loaded = await loadConfig({ cwd: tests, file: 'deploy_for_dest.yml', destination: dest, env })
    assert.is(loaded.kamalRefuses, undefined, dest)
  }
  const projects = [`${KAMAL}init`, ...readdirSync(`${KAMAL}projects`).map((p) => `${KAMAL}projects/${p}`)]
  for (const cwd of projects) {
    const destination = cwd.endsWith('destinations') ? 'staging' : undefined
    const loaded = await loadConfig({ cwd, env, ...(destination ? { destination } : {}) })
    assert.is(loaded.kamalRefuses, undefined, cwd)
  }
})

test.run()
