// accessory-check on the lab: each kind of drift produced for real, zero false positives for a container
// started with Kamal's exact `docker run` from an image with its own ENV, LABEL and CMD, secrets never shown,
// every JSON document valid against the published schema, and hosts left exactly as they were.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Ajv } from 'ajv'
import { countAcceptedConnections, hostDocker, labHosts, registry } from '../lab/lab-info.mjs'
import {
  HOST1,
  HOST2,
  HOST3,
  DOWN_HOST,
  REPO,
  berth,
  homeOf,
  hostSnapshot,
  image,
  labSsh,
  project,
  useLab,
  writeConfig,
  bootedProject,
  shopConfig,
} from './support.ts'

const schema = JSON.parse(readFileSync(path.join(REPO, 'schemas/check.schema.json'), 'utf8'))
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)

/** Runs check with --json, validates the document against the published schema, and returns it. */
async function checkJson(dir: string, args: string[] = ['all']) {
  const r = await berth('check', [...args, '--json'], { cwd: dir })
  const doc = JSON.parse(r.stdout)
  const valid: boolean = validate(doc)
  assert.ok(valid, JSON.stringify(validate.errors))
  return { code: r.code, doc, stderr: r.stderr }
}

const SECRET = 'first-secret-value'

function config(
  over: { env?: Record<string, string>; port?: string; volumes?: string[]; cmd?: string; tag?: string } = {},
) {
  return shopConfig({
    db: {
      image: image(`postgres:${over.tag ?? '16'}`),
      // One host: the lab's engines share this machine's ports, so a published port fits on one host only.
      hosts: [HOST1],
      port: over.port ?? '5432',
      env: { clear: over.env ?? { POSTGRES_USER: 'app' }, secret: ['POSTGRES_PASSWORD'] },
      directories: ['data:/var/lib/data'],
      volumes: over.volumes ?? ['shop-db:/volume'],
      cmd: over.cmd ?? 'sh -c "sleep 1000"',
    },
  })
}

const writeSecret = (dir: string, value: string) =>
  writeFileSync(path.join(dir, '.kamal/secrets'), `POSTGRES_PASSWORD=${value}\n`)

const booted = () => bootedProject(config(), { '.kamal/secrets': `POSTGRES_PASSWORD=${SECRET}\n` })

const reasonsOn = (
  doc: { results: Array<{ host: string; drift: Array<{ kind: string; reasons: string[] }> }> },
  host: string,
) => doc.results.find((r) => r.host === host)!.drift.flatMap((d) => d.reasons.map((reason) => `${d.kind}: ${reason}`))

useLab(test)

test('in sync after boot; each config change is named per host, and boot and reboot --drifted agree', async () => {
  const dir = await booted()
  const clean = await checkJson(dir)
  assert.is(clean.code, 0, JSON.stringify(clean.doc))
  assert.equal(
    clean.doc.results.map((r: { verdict: string }) => r.verdict),
    ['in_sync'],
  )
  const changes: Array<[object, string]> = [
    [config({ tag: '17' }), `image: image ${image('postgres:16')} → ${image('postgres:17')}`],
    [config({ env: { POSTGRES_USER: 'app2' } }), 'config: env POSTGRES_USER changed (configured "app2")'],
    [config({ port: '5433' }), 'config: port 5432:5432 → 5433:5433'],
    [config({ volumes: ['shop-db:/volume', 'extra:/extra'] }), 'config: volume extra:/extra is not mounted'],
    [config({ cmd: 'sh -c "sleep 2000"' }), 'config: cmd sh -c sleep 1000 → sh -c sleep 2000'],
  ]
  for (const [changed, reason] of changes) {
    writeConfig(dir, changed)
    const { code, doc } = await checkJson(dir)
    assert.is(code, 2, reason)
    assert.equal(reasonsOn(doc, HOST1), [reason])
    assert.ok(doc.results[0].fix.includes('accessory-reboot.mjs db'), doc.results[0].fix)
    const boot = await berth('boot', ['all'], { cwd: dir })
    assert.is(boot.code, 2, `boot sees the same drift: ${reason}`)
  }
  // reboot --drifted fixes what check found; check is then in sync.
  writeConfig(dir, config({ env: { POSTGRES_USER: 'app2' }, port: '5433' }))
  const reboot = await berth('reboot', ['all', '--drifted', '-y'], { cwd: dir })
  assert.is(reboot.code, 0, reboot.stdout + reboot.stderr)
  assert.is((await checkJson(dir)).code, 0)
})

