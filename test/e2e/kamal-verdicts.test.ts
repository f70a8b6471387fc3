// Kamal's verdict on a config, through the real script: one fixture per pattern in test/fixtures/kamal-verdicts/.
// What Kamal 2.12 refuses in the app's own sections is a warning (stderr, and a `::warning` annotation in GitHub
// Actions) with Kamal's message and the place, exit 0; what it refuses in an accessory's sections is exit 78; ERB
// beyond the subset is rendered by the real `ruby`, or without one is exit 78 naming the tag. accessory-config
// contacts no host, so these runs need no lab.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { berth, processesNaming, project, startBerth } from './support.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/kamal-verdicts/', import.meta.url))
const fixture = (name: string, files: Record<string, string> = {}) =>
  project(readFileSync(path.join(FIXTURES, `${name}.yml`), 'utf8'), files)
const ACTIONS = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: undefined }

const WARNINGS: Array<[string, string, string]> = [
  ['builder-no-arch', 'config/deploy.yml:5:1', 'builder: Builder arch not set'],
  ['no-builder', 'config/deploy.yml:2:1', 'builder: Builder arch not set'],
  ['builder-unknown-key', 'config/deploy.yml:7:3', 'builder: unknown key: multiarch'],
  ['builder-remote-hash', 'config/deploy.yml:8:5', 'builder/remote: should be a string'],
  ['boot-unknown-key', 'config/deploy.yml:9:3', 'boot: unknown key: wiat'],
  ['role-unknown-key', 'config/deploy.yml:9:5', 'servers/worker: unknown key: traefik'],
]

for (const [name, at, kamal] of WARNINGS) {
  test(`${name}: works, and warns once that Kamal refuses it ("${kamal}"), also as an annotation`, async () => {
    const dir = fixture(name)
    const r = await berth('config', ['all'], { cwd: dir, env: { GITHUB_ACTIONS: undefined } })
    assert.is(r.code, 0, r.stderr)
    const lines = r.stderr.split('\n').filter((l) => l.includes('Kamal 2.12 refuses'))
    assert.equal(lines.length, 1, r.stderr)
    assert.ok(
      lines[0]!.startsWith(
        `berth: warning: ${at}: Kamal 2.12 refuses this config ("${kamal}"), so \`kamal deploy\` fails`,
      ),
      lines[0],
    )
    assert.match(lines[0]!, /Fix: .+\.$/)
    assert.not.match(r.stderr, /^::warning/m)
    const [file, line, col] = at.split(':')
    const actions = await berth('config', ['all', '--json'], { cwd: dir, env: ACTIONS })
    assert.is(actions.code, 0, actions.stderr)
    assert.is(JSON.parse(actions.stdout).exitCode, 0)
    const annotations = actions.stderr.split('\n').filter((l) => l.startsWith('::warning '))
    assert.equal(annotations.length, 1, actions.stderr)
    assert.ok(
      annotations[0]!.startsWith(
        `::warning file=${file},line=${line},col=${col},title=berth%3A Kamal refuses this config::Kamal 2.12 refuses this config ("${kamal}")`,
      ),
      annotations[0],
    )
  })
}

test("Kamal 1 traefik hooks in the hooks folder: works, and warns with Kamal's words and both files", async () => {
  const hooks = { '.kamal/hooks/pre-traefik-reboot': '#!/bin/sh\n', '.kamal/hooks/post-traefik-reboot': '#!/bin/sh\n' }
  const kamal = 'Found pre-traefik-reboot, post-traefik-reboot, these should be renamed to (pre|post)-proxy-reboot'
  const r = await berth('config', ['all'], { cwd: fixture('traefik-hooks', hooks), env: { GITHUB_ACTIONS: undefined } })
  assert.is(r.code, 0, r.stderr)
  const lines = r.stderr.split('\n').filter((l) => l.includes('Kamal 2.12 refuses'))
  assert.equal(lines.length, 1, r.stderr)
  assert.ok(
    lines[0]!.startsWith(
      `berth: warning: .kamal/hooks/pre-traefik-reboot: Kamal 2.12 refuses this config ("${kamal}")`,
    ),
    lines[0],
  )
  assert.match(lines[0]!, /Fix: rename them to pre-proxy-reboot, post-proxy-reboot\.$/)
  const actions = await berth('config', ['all'], { cwd: fixture('traefik-hooks', hooks), env: ACTIONS })
  assert.match(actions.stderr, /^::warning file=\.kamal\/hooks\/pre-traefik-reboot,title=/m)
  // the same config without the hooks: nothing to say
  const clean = await berth('config', ['all'], { cwd: fixture('traefik-hooks'), env: { GITHUB_ACTIONS: undefined } })
  assert.not.match(clean.stderr, /Kamal 2\.12 refuses/)
})

test('accessories only (no builder, no servers): berth own use, no warning', async () => {
  const r = await berth('config', ['all'], { cwd: fixture('accessories-only'), env: ACTIONS })
  assert.is(r.code, 0, r.stderr)
  assert.not.match(r.stderr, /Kamal 2\.12 refuses|::warning/)
})

