// Patterns from real Kamal projects that Kamal 2.12 accepts (issue 20, section 1): each fixture under
// test/fixtures/config/<pattern>/ loads, means what it means to Kamal, and gives Kamal's `docker run` argv.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig } from '../../../lib/config/load.ts'
import { resolveDeployment, type Deployment } from '../../../lib/config/deployment.ts'
import { envFileContent, runAccessory } from '../../../lib/docker/accessory-commands.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { runScript } from '../../../lib/cli/run.ts'
import { FakeFleet } from '../../support/fake-fleet.ts'
import { runWithFleet } from '../../support/run-script.ts'

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url))

async function deploymentOf(fixture: string, destination?: string): Promise<Deployment> {
  const cwd = path.join(FIXTURES, fixture)
  const loaded = await loadConfig({ cwd, env: {}, ...(destination ? { destination } : {}) })
  return resolveDeployment(loaded, { cwd, env: {} })
}

async function problemsOf(fixture: string, destination?: string): Promise<string[]> {
  try {
    await deploymentOf(fixture, destination)
  } catch (e) {
    if (e instanceof ConfigError) return e.problems
    throw e
  }
  return []
}

/** The argv berth runs, as the words the remote shell sees. */
function runWords(deployment: Deployment, name: string, host: string): string {
  const accessory = deployment.accessories.find((a) => a.name === name)!
  return shellJoin(runAccessory(accessory, host, deployment.loggingArgs).argv)
}

test('env names with "." and "-": accepted, passed with --env and in the env file as Kamal writes them', async () => {
  assert.equal(await problemsOf('env-names'), [])
  const deployment = await deploymentOf('env-names')
  const search = deployment.accessories[0]!
  assert.equal(search.envClear, [
    ['cluster.mode', 'solo'],
    ['http-listen.addr', ':9400'],
    ['plain_name', 'yes-plain'],
  ])
  // Kamal: argumentize("--env", clear), then --env-file with `key=value` lines (Kamal::EnvFile)
  assert.is(
    runWords(deployment, 'search', '10.7.0.4'),
    'docker run --name shop-search --detach --restart unless-stopped --network kamal --log-opt max-size=10m ' +
      '--env KAMAL_HOST=10.7.0.4 --env cluster.mode=solo --env http-listen.addr=:9400 --env plain_name=yes-plain ' +
      '--env-file .kamal/apps/shop/env/accessories/search.env --label service=shop-search search:1',
  )
  assert.is(envFileContent(search.envSecret), 'api.token=tok-123\nadmin-pass=s3cret\n')
})

test('a key written twice: the last one wins (as Psych), with a warning naming both lines', async () => {
  assert.equal(await problemsOf('duplicate-key'), [])
  const deployment = await deploymentOf('duplicate-key')
  assert.is(deployment.accessories[0]!.image, 'redis:8')
  assert.equal(deployment.warnings, [
    'config/deploy.yml:8:5: /accessories/cache/image: the key "image" is written twice in this map ' +
      "(first at config/deploy.yml:6:5); Kamal's YAML parser (Psych) keeps the last one, and so does berth. " +
      'Remove the one you do not mean.',
  ])
  // messages about the value point at the one that counts
  const loaded = await loadConfig({ cwd: path.join(FIXTURES, 'duplicate-key'), env: {} })
  assert.is(loaded.locate(['accessories', 'cache', 'image']), 'config/deploy.yml:8:12')
})

test('a key written twice: said on stderr, and as a ::warning on that line in GitHub Actions', async () => {
  const cwd = path.join(FIXTURES, 'duplicate-key')
  for (const actions of [false, true]) {
    let stderr = ''
    let annotations = ''
    const code = await runScript('config', [], {
      cwd,
      env: actions ? { GITHUB_ACTIONS: 'true' } : {},
      stdout: () => {},
      stderr: (t) => void (stderr += String(t)),
      annotate: (t) => void (annotations += t),
    })
    assert.is(code, 0)
    assert.match(
      stderr,
      /^berth: config\/deploy\.yml:8:5: \/accessories\/cache\/image: the key "image" is written twice/,
    )
    assert.is(
      annotations,
      actions
        ? '::warning file=config/deploy.yml,line=8,col=5,title=berth%3A config::' +
            'config/deploy.yml:8:5: /accessories/cache/image: the key "image" is written twice in this map ' +
            "(first at config/deploy.yml:6:5); Kamal's YAML parser (Psych) keeps the last one, and so does berth. " +
            'Remove the one you do not mean.\n'
        : '',
    )
  }
})

test('duplicate keys: nested, in lists, and `<<` merge keys (which may repeat) are told apart', async () => {
  const { duplicateKeys } = await import('../../../lib/config/duplicate-keys.ts')
  const { parseDocument } = await import('yaml')
  const doc = parseDocument('a: &x {k: 1}\nb:\n  - {k: 1, k: 2, j: 0}\n  - <<: *x\n    <<: *x\n"a": 2\n', {
    uniqueKeys: false,
    merge: true,
  })
  assert.equal(
    duplicateKeys(doc).map((d) => d.path),
    [['b', 0, 'k'], ['a']],
  )
})

