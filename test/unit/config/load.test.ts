import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig } from '../../../lib/config/load.ts'
import { deepMerge, destinationFile } from '../../../lib/config/destination.ts'
import { shellRunner } from '../../../lib/config/local-commands.ts'
import { ERB_SUBSET } from '../../../lib/config/erb.ts'
import { tempDir } from '../../support/files.ts'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/config')

async function problems(p: Promise<unknown>): Promise<string[]> {
  try {
    await p
  } catch (e) {
    assert.instance(e, ConfigError)
    assert.is((e as ConfigError).message, (e as ConfigError).problems.join('\n'))
    return (e as ConfigError).problems
  }
  assert.unreachable('expected a ConfigError')
  return []
}

const MINIMAL_YML = 'service: app\nimage: app/app\naccessories:\n  db:\n    image: mysql:8\n    host: db1\n'
const MINIMAL_OBJ = { service: 'app', image: 'app/app', accessories: { db: { image: 'mysql:8', host: 'db1' } } }

test('pure helpers: deepMerge (ActiveSupport) and destinationFile', () => {
  assert.equal(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3], e: 2 }, d: null }), {
    a: { b: 1, c: [3], e: 2 },
    d: null,
  })
  assert.equal(deepMerge({ a: { b: 1 } }, { a: 'flat' }), { a: 'flat' })
  assert.is(destinationFile('config/deploy.yml', 'staging'), 'config/deploy.staging.yml')
  assert.is(destinationFile('deploy.config.mjs', 'prod'), 'deploy.config.prod.mjs')
})

test('default discovery: deploy.config.mjs wins over config/deploy.yml', async () => {
  const dir = tempDir({
    'config/deploy.yml': MINIMAL_YML,
    'deploy.config.mjs': `export default ${JSON.stringify({ ...MINIMAL_OBJ, service: 'from-mjs' })}\n`,
  })
  const r = await loadConfig({ cwd: dir, env: {} })
  assert.is(r.file, 'deploy.config.mjs')
  assert.equal(r.files, ['deploy.config.mjs'])
  assert.is(r.config.service, 'from-mjs')
  assert.is(r.locate(['accessories', 'db', 'image']), 'deploy.config.mjs')
})

test('default discovery: config/deploy.yml', async () => {
  const dir = tempDir({ 'config/deploy.yml': MINIMAL_YML })
  const r = await loadConfig({ cwd: dir, env: {} })
  assert.is(r.file, 'config/deploy.yml')
  assert.equal(r.files, ['config/deploy.yml'])
  assert.is(r.destination, undefined)
  assert.equal(r.config, MINIMAL_OBJ)
  assert.equal(r.secrets, {})
  assert.equal(r.secretFiles, ['.kamal/secrets-common', '.kamal/secrets'])
  assert.is(r.locate(['accessories', 'db', 'host']), 'config/deploy.yml:6:11')
  assert.is(r.locate(['accessories', 'db']), 'config/deploy.yml:5:5')
  // a missing path falls back to its nearest defined ancestor
  assert.is(r.locate(['accessories', 'db', 'port']), 'config/deploy.yml:5:5')
})

test('no config file at all names both defaults and -c', async () => {
  const dir = tempDir({})
  assert.equal(await problems(loadConfig({ cwd: dir, env: {} })), [
    `no config file found: looked for deploy.config.mjs and config/deploy.yml in ${dir}; use -c <file> to name another`,
  ])
})

test('-c with a missing file names it', async () => {
  const dir = tempDir({ 'config/deploy.yml': MINIMAL_YML })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, file: 'config/nope.yml' })), [
    'config/nope.yml: config file not found; pass -c with an existing .yml or .mjs file',
  ])
})

test('-c with an existing file keeps the path as given', async () => {
  const dir = tempDir({ 'ops/berth.yaml': MINIMAL_YML })
  const r = await loadConfig({ cwd: dir, env: {}, file: 'ops/berth.yaml' })
  assert.is(r.file, 'ops/berth.yaml')
  assert.is(r.locate(['service']), 'ops/berth.yaml:1:10')
})

test('mjs: a function export gets { destination, env } and may be async', async () => {
  const dir = tempDir({
    'deploy.config.mjs': `export default async ({ destination, env }) => ({
  service: 'app', image: 'app/app',
  accessories: { db: { image: 'mysql:8', host: (destination ?? 'none') + '-' + env.KAMAL_DESTINATION + '-' + env.REGION } },
})\n`,
  })
  const r = await loadConfig({ cwd: dir, env: { REGION: 'eu' }, destination: 'staging' })
  assert.is(r.config.accessories?.db?.host, 'staging-staging-eu')
  assert.is(r.destination, 'staging')
  assert.equal(r.files, ['deploy.config.mjs'])
  const r2 = await loadConfig({ cwd: dir, env: { REGION: 'us', KAMAL_DESTINATION: 'stale' } })
  assert.is(r2.config.accessories?.db?.host, 'none-undefined-us')
})

