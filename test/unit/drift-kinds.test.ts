// Every kind of drift, on `docker inspect` fixtures taken from the lab: containers started with Kamal's
// exact `docker run` (shapes from Kamal's test/commands/accessory_test.rb), one from an image with its own
// ENV, LABEL and CMD, and one booted by berth with a port, env, volumes, a directory, labels, options and a
// cmd. The same config is in sync (zero false positives); each change is named, secrets never shown.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { parseImageInspect, parseInspect, type ObservedImage } from '../../lib/docker/inspect.ts'
import { judge, type Verdict } from '../../lib/drift/verdicts.ts'
import { shellWords } from '../../lib/drift/shell-words.ts'
import { parseBytes, parseDuration } from '../../lib/drift/config-diff.ts'
import type { DeployConfig } from '../../lib/config/types.ts'
import { deploymentFrom } from '../support/deployment.ts'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/inspect/${name}`, import.meta.url), 'utf8')
const containers = parseInspect(fixture('containers.json'))
const images = parseImageInspect(fixture('images.json'))
const R = '127.0.1.10:5000'
const HOST = '127.0.1.12'
const SECRETS = { MYSQL_ROOT_PASSWORD: 'secret123', PW: 's3cret' }

/** Kamal's own test config (accessory_test.rb), on the lab's registry and host. */
function kamalConfig(): DeployConfig {
  return {
    service: 'app',
    image: 'dhh/app',
    accessories: {
      mysql: {
        image: `${R}/withenv:1`,
        host: HOST,
        port: '3306',
        env: { clear: { MYSQL_ROOT_HOST: '%' }, secret: ['MYSQL_ROOT_PASSWORD'] },
        options: { cpus: '1', memory: '2GB' },
      },
      redis: {
        image: `${R}/redis:7`,
        host: HOST,
        port: '6379:6379',
        labels: { cache: 'true' },
        env: { SOMETHING: 'else' },
        volumes: ['/var/lib/redis:/data'],
      },
    },
  } as DeployConfig
}

/** The config berth booted `ins-db` from. */
function berthConfig(): DeployConfig {
  return {
    service: 'ins',
    image: 'x',
    accessories: {
      db: {
        image: `${R}/postgres:16`,
        host: HOST,
        port: '127.0.0.1:5433:5432',
        env: { clear: { A: 'b c', EMPTY: '' }, secret: ['PW'] },
        volumes: ['insvol:/v', '/srv/x:/y:ro'],
        directories: ['data:/data'],
        labels: { team: 'core' },
        options: { memory: '64m', cpus: '0.5', 'health-cmd': 'true' },
        cmd: 'sh -c "sleep infinity"',
      },
    },
  } as DeployConfig
}

function verdictOf(
  config: DeployConfig,
  name: string,
  options: { images?: ObservedImage[]; secrets?: Record<string, string> } = {},
): Verdict {
  const deployment = deploymentFrom(config, { secrets: options.secrets ?? SECRETS })
  const accessory = deployment.accessories.find((a) => a.name === name)!
  return judge(
    accessory,
    HOST,
    { ok: true, containers, images: options.images ?? images },
    { loggingArgs: deployment.loggingArgs },
  )
}

const reasons = (v: Verdict) =>
  v.kind === 'drift' ? v.findings.flatMap((f) => f.reasons.map((r) => `${f.kind}: ${r}`)) : []

test("zero false positives: Kamal's exact docker run (image with its own ENV, LABEL, CMD) and berth's boot are in sync", () => {
  for (const [config, name] of [
    [kamalConfig(), 'mysql'],
    [kamalConfig(), 'redis'],
    [berthConfig(), 'db'],
  ] as const) {
    const verdict = verdictOf(config, name)
    assert.is(verdict.kind, 'in_sync', `${name}: ${reasons(verdict).join('; ')}`)
    assert.equal(verdict.kind === 'in_sync' && verdict.notCompared, [], name)
  }
})

test('image: another reference is image drift (settings are not listed beside it)', () => {
  const config = kamalConfig()
  config.accessories!.redis!.image = `${R}/redis:8`
  assert.equal(reasons(verdictOf(config, 'redis')), [`image: image ${R}/redis:7 → ${R}/redis:8`])
})

test('image pinned by digest: the running image is compared by digest', () => {
  const digest = 'sha256:db128aa76795a917bca6ca2f6f981b96f1b2a31f99d7176286f3a5b5ee63515d'
  const pinned = kamalConfig()
  pinned.accessories!.redis!.image = `${R}/redis:7@${digest}`
  assert.is(verdictOf(pinned, 'redis').kind, 'in_sync')
  pinned.accessories!.redis!.image = `${R}/redis:7@sha256:${'0'.repeat(64)}`
  const [reason] = reasons(verdictOf(pinned, 'redis'))
  assert.match(
    reason!,
    /^image: image .*redis:7 → .*redis:7@sha256:0{64} \(pinned digest 000000000000…, running db128aa76795…\)$/,
  )
})

test('image-id: the tag names another image on the host than the one the container runs', () => {
  const moved = images.map((i) => (i.repoTags.includes(`${R}/redis:7`) ? { ...i, id: 'sha256:cd34cd34cd34cd34' } : i))
  moved.push({ ...images.find((i) => i.repoTags.includes(`${R}/redis:7`))!, repoTags: [] })
  assert.equal(reasons(verdictOf(kamalConfig(), 'redis', { images: moved })), [
    'image-id: tag moved on host (1b33bed7651a… → cd34cd34cd34…)',
  ])
})

test('config: env, port, volume, cmd, labels, network, restart, logging and options, each named', () => {
  const cases: Array<[(c: DeployConfig) => void, string]> = [
    [
      (c) => void (c.accessories!.db!.env = { clear: { A: 'b d', EMPTY: '' }, secret: ['PW'] }),
      'config: env A changed (configured "b d")',
    ],
    [
      (c) => void (c.accessories!.db!.port = '127.0.0.1:5434:5432'),
      'config: port 127.0.0.1:5433:5432 → 127.0.0.1:5434:5432',
    ],
    [
      (c) => void (c.accessories!.db!.volumes = ['insvol:/v', '/srv/x:/y:ro', 'more:/more']),
      'config: volume more:/more is not mounted',
    ],
    [
      (c) => void (c.accessories!.db!.volumes = ['insvol:/v']),
      'config: volume /srv/x:/y:ro is mounted but not configured',
    ],
    [
      (c) => void (c.accessories!.db!.cmd = 'sh -c "sleep 1000"'),
      'config: cmd sh -c sleep infinity → sh -c sleep 1000',
    ],
    [(c) => void (c.accessories!.db!.labels = { team: 'edge' }), 'config: label team "core" → "edge"'],
    [(c) => void (c.accessories!.db!.network = 'other'), 'config: network kamal → other'],
    [
      (c) =>
        void (c.accessories!.db!.options = { memory: '64m', cpus: '0.5', 'health-cmd': 'true', restart: 'always' }),
      'config: restart unless-stopped → always',
    ],
    [(c) => void (c.logging = { options: { 'max-size': '20m' } }), 'config: log option max-size 10m → 20m'],
    [
      (c) => void (c.accessories!.db!.options = { memory: '128m', cpus: '0.5', 'health-cmd': 'true' }),
      'config: option --memory 128m is not what the container has',
    ],
    [
      (c) => void (c.accessories!.db!.options = { cpus: '0.5', 'health-cmd': 'true' }),
      'config: option --memory is set on the container but not configured',
    ],
  ]
  for (const [change, expected] of cases) {
    const config = berthConfig()
    change(config)
    assert.equal(reasons(verdictOf(config, 'db')), [expected])
  }
})

test("the image's own ENV, LABEL and CMD are not drift; dropping a configured cmd is", () => {
  assert.is(verdictOf(kamalConfig(), 'mysql').kind, 'in_sync')
  const config = berthConfig()
  delete config.accessories!.db!.cmd
  assert.equal(reasons(verdictOf(config, 'db')), [
    `config: cmd sh -c sleep infinity → the image's own (/bin/sh -c trap "exit 0" TERM INT; sleep infinity & wait)`,
  ])
})

