// Secrets stay in their channels (stdin, the env file, the host's docker config), never in the local argv,
// stdout, stderr, -v or JSON; folders made for mounts get Kamal's 0755 so a non-root container user reaches
// its files; files rendered from templates keep the config's mode and owner.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { assertLabUp, hostDocker, labHosts, registry, resetLab } from '../lab/lab-info.mjs'
import { HOST1, berth, homeOf, image, labSsh, loggingSsh, project } from './support.ts'

const USER = 'ci-deployer-7f3a'
const PASSWORD = 'registry-pw-91c2'
const DB_PASSWORD = 'db-secret-5e0b'
const SECRETS = { '.kamal/secrets': `REG_USER=${USER}\nREG_PASSWORD=${PASSWORD}\nDB_PASSWORD=${DB_PASSWORD}\n` }

// a logging ssh first on PATH: every local ssh argv goes to its log
const ssh = loggingSsh()
const env = { PATH: ssh.PATH }
let before = ''

function config(accessory: Record<string, unknown> = {}) {
  return {
    service: 'shop',
    image: 'shop/app',
    ssh: labSsh(),
    registry: { server: registry(), username: ['REG_USER'], password: ['REG_PASSWORD'] },
    accessories: {
      db: {
        image: image('postgres:16'),
        host: HOST1,
        env: { clear: { POSTGRES_USER: 'shop' }, secret: ['DB_PASSWORD'] },
        ...accessory,
      },
    },
  }
}

test.before(async () => {
  await assertLabUp()
})
test.before.each(async () => {
  await resetLab()
  before = ssh.calls()
})
test.after(() => rmSync(ssh.dir, { recursive: true, force: true }))

test('a registry user name and password given as secrets reach docker login, and never the local argv, -v, the report or JSON', async () => {
  const dir = project(config(), SECRETS)
  const dry = await berth('boot', ['all', '--dry-run', '--json'], { cwd: dir, env })
  assert.is(dry.code, 2, dry.stderr)
  const booted = await berth('boot', ['all', '-v'], { cwd: dir, env })
  assert.is(booted.code, 0, booted.stdout + booted.stderr)
  assert.match(
    booted.stderr,
    /\[[0-9.]+\] sh -c 'IFS= read -r user && exec docker login "\$@" --username "\$user" --password-stdin' sh [0-9.:]+ {2}# stdin: \d+ bytes, not shown/,
  )
  const json = await berth('details', ['all', '--json'], { cwd: dir, env })
  const argv = ssh.calls().slice(before.length)
  assert.ok(argv.includes('docker login'), 'the log holds the ssh calls')
  for (const secret of [USER, PASSWORD, DB_PASSWORD]) {
    for (const [where, text] of [
      ['local ssh argv', argv],
      ['--dry-run --json', dry.stdout + dry.stderr],
      ['-v and the report', booted.stdout + booted.stderr],
      ['details --json', json.stdout + json.stderr],
    ]) {
      assert.not.ok(text!.includes(secret), `${secret} in ${where}`)
    }
  }
  // the login happened with both: the host's docker config holds them (as docker login keeps them)
  const configJson = JSON.parse(readFileSync(path.join(labHosts()[0]!.dockerConfig, 'config.json'), 'utf8')) as {
    auths: Record<string, { auth: string }>
  }
  assert.is(Buffer.from(configJson.auths[registry()]!.auth, 'base64').toString('utf8'), `${USER}:${PASSWORD}`)
  const inContainer = await hostDocker(HOST1, ['exec', 'shop-db', 'env'])
  assert.match(inContainer.stdout, new RegExp(`DB_PASSWORD=${DB_PASSWORD}`))
})

test('folders made for uploaded files get 0755, so a non-root container user (uid 999) reads its init scripts; the env-file folder stays 0700', async () => {
  const dir = project(config({ files: ['init/001.sql:/docker-entrypoint-initdb.d/001.sql'] }), {
    ...SECRETS,
    'init/001.sql': 'create table t (id int);\n',
  })
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  const home = homeOf(HOST1)
  assert.is(statSync(path.join(home, 'shop-db')).mode & 0o777, 0o755)
  assert.is(statSync(path.join(home, 'shop-db/docker-entrypoint-initdb.d')).mode & 0o777, 0o755)
  assert.is(
    statSync(path.join(home, 'shop-db/docker-entrypoint-initdb.d/001.sql')).mode & 0o777,
    0o755,
    "Kamal's default file mode",
  )
  assert.is(statSync(path.join(home, '.kamal/apps/shop/env/accessories')).mode & 0o777, 0o700)
  assert.is(statSync(path.join(home, '.kamal/apps/shop/env/accessories/db.env')).mode & 0o777, 0o600)
  const read = await hostDocker(HOST1, ['exec', '-u', '999', 'shop-db', 'cat', '/docker-entrypoint-initdb.d/001.sql'])
  assert.is(read.exitCode, 0, read.stderr)
  assert.is(read.stdout, 'create table t (id int);\n')
})

test("a file rendered from a template keeps the config's mode and owner; without them it gets Kamal's 0755", async () => {
  const files = [
    { local: 'config/app.conf.erb', remote: '/etc/app/secret.conf', mode: '600', owner: '999:999' },
    'config/plain.conf.erb:/etc/app/plain.conf',
  ]
  const dir = project(config({ files }), {
    ...SECRETS,
    'config/app.conf.erb': 'password=<%= ENV["DB_PASSWORD"] %>\n',
    'config/plain.conf.erb': 'user=<%= ENV["POSTGRES_USER"] %>\n',
  })
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.not.ok((r.stdout + r.stderr).includes(DB_PASSWORD))
  const secretFile = path.join(homeOf(HOST1), 'shop-db/etc/app/secret.conf')
  assert.is(readFileSync(secretFile, 'utf8'), `password=${DB_PASSWORD}\n`)
  const stat = statSync(secretFile)
  assert.equal([stat.mode & 0o777, stat.uid, stat.gid], [0o600, 999, 999])
  assert.is(statSync(path.join(homeOf(HOST1), 'shop-db/etc/app/plain.conf')).mode & 0o777, 0o755)
  // the owner reads it in the container; any other user does not
  assert.is(
    (await hostDocker(HOST1, ['exec', '-u', '999', 'shop-db', 'cat', '/etc/app/secret.conf'])).stdout,
    `password=${DB_PASSWORD}\n`,
  )
  assert.is.not((await hostDocker(HOST1, ['exec', '-u', '1000', 'shop-db', 'cat', '/etc/app/secret.conf'])).exitCode, 0)
})

test.run()
