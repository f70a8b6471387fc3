// `options:` that Kamal passes through to `docker run`, in single and list forms, and a `cmd: >` continued
// with backslashes, booted by berth on the lab from config/deploy.yml and deploy.config.mjs: right after the
// boot `check` says in sync, and a changed value that docker inspect shows is drift, named.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { spawnSync } from 'node:child_process'
import { hostDocker, labHosts } from '../lab/lab-info.mjs'
import { canariesFound, canaryName, hostileValues } from '../support/hostile-values.ts'
import { HOST1, berth, bootedProject, homeOf, image, labSsh, project, shopConfig, useLab } from './support.ts'

// Published ports are bound to the lab host's own address: other labs on this machine use the same ports.
const SINGLE = {
  label: 'team=ops',
  env: 'EXTRA=1',
  'add-host': 'db.internal:10.0.0.1',
  'cap-add': 'net_admin',
  device: '/dev/null:/dev/xnull',
  ulimit: 'nofile=1024:2048',
  sysctl: 'net.core.somaxconn=1024',
  tmpfs: '/run:rw,size=64m',
  mount: 'type=volume,source=shop-ops-vol,target=/data',
  publish: `${HOST1}:18180:80`,
  'network-alias': 'ops-a',
  'health-cmd': 'true',
  'health-interval': '5s',
  'health-timeout': '2s',
  'health-start-period': '1s',
  'health-retries': '3',
}

const LISTS = {
  label: ['tier=db', 'bare'],
  env: ['A=1', 'B=two words'],
  'add-host': ['x=10.0.0.2', 'v6:[::1]'],
  'cap-add': ['SYS_TIME', 'CAP_SYS_PTRACE'],
  device: ['/dev/zero', '/dev/full:r', '/dev/urandom:/dev/ur:rw'],
  ulimit: ['nproc=512', 'core=-1'],
  sysctl: ['net.core.somaxconn=512', 'net.ipv4.tcp_syncookies=1'],
  tmpfs: ['/t1', '/t2:size=1m,mode=1777'],
  mount: [
    'type=bind,src=/tmp,dst=/host-tmp,readonly',
    'type=tmpfs,target=/tm,tmpfs-size=1000000',
    'type=volume,target=/anon',
  ],
  publish: [`${HOST1}:18181:81/UDP`, `${HOST1}:18182-18183:90-91`, `${HOST1}::83`],
  'network-alias': ['ops-b', 'ops-c'],
}

/** `key: value` lines of a YAML map, values as JSON (which YAML reads as the same strings). */
const yamlOptions = (options: Record<string, string | string[]>, indent: string) =>
  Object.entries(options)
    .map(([k, v]) =>
      Array.isArray(v)
        ? `${indent}${k}:\n${v.map((item) => `${indent}  - ${JSON.stringify(item)}`).join('\n')}`
        : `${indent}${k}: ${JSON.stringify(v)}`,
    )
    .join('\n')

function deployYml(single: Record<string, string | string[]>, lists: Record<string, string | string[]>): string {
  return `service: shop
image: shop/app
ssh:
  config: ${JSON.stringify(labSsh().config)}
accessories:
  ops:
    image: ${image('redis:7')}
    host: ${HOST1}
    options:
${yamlOptions(single, '      ')}
  lists:
    image: ${image('redis:7')}
    host: ${HOST1}
    options:
${yamlOptions(lists, '      ')}
  pg:
    image: ${image('postgres:16')}
    host: ${HOST1}
    cmd: >
      sh -c 'trap "exit 0" TERM; sleep 1000 & wait' \\
        -c shared_buffers=64MB \\
        -c work_mem=2MB
`
}

async function check(dir: string) {
  const r = await berth('check', ['all', '--json'], { cwd: dir })
  const doc = JSON.parse(r.stdout) as {
    results: Array<{ accessory: string; verdict: string; drift: Array<{ reasons: string[] }>; notCompared: string[] }>
  }
  return { code: r.code, results: doc.results, text: r.stdout + r.stderr }
}

