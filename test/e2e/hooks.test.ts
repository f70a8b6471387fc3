// Kamal's pre-connect hook on the lab, with the real scripts: once per command that contacts a host, before it
// does, with Kamal's KAMAL_* variables and the secrets; never with -H or for accessory-config; a failing hook
// stops the run with no host contacted; `hooks_path` is honoured; SIGTERM to berth ends a hanging hook.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { countAcceptedConnections, labHosts } from '../lab/lab-info.mjs'
import { HOST1, HOST2, berth, containerOn, image, project, shopConfig, startBerth, useLab } from './support.ts'

useLab(test)

/** web on HOST1 (the lock host), jobs on HOST2; db on both. */
const config = (more: Record<string, unknown> = {}) =>
  shopConfig(
    { db: { image: image('redis:7'), hosts: [HOST1, HOST2], env: { secret: ['DB_PASSWORD'] } } },
    { servers: { web: [HOST1], jobs: [HOST2] }, ...more },
  )
const SECRETS = { '.kamal/secrets': 'DB_PASSWORD=s3cr3t-value\nOTHER_SECRET=not-used-by-config\n' }

function writeHook(dir: string, relative: string, body: string): void {
  const file = path.join(dir, relative)
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, 0o755)
}

/** Each run of the logging hook: its KAMAL_* variables and the secrets it saw. */
function runsIn(log: string): Array<Record<string, string>> {
  if (!existsSync(log)) return []
  return readFileSync(log, 'utf8')
    .split('--- run\n')
    .slice(1)
    .map((block) =>
      Object.fromEntries(
        block
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(/=(.*)/s, 2)),
      ),
    )
}

const LOGGING = `{ echo '--- run'; env | grep -E '^(KAMAL_[A-Z_]*|DB_PASSWORD|OTHER_SECRET)=' | sort; } >> "$HOOK_LOG"`
const connections = () => labHosts().map((h) => countAcceptedConnections(h.addr))

