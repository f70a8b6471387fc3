import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig } from '../../../lib/config/load.ts'
import { resolveDeployment } from '../../../lib/config/deployment.ts'
import { ROOT_KEYS } from '../../../lib/config/schema.ts'
import { tempDir } from '../../support/files.ts'

/** Problems for a config/deploy.yml (lines joined with \n), or [] when it loads and resolves. */
async function check(yml: string): Promise<string[]> {
  const dir = tempDir({ 'config/deploy.yml': yml })
  try {
    const loaded = await loadConfig({ cwd: dir, env: {} })
    resolveDeployment(loaded, { cwd: dir, env: {} })
    return []
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e
    return e.problems
  }
}

const HEAD = 'service: app\nimage: app/app\n' // lines 1-2

test('root: unknown keys rejected, x-* extensions and every Kamal root key accepted', async () => {
  assert.equal(
    await check(HEAD + 'accessories: {}\nservers: []\nhealthcheck:\n  path: /up\nx-anything:\n  foo: 1\ntraefik: {}\n'),
    [
      'config/deploy.yml:5:1: (root): unknown key "healthcheck"',
      'config/deploy.yml:9:1: (root): unknown key "traefik"',
    ],
  )
  assert.ok(ROOT_KEYS.includes('hooks_output'))
  assert.equal(ROOT_KEYS.length, 30)
})

test('root: required service and image, service name rule, no servers and no accessories', async () => {
  assert.equal(await check('labels: {}\n'), [
    'config/deploy.yml:1:1: (root): missing required key "service"',
    'config/deploy.yml:1:1: (root): missing required key "image"',
    'config/deploy.yml:1:1: (root): no servers or accessories specified',
  ])
  assert.equal(await check('service: my app\nimage: 12\nservers: [h1]\n'), [
    'config/deploy.yml:1:10: /service: Service name can only include alphanumeric characters, hyphens, and underscores',
    'config/deploy.yml:2:8: /image: must be string',
  ])
  assert.equal(await check(HEAD + 'servers:\n  - h1\n'), [])
})

test('root: scalar types of the app-level keys', async () => {
  assert.equal(
    await check(
      HEAD +
        'servers: [h1]\nretain_containers: "3"\nrequire_destination: "yes"\nvolumes: /a:/b\nminimum_version: 2.1\nproxy: true\nhooks_output: quiet\nlabels:\n  a: [1]\n',
    ),
    [
      'config/deploy.yml:4:20: /retain_containers: must be integer',
      'config/deploy.yml:5:22: /require_destination: must be boolean',
      'config/deploy.yml:6:10: /volumes: must be array',
      'config/deploy.yml:11:6: /labels/a: must be string, number or boolean',
    ],
  )
})

test('servers: host entries with tags, roles, multiple hosts in one entry', async () => {
  assert.equal(
    await check(
      HEAD +
        'servers:\n  web:\n    - h1\n    - h2: [a, b]\n    - h3: a\n    - h4: a\n      h5: b\n  jobs:\n    hosts: [h6]\n    cmd: bin/jobs\n    options:\n      restart: 3\n    labels:\n      service: x\n',
    ),
    [
      'config/deploy.yml:8:7: /servers/web/3: multiple hosts found',
      'config/deploy.yml:14:16: /servers/jobs/options/restart: should be a string. Use "no" to disable restarts',
      'config/deploy.yml:16:7: /servers/jobs/labels/service: invalid label. destination, role, and service are reserved labels',
    ],
  )
})

test('accessory: unknown keys, missing image, bad port', async () => {
  assert.equal(
    await check(
      HEAD + 'accessories:\n  db:\n    host: h\n    ports: ["3306:3306"]\n    port: [3306]\n    healthcheck: {}\n',
    ),
    [
      'config/deploy.yml:5:5: /accessories/db: missing required key "image"',
      'config/deploy.yml:6:5: /accessories/db: unknown key "ports"',
      'config/deploy.yml:7:11: /accessories/db/port: must be string or integer',
      'config/deploy.yml:8:5: /accessories/db: unknown key "healthcheck"',
    ],
  )
})

test('accessory: exactly one of host, hosts, role, roles, tag, tags', async () => {
  assert.equal(
    await check(
      HEAD +
        'accessories:\n  none:\n    image: a\n  two:\n    image: b\n    host: h\n    roles: [web]\n  one:\n    image: c\n    tags: [w]\n  typed:\n    image: d\n    hosts: h\n',
    ),
    [
      'config/deploy.yml:5:5: /accessories/none: specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`',
      'config/deploy.yml:9:5: /accessories/two: specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`',
      'config/deploy.yml:15:12: /accessories/typed/hosts: must be array',
    ],
  )
})

