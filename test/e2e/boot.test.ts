import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  assertLabUp,
  countAcceptedConnections,
  hostDocker,
  labHosts,
  registry,
  resetLab,
  sshConfigPath,
} from '../lab/lab-info.mjs'
import {
  DOWN_HOST,
  HOST1,
  HOST2,
  HOST3,
  SECRETS,
  berth,
  containerOn,
  homeOf,
  image,
  labSsh,
  project,
  re,
  threeAccessories,
} from './support.ts'

test.before(async () => {
  await assertLabUp()
})
test.before.each(async () => {
  await resetLab()
})

test('fresh boot of 3 accessories over 3 hosts creates Kamal-named, labelled containers', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.ok(r.stdout.includes('6 booted (exit 0).'), r.stdout)
  for (const [addr, name, img] of [
    [HOST1, 'shop-db', 'postgres:16'],
    [HOST2, 'shop-db', 'postgres:16'],
    [HOST3, 'shop-cache', 'redis:7'],
    [HOST1, 'shop-search', 'search:1'],
    [HOST2, 'shop-search', 'search:1'],
    [HOST3, 'shop-search', 'search:1'],
  ] as const) {
    const c = await containerOn(addr, name)
    assert.equal(
      c && { image: c.image, status: c.status },
      { image: image(img), status: 'running' },
      `${name} on ${addr}`,
    )
  }
  assert.is((await hostDocker(HOST1, ['ps', '-q', '--filter', 'label=service=shop-db'])).stdout.trim().length > 0, true)
  // Kamal's env file: mode 0600, secret value inside, read by the container through --env-file.
  const envFile = path.join(homeOf(HOST1), '.kamal/apps/shop/env/accessories/db.env')
  assert.is(readFileSync(envFile, 'utf8'), 'POSTGRES_PASSWORD=s3cr3t-value\n')
  assert.is(statSync(envFile).mode & 0o777, 0o600)
  const env = await hostDocker(HOST1, ['exec', 'shop-db', 'env'])
  assert.match(env.stdout, /POSTGRES_PASSWORD=s3cr3t-value/)
  assert.match(env.stdout, /POSTGRES_USER=shop/)
  assert.match(env.stdout, new RegExp(`KAMAL_HOST=${HOST1.replaceAll('.', '\\.')}`))
  // Directories are created under the service directory and mounted.
  assert.ok(statSync(path.join(homeOf(HOST2), 'shop-db/data')).isDirectory())
  const mounts = await hostDocker(HOST2, [
    'inspect',
    'shop-db',
    '--format',
    '{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}',
  ])
  assert.ok(mounts.stdout.includes(`${homeOf(HOST2)}/shop-db/data:/var/lib/postgresql/data`), mounts.stdout)
  const restart = await hostDocker(HOST3, [
    'inspect',
    'shop-cache',
    '--format',
    '{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.NetworkMode}} {{.HostConfig.Memory}}',
  ])
  assert.is(restart.stdout.trim(), 'unless-stopped kamal 67108864')
})

test('a second run is a no-op with exit 0 and one ssh connection per host', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  const before = labHosts().map((h) => countAcceptedConnections(h.addr))
  const ids = await containerOn(HOST1, 'shop-db')
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.ok(r.stdout.includes(`Accessory \`db\` is running on ${HOST1} with the configured image`), r.stdout)
  assert.ok(r.stdout.includes('6 running (exit 0).'), r.stdout)
  assert.equal(
    labHosts().map((h, i) => countAcceptedConnections(h.addr) - before[i]!),
    [1, 1, 1],
  )
  assert.is((await containerOn(HOST1, 'shop-db'))!.id, ids!.id)
})