test('hosts: [] is accepted and runs nowhere; the destination file that adds hosts replaces the list', async () => {
  assert.equal(await problemsOf('hosts-empty'), [])
  const base = await deploymentOf('hosts-empty')
  assert.equal(
    base.accessories.map((a) => [a.name, a.hosts, a.noHostsAt]),
    [
      ['pdf', [], 'config/deploy.yml:7:12'],
      ['cache', ['h2'], undefined],
    ],
  )
  // ActiveSupport's deep_merge replaces arrays: the stage file's list is the list
  const stage = await deploymentOf('hosts-empty', 'stage')
  assert.equal(
    stage.accessories.map((a) => [a.name, a.hosts, a.noHostsAt]),
    [
      ['pdf', ['h1'], undefined],
      ['cache', ['h2'], undefined],
    ],
  )
})

test('hosts: []: `all` skips the accessory and says so (exit 0); naming it alone is a usage error (64)', async () => {
  const cwd = path.join(FIXTURES, 'hosts-empty')
  const fleet = new FakeFleet()
  fleet.addContainer('h2', { name: 'shop-cache', image: 'redis:7' })
  const check = await runWithFleet('check', ['all'], { cwd, fleet })
  assert.is(check.code, 0, check.stdout + check.stderr)
  assert.ok(
    check.stderr.includes(
      'berth: Skipped accessory `pdf` has no hosts (`hosts: []` at config/deploy.yml:7:12); give it hosts there, ' +
        'or pass the destination whose file adds them (`-d NAME`).',
    ),
    check.stderr,
  )
  assert.not.match(check.stdout, /pdf/)
  assert.ok(fleet.sent.every((c) => c.host === 'h2'))
  const sentBefore = fleet.sent.length
  for (const verb of ['boot', 'check', 'reboot', 'logs']) {
    const alone = await runWithFleet(verb, ['pdf'], { cwd, fleet })
    assert.is(alone.code, 64, `${verb}: ${alone.stderr}`)
    assert.ok(
      alone.stderr.startsWith(
        'Nothing to run: accessory `pdf` has no hosts (`hosts: []` at config/deploy.yml:7:12); give it hosts there, ' +
          'or pass the destination whose file adds them (`-d NAME`). (`all` skips it, as Kamal does.)',
      ),
      alone.stderr,
    )
  }
  assert.is(fleet.sent.length, sentBefore, 'no host contacted')
  // --json: the documents that have room for it list what `all` skipped (check's published schema v2 has none)
  const reason =
    'Skipped accessory `pdf` has no hosts (`hosts: []` at config/deploy.yml:7:12); give it hosts there, ' +
    'or pass the destination whose file adds them (`-d NAME`).'
  for (const verb of ['boot', 'details', 'start']) {
    const json = await runWithFleet(verb, ['all', '--json'], { cwd, fleet })
    assert.is(json.code, 0, `${verb}: ${json.stdout}${json.stderr}`)
    assert.equal(JSON.parse(json.stdout).skipped, [{ accessory: 'pdf', reason }], verb)
  }
  assert.is(JSON.parse((await runWithFleet('boot', ['cache', '--json'], { cwd, fleet })).stdout).skipped, undefined)
  // with the destination that adds the host, it runs there
  fleet.addContainer('h1', { name: 'shop-pdf', image: 'pdf-render:3' })
  const staged = await runWithFleet('check', ['pdf', '-d', 'stage'], { cwd, fleet })
  assert.is(staged.code, 0, staged.stdout + staged.stderr)
})