test('accessory: role and roles must name roles under servers', async () => {
  assert.equal(
    await check(
      HEAD +
        'servers:\n  web: [h1]\n  jobs: [h2]\naccessories:\n  a:\n    image: a\n    role: db\n  b:\n    image: b\n    roles: [web, x, y]\n  c:\n    image: c\n    roles: [web, jobs]\n',
    ),
    [
      'config/deploy.yml:9:11: /accessories/a/role: Accessory "a" names role "db", but the roles under `servers` are "web", "jobs"; name one of those, or add "db" under `servers`.',
      'config/deploy.yml:12:12: /accessories/b/roles: Accessory "b" names roles "x", "y", but the roles under `servers` are "web", "jobs"; name one of those, or add "x", "y" under `servers`.',
    ],
  )
  assert.equal(await check(HEAD + 'servers:\n  web: [h1]\naccessories:\n  a:\n    image: a\n    role: db\n'), [
    'config/deploy.yml:8:11: /accessories/a/role: Accessory "a" names role "db", but the only role under `servers` is "web"; name "web", or add "db" under `servers`.',
  ])
  assert.equal(await check(HEAD + 'accessories:\n  a:\n    image: a\n    roles: [db]\n'), [
    'config/deploy.yml:6:12: /accessories/a/roles: Accessory "a" names role "db", but `servers` has no roles; add "db" under `servers`, or give the accessory its hosts with `host` or `hosts`.',
  ])
  // a servers list is the implicit `web` role
  assert.equal(await check(HEAD + 'servers: [h1]\naccessories:\n  a:\n    image: a\n    role: web\n'), [])
})

test('accessory: reserved labels and restart policies', async () => {
  const acc = (labels: string, restart: string) =>
    HEAD +
    `accessories:\n  db:\n    image: a\n    host: h\n    labels:\n${labels}    options:\n      restart: ${restart}\n`
  assert.equal(await check(acc('      destination: x\n      role: y\n      keep: z\n', 'true')), [
    'config/deploy.yml:8:7: /accessories/db/labels/destination: invalid label. destination, role, and service are reserved labels',
    'config/deploy.yml:9:7: /accessories/db/labels/role: invalid label. destination, role, and service are reserved labels',
    'config/deploy.yml:12:16: /accessories/db/options/restart: should be a string. Use "no" to disable restarts',
  ])
  assert.equal(await check(acc('      a: b\n', 'on-failure:x')), [
    'config/deploy.yml:10:16: /accessories/db/options/restart: should be no, always, unless-stopped, on-failure, or on-failure:N',
  ])
  for (const ok of ['always', 'unless-stopped', 'on-failure', 'on-failure:3', '"no"', "'no'"]) {
    assert.equal(await check(acc('      a: b\n', ok)), [], ok)
  }
  // YAML 1.1 (Psych): a bare `no` is the boolean false, which Kamal refuses
  assert.equal(await check(acc('      a: b\n', 'no')), [
    'config/deploy.yml:10:16: /accessories/db/options/restart: should be a string. Use "no" to disable restarts',
  ])
})

test('accessory options: a service label or a name would hide the container from berth and Kamal', async () => {
  const acc = (options: string) => HEAD + `accessories:\n  db:\n    image: a\n    host: h\n    options:\n${options}`
  assert.equal(await check(acc('      label: service=other\n')), [
    'config/deploy.yml:8:14: /accessories/db/options/label: the service label is the one berth and Kamal find the container by; remove it from options',
  ])
  assert.equal(await check(acc('      label: [team=a, service]\n      name: x\n')), [
    'config/deploy.yml:8:23: /accessories/db/options/label/1: the service label is the one berth and Kamal find the container by; remove it from options',
    'config/deploy.yml:9:7: /accessories/db/options/name: the container is named by Kamal (service-accessory); remove name from options',
  ])
  assert.equal(await check(acc('      label: [services=a, team=service, " service=x"]\n')), [])
})

test('accessory env: plain hash or {clear, secret}; tags only in the root env', async () => {
  assert.equal(
    await check(
      HEAD +
        'accessories:\n  a:\n    image: a\n    host: h\n    env:\n      A: 1\n      B: [x]\n  b:\n    image: b\n    host: h\n    env:\n      clear:\n        A: {x: 1}\n      secret: PASSWORD\n      other: 1\n  c:\n    image: c\n    host: h\n    env:\n      secret: [P]\n      tags:\n        t: {A: 1}\n',
    ),
    [
      'config/deploy.yml:9:10: /accessories/a/env/B: must be string, number or boolean',
      'config/deploy.yml:15:12: /accessories/b/env/clear/A: must be string, number or boolean',
      'config/deploy.yml:16:15: /accessories/b/env/secret: must be array',
      'config/deploy.yml:17:7: /accessories/b/env: unknown key "other"',
      'config/deploy.yml:23:7: /accessories/c/env/tags: tags are only allowed in the root env',
    ],
  )
})

