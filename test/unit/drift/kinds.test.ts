// Every kind of drift, on `docker inspect` fixtures taken from the lab: containers started with Kamal's
// exact `docker run` (shapes from Kamal's test/commands/accessory_test.rb), one from an image with its own
// ENV, LABEL and CMD, and one booted by berth with a port, env, volumes, a directory, labels, options and a
// cmd. The same config is in sync (zero false positives); each change is named, secrets never shown.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import type { ObservedImage } from '../../../lib/docker/inspect.ts'
import { containersOf, readRoundTrip } from '../../support/round-trip.ts'
import { judge, type Verdict } from '../../../lib/drift/verdicts.ts'
import { shellWords } from '../../../lib/drift/shell-words.ts'
import { parseBytes, parseDuration } from '../../../lib/drift/option-readback.ts'
import type { DeployConfig } from '../../../lib/config/types.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/inspect/${name}`, import.meta.url), 'utf8')
const containers = containersOf(fixture('containers.json'))
const images = readRoundTrip(fixture('images.json'))!.images
const R = '127.0.1.10:5000'
const HOST = '127.0.1.12'
const SECRETS = { MYSQL_ROOT_PASSWORD: 'secret123', PW: 's3cret' }
/** The recording lab host's login directory (`$PWD`), against which docker made relative bind sources absolute. */
const LOGIN = '/tmp/berth-lab/hosts/127.0.1.12/home'

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
    { ok: true, containers, images: options.images ?? images, loginDirectory: LOGIN },
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
  const unresolved = judge(
    mysql,
    HOST,
    { ok: true, containers, images, loginDirectory: LOGIN },
    { loggingArgs: deployment.loggingArgs },
  )
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
      { ok: true, containers: [{ ...base, settings: { ...base.settings!, ...over } }], images, loginDirectory: LOGIN },
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
      { binds: [...base.settings!.binds, `${LOGIN}/rel:/rel`] },
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
    {
      ok: true,
      containers: [{ ...base, settings: { ...base.settings!, volumes: ['/var/lib/pgdata'] } }],
      images,
      loginDirectory: LOGIN,
    },
    { loggingArgs: deployment.loggingArgs },
  )
  assert.is(verdict.kind, 'in_sync')
  assert.ok(
    verdict.kind === 'in_sync' && verdict.notCompared.some((n) => n.startsWith('anonymous volume /var/lib/pgdata')),
    JSON.stringify(verdict.kind === 'in_sync' && verdict.notCompared),
  )
})

// What docker 28 (on a 20.10 engine) recorded for each pass-through option, as read on the lab.
const DOCKER_RECORDED = {
  labels: { team: 'ops', bare: '', tier: 'db' },
  env: ['EXTRA=1', 'B=two words', 'HOME=/root'],
  hostConfig: {
    ExtraHosts: ['db:10.0.0.1', 'x:10.0.0.2', 'v6:::1'],
    CapAdd: ['CAP_NET_ADMIN', 'CAP_SYS_PTRACE', 'CAP_SYS_TIME'],
    Devices: [
      { PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/zero', PathInContainer: '/dev/zero', CgroupPermissions: 'rwm' },
      { PathOnHost: '/dev/full', PathInContainer: '/dev/full', CgroupPermissions: 'r' },
      { PathOnHost: '/dev/urandom', PathInContainer: '/dev/ur', CgroupPermissions: 'rw' },
    ],
    // nproc is the daemon's own default-ulimits: not configured, not drift.
    Ulimits: [
      { Name: 'core', Hard: -1, Soft: -1 },
      { Name: 'nofile', Hard: 2048, Soft: 1024 },
      { Name: 'nproc', Hard: 512, Soft: 512 },
    ],
    Sysctls: { 'net.core.somaxconn': '1024', 'net.ipv4.tcp_syncookies': '1' },
    Tmpfs: { '/run': 'rw,size=64m', '/t1': '', '/t3': 'size=1g,mode=1777' },
    Mounts: [
      { Type: 'volume', Source: 'myvol', Target: '/data' },
      { Type: 'bind', Source: '/tmp', Target: '/host-tmp', ReadOnly: true },
      { Type: 'bind', Source: '/home/app/ins-db/data', Target: '/rel' },
      { Type: 'tmpfs', Target: '/tm', TmpfsOptions: { SizeBytes: 1000000 } },
      { Type: 'volume', Target: '/anon' },
    ],
    Healthcheck: undefined,
  },
  config: {
    Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 2e9, StartPeriod: 1e9, Retries: 3 },
  },
  ports: {
    '80/tcp': [{ hostIp: '', hostPort: '8080' }],
    '81/udp': [{ hostIp: '127.0.0.1', hostPort: '8081' }],
    '82/tcp': [{ hostIp: '', hostPort: '' }],
    '83/tcp': [{ hostIp: '127.0.0.1', hostPort: '' }],
    '84/tcp': [{ hostIp: '::1', hostPort: '8084' }],
    '90/tcp': [{ hostIp: '', hostPort: '9000' }],
    '91/tcp': [{ hostIp: '', hostPort: '9001' }],
    '95/tcp': [{ hostIp: '', hostPort: '9500-9510' }],
  },
  aliases: ['db1', 'db2', 'b9c578e0ab5d'],
}