test("a missing files: entry: the config loads, the mount is Kamal's, read-only verbs run, boot/reboot refuse (78)", async () => {
  assert.equal(await problemsOf('file-missing'), [])
  const deployment = await deploymentOf('file-missing')
  const db = deployment.accessories[0]!
  assert.equal(db.files, [
    {
      source: 'seed/generated-later.sql',
      at: 'config/deploy.yml:10:9',
      content: undefined,
      remotePath: 'shop-db/docker-entrypoint-initdb.d/seed.sql',
      mode: '755',
      owner: undefined,
    },
  ])
  assert.ok(
    runWords(deployment, 'db', 'h1').includes(
      '--volume "$PWD"/shop-db/docker-entrypoint-initdb.d/seed.sql:/docker-entrypoint-initdb.d/seed.sql',
    ),
  )
  const cwd = path.join(FIXTURES, 'file-missing')
  const fleet = new FakeFleet()
  const refused =
    'config/deploy.yml:10:9: /accessories/db/files: Missing file: seed/generated-later.sql (accessory `db` uploads ' +
    'it to shop-db/docker-entrypoint-initdb.d/seed.sql); create it, or generate it before this step, then run again.'
  for (const args of [['db'], ['all'], ['db', '-y'], ['all', '--dry-run']]) {
    for (const verb of ['boot', 'reboot']) {
      if (verb === 'boot' && args.includes('-y')) continue
      const r = await runWithFleet(verb, args, { cwd, fleet })
      assert.is(r.code, 78, `${verb} ${args.join(' ')}: ${r.stderr}`)
      assert.ok(r.stderr.startsWith(`${refused}\n`), r.stderr)
    }
  }
  assert.is(fleet.sent.length, 0, 'no host contacted')
  // another accessory boots; read-only verbs see the db and say what they could not compare
  assert.is((await runWithFleet('boot', ['cache'], { cwd, fleet })).code, 0)
  fleet.addContainer('h1', { name: 'shop-db', image: 'postgres:16' })
  const check = await runWithFleet('check', ['db'], { cwd, fleet })
  assert.ok([0, 2].includes(check.code), check.stderr)
  assert.match(
    check.stdout,
    /Not compared for `db` on h1: .*file seed\/generated-later\.sql \(the local file is missing here; its mount is compared\)/,
  )
  const config = await runWithFleet('config', ['db'], { cwd, fleet })
  assert.is(config.code, 0, config.stderr)
  assert.match(
    config.stdout,
    /seed\/generated-later\.sql → .*; missing here, so boot and reboot refuse until it exists/,
  )
  for (const verb of ['details', 'logs']) assert.is((await runWithFleet(verb, ['db'], { cwd, fleet })).code, 0, verb)
})

test('a relative host path in volumes: passed as written; check compares the path docker made absolute', async () => {
  assert.equal(await problemsOf('volume-relative'), [])
  const deployment = await deploymentOf('volume-relative')
  const db = deployment.accessories[0]!
  assert.equal(db.volumes, [
    './state/pg:/var/lib/postgresql/data',
    '../shared/dumps:/dumps:ro',
    'pgrun:/var/run/postgresql',
  ])
  // Kamal: argumentize("--volume", specific_volumes), values unchanged
  assert.ok(
    runWords(deployment, 'db', 'h1').includes(
      '--env-file .kamal/apps/shop/env/accessories/db.env --volume ./state/pg:/var/lib/postgresql/data ' +
        '--volume ../shared/dumps:/dumps:ro --volume pgrun:/var/run/postgresql --label service=shop-db postgres:16',
    ),
  )
  const cwd = path.join(FIXTURES, 'volume-relative')
  const fleet = new FakeFleet()
  assert.is((await runWithFleet('boot', ['db'], { cwd, fleet })).code, 0)
  const inSync = await runWithFleet('check', ['db', '--json'], { cwd, fleet })
  assert.is(inSync.code, 0, inSync.stdout)
  assert.equal(JSON.parse(inSync.stdout).results[0].notCompared, [])
})

test('relative volumes are judged against the login directory the host reports, exactly', async () => {
  const { judge } = await import('../../../lib/drift/verdicts.ts')
  const { parseHostInspection } = await import('../../../lib/docker/inspect.ts')
  const deployment = await deploymentOf('volume-relative')
  const db = deployment.accessories[0]!
  const container = (binds: string[]) => ({
    Id: 'c1',
    Name: '/shop-db',
    Image: 'sha256:1',
    Config: { Image: 'postgres:16', Labels: { service: 'shop-db' }, Env: ['KAMAL_HOST=h1'], Cmd: null },
    HostConfig: {
      Binds: binds,
      NetworkMode: 'kamal',
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } },
    },
    State: { Status: 'running', StartedAt: '2026-01-01T00:00:00Z' },
  })
  const observe = (binds: string[], pwd: string) =>
    parseHostInspection({
      exitCode: 0,
      stderr: '',
      stdout: `${JSON.stringify(container(binds))}\n@@berth-images@@\n@@berth-pwd@@\n${pwd}\n`,
    })!
  const right = [
    '/srv/app/state/pg:/var/lib/postgresql/data',
    '/srv/shared/dumps:/dumps:ro',
    'pgrun:/var/run/postgresql',
  ]
  const inSync = judge(db, 'h1', { ok: true, ...observe(right, '/srv/app') }, { loggingArgs: deployment.loggingArgs })
  assert.is(inSync.kind, 'in_sync', JSON.stringify(inSync))
  // the same folder name under another directory is another folder: drift, saying both forms
  const elsewhere = [
    '/opt/state/pg:/var/lib/postgresql/data',
    '/srv/shared/dumps:/dumps:ro',
    'pgrun:/var/run/postgresql',
  ]
  const drift = judge(
    db,
    'h1',
    { ok: true, ...observe(elsewhere, '/srv/app') },
    { loggingArgs: deployment.loggingArgs },
  )
  assert.is(drift.kind, 'drift')
  assert.equal(drift.kind === 'drift' && drift.findings.flatMap((f) => f.reasons), [
    'volume ./state/pg:/var/lib/postgresql/data (/srv/app/state/pg:/var/lib/postgresql/data) is not mounted',
    'volume /opt/state/pg:/var/lib/postgresql/data is mounted but not configured',
  ])
})

test.run()