test('once per command that contacts a host, with Kamal variables and every secret; never with -H or for config', async () => {
  const dir = project(config(), SECRETS)
  writeHook(dir, '.kamal/hooks/pre-connect', LOGGING)
  const log = path.join(dir, 'hook.log')
  const env = { HOOK_LOG: log, VERSION: 'v42-release' }
  const runs: Array<[string, string[], number]> = [
    ['boot', ['db'], 0],
    ['check', ['db'], 0],
    ['reboot', ['db', '-y'], 0],
    ['exec', ['db', '--', 'true'], 0],
    ['logs', ['db', '--lines', '1'], 0],
    ['lock', ['status'], 0],
    ['check', ['db', '-r', 'jobs', '--json'], 0],
    ['check', ['db', '--dry-run'], 0],
  ]
  for (const [verb, args, code] of runs) {
    const r = await berth(verb, args, { cwd: dir, env })
    assert.is(r.code, code, `${verb} ${args.join(' ')}: ${r.stdout}${r.stderr}`)
    if (args.includes('--json')) JSON.parse(r.stdout)
  }
  for (const [verb, args, code] of [
    ['config', [], 0],
    ['check', ['db', '-H'], 0],
    ['boot', ['db', '--skip-hooks'], 0],
    ['exec', ['db', '--dry-run', '--', 'true'], 2],
  ] as const) {
    const r = await berth(verb, [...args], { cwd: dir, env })
    assert.is(r.code, code, `${verb} ${args.join(' ')}: ${r.stdout}${r.stderr}`)
  }
  const seen = runsIn(log)
  assert.equal(
    seen.map((v) => `${v.KAMAL_COMMAND} ${v.KAMAL_SUBCOMMAND}`),
    [
      'accessory boot',
      'accessory check',
      'accessory reboot',
      'accessory exec',
      'accessory logs',
      'lock status',
      'accessory check',
      'accessory check',
    ],
  )
  const first = seen[0]!
  assert.equal(Object.keys(first).sort(), [
    'DB_PASSWORD',
    'KAMAL_COMMAND',
    'KAMAL_HOSTS',
    'KAMAL_LOCK',
    'KAMAL_PERFORMER',
    'KAMAL_RECORDED_AT',
    'KAMAL_SERVICE',
    'KAMAL_SERVICE_VERSION',
    'KAMAL_SUBCOMMAND',
    'KAMAL_VERSION',
    'OTHER_SECRET',
  ])
  assert.is(first.DB_PASSWORD, 's3cr3t-value')
  assert.is(first.OTHER_SECRET, 'not-used-by-config')
  assert.is(first.KAMAL_HOSTS, `${HOST1},${HOST2}`)
  assert.is(first.KAMAL_LOCK, 'false')
  assert.is(first.KAMAL_SERVICE, 'shop')
  assert.is(first.KAMAL_VERSION, 'v42-release')
  assert.is(first.KAMAL_SERVICE_VERSION, 'shop@v42-rel')
  assert.match(first.KAMAL_RECORDED_AT!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
  assert.ok(first.KAMAL_PERFORMER)
  assert.is(seen[5]!.KAMAL_HOSTS, HOST1)
  assert.is(seen[6]!.KAMAL_HOSTS, HOST2)
  assert.is(seen[6]!.KAMAL_ROLES, 'jobs')
})

test('a failing hook: exit 1 naming the hook, its exit code and output, no host contacted, nothing booted', async () => {
  const dir = project(config(), SECRETS)
  writeHook(dir, '.kamal/hooks/pre-connect', 'echo "could not join the VPN" >&2; exit 7')
  const before = connections()
  const r = await berth('boot', ['db', '--json'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.equal(connections(), before)
  assert.is(await containerOn(HOST1, 'shop-db'), undefined)
  assert.match(r.stderr, /The pre-connect hook \.kamal\/hooks\/pre-connect failed with exit code 7/)
  assert.match(r.stderr, /could not join the VPN/)
  assert.match(r.stderr, /skip hooks with -H/)
  const json = JSON.parse(r.stdout)
  assert.is(json.exitCode, 1)
  assert.is(json.error.kind, 'hook')
})

test("the config's hooks_path is where the hook is looked for", async () => {
  const dir = project(config({ hooks_path: 'ops/hooks' }), SECRETS)
  writeHook(dir, '.kamal/hooks/pre-connect', 'exit 9')
  writeHook(dir, 'ops/hooks/pre-connect', LOGGING)
  const log = path.join(dir, 'hook.log')
  const r = await berth('check', ['db'], { cwd: dir, env: { HOOK_LOG: log } })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.is(runsIn(log).length, 1)
})

/** A process has ended (gone, or a zombie waiting for init). */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z')
  } catch {
    return true
  }
}

for (const [signal, code] of [
  ['SIGTERM', 143],
  ['SIGINT', 130],
] as const) {
  test(`${signal} to berth while the hook hangs: the hook and its children end, exit ${code}, no host contacted`, async () => {
    const dir = project(config(), SECRETS)
    writeHook(dir, '.kamal/hooks/pre-connect', 'sleep 300 & echo "hook $$ child $!" >&2; wait')
    const before = connections()
    const run = startBerth('boot', ['db'], { cwd: dir })
    const line = await run.stderrLine(/^hook \d+ child \d+$/)
    const [, hookPid, childPid] = /^hook (\d+) child (\d+)$/.exec(line)!.map(Number)
    run.signal(signal)
    const r = await run.done
    assert.is(r.code, code, r.stderr)
    for (let i = 0; i < 100 && !(ended(hookPid!) && ended(childPid!)); i++) await new Promise((s) => setTimeout(s, 100))
    assert.ok(ended(hookPid!), 'the hook ended')
    assert.ok(ended(childPid!), "the hook's child ended")
    assert.equal(connections(), before)
    assert.is(await containerOn(HOST1, 'shop-db'), undefined)
  })
}

test('a hook that prints 10 MB: all of it reaches stderr, in order, and berth adds no warning of its own', async () => {
  const dir = project(config(), SECRETS)
  writeHook(dir, '.kamal/hooks/pre-connect', 'head -c 10000000 /dev/zero | tr "\\0" x >&2; echo >&2; echo end >&2')
  const r = await berth('details', ['db'], { cwd: dir })
  assert.ok([0, 2].includes(r.code), r.stderr.slice(-2000))
  assert.not.match(r.stderr, 'Warning')
  assert.ok(r.stderr.startsWith(`${'x'.repeat(10_000_000)}\nend\n`), r.stderr.slice(-2000))
})

test.run()