test('an image changed in the config is drift: exit 2, exact hosts named, containers untouched', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  const before = await containerOn(HOST2, 'shop-db')
  writeFileSync(
    path.join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify(threeAccessories({ db: 'postgres:17' }))}\n`,
  )
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  const drift = r.stdout.split('\n').filter((l) => l.includes('image has changed'))
  assert.equal(drift, [
    `Accessory \`db\` image has changed on ${HOST1} (${image('postgres:16')} → ${image('postgres:17')}); run \`npx zx scripts/accessory-reboot.mjs db\` to update`,
    `Accessory \`db\` image has changed on ${HOST2} (${image('postgres:16')} → ${image('postgres:17')}); run \`npx zx scripts/accessory-reboot.mjs db\` to update`,
  ])
  assert.ok(r.stdout.includes('4 running, 2 drifted (exit 2).'), r.stdout)
  assert.equal(await containerOn(HOST2, 'shop-db'), before)
})

test('drift on one host of several names only that host in the reboot command', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  // Replace the container on one host by hand with an older image (same name and label).
  await hostDocker(HOST3, ['rm', '-f', 'shop-search'])
  const run = await hostDocker(HOST3, [
    'run',
    '-d',
    '--name',
    'shop-search',
    '--network',
    'kamal',
    '--label',
    'service=shop-search',
    image('search:2'),
  ])
  assert.is(run.exitCode, 0, run.stderr)
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 2, r.stdout)
  assert.ok(
    r.stdout.includes(
      `Accessory \`search\` image has changed on ${HOST3} (${image('search:2')} → ${image('search:1')}); run \`npx zx scripts/accessory-reboot.mjs search --hosts ${HOST3}\` to update`,
    ),
    r.stdout,
  )
  assert.is(r.stdout.split('image has changed').length - 1, 1)
})

test('a stopped container with the right image is left alone, said to be stopped, and needs attention (exit 2)', async () => {
  const dir = project(threeAccessories(), SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  assert.is((await hostDocker(HOST3, ['stop', 'shop-cache'])).exitCode, 0)
  const r = await berth('boot', ['cache'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.ok(
    r.stdout.includes(
      `Accessory \`cache\` exists on ${HOST3} with the configured image (${image('redis:7')}) but is stopped; run \`npx zx scripts/accessory-start.mjs cache --hosts ${HOST3}\` to start it.`,
    ),
    r.stdout,
  )
  assert.is((await containerOn(HOST3, 'shop-cache'))!.status, 'exited')
})

test('one unreachable host: exit 1, and the other hosts are still reported (drift included)', async () => {
  const config = threeAccessories()
  const dir = project(config, SECRETS)
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  const changed = threeAccessories({ db: 'postgres:17' })
  changed.accessories.search.hosts.push(DOWN_HOST)
  writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(changed)}\n`)
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.ok(
    r.stdout.includes(`Accessory \`search\` failed on ${DOWN_HOST}: could not connect to ${DOWN_HOST} over ssh`),
    r.stdout,
  )
  assert.ok(r.stdout.includes(`Accessory \`db\` image has changed on ${HOST1}`), r.stdout)
  assert.ok(r.stdout.includes(`Accessory \`search\` is running on ${HOST3}`), r.stdout)
  assert.ok(r.stdout.includes('4 running, 2 drifted, 1 failed (exit 1).'), r.stdout)
})

test('an invalid config exits 78 and opens no ssh connection', async () => {
  const before = labHosts().map((h) => countAcceptedConnections(h.addr))
  const dir = project(`service: shop
image: shop/app
ssh:
  config: ${sshConfigPath()}
accessories:
  db:
    image: ${image('postgres:16')}
    host: ${HOST1}
    port: [5432]
    hots: oops
`)
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 78, r.stdout + r.stderr)
  assert.match(r.stderr, /config\/deploy\.yml:9:11: \/accessories\/db\/port: must be string or integer/)
  assert.match(r.stderr, /config\/deploy\.yml:10:5: \/accessories\/db: unknown key "hots"/)
  assert.match(r.stderr, /No host was contacted/)
  assert.equal(
    labHosts().map((h) => countAcceptedConnections(h.addr)),
    before,
  )
})