/** The options that make DOCKER_RECORDED, single and listed, spelled as a config would. */
const PASS_THROUGH: Array<[string, string | undefined]> = [
  ['label', 'team=ops'],
  ['l', 'bare'],
  ['label', 'tier=db'],
  ['env', 'EXTRA=1'],
  ['e', 'B=two words'],
  ['env', 'HOME'],
  ['add-host', 'db:10.0.0.1'],
  ['add-host', 'x=10.0.0.2'],
  ['add-host', 'v6:[::1]'],
  ['cap-add', 'net_admin'],
  ['cap-add', 'CAP_SYS_PTRACE'],
  ['cap-add', 'Sys_Time'],
  ['device', '/dev/null:/dev/xnull'],
  ['device', '/dev/zero'],
  ['device', '/dev/full:r'],
  ['device', '/dev/urandom:/dev/ur:wr'],
  ['ulimit', 'nofile=1024:2048'],
  ['ulimit', 'core=-1'],
  ['sysctl', 'net.core.somaxconn=1024'],
  ['sysctl', 'net/ipv4/tcp_syncookies=1'],
  ['tmpfs', '/run:size=64m,rw'],
  ['tmpfs', '/t1'],
  ['tmpfs', '/t3:size=1g,mode=1777'],
  ['mount', 'type=volume,source=myvol,target=/data'],
  ['mount', 'type=bind,src=/tmp,dst=/host-tmp,readonly'],
  ['mount', 'type=bind,source=./data,target=/rel'],
  ['mount', 'type=tmpfs,target=/tm,tmpfs-size=1000000'],
  ['mount', 'target=/anon'],
  ['publish', '8080:80'],
  ['p', '127.0.0.1:8081:81/UDP'],
  ['publish', '82'],
  ['publish', '127.0.0.1::83'],
  ['publish', '[::1]:8084:84'],
  ['publish', '9000-9001:90-91'],
  ['publish', '9500-9510:95'],
  ['network-alias', 'db1'],
  ['net-alias', 'db2'],
  ['health-cmd', 'true'],
  ['health-interval', '5s'],
  ['health-timeout', '2s'],
  ['health-start-period', '1s'],
  ['health-retries', '3'],
  ['memory', '1g'],
  ['memory', '64m'],
]

function passThrough(options: Array<[string, string | undefined]>, recorded = DOCKER_RECORDED) {
  const deployment = deploymentFrom(berthConfig(), { secrets: SECRETS })
  const db = { ...deployment.accessories[0]!, port: undefined }
  const base = containers.find((c) => c.name === 'ins-db')!
  const settings = base.settings!
  const container = {
    ...base,
    labels: { ...base.labels, ...recorded.labels },
    settings: {
      ...settings,
      env: [...settings.env, ...recorded.env],
      portBindings: recorded.ports,
      networkAliases: recorded.aliases ? { kamal: recorded.aliases } : undefined,
      hostConfig: { ...settings.hostConfig, ...recorded.hostConfig },
      config: { ...settings.config, ...recorded.config },
    },
  }
  return judge(
    { ...db, options: [...db.options.filter(([k]) => k !== 'memory'), ...options] },
    HOST,
    {
      ok: true,
      containers: [container],
      images,
      loginDirectory: LOGIN,
    },
    { loggingArgs: deployment.loggingArgs },
  )
}

test("pass-through options (label, env, add-host, cap-add, device, ulimit, sysctl, tmpfs, mount, publish, network-alias, health-*), single and listed, in docker's recorded form are in sync", () => {
  const verdict = passThrough(PASS_THROUGH)
  assert.equal(reasons(verdict), [])
  assert.equal(verdict.kind === 'in_sync' && verdict.notCompared, [
    "env HOME (options: env takes its value from the host's environment)",
  ])
})