const reasons = (results: Awaited<ReturnType<typeof check>>['results']) =>
  results.flatMap((r) => r.drift.flatMap((d) => d.reasons.map((reason) => `${r.accessory}: ${reason}`)))

const CANARY = path.join(tmpdir(), canaryName('options'))

useLab(test)

test('config/deploy.yml: every pass-through option, single and listed, and a folded cmd are in sync after boot', async () => {
  const dir = await bootedProject(deployYml(SINGLE, LISTS))
  const clean = await check(dir)
  assert.equal(reasons(clean.results), [])
  assert.is(clean.code, 0, clean.text)
  assert.equal(
    clean.results.map((r) => [r.accessory, r.verdict]),
    [
      ['ops', 'in_sync'],
      ['lists', 'in_sync'],
      ['pg', 'in_sync'],
    ],
  )
  // Each option was read back, not waved through.
  assert.equal(
    clean.results.flatMap((r) => r.notCompared),
    [],
  )

  // A value docker inspect shows, changed in the config, is drift named by its option.
  const changes: Array<[string, string | string[], string | string[]]> = [
    ['label', 'team=dev', 'ops: label team "ops" → "dev"'],
    ['env', 'EXTRA=2', 'ops: env EXTRA changed (configured "2")'],
    // A list docker adds up: the new value is missing and the old one is not configured any more.
    [
      'add-host',
      'db.internal:10.0.0.9',
      [
        'ops: option --add-host db.internal:10.0.0.9 is not what the container has',
        'ops: option --add-host db.internal:10.0.0.1 is set on the container but not configured',
      ],
    ],
    [
      'cap-add',
      'sys_admin',
      [
        'ops: option --cap-add sys_admin is not what the container has',
        'ops: option --cap-add CAP_NET_ADMIN is set on the container but not configured',
      ],
    ],
    [
      'device',
      '/dev/null:/dev/ynull',
      [
        'ops: option --device /dev/null:/dev/ynull is not what the container has',
        'ops: option --device /dev/null:/dev/xnull:rwm is set on the container but not configured',
      ],
    ],
    ['ulimit', 'nofile=1024:4096', 'ops: option --ulimit nofile=1024:4096 is not what the container has'],
    ['sysctl', 'net.core.somaxconn=2048', 'ops: option --sysctl net.core.somaxconn=2048 is not what the container has'],
    ['tmpfs', '/run:rw,size=32m', 'ops: option --tmpfs /run:rw,size=32m is not what the container has'],
    [
      'mount',
      'type=volume,source=other-vol,target=/data',
      'ops: option --mount type=volume,source=other-vol,target=/data is not what the container has',
    ],
    ['publish', `${HOST1}:18184:80`, `ops: port ${HOST1}:18180:80 → ${HOST1}:18184:80`],
    ['network-alias', 'ops-z', 'ops: option --network-alias ops-z is not what the container has'],
    ['health-interval', '7s', 'ops: option --health-interval 7s is not what the container has'],
  ]
  for (const [key, value, reason] of changes) {
    writeFileSync(path.join(dir, 'config/deploy.yml'), deployYml({ ...SINGLE, [key]: value }, LISTS))
    const drifted = await check(dir)
    assert.is(drifted.code, 2, drifted.text)
    assert.equal(reasons(drifted.results), [reason].flat())
  }
  // An option taken out of the config is still on the container until it is rebooted.
  const { 'cap-add': _capAdd, ...withoutCaps } = LISTS
  writeFileSync(path.join(dir, 'config/deploy.yml'), deployYml(SINGLE, withoutCaps))
  assert.equal(reasons((await check(dir)).results), [
    'lists: option --cap-add CAP_SYS_PTRACE is set on the container but not configured',
    'lists: option --cap-add CAP_SYS_TIME is set on the container but not configured',
  ])

  // reboot --drifted makes the change (docker create, then start) and check is in sync again.
  writeFileSync(path.join(dir, 'config/deploy.yml'), deployYml({ ...SINGLE, label: 'team=dev' }, withoutCaps))
  const reboot = await berth('reboot', ['all', '--drifted', '-y'], { cwd: dir })
  assert.is(reboot.code, 0, reboot.stdout + reboot.stderr)
  const after = await check(dir)
  assert.is(after.code, 0, after.text)
})

