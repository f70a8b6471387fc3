// The value rules accept what real configs hold (so nothing that works today breaks) and refuse what
// would reach a command line, a path or an ssh option unchecked.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  destinationProblem,
  hostProblem,
  IMAGE,
  publishProblem,
  publishValue,
  volumeProblem,
} from '../../../lib/config/value-rules.ts'
import { valueProblems } from '../../../lib/config/value-problems.ts'

/** Problems (pointer: message) for one accessory `db` with `patch`, under `root` keys. */
function problems(patch: Record<string, unknown>, root: Record<string, unknown> = {}): string[] {
  const config = {
    service: 'shop',
    image: 'shop/app',
    ...root,
    accessories: { db: { image: 'postgres:16', host: 'h1', ...patch } },
  }
  return valueProblems(config).map((p) => `/${p.path.join('/')}: ${p.message}`)
}

test('hosts: names, addresses, ssh aliases and user@host pass; options and shell characters do not', () => {
  for (const ok of ['10.0.0.5', 'db_1', 'db-1.example.com', 'deploy@db1', '::1', 'fe80::1', 'localhost', 'H1'])
    assert.is(hostProblem(ok), undefined, ok)
  for (const bad of ['-V', '-oProxyCommand=x', 'a b', '', 'a;b', 'h%h', 'a\nb', '$(x)', 'é.example', 'a'.repeat(256)])
    assert.ok(hostProblem(bad), bad)
  assert.equal(problems({ hosts: ['h1', '-V'] }), [
    '/accessories/db/hosts/1: "-V" starts with "-", so ssh would read it as an option; use the host\'s name or address.',
  ])
})

test('ports: Kamal doubling, then docker publish syntax within 1-65535', () => {
  for (const ok of [
    '5432',
    '127.0.0.1:5432:5432',
    '8080:80',
    '127.0.0.1::5432',
    '5432:5432/udp',
    '[::1]:5432:5432',
    '8000-8010:8000-8010',
  ]) {
    assert.is(publishProblem(publishValue(ok)), undefined, ok)
  }
  for (const bad of [
    '5432/tcp',
    'abc',
    '0',
    '70000',
    '1:2:3:4',
    '127.0.0.1:5432:99999',
    '256.0.0.1:1:1',
    '-p 80',
    '80 ; x',
  ])
    assert.ok(publishProblem(publishValue(bad)), bad)
  assert.equal(problems({ port: 5432 }), [])
  assert.equal(problems({ port: 0 }), ['/accessories/db/port: 0 is not a port; ports go from 1 to 65535.'])
})

test('images: docker reference grammar (registry with port, namespaces, tags, digests), lower case', () => {
  for (const ok of [
    'postgres:16',
    'library/postgres',
    'ghcr.io/acme/db:1.2-alpine',
    'localhost:5000/redis:7',
    '127.0.0.1:5000/x',
    `redis@sha256:${'a'.repeat(64)}`,
    'a/b/c:tag',
  ]) {
    assert.ok(IMAGE.test(ok), ok)
  }
  for (const bad of ['Postgres', 'redis:', ':7', 'a b', '--privileged', 'redis:7;x', 'a//b'])
    assert.not.ok(IMAGE.test(bad), bad)
  assert.equal(problems({ image: 'redis:7', registry: { server: 'ghcr.io/acme', username: 'u', password: 'p' } }), [])
  assert.equal(problems({ image: 'redis:7', registry: { server: '-x', username: 'u', password: 'p' } }).length, 2)
})

test('volumes: named volumes, host paths and anonymous ones, with mount options', () => {
  for (const ok of ['data:/data', '/srv/x:/x:ro', '/anon', 'data:/data:ro,Z', 'my-vol.1:/v', '/srv/a b:/b'])
    assert.is(volumeProblem(ok), undefined, ok)
  for (const ok of ['./x:/y', '../x:/y:ro', '.hidden:/h', '.:/cwd']) assert.is(volumeProblem(ok), undefined, ok)
  for (const bad of [
    'data:',
    'data',
    ':/x',
    'vols/x:/y',
    '~/x:/y',
    '/a:/b:rw;x',
    'a:b:c:d',
    '/a:rel',
    'x\ny:/z',
    '-v:/x',
  ])
    assert.ok(volumeProblem(bad), bad)
})