test('mjs: a changed file is re-read in the same process', async () => {
  const dir = tempDir({ 'deploy.config.mjs': `export default ${JSON.stringify(MINIMAL_OBJ)}\n` })
  assert.is((await loadConfig({ cwd: dir, env: {} })).config.service, 'app')
  writeFileSync(
    join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify({ ...MINIMAL_OBJ, service: 'changed' })}\n`,
  )
  assert.is((await loadConfig({ cwd: dir, env: {} })).config.service, 'changed')
})

test('mjs: destination file is deep-merged; required when the main export is an object', async () => {
  const dir = tempDir({
    'deploy.config.mjs': `export default ${JSON.stringify(MINIMAL_OBJ)}\n`,
    'deploy.config.staging.mjs': `export default ({ destination }) => ({ accessories: { db: { host: destination + '-db', hosts: undefined } } })\n`,
  })
  const r = await loadConfig({ cwd: dir, env: {}, destination: 'staging' })
  assert.equal(r.files, ['deploy.config.mjs', 'deploy.config.staging.mjs'])
  assert.is(r.config.accessories?.db?.host, 'staging-db')
  assert.is(r.config.accessories?.db?.image, 'mysql:8')
  assert.is(r.locate(['accessories', 'db', 'host']), 'deploy.config.staging.mjs')
  assert.is(r.locate(['accessories', 'db', 'image']), 'deploy.config.mjs')
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, destination: 'prod' })), [
    'deploy.config.prod.mjs: configuration file for destination "prod" not found (deploy.config.mjs exports an object, so a destination needs its own file; or export a function of { destination, env })',
  ])
})

test('mjs: a bad default export and a throwing module are reported', async () => {
  const dir = tempDir({
    'a.mjs': 'export default 42\n',
    'b.mjs': 'throw new Error("boom")\n',
    'c.mjs': 'export default () => null\n',
  })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, file: 'a.mjs' })), [
    'a.mjs: (root): the default export must be an object, or a function returning one (got number)',
  ])
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, file: 'b.mjs' })), ['b.mjs: failed to load: boom'])
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, file: 'c.mjs' })), [
    'c.mjs: (root): the default export must be an object, or a function returning one (got null)',
  ])
})

test('mjs: validation problems have no line numbers', async () => {
  const dir = tempDir({
    'deploy.config.mjs': `export default { service: 'app', image: 'x', accessories: { db: { image: 'm', host: 'h', port: 1.5, extra: 1 } } }\n`,
  })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {} })), [
    'deploy.config.mjs: /accessories/db: unknown key "extra"',
    'deploy.config.mjs: /accessories/db/port: must be string or integer',
  ])
})

test('yml: destination file is deep-merged, positions point at the file that set the value', async () => {
  const dir = tempDir({
    'config/deploy.yml':
      MINIMAL_YML + '    port: "127.0.0.1:3306:3306"\n    options:\n      cpus: 2\n      restart: always\n',
    'config/deploy.staging.yml':
      'accessories:\n  db:\n    host: <%= ENV["KAMAL_DESTINATION"] %>-db1\n    options:\n      restart: sometimes\n',
  })
  const r = await loadConfig({ cwd: dir, env: {}, destination: 'staging' }).catch((e: unknown) => e)
  assert.instance(r, ConfigError)
  assert.equal((r as ConfigError).problems, [
    'config/deploy.staging.yml:5:16: /accessories/db/options/restart: should be no, always, unless-stopped, on-failure, or on-failure:N',
  ])
  writeFileSync(
    join(dir, 'config/deploy.staging.yml'),
    'accessories:\n  db:\n    host: <%= ENV["KAMAL_DESTINATION"] %>-db1\n    options:\n      restart: "no"\n',
  )
  const ok = await loadConfig({ cwd: dir, env: {}, destination: 'staging' })
  assert.equal(ok.files, ['config/deploy.yml', 'config/deploy.staging.yml'])
  assert.equal(ok.config.accessories?.db, {
    image: 'mysql:8',
    host: 'staging-db1',
    port: '127.0.0.1:3306:3306',
    options: { cpus: 2, restart: 'no' },
  })
  assert.is(ok.locate(['accessories', 'db', 'host']), 'config/deploy.staging.yml:3:11')
  assert.is(ok.locate(['accessories', 'db', 'port']), 'config/deploy.yml:7:11')
})

test('yml: the destination file must exist', async () => {
  const dir = tempDir({ 'config/deploy.yml': MINIMAL_YML })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, destination: 'prod' })), [
    'config/deploy.prod.yml: configuration file for destination "prod" not found',
  ])
})

test('yml: ERB is expanded before parsing, with KAMAL_DESTINATION set', async () => {
  const dir = tempDir({
    'config/deploy.yml':
      'service: <%= ENV.fetch("SERVICE", "app") %>\nimage: <%= ENV["IMAGE"] %>\n<%# accessories follow %>\naccessories:\n  db:\n    image: mysql:8\n    host: <%= ENV.fetch(\'KAMAL_DESTINATION\', "none") %>-db\n',
    'config/deploy.blue.yml': 'service: <%= ENV.fetch("SERVICE", "app") %>-<%= ENV["KAMAL_DESTINATION"] %>\n',
  })
  const r = await loadConfig({ cwd: dir, env: { IMAGE: 'me/app', KAMAL_DESTINATION: 'stale' } })
  assert.is(r.config.service, 'app')
  assert.is(r.config.image, 'me/app')
  assert.is(r.config.accessories?.db?.host, 'none-db')
  const b = await loadConfig({ cwd: dir, env: { IMAGE: 'me/app', SERVICE: 'svc' }, destination: 'blue' })
  assert.is(b.config.service, 'svc-blue')
  assert.is(b.config.accessories?.db?.host, 'blue-db')
})

test('yml: ERB beyond the subset goes to Ruby (its error named), or without Ruby is named with file:line:col', async () => {
  const dir = tempDir({
    'config/deploy.yml':
      'service: app\nimage: app\nregistry:\n  username: <%= Shelf::Nope.arch %>\n  password: <%= %x(printf s3cr3t) %>\n',
  })
  const run = shellRunner(dir, {}, { terminal: false })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, run })), [
    "config/deploy.yml:4: Ruby's ERB failed on this file: NameError: uninitialized constant Shelf",
  ])
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, run, ruby: join(dir, 'no-ruby') })), [
    `config/deploy.yml:4:13: ERB <%= Shelf::Nope.arch %> (Shelf is not part of the subset) needs Ruby: ${ERB_SUBSET} ` +
      "itself, and hands a file with any other ERB to Ruby's own ERB as Kamal does, but there is no `ruby` on PATH; " +
      'install Ruby (apt-get install ruby), or write the tag in the subset.',
  ])
  const failing = tempDir({ 'config/deploy.yml': 'service: app\nimage: app\nx-failing: <%= `exit 4` %>\n' })
  assert.equal(await problems(loadConfig({ cwd: failing, env: {}, run })), [
    'config/deploy.yml:3:12: the command `exit 4` failed (exit 4)',
  ])
  const ok = tempDir({
    'config/deploy.yml':
      'service: app\nimage: app\nservers: [h1]\nregistry:\n  username: u\n  password: <%= %x(printf s3cr3t) %>\n',
  })
  assert.equal((await loadConfig({ cwd: ok, env: {}, run })).config.registry?.password, 's3cr3t')
})

test('yml: positions after ERB that adds or removes lines still name the template line', async () => {
  const dir = tempDir({
    'config/deploy.yml':
      'service: app\nimage: app\n<% if ENV["NOPE"] %>\na: 1\nb: 2\n<% end %>\naccessories:\n  db:\n    image: a\n    host: h\n    port: x\n',
  })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {} })), [
    'config/deploy.yml:11:11: /accessories/db/port: "x" is not a port docker can publish; write `PORT`, `HOST_PORT:CONTAINER_PORT` or `IP:HOST_PORT:CONTAINER_PORT` (for example "127.0.0.1:5432:5432").',
  ])
})

test('yml: ENV.fetch of a missing variable is an error', async () => {
  const dir = tempDir({ 'config/deploy.yml': 'service: app\nimage: <%= ENV.fetch("IMAGE") %>\n' })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {} })), [
    'config/deploy.yml:2:8: ENV.fetch("IMAGE"): environment variable IMAGE is not set (key not found)',
  ])
})

test('yml: syntax errors carry positions and the YAML error code', async () => {
  const dir = tempDir({
    'config/deploy.yml': `${MINIMAL_YML}service: again\n`,
    'bad-indent.yml': 'service: app\naccessories:\n  db:\n    image: x\n   host: y\n',
  })
  // a key written twice is no error (Psych keeps the last one): a warning (test/unit/config/kamal-patterns.test.ts)
  const loaded = await loadConfig({ cwd: dir, env: {} })
  assert.is(loaded.config.service, 'again')
  assert.equal(loaded.warnings.length, 1)
  const bad = await problems(loadConfig({ cwd: dir, env: {}, file: 'bad-indent.yml' }))
  assert.ok(bad.length >= 1)
  assert.match(bad[0] as string, /^bad-indent\.yml:5:\d+: \(root\): [A-Z_]+: /)
})

test('yml: an empty file or a non-mapping root is reported', async () => {
  const dir = tempDir({ 'empty.yml': '# nothing\n', 'list.yml': '- a\n- b\n' })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, file: 'empty.yml' })), [
    'empty.yml:1:1: (root): missing required key "service"',
    'empty.yml:1:1: (root): missing required key "image"',
    'empty.yml:1:1: (root): no servers or accessories specified',
  ])
  assert.equal(await problems(loadConfig({ cwd: dir, env: {}, file: 'list.yml' })), [
    'list.yml:1:1: (root): must be object',
  ])
})

test('yml: YAML 1.1 as Psych reads it, anchors and merge keys', async () => {
  const dir = tempDir({
    'config/deploy.yml': `service: app
image: app
x-base: &base
  image: redis:7
  host: cache1
  options:
    restart: "no"
accessories:
  cache:
    <<: *base
    env:
      ENABLED: yes
      VERBOSE: off
      ANSWER: y
      MODE: 0755
      VERSION: 3.0
`,
  })
  const r = await loadConfig({ cwd: dir, env: {} })
  assert.equal(r.config.accessories?.cache, {
    image: 'redis:7',
    host: 'cache1',
    options: { restart: 'no' },
    env: { ENABLED: true, VERBOSE: false, ANSWER: 'y', MODE: 493, VERSION: '3.0' },
  })
  assert.is(r.locate(['accessories', 'cache', 'host']), 'config/deploy.yml:5:9')
})

test('the realistic Kamal deploy.yml fixture loads with zero problems, with and without destination', async () => {
  const cwd = join(FIXTURES, 'full')
  const env = { KAMAL_REGISTRY_PASSWORD_FROM_ENV: 'from-env' }
  const r = await loadConfig({ cwd, env })
  assert.is(r.file, 'config/deploy.yml')
  assert.is(r.config.service, 'hey')
  assert.equal(Object.keys(r.config.accessories ?? {}), ['mysql', 'redis', 'search'])
  assert.equal(r.config.accessories?.mysql?.registry, {
    server: 'registry.example.com',
    username: 'robot',
    password: ['MYSQL_REGISTRY_PASSWORD'],
  })
  assert.is((r.config.env as { clear: Record<string, unknown> }).clear.DB_HOST, 'hey-db')
  assert.equal(r.secrets, {
    KAMAL_REGISTRY_PASSWORD: 'from-env',
    RAILS_MASTER_KEY: 'abc$NOT_EXPANDED',
    MAIN_DB_PASSWORD: 'main pw',
  })
  assert.is(r.locate(['accessories', 'mysql', 'registry', 'server']), 'config/deploy.yml:127:11')

  const s = await loadConfig({ cwd, env: { ...env, DB_HOST: 'db.staging' }, destination: 'staging' })
  assert.equal(s.files, ['config/deploy.yml', 'config/deploy.staging.yml'])
  assert.equal(s.secretFiles, ['.kamal/secrets-common', '.kamal/secrets.staging'])
  assert.equal(s.config.servers, { ...(r.config.servers as object), web: ['10.0.0.1'] })
  assert.is(s.config.accessories?.mysql?.host, 'staging-db.internal')
  assert.is(s.config.accessories?.mysql?.options?.restart, 'unless-stopped')
  assert.is((s.config.env as { clear: Record<string, unknown> }).clear.DB_HOST, 'db.staging')
  assert.equal(s.secrets, {
    KAMAL_REGISTRY_PASSWORD: 'common-token',
    RAILS_MASTER_KEY: 'abc$NOT_EXPANDED',
    MAIN_DB_PASSWORD: 'staging-pw',
  })
  assert.is(s.locate(['accessories', 'mysql', 'host']), 'config/deploy.staging.yml:6:11')
})

test('a failing $(command) in a secrets file is a ConfigError naming file and line', async () => {
  const dir = tempDir({
    'config/deploy.yml': MINIMAL_YML + 'secrets_path: ops/secrets\n',
    'ops/secrets': 'A=1\nB=$(exit 7)\n',
  })
  assert.equal(await problems(loadConfig({ cwd: dir, env: {} })), [
    'ops/secrets:2: B: command failed: $(exit 7): exit 7',
  ])
})

test.run()