test('deploy.config.mjs: options in list form, hostile values, and what Kamal sets (service label, KAMAL_HOST) are not drift', async () => {
  const hostile = hostileValues(CANARY).filter((v) => !v.value.includes('\0') && v.value.length < 1000)
  const dir = await bootedProject(
    shopConfig({
      ops: {
        image: image('redis:7'),
        host: HOST1,
        options: {
          label: ['team=ops', 'x=1', ...hostile.map((v, i) => `h${i}=${v.value}`)],
          env: ['EXTRA=1', ...hostile.map((v, i) => `H${i}=${v.value}`)],
        },
      },
      one: { image: image('redis:7'), host: HOST1, options: { label: 'team=ops', env: 'EXTRA=1' } },
    }),
  )
  const clean = await check(dir)
  assert.equal(reasons(clean.results), [])
  assert.is(clean.code, 0, clean.text)
  assert.equal(canariesFound(CANARY, [homeOf(HOST1)]), [])
})

test("Kamal's exact docker run with options and a folded cmd (its quoting, cmd appended as is) is in sync", async () => {
  await hostDocker(HOST1, ['pull', image('postgres:16')])
  await hostDocker(HOST1, ['network', 'create', 'kamal'])
  const cmd = `sh -c 'trap "exit 0" TERM; sleep 1000 & wait' \\\n  -c shared_buffers=64MB \\\n  -c work_mem=2MB\n`
  // Kamal 2.x's accessory run: options through optionize (each value in Ruby's dump quoting), then cmd.
  const kamalRun =
    `docker run --name shop-pg --detach --restart unless-stopped --network kamal --log-opt max-size="10m" ` +
    `--env KAMAL_HOST="${HOST1}" --env-file .kamal/apps/shop/env/accessories/pg.env --label service="shop-pg" ` +
    `--label "team=ops" --label "x=a b" --env "EXTRA=1" --add-host "db.internal:10.0.0.1" --cap-add "net_admin" ` +
    `--ulimit "nofile=1024:2048" --tmpfs "/run:rw,size=64m" --network-alias "pg-a" ${image('postgres:16')} ${cmd}`
  const home = homeOf(HOST1)
  spawnSync('mkdir', ['-p', path.join(home, '.kamal/apps/shop/env/accessories')])
  writeFileSync(path.join(home, '.kamal/apps/shop/env/accessories/pg.env'), '\n')
  const started = spawnSync('sh', ['-c', kamalRun], {
    cwd: home,
    env: { ...process.env, DOCKER_HOST: labHosts().find((h) => h.addr === HOST1)!.dockerHost },
    encoding: 'utf8',
  })
  assert.is(started.status, 0, started.stderr)
  const dir = project(`service: shop
image: shop/app
ssh:
  config: ${JSON.stringify(labSsh().config)}
accessories:
  pg:
    image: ${image('postgres:16')}
    host: ${HOST1}
    options:
      label:
        - team=ops
        - x=a b
      env: EXTRA=1
      add-host: db.internal:10.0.0.1
      cap-add: net_admin
      ulimit: nofile=1024:2048
      tmpfs: /run:rw,size=64m
      network-alias: pg-a
    cmd: >
      sh -c 'trap "exit 0" TERM; sleep 1000 & wait' \\
        -c shared_buffers=64MB \\
        -c work_mem=2MB
`)
  const clean = await check(dir)
  assert.equal(reasons(clean.results), [])
  assert.is(clean.code, 0, clean.text)
  assert.equal(clean.results[0]!.notCompared, [])
})

test.run()