test('secrets: a rotated value is drift, named but never shown; an unresolved one is not compared', () => {
  const rotated = verdictOf(kamalConfig(), 'mysql', { secrets: { MYSQL_ROOT_PASSWORD: 'rotated-value' } })
  assert.equal(reasons(rotated), ['secrets: MYSQL_ROOT_PASSWORD changed'])
  assert.not.ok(JSON.stringify(rotated).includes('rotated-value') && reasons(rotated).join().includes('rotated-value'))
  assert.not.ok(reasons(rotated).join().includes('secret123'))
  const deployment = deploymentFrom(kamalConfig(), { secrets: SECRETS })
  const mysql = { ...deployment.accessories[0]!, unresolvedSecrets: ['MYSQL_ROOT_PASSWORD'] }
  const unresolved = judge(mysql, HOST, { ok: true, containers, images }, { loggingArgs: deployment.loggingArgs })
  assert.is(unresolved.kind, 'in_sync')
  assert.equal(unresolved.kind === 'in_sync' && unresolved.notCompared, [
    'secret MYSQL_ROOT_PASSWORD (not resolved here)',
  ])
})

test('what cannot be compared is listed, never drift: unknown options, shell syntax in cmd, env without the image', () => {
  const config = berthConfig()
  config.accessories!.db!.options = {
    memory: '64m',
    cpus: '0.5',
    'health-cmd': 'true',
    'security-opt': 'no-new-privileges',
  }
  config.accessories!.db!.cmd = 'sh -c "sleep $TIME"'
  const verdict = verdictOf(config, 'db')
  assert.is(verdict.kind, 'in_sync', reasons(verdict).join('; '))
  assert.equal(verdict.kind === 'in_sync' && verdict.notCompared, [
    'cmd (it uses shell syntax, which the remote shell expands)',
    'option --security-opt',
  ])
  const noImages = verdictOf(kamalConfig(), 'mysql', { images: [] })
  assert.is(noImages.kind, 'in_sync')
  assert.equal(noImages.kind === 'in_sync' && noImages.notCompared, [
    `env IMAGE_OWN (the container's image is not on the host to tell its own env apart)`,
  ])
})