test("a container booted by hand with Kamal's exact docker run is recognized as in sync", async () => {
  const dir = project({
    service: 'app',
    image: 'app',
    ssh: labSsh(),
    accessories: {
      mysql: {
        image: image('postgres:16'),
        host: HOST2,
        env: { clear: { MYSQL_ROOT_HOST: '%' } },
        options: { cpus: '1', memory: '64m' },
      },
    },
  })
  // Kamal 2.x's own command string, run through ssh as SSHKit would.
  const kamal =
    `docker network create kamal; mkdir -p .kamal/apps/app/env/accessories && printf '\\n' > .kamal/apps/app/env/accessories/mysql.env && ` +
    `docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --env KAMAL_HOST="${HOST2}" ` +
    `--env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env --label service="app-mysql" --cpus "1" --memory "64m" ${image('postgres:16')}`
  const { spawnSync } = await import('node:child_process')
  const ssh = spawnSync('ssh', ['-F', sshConfigPath(), HOST2, kamal], { encoding: 'utf8' })
  assert.is(ssh.status, 0, ssh.stderr)
  const r = await berth('boot', ['mysql'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.ok(r.stdout.includes(`Accessory \`mysql\` is running on ${HOST2} with the configured image`), r.stdout)
})

test('a labelled container with another name is inspected by id, not by name', async () => {
  const run = await hostDocker(HOST1, [
    'run',
    '-d',
    '--name',
    'renamed-by-hand',
    '--label',
    'service=shop-cache',
    '--network',
    'none',
    image('redis:8'),
  ])
  assert.is(run.exitCode, 0, run.stderr)
  const dir = project({
    service: 'shop',
    image: 'x',
    ssh: labSsh(),
    accessories: { cache: { image: image('redis:7'), host: HOST1 } },
  })
  const r = await berth('boot', ['cache'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.ok(r.stdout.includes(`(${image('redis:8')} → ${image('redis:7')})`), r.stdout)
})

test('--dry-run inspects, prints the commands per host, and changes nothing', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const r = await berth('boot', ['db', '--dry-run'], { cwd: dir })
  assert.is(r.code, 2, r.stdout + r.stderr)
  assert.ok(r.stdout.includes(`Accessory \`db\` has no container on ${HOST1}`), r.stdout)
  assert.ok(
    r.stdout.includes('    docker run --name shop-db --detach --restart unless-stopped --network kamal'),
    r.stdout,
  )
  assert.ok(r.stdout.includes('# stdin:'), r.stdout)
  assert.not.ok(r.stdout.includes('s3cr3t-value'))
  assert.is(await containerOn(HOST1, 'shop-db'), undefined)
  assert.is((await hostDocker(HOST1, ['network', 'ls', '-q', '--filter', 'name=^kamal$'])).stdout.trim(), '')
})

test('--json prints one JSON document; --hosts touches only those hosts', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const r = await berth('boot', ['search', '--hosts', HOST2, '--json'], { cwd: dir })
  assert.is(r.code, 0, r.stderr)
  const doc = JSON.parse(r.stdout)
  assert.is(doc.exitCode, 0)
  assert.equal(
    doc.entries.map((e: { host: string; outcome: string }) => [e.host, e.outcome]),
    [[HOST2, 'booted']],
  )
  assert.is(await containerOn(HOST1, 'shop-search'), undefined)
  assert.ok(await containerOn(HOST2, 'shop-search'))
})

test('-v prints every remote command and never a secret', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const r = await berth('boot', ['db', '-v', '--hosts', HOST1], { cwd: dir })
  assert.is(r.code, 0, r.stderr)
  assert.ok(r.stderr.includes(`[${HOST1}] docker run --name shop-db`), r.stderr)
  assert.ok(r.stderr.includes(`[${HOST1}] docker network create kamal`), r.stderr)
  assert.not.ok((r.stdout + r.stderr).includes('s3cr3t-value'))
})

test('a docker run that fails, before or after creating the container, leaves none behind and exits 1', async () => {
  const dir = project({
    service: 'shop',
    image: 'x',
    ssh: labSsh(),
    accessories: { db: { image: image('postgres:16'), host: HOST1, options: { memory: 'lots' } } },
  })
  const r = await berth('boot', ['db'], { cwd: dir })
  assert.is(r.code, 1, r.stdout)
  assert.ok(r.stdout.includes(`Accessory \`db\` failed on ${HOST1}: could not docker run shop-db`), r.stdout)
  assert.is((await hostDocker(HOST1, ['ps', '-aq', '--filter', 'label=service=shop-db'])).stdout.trim(), '')
  // Created, then failing to start: the half-made container is removed too.
  writeFileSync(
    path.join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify({ service: 'shop', image: 'x', ssh: labSsh(), accessories: { db: { image: image('postgres:16'), host: HOST1, options: { entrypoint: '/no/such/binary' } } } })}\n`,
  )
  const started = await berth('boot', ['db'], { cwd: dir })
  assert.is(started.code, 1, started.stdout)
  assert.match(started.stdout, /could not docker run shop-db/)
  assert.is((await hostDocker(HOST1, ['ps', '-aq', '--filter', 'label=service=shop-db'])).stdout.trim(), '')
  assert.is((await berth('boot', ['db'], { cwd: dir })).code, 1, 'the next run tries to boot it again')
})

test('usage errors exit 64: unknown flag, unknown accessory, no name', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const flag = await berth('boot', ['all', '--bogus'], { cwd: dir })
  assert.is(flag.code, 64)
  assert.match(flag.stderr, /--bogus/)
  const name = await berth('boot', ['nope'], { cwd: dir })
  assert.is(name.code, 64)
  assert.match(name.stderr, /No accessory named 'nope' \(known: db, cache, search\)/)
  assert.is((await berth('boot', [], { cwd: dir })).code, 64)
  const help = await berth('boot', ['--help'], { cwd: dir })
  assert.is(help.code, 0)
  assert.match(help.stdout, /Exit codes/)
})

test('a Kamal deploy.yml with a destination, ERB and secrets boots unchanged', async () => {
  const dir = project(
    `service: shop
image: shop/app
servers:
  web:
    - ${HOST1}
  jobs:
    hosts:
      - ${HOST2}
    cmd: bin/jobs
registry:
  server: <%= ENV.fetch("LAB_REGISTRY", "${registry()}") %>
  username: deploy
  password:
    - REGISTRY_PASSWORD
builder:
  arch: amd64
proxy:
  ssl: false
  host: shop.example.com
env:
  clear:
    RAILS_LOG_TO_STDOUT: "1"
ssh:
  config: <%= ENV["LAB_SSH_CONFIG"] %>
accessories:
  db:
    image: ${image('postgres:16')}
    role: jobs
    env:
      secret:
        - DB_PASSWORD:MAIN_DB_PASSWORD
`,
    {
      'config/deploy.staging.yml': `accessories:\n  db:\n    image: ${image('postgres:17')}\n    role: jobs\n    env:\n      secret:\n        - DB_PASSWORD:MAIN_DB_PASSWORD\n`,
      '.kamal/secrets-common': 'REGISTRY_PASSWORD=anything\n',
      '.kamal/secrets.staging': 'MAIN_DB_PASSWORD=from-staging\n',
    },
  )
  const r = await berth('boot', ['db', '-d', 'staging'], { cwd: dir, env: { LAB_SSH_CONFIG: sshConfigPath() } })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.ok(r.stdout.includes(`Booted accessory \`db\` on ${HOST2} (${image('postgres:17')}).`), r.stdout)
  assert.is(
    readFileSync(path.join(homeOf(HOST2), '.kamal/apps/shop-staging/env/accessories/db.env'), 'utf8'),
    'DB_PASSWORD=from-staging\n',
  )
})

test.run()