test('files and directories: stay in the service folder, name a container path, take chmod/chown values', () => {
  assert.equal(
    problems({
      files: [
        'init.sql:/docker-entrypoint-initdb.d/init.sql',
        { local: 'my.cnf', remote: '/etc/my.cnf', mode: 'u+rw,go-rwx', owner: '999:999' },
      ],
      directories: [
        'data:/var/lib/x',
        '/srv/backups:/backups:ro',
        'a/b:/x',
        { local: 'données', remote: '/d', mode: '0700', owner: 'postgres' },
      ],
    }),
    [],
  )
  const refused = problems({
    files: ['a:/../x', 'a:/dir/', 'a:rel', { local: 'a', remote: '/a', mode: '7777x' }],
    directories: ['../up:/x', 'a/../../b:/x', ':/x', 'a:', '/abs/x:/y:bad;opt', `${'deep/'.repeat(800)}x:/x`],
  })
  assert.equal(
    refused.map((line) => line.split(':')[0]),
    [
      '/accessories/db/files/0',
      '/accessories/db/files/1',
      '/accessories/db/files/2',
      '/accessories/db/files/3/mode',
      '/accessories/db/directories/0',
      '/accessories/db/directories/1',
      '/accessories/db/directories/2',
      '/accessories/db/directories/3',
      '/accessories/db/directories/4',
      '/accessories/db/directories/5',
    ],
  )
})

test('env, label and option keys; option values may start with "-" (memory-swap: -1) but not be null', () => {
  assert.equal(
    problems({
      env: { clear: { POSTGRES_USER: 'x', _X: 1, 'spring.datasource.url': 'jdbc:x' }, secret: ['A', 'B:MAIN_B'] },
      labels: { 'com.example/x': 'y' },
      options: { 'memory-swap': -1, 'cap-add': ['SYS_ADMIN'], init: true, 'health-cmd': 'pg_isready -U "$(whoami)"' },
    }),
    [],
  )
  assert.equal(
    problems({ env: { 'A=B': 'x' }, labels: { 'a b': 'y' }, options: { '--x': 1, memory: null, 'add-host': [true] } })
      .length,
    5,
  )
})

test('networks, ssh and logging values', () => {
  assert.equal(
    problems(
      { network: 'container:abc' },
      {
        ssh: {
          user: 'deploy',
          port: '2222',
          proxy: 'deploy@bastion:2222,jump2',
          keys: ['~/.ssh/id'],
          config: ['~/.ssh/config', 'ops/ssh config'],
        },
        logging: { driver: 'json-file', options: { 'max-size': '10m' } },
      },
    ),
    [],
  )
  assert.equal(problems({ network: 'my.net_1' }, { ssh: { port: 22 } }), [])
  const bad = problems(
    { network: '-x' },
    {
      ssh: { user: 'a b', port: '0', proxy: 'a;b', keys: ['-i'], config: ['a"b'], proxy_command: 'a\nb' },
      logging: { driver: '--x', options: { 'a b': 1 } },
    },
  )
  assert.equal(
    bad.map((line) => line.split(':')[0]),
    [
      '/ssh/user',
      '/ssh/port',
      '/ssh/proxy',
      '/ssh/proxy_command',
      '/ssh/keys/0',
      '/ssh/config/0',
      '/logging/driver',
      '/logging/options/a b',
      '/accessories/db/network',
    ],
  )
})

test('NUL anywhere, in keys or values, is reported once per place', () => {
  assert.equal(problems({ cmd: 'a\0b', labels: { 'k\0': 'v' } }, { 'x-ext': ['\0'] }), [
    '/x-ext/0: The value contains a NUL byte, which no command line, file name or env file can carry; remove it.',
    '/accessories/db/cmd: The value contains a NUL byte, which no command line, file name or env file can carry; remove it.',
    '/accessories/db/labels/k\0: The key contains a NUL byte, which no command line, file name or env file can carry; remove it.',
  ])
})

test('destinations name files and folders', () => {
  for (const ok of ['staging', 'eu-1', 'prod.eu']) assert.is(destinationProblem(ok), undefined, ok)
  for (const bad of ['../x', 'a/b', '-x', '', '.hidden', 'a b']) assert.ok(destinationProblem(bad), bad)
})

test.run()