test('a changed pass-through option is drift, named; one taken out of the config is drift until a reboot', () => {
  const changed = (key: string, from: string, to: string) =>
    reasons(
      passThrough(
        PASS_THROUGH.map(([k, v]): [string, string | undefined] => (k === key && v === from ? [k, to] : [k, v])),
      ),
    )
  assert.equal(changed('label', 'team=ops', 'team=dev'), ['config: label team "ops" → "dev"'])
  assert.equal(changed('e', 'B=two words', 'B=three'), ['config: env B changed (configured "three")'])
  assert.equal(changed('add-host', 'x=10.0.0.2', 'x=10.0.0.3'), [
    'config: option --add-host x=10.0.0.3 is not what the container has',
    'config: option --add-host x:10.0.0.2 is set on the container but not configured',
  ])
  assert.equal(changed('device', '/dev/full:r', '/dev/full:rw'), [
    'config: option --device /dev/full:rw is not what the container has',
    'config: option --device /dev/full:/dev/full:r is set on the container but not configured',
  ])
  assert.equal(changed('ulimit', 'nofile=1024:2048', 'nofile=1024'), [
    'config: option --ulimit nofile=1024 is not what the container has',
  ])
  assert.equal(changed('sysctl', 'net.core.somaxconn=1024', 'net.core.somaxconn=4096'), [
    'config: option --sysctl net.core.somaxconn=4096 is not what the container has',
  ])
  assert.equal(changed('tmpfs', '/run:size=64m,rw', '/run:size=32m,rw'), [
    'config: option --tmpfs /run:size=32m,rw is not what the container has',
  ])
  assert.equal(changed('mount', 'type=bind,src=/tmp,dst=/host-tmp,readonly', 'type=bind,src=/tmp,dst=/host-tmp'), [
    'config: option --mount type=bind,src=/tmp,dst=/host-tmp is not what the container has',
  ])
  assert.equal(changed('publish', '8080:80', '8088:80'), [
    'config: port 8080:80, 127.0.0.1:8081:81/udp, 82, 127.0.0.1::83, [::1]:8084:84, 9000:90, 9001:91, 9500-9510:95 → ' +
      '8088:80, 127.0.0.1:8081:81/udp, 82, 127.0.0.1::83, [::1]:8084:84, 9000:90, 9001:91, 9500-9510:95',
  ])
  assert.equal(changed('net-alias', 'db2', 'db3'), ['config: option --network-alias db3 is not what the container has'])
  assert.equal(changed('health-retries', '3', '4'), ['config: option --health-retries 4 is not what the container has'])
  // The last value of a single-valued flag is the container's.
  assert.equal(changed('memory', '64m', '128m'), ['config: option --memory 128m is not what the container has'])
  const without = (key: string) => reasons(passThrough(PASS_THROUGH.filter(([k]) => k !== key)))
  assert.equal(without('tmpfs'), [
    'config: option --tmpfs /run is set on the container but not configured',
    'config: option --tmpfs /t1 is set on the container but not configured',
    'config: option --tmpfs /t3 is set on the container but not configured',
  ])
  // labels: {team: core} is under the option's team=ops (docker takes the last --label team).
  assert.equal(without('label'), ['config: label team "ops" → "core"', 'config: label tier is set but not configured'])
  // Aliases docker adds (the short id) and the daemon's default ulimits are not drift.
  assert.equal(without('network-alias').length, 0)
})

test('pass-through values docker inspect cannot tell: ${...} the remote shell expands, aliases not recorded', () => {
  const verdict = passThrough([...PASS_THROUGH, ['label', 'ref=${GIT_REF}'], ['add-host', 'h:${IP}']])
  assert.equal(reasons(verdict), [])
  assert.equal(verdict.kind === 'in_sync' && verdict.notCompared, [
    "env HOME (options: env takes its value from the host's environment)",
    'label ref (its ${...} is expanded by the remote shell when Kamal boots it)',
    'option --add-host h:${IP} (its ${...} is expanded by the remote shell when Kamal boots it)',
  ])
  // A ${...} host may be any of the container's hosts: the others are not called extra.
  const kamalBooted = passThrough([...PASS_THROUGH, ['add-host', 'h:${IP}']], {
    ...DOCKER_RECORDED,
    hostConfig: { ...DOCKER_RECORDED.hostConfig, ExtraHosts: [...DOCKER_RECORDED.hostConfig.ExtraHosts, 'h:10.9.9.9'] },
  })
  assert.equal(reasons(kamalBooted), [])
  const noAliases = passThrough(PASS_THROUGH, { ...DOCKER_RECORDED, aliases: undefined as unknown as string[] })
  assert.ok(noAliases.kind === 'in_sync', reasons(noAliases).join('; '))
  // Kamal's shell form of a label value (a newline kept as \n) is the same value.
  const kamal = passThrough(
    [...PASS_THROUGH.filter(([k]) => k !== 'label'), ['label', 'team=o\nps'], ['label', 'bare'], ['label', 'tier=db']],
    {
      ...DOCKER_RECORDED,
      labels: { ...DOCKER_RECORDED.labels, team: 'o\\nps' },
    },
  )
  assert.equal(reasons(kamal), [])
})

test.run()