test('shell words, sizes and durations read as docker and a POSIX shell read them', () => {
  assert.equal(shellWords(`sh -c 'echo "hi there"' a\\ b "x\\"y"`), ['sh', '-c', 'echo "hi there"', 'a b', 'x"y'])
  assert.equal(shellWords(''), [])
  for (const unparsed of ['echo $HOME', 'a; b', 'a | b', 'echo `x`', '"unterminated', 'ls *'])
    assert.is(shellWords(unparsed), undefined, unparsed)
  assert.equal(
    [parseBytes('64m'), parseBytes('2GB'), parseBytes('512'), parseBytes('1.5g'), parseBytes('lots')],
    [67108864, 2147483648, 512, 1610612736, undefined],
  )
  assert.equal(
    [parseDuration('1s'), parseDuration('1m30s'), parseDuration('500ms'), parseDuration('x')],
    [1e9, 90e9, 5e8, undefined],
  )
})

test('found by attacking: no false drift for escaped secrets, daemon log defaults, CAP_ names, options that publish or mount, ./ paths, an empty cmd, pids-limit -1', () => {
  const deployment = deploymentFrom(berthConfig(), { secrets: SECRETS })
  const db = deployment.accessories[0]!
  const base = containers.find((c) => c.name === 'ins-db')!
  const tweak = (over: Partial<NonNullable<typeof base.settings>>, accessory = db) =>
    judge(
      accessory,
      HOST,
      { ok: true, containers: [{ ...base, settings: { ...base.settings!, ...over } }], images },
      { loggingArgs: deployment.loggingArgs },
    )
  // A secret with a backslash or newline is in the env file (and so in the container) in Kamal's escaped form.
  const escaped = { ...db, envSecret: [['PW', 'back\\slash\nnext']] as Array<[string, string]> }
  assert.is(
    tweak({ env: base.settings!.env.map((e) => (e.startsWith('PW=') ? 'PW=back\\\\slash\\nnext' : e)) }, escaped).kind,
    'in_sync',
  )
  // The daemon's own log-opts are merged into every container.
  assert.is(tweak({ logConfig: { type: 'json-file', config: { 'max-size': '10m', 'max-file': '3' } } }).kind, 'in_sync')
  // cap-add as docker records it; publish/volume in options; ./ paths; empty cmd; pids-limit -1.
  const withOptions = (options: Array<[string, string | undefined]>, more: Partial<typeof db> = {}) => ({
    ...db,
    options: [...db.options, ...options],
    ...more,
  })
  assert.is(
    tweak(
      { hostConfig: { ...base.settings!.hostConfig, CapAdd: ['CAP_NET_ADMIN'] } },
      withOptions([['cap-add', 'NET_ADMIN']]),
    ).kind,
    'in_sync',
  )
  assert.is(
    tweak(
      { portBindings: { ...base.settings!.portBindings, '80/tcp': [{ hostIp: '', hostPort: '18081' }] } },
      withOptions([['publish', '18081:80']]),
    ).kind,
    'in_sync',
  )
  assert.is(
    tweak(
      { binds: [...base.settings!.binds, '/home/app/rel:/rel'] },
      withOptions([], { volumes: [...db.volumes, './rel:/rel'] }),
    ).kind,
    'in_sync',
  )
  assert.is(
    tweak({ cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM INT; sleep infinity & wait'] }, { ...db, cmd: '' }).kind,
    'in_sync',
  )
  assert.is(
    tweak({ hostConfig: { ...base.settings!.hostConfig, PidsLimit: null } }, withOptions([['pids-limit', '-1']])).kind,
    'in_sync',
  )
  // Kamal's shell form of a clear value (newline as \\n) is the same value; ${...} is not compared.
  const kamalEnv = {
    ...db,
    envClear: [
      ['NL', 'l1\nl2'],
      ['E', 'a${HOME}b'],
    ] as Array<[string, string]>,
  }
  const verdict = tweak(
    {
      env: [
        ...base.settings!.env.filter((e) => !e.startsWith('A=') && !e.startsWith('EMPTY=')),
        'NL=l1\\nl2',
        'E=a/root/homeb',
      ],
    },
    kamalEnv,
  )
  assert.is(verdict.kind, 'in_sync', reasons(verdict).join('; '))
  assert.ok(verdict.kind === 'in_sync' && verdict.notCompared.some((n) => n.startsWith('env E (its ${...}')))
})

test('an image VOLUME with nothing mounted on it is said (its data stays behind at a reboot), never drift', () => {
  const deployment = deploymentFrom(berthConfig(), { secrets: SECRETS })
  const base = containers.find((c) => c.name === 'ins-db')!
  const verdict = judge(
    deployment.accessories[0]!,
    HOST,
    { ok: true, containers: [{ ...base, settings: { ...base.settings!, volumes: ['/var/lib/pgdata'] } }], images },
    { loggingArgs: deployment.loggingArgs },
  )
  assert.is(verdict.kind, 'in_sync')
  assert.ok(
    verdict.kind === 'in_sync' && verdict.notCompared.some((n) => n.startsWith('anonymous volume /var/lib/pgdata')),
    JSON.stringify(verdict.kind === 'in_sync' && verdict.notCompared),
  )
})

test.run()