const REFUSED: Array<[string, string]> = [
  ['root-traefik', 'config/deploy.yml:7:1: (root): unknown key "traefik"'],
  [
    'proxy-unknown-key',
    'config/deploy.yml:11:7: /accessories/cache/proxy: unknown key: tls (Kamal 2.12 refuses it); the keys here are host,',
  ],
  [
    'proxy-ssl-no-host',
    'config/deploy.yml:9:7: /accessories/cache/proxy: Must set a host to enable automatic SSL (Kamal 2.12 refuses it); ' +
      'add `host: <name>` or remove `ssl`',
  ],
]

for (const [name, message] of REFUSED) {
  test(`${name}: refused (78) as Kamal refuses it`, async () => {
    const r = await berth('config', ['all'], { cwd: fixture(name) })
    assert.is(r.code, 78, r.stderr)
    assert.ok(r.stderr.startsWith(message), r.stderr)
    assert.match(r.stderr, /Invalid config \(1 problem\); fix it and run again\. No host was contacted\.\n$/)
  })
}

test("ERB beyond the subset: rendered by Ruby's own ERB, as Kamal renders it", async () => {
  const dir = fixture('erb-ruby')
  const r = await berth('config', ['all', '--json'], { cwd: dir, env: { SHELF_CACHE_HOST: '10.20.0.7' } })
  assert.is(r.code, 0, r.stderr)
  const [cache] = JSON.parse(r.stdout).accessories
  assert.equal(cache.hosts, ['10.20.0.7'])
  assert.equal(cache.env.clear, { ZONE_ALPHA: 'alpha.10.20.0.7', ZONE_BETA: 'beta.10.20.0.7' })
})

test('ERB beyond the subset without Ruby: 78 naming each tag, that Ruby evaluates it, and how to install it', async () => {
  const dir = fixture('erb-ruby')
  const r = await berth('config', ['all'], { cwd: dir, env: { PATH: path.join(dir, 'no-ruby-here') } })
  assert.is(r.code, 78, r.stderr)
  const problems = r.stderr.split('\n').filter((l) => l.startsWith('config/deploy.yml:'))
  assert.equal(
    problems.map((l) => l.split(' (')[0]),
    [
      'config/deploy.yml:2:1: ERB <% cache_host = ENV.fetch("SHELF_CACHE_HOST", "10.20.0.4") %>',
      'config/deploy.yml:8:11: ERB <%= cache_host %>',
      'config/deploy.yml:11:1: ERB <% %w[alpha beta].each do |zone| -%>',
      'config/deploy.yml:12:14: ERB <%= zone.upcase %>',
      'config/deploy.yml:12:34: ERB <%= "#{zone}.#{cache_host}".to_json %>',
    ],
  )
  for (const line of problems)
    assert.match(line, /needs Ruby: .*there is no `ruby` on PATH; install Ruby \(apt-get install ruby\)/)
})

test('the common forms need no Ruby: File.read, Dotenv.load, ENV.fetch with an integer', async () => {
  const dir = fixture('erb-subset', { '.shelf-version': '2.4.1\n', '.env.shelf': 'SHELF_CACHE_HOST=10.20.0.8\n' })
  const r = await berth('config', ['all', '--json'], { cwd: dir, env: { PATH: path.join(dir, 'no-ruby-here') } })
  assert.is(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  const [cache] = doc.accessories
  assert.equal([cache.hosts, cache.port], [['10.20.0.8'], '6390:6379'])
  // a variable already set keeps its value (dotenv's load)
  writeFileSync(path.join(dir, '.env.shelf'), 'SHELF_CACHE_HOST=10.20.0.8\nSHELF_CACHE_PORT=7000\n')
  const set = await berth('config', ['all', '--json'], { cwd: dir, env: { SHELF_CACHE_HOST: '10.20.0.9' } })
  assert.equal(
    [JSON.parse(set.stdout).accessories[0].hosts, JSON.parse(set.stdout).accessories[0].port],
    [['10.20.0.9'], '7000:6379'],
  )
})

test('a Ruby ERB that hangs ends with berth on SIGTERM: no ruby is left behind', async () => {
  const dir = project('service: shelf\nimage: shelf/web\n<% $stderr.puts "erb-is-sleeping"; sleep 600 %>\n')
  const run = startBerth('config', ['all'], { cwd: dir })
  await run.stderrLine(/^erb-is-sleeping$/)
  assert.equal(processesNaming(dir).length, 1, processesNaming(dir).join('\n'))
  run.signal('SIGTERM')
  // the ruby (its command line names the config) must go with berth: given ten seconds, then killed by pid
  let left = processesNaming(dir)
  for (let i = 0; i < 100 && left.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    left = processesNaming(dir)
  }
  for (const entry of left) process.kill(Number(entry.split(':')[0]), 'SIGKILL')
  assert.equal(left, [], 'a ruby outlived berth')
  const r = await run.done
  assert.is(r.code, 143, r.stderr)
})

test.run()