test('root env: tags hold env hashes', async () => {
  assert.equal(
    await check(
      HEAD +
        'servers: [h1]\nenv:\n  clear: {A: 1}\n  tags:\n    t1: {B: 2}\n    t2:\n      secret: [S]\n      tags: {}\n    t3: nope\n',
    ),
    [
      'config/deploy.yml:10:7: /env/tags/t2: unknown key "tags"',
      'config/deploy.yml:11:9: /env/tags/t3: must be object',
    ],
  )
})

test('accessory files and directories: strings or {local, remote, mode, owner, options} of strings', async () => {
  assert.equal(
    await check(
      HEAD +
        'accessories:\n  db:\n    image: a\n    host: h\n    files:\n      - a:/b\n      - local: a\n        remote: /b\n        mode: 0600\n      - 42\n    directories:\n      - remote: /data\n        owner: "1000:1000"\n        mod: "0755"\n',
    ),
    [
      'config/deploy.yml:11:15: /accessories/db/files/1/mode: must be string',
      'config/deploy.yml:12:9: /accessories/db/files/2: must be string or object',
      'config/deploy.yml:14:9: /accessories/db/directories/0: missing required key "local"',
      'config/deploy.yml:16:9: /accessories/db/directories/0: unknown key "mod"',
    ],
  )
})

test('registry: username/password as string or one-element array; required unless localhost', async () => {
  assert.equal(
    await check(
      HEAD +
        'servers: [h1]\nregistry:\n  username: [A, B]\n  password: []\n  email: x\naccessories:\n  db:\n    image: a\n    host: h\n    registry:\n      server: ghcr.io\n      username: u\n  local:\n    image: b\n    host: h\n    registry:\n      server: localhost:5555\n',
    ),
    [
      'config/deploy.yml:5:13: /registry/username: must be a string or an array with one string (for secret lookup)',
      'config/deploy.yml:6:13: /registry/password: must be a string or an array with one string (for secret lookup)',
      'config/deploy.yml:7:3: /registry: unknown key "email"',
      'config/deploy.yml:13:7: /accessories/db/registry: missing required key "password"',
    ],
  )
})

test('ssh: Kamal keys and types', async () => {
  assert.equal(
    await check(
      HEAD +
        'servers: [h1]\nssh:\n  user: app\n  port: 2222\n  config: [a, 1]\n  keys: ~/.ssh/id\n  keys_only: "yes"\n  forward_agent: true\n  identity: x\n',
    ),
    [
      'config/deploy.yml:7:15: /ssh/config/1: must be string',
      'config/deploy.yml:8:9: /ssh/keys: must be array',
      'config/deploy.yml:9:14: /ssh/keys_only: must be boolean',
      'config/deploy.yml:11:3: /ssh: unknown key "identity"',
    ],
  )
  for (const config of ['true', 'false', '~/.ssh/config', '[a, b]']) {
    assert.equal(await check(HEAD + `servers: [h1]\nssh:\n  config: ${config}\n`), [], config)
  }
})

test('logging: driver and options only', async () => {
  assert.equal(await check(HEAD + 'servers: [h1]\nlogging:\n  driver: 1\n  options: x\n  level: info\n'), [
    'config/deploy.yml:5:11: /logging/driver: must be string',
    'config/deploy.yml:6:12: /logging/options: must be object',
    'config/deploy.yml:7:3: /logging: unknown key "level"',
  ])
})

test('every problem is reported at once, in file order, each once', async () => {
  const problems = await check('image: [x]\nfoo: 1\naccessories:\n  db:\n    image: a\n    port: 1.5\n')
  assert.equal(problems, [
    'config/deploy.yml:1:1: (root): missing required key "service"',
    'config/deploy.yml:1:8: /image: must be string',
    'config/deploy.yml:2:1: (root): unknown key "foo"',
    'config/deploy.yml:5:5: /accessories/db: specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`',
    // Psych reads 1.5 as a Float, which Kamal hands on as "1.5": no port docker can publish
    'config/deploy.yml:6:11: /accessories/db/port: "1.5" is not a port docker can publish; write `PORT`, `HOST_PORT:CONTAINER_PORT` or `IP:HOST_PORT:CONTAINER_PORT` (for example "127.0.0.1:5432:5432").',
  ])
})

test.run()
