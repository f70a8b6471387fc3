import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError } from '../../../lib/config/load.ts'
import type { AccessoryConfig, DeployConfig } from '../../../lib/config/types.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const servers: DeployConfig['servers'] = {
  web: [{ '1.1.1.1': 'writer' }, { '1.1.1.2': 'reader' }],
  workers: [{ '1.1.1.3': 'writer' }, '1.1.1.4'],
}
const hostsOf = (accessory: Partial<AccessoryConfig>) =>
  deploymentFrom({
    service: 'app',
    image: 'app',
    servers,
    accessories: { a: { image: 'x', ...accessory } as AccessoryConfig },
  }).accessories[0]!.hosts

test('hosts from host, hosts, role, roles, tag and tags (Kamal config test example)', () => {
  assert.equal(hostsOf({ host: '1.1.1.9' }), ['1.1.1.9'])
  assert.equal(hostsOf({ hosts: ['1.1.1.9', '1.1.1.8'] }), ['1.1.1.9', '1.1.1.8'])
  assert.equal(hostsOf({ role: 'workers' }), ['1.1.1.3', '1.1.1.4'])
  assert.equal(hostsOf({ roles: ['web', 'workers'] }), ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'])
  assert.equal(hostsOf({ tag: 'writer' }), ['1.1.1.1', '1.1.1.3'])
  assert.equal(hostsOf({ tags: ['writer', 'reader'] }), ['1.1.1.1', '1.1.1.3', '1.1.1.2'])
})

test('servers as a plain list is the web role; {hosts: [...]} roles work too', () => {
  const plain = deploymentFrom({
    service: 'app',
    image: 'app',
    servers: ['h1', 'h2'],
    accessories: { a: { image: 'x', role: 'web' } },
  })
  assert.equal(plain.accessories[0]!.hosts, ['h1', 'h2'])
  const hash = deploymentFrom({
    service: 'app',
    image: 'app',
    servers: { job: { hosts: ['h3'], cmd: 'bin/jobs' } },
    accessories: { a: { image: 'x', role: 'job' } },
  })
  assert.equal(hash.accessories[0]!.hosts, ['h3'])
})

test('an unknown role is a config error naming the roles that exist', () => {
  assert.throws(
    () => hostsOf({ role: 'db' }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.message ===
        'config/deploy.yml: /accessories/a/role: Accessory "a" names role "db", but the roles under `servers` are "web", "workers"; name one of those, or add "db" under `servers`.',
  )
})

test('Kamal names: service name, env file path (with destination), labels, defaults', () => {
  const d = deploymentFrom(
    { service: 'app', image: 'app', accessories: { db: { image: 'postgres:16', host: 'h', port: 5432 } } },
    { destination: 'staging' },
  )
  const db = d.accessories[0]!
  assert.is(db.serviceName, 'app-db')
  assert.is(db.envFile, '.kamal/apps/app-staging/env/accessories/db.env')
  assert.equal(db.labels, [['service', 'app-db']])
  assert.is(db.network, 'kamal')
  assert.is(db.restartPolicy, 'unless-stopped')
  assert.is(db.port, '5432:5432')
  assert.equal(d.loggingArgs, ['--log-opt', 'max-size=10m'])
  const custom = deploymentFrom({
    service: 'app',
    image: 'app',
    accessories: { db: { image: 'p', host: 'h', service: 'custom-db', port: '127.0.0.1:5432:5432' } },
  }).accessories[0]!
  assert.is(custom.serviceName, 'custom-db')
  assert.is(custom.port, '127.0.0.1:5432:5432')
})

test('secrets: resolved from the secrets files, with KEY:ALIAS; a missing one is a config error', () => {
  const config: DeployConfig = {
    service: 'app',
    image: 'app',
    accessories: {
      db: { image: 'p', host: 'h', env: { clear: { A: 1 }, secret: ['PASSWORD', 'DB_PASSWORD:MAIN_DB_PASSWORD'] } },
    },
  }
  const db = deploymentFrom(config, { secrets: { PASSWORD: 'pw', MAIN_DB_PASSWORD: 'main' } }).accessories[0]!
  assert.equal(db.envClear, [['A', '1']])
  assert.equal(db.envSecret, [
    ['PASSWORD', 'pw'],
    ['DB_PASSWORD', 'main'],
  ])
  assert.throws(
    () => deploymentFrom(config, { secrets: { PASSWORD: 'pw' } }),
    /Secret 'MAIN_DB_PASSWORD' not found in \.kamal\/secrets-common, \.kamal\/secrets/,
  )
})

test('registry: accessory registry prefixes the image; passwords come from secrets; localhost needs no login', () => {
  const viaAccessory = deploymentFrom(
    {
      service: 'app',
      image: 'app',
      accessories: {
        db: { image: 'mysql:8', host: 'h', registry: { server: 'r.example.com', username: 'u', password: ['REG_PW'] } },
      },
    },
    { secrets: { REG_PW: 'pw' } },
  ).accessories[0]!
  assert.is(viaAccessory.image, 'r.example.com/mysql:8')
  assert.equal(viaAccessory.registryLogin, {
    server: 'r.example.com',
    username: 'u',
    password: 'pw',
    passwordSecret: 'REG_PW',
  })
  const viaRoot = deploymentFrom(
    {
      service: 'app',
      image: 'app',
      registry: { server: 'ghcr.io', username: ['REG_USER'], password: ['REG_PW'] },
      accessories: { db: { image: 'mysql:8', host: 'h' } },
    },
    { secrets: { REG_USER: 'me', REG_PW: 'pw' } },
  ).accessories[0]!
  assert.is(viaRoot.image, 'mysql:8')
  assert.equal(viaRoot.registryLogin, {
    server: 'ghcr.io',
    username: 'me',
    password: 'pw',
    usernameSecret: 'REG_USER',
    passwordSecret: 'REG_PW',
  })
  const local = deploymentFrom({
    service: 'app',
    image: 'app',
    registry: { server: 'localhost:5555' },
    accessories: { db: { image: 'mysql:8', host: 'h' } },
  }).accessories[0]!
  assert.is(local.registryLogin, undefined)
})

test('a missing local file loads (as in Kamal), without content; boot and reboot refuse it (kamal-patterns)', () => {
  const d = deploymentFrom({
    service: 'app',
    image: 'app',
    accessories: { db: { image: 'p', host: 'h', files: ['nope/my.cnf:/etc/my.cnf'] } },
  })
  assert.is(d.accessories[0]!.files[0]!.content, undefined)
  assert.is(d.accessories[0]!.mounts[0]!.containerPath, '/etc/my.cnf')
})

test('ssh settings: Kamal defaults and jump proxy user', () => {
  const d = deploymentFrom({
    service: 'app',
    image: 'app',
    ssh: { user: 'deploy', port: '2222', proxy: 'bastion', keys_only: true, keys: ['k'], config: 'ops/ssh' },
  })
  assert.equal(d.ssh, {
    user: 'deploy',
    port: 2222,
    proxy: 'root@bastion',
    proxyCommand: undefined,
    keys: ['k'],
    keysOnly: true,
    configFiles: ['ops/ssh'],
    connectTimeoutSeconds: 10,
  })
  assert.is(deploymentFrom({ service: 'app', image: 'app' }).ssh.user, 'root')
})

test.run()