test('--json follows the published schema on every path: in sync, drift, a host down, usage 64, invalid config 78', async () => {
  const dir = await booted()
  const byCode = new Map<number, { error?: { kind: string; message: string; problems?: string[] } }>()
  const run = async (args: string[], expected: number) => {
    const r = await checkJson(dir, args)
    assert.is(r.code, expected, `${args.join(' ')}: ${JSON.stringify(r.doc)}`)
    assert.is(r.doc.exitCode, expected)
    byCode.set(expected, r.doc)
  }
  await run(['all'], 0)
  writeConfig(dir, config({ tag: '17' }))
  await run(['all'], 2)
  await run(['all', '--no-such-flag'], 64)
  await run(['nope'], 64)
  await run(['all', '--host-timeout', 'soon'], 64)
  writeConfig(dir, { ...config(), accessories: { db: { ...config().accessories.db, hosts: [DOWN_HOST] } } })
  await run(['all'], 1)
  writeConfig(dir, { ...config(), service: 'bad service' })
  await run(['all'], 78)
  assert.is(byCode.get(0)!.error, undefined)
  assert.is(byCode.get(1)!.error, undefined, "a host's failure is in its result")
  assert.equal(byCode.get(64)!.error!.kind, 'usage')
  assert.equal(byCode.get(78)!.error!.kind, 'config')
  assert.match(byCode.get(78)!.error!.problems!.join('\n'), /service/)
})

test('a rotated secret is drift, named and never shown (stdout, stderr, JSON, -v)', async () => {
  const dir = await booted()
  writeSecret(dir, 'rotated-secret-value')
  const text = await berth('check', ['all', '-v'], { cwd: dir })
  assert.is(text.code, 2, text.stdout + text.stderr)
  assert.match(text.stdout, /POSTGRES_PASSWORD changed/)
  const { doc, stderr } = await checkJson(dir)
  assert.equal(reasonsOn(doc, HOST1), ['secrets: POSTGRES_PASSWORD changed'])
  for (const output of [text.stdout, text.stderr, JSON.stringify(doc), stderr]) {
    assert.not.ok(output.includes('rotated-secret-value') || output.includes(SECRET), 'a secret value was printed')
  }
  // Where the secrets cannot be resolved, they are not compared: a warning, not a config error.
  writeFileSync(path.join(dir, '.kamal/secrets'), '')
  const unresolved = await checkJson(dir)
  assert.is(unresolved.code, 0)
  assert.equal(unresolved.doc.results[0].notCompared, ['secret POSTGRES_PASSWORD (not resolved here)'])
})

test('a tag moved in the registry and pulled on one host is image-id drift there only', async () => {
  const movable = `${registry()}/movable:1`
  for (const [source] of [[image('redis:7')]]) {
    await hostDocker(HOST3, ['pull', source])
    await hostDocker(HOST3, ['tag', source, movable])
    assert.is((await hostDocker(HOST3, ['push', movable])).exitCode, 0)
  }
  const dir = project({
    service: 'shop',
    image: 'shop/app',
    ssh: labSsh(),
    accessories: { cache: { image: movable, hosts: [HOST1, HOST2] } },
  })
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  // New content under the same tag, pulled on HOST2 only: its container still runs the old image.
  await hostDocker(HOST3, ['pull', image('redis:8')])
  await hostDocker(HOST3, ['tag', image('redis:8'), movable])
  assert.is((await hostDocker(HOST3, ['push', movable])).exitCode, 0)
  assert.is((await hostDocker(HOST2, ['pull', movable])).exitCode, 0)
  const { code, doc } = await checkJson(dir)
  assert.is(code, 2)
  assert.equal(reasonsOn(doc, HOST1), [])
  assert.equal(reasonsOn(doc, HOST2).length, 1)
  assert.match(reasonsOn(doc, HOST2)[0]!, /^image-id: tag moved on host \(\w{12}… → \w{12}…\)$/)
  const reboot = await berth('reboot', ['all', '--drifted', '-y'], { cwd: dir })
  assert.is(reboot.code, 0, reboot.stdout)
  assert.match(reboot.stdout, new RegExp(`Rebooted accessory \`cache\` on ${HOST2.replaceAll('.', '\\.')}`))
  assert.not.match(reboot.stdout, new RegExp(`Rebooted accessory \`cache\` on ${HOST1.replaceAll('.', '\\.')}`))
  assert.is((await checkJson(dir)).code, 0)
})

test("Kamal's exact docker run from an image with its own ENV, LABEL and CMD is in sync", async () => {
  const own = `${registry()}/withenv:1`
  await hostDocker(HOST3, ['pull', image('redis:7')])
  await hostDocker(HOST3, ['rm', '-f', 'base'])
  await hostDocker(HOST3, ['run', '-d', '--name', 'base', image('redis:7')])
  const commit = await hostDocker(HOST3, [
    'commit',
    '--change',
    'ENV IMAGE_OWN=yes',
    '--change',
    'LABEL vendor=acme',
    '--change',
    'CMD ["sh","-c","trap \\"exit 0\\" TERM; sleep 1000 & wait"]',
    'base',
    own,
  ])
  assert.is(commit.exitCode, 0, commit.stderr)
  assert.is((await hostDocker(HOST3, ['push', own])).exitCode, 0)
  await hostDocker(HOST3, ['rm', '-f', 'base'])
  await hostDocker(HOST1, ['pull', own])
  await hostDocker(HOST1, ['network', 'create', 'kamal'])
  const home = homeOf(HOST1)
  const { mkdirSync } = await import('node:fs')
  mkdirSync(path.join(home, '.kamal/apps/app/env/accessories'), { recursive: true })
  writeFileSync(path.join(home, '.kamal/apps/app/env/accessories/mysql.env'), 'MYSQL_ROOT_PASSWORD=secret123\n')
  // Kamal 2.x's command (test/commands/accessory_test.rb), run by a shell in the login directory.
  const kamalRun = `docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 3306:3306 --env KAMAL_HOST="${HOST1}" --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --label service="app-mysql" --cpus "1" --memory "2GB" ${own}`
  const { spawnSync } = await import('node:child_process')
  const h = labHosts().find((x) => x.addr === HOST1)!
  const started = spawnSync('sh', ['-c', kamalRun], {
    cwd: home,
    env: { ...process.env, DOCKER_HOST: h.dockerHost },
    encoding: 'utf8',
  })
  assert.is(started.status, 0, started.stderr)
  const dir = project(
    {
      service: 'app',
      image: 'dhh/app',
      ssh: labSsh(),
      accessories: {
        mysql: {
          image: own,
          host: HOST1,
          port: '3306',
          env: { clear: { MYSQL_ROOT_HOST: '%' }, secret: ['MYSQL_ROOT_PASSWORD'] },
          options: { cpus: '1', memory: '2GB' },
        },
      },
    },
    { '.kamal/secrets': 'MYSQL_ROOT_PASSWORD=secret123\n' },
  )
  const { code, doc } = await checkJson(dir)
  assert.is(code, 0, JSON.stringify(doc.results))
  assert.equal(doc.results[0].notCompared, [])
})

test('check leaves every host as it was: no container, image, file or lock changes, no engine events, one ssh session per host', async () => {
  const dir = await booted()
  writeConfig(dir, config({ tag: '17', env: { POSTGRES_USER: 'other' } }))
  writeSecret(dir, 'rotated')
  await new Promise((r) => setTimeout(r, 1100)) // docker events have one-second resolution
  const hosts = [HOST1, HOST2, HOST3]
  const before = await Promise.all(hosts.map(hostSnapshot))
  const connections = hosts.map(countAcceptedConnections)
  const since = Math.floor(Date.now() / 1000)
  const r = await berth('check', ['all', '-v'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  const until = Math.ceil(Date.now() / 1000) + 1
  assert.equal(await Promise.all(hosts.map(hostSnapshot)), before)
  assert.equal(
    hosts.map((h, i) => countAcceptedConnections(h) - connections[i]!),
    [1, 0, 0],
  )
  for (const host of [HOST1]) {
    const events = await hostDocker(host, [
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--format',
      '{{.Type}} {{.Action}}',
    ])
    const changes = events.stdout
      .split('\n')
      .filter((e) =>
        /^(container|image|network|volume) (create|start|stop|kill|die|pull|destroy|rename|connect|disconnect|tag|untag|delete|remove|mount|unmount)/.test(
          e,
        ),
      )
    assert.equal(changes, [], `${host}: ${events.stdout}`)
  }
  // Only inspections went out.
  for (const line of r.stderr.split('\n').filter((l) => l.startsWith('[')))
    assert.match(line, /^\[[\d.]+\] sh -c 'ids=\$\(docker ps /, line)
})

test.run()
