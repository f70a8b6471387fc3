import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import {
  createNetwork,
  envFileContent,
  inspectHost,
  makeDirectory,
  networkNeedsCreating,
  registryLogin,
  removeLabelledContainers,
  restartContainer,
  runAccessory,
  writeFile,
} from '../../../lib/docker/accessory-commands.ts'
import { dumpEnvValue } from '../../../lib/config/env-file.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { LocalTransport } from '../../support/local-transport.ts'
import { deploymentFrom } from '../../support/deployment.ts'
import { shellWords } from '../../support/shell-words.ts'

// Kamal's command test config (test/commands/accessory_test.rb), as berth reads it.
const kamalMysql = deploymentFrom(
  {
    service: 'app',
    image: 'dhh/app',
    registry: { server: 'private.registry', username: 'dhh', password: 'secret' },
    servers: ['1.1.1.1'],
    accessories: {
      mysql: {
        image: 'private.registry/mysql:8.0',
        host: '1.1.1.5',
        port: '3306',
        env: { clear: { MYSQL_ROOT_HOST: '%' }, secret: ['MYSQL_ROOT_PASSWORD'] },
        options: { cpus: '4', memory: '2GB' },
      },
    },
  },
  { secrets: { MYSQL_ROOT_PASSWORD: 'secret123' } },
)

test('docker run has the same argv as Kamal 2.x for the same config', async () => {
  const kamal =
    'docker run --name app-mysql --detach --restart unless-stopped --network kamal --log-opt max-size="10m" --publish 3306:3306 ' +
    '--env KAMAL_HOST="1.1.1.5" --env MYSQL_ROOT_HOST="%" --env-file .kamal/apps/app/env/accessories/mysql.env ' +
    '--label service="app-mysql" --cpus "4" --memory "2GB" private.registry/mysql:8.0'
  const ours = shellJoin(runAccessory(kamalMysql.accessories[0]!, '1.1.1.5', kamalMysql.loggingArgs).argv)
  assert.equal(await shellWords(ours), await shellWords(kamal))
})

test('mounts, volumes, labels, options, restart and cmd follow Kamal order and quoting', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-files-'))
  mkdirSync(path.join(dir, 'config'))
  writeFileSync(path.join(dir, 'config/my.cnf'), '[mysqld]\n')
  const deployment = deploymentFrom(
    {
      service: 'app',
      image: 'app',
      logging: { driver: 'json-file', options: { 'max-size': '100m' } },
      accessories: {
        mysql: {
          image: 'mysql:8.0',
          host: '1.1.1.5',
          labels: { cache: 'true' },
          options: { restart: 'always', 'add-host': ['a:1.2.3.4', 'b:5.6.7.8'], init: true },
          volumes: ['/var/log/mysql:/var/log/mysql'],
          files: ['config/my.cnf:/etc/mysql/my.cnf'],
          directories: ['data:/var/lib/mysql', '/srv/backups:/backups:ro'],
          cmd: "sh -c 'exec mysqld --verbose'",
          network: 'backend',
        },
      },
    },
    { cwd: dir },
  )
  const kamal =
    'docker run --name app-mysql --detach --restart always --network backend --log-driver "json-file" --log-opt max-size="100m" ' +
    '--env KAMAL_HOST="1.1.1.5" --env-file .kamal/apps/app/env/accessories/mysql.env ' +
    '--volume /var/log/mysql:/var/log/mysql --volume $PWD/app-mysql/etc/mysql/my.cnf:/etc/mysql/my.cnf ' +
    '--volume $PWD/app-mysql/data:/var/lib/mysql --volume /srv/backups:/backups:ro ' +
    '--label service="app-mysql" --label cache="true" --add-host "a:1.2.3.4" --add-host "b:5.6.7.8" --init ' +
    "mysql:8.0 sh -c 'exec mysqld --verbose'"
  const ours = shellJoin(runAccessory(deployment.accessories[0]!, '1.1.1.5', deployment.loggingArgs).argv)
  assert.equal(await shellWords(ours), await shellWords(kamal))
})

test('one read-only round trip lists labelled containers, then inspects them with the configured images', () => {
  const inspect = shellJoin(
    inspectHost([
      { serviceName: 'shop-db', image: 'postgres:16' },
      { serviceName: 'shop-cache', image: 'localhost:5000/redis' },
      { serviceName: 'shop-pinned', image: 'redis@sha256:0123' },
    ]).argv,
  )
  // #22: the ps prints each id with its url-escaped service label, and docker inspect takes ids and refs at once.
  assert.ok(
    inspect.startsWith(
      "sh -c 'ids=$(docker ps --all --no-trunc --filter label=service --format '\\''{{.ID}}={{urlquery (.Label \"service\")}}'\\'') || exit",
    ),
    inspect,
  )
  assert.match(inspect, /\nif \[ -n "\$cids" \]; then out=\$\(docker inspect \$cids \$refs --format /)
  // Untagged references get `:latest`, as docker reads them: no container name can then match one.
  assert.ok(
    inspect.endsWith(' sh shop-db=postgres:16 shop-cache=localhost:5000/redis:latest shop-pinned=redis@sha256:0123'),
    inspect,
  )
})

test('registry user name and password go on stdin, never in argv; docker login gets them as Kamal gives them', async () => {
  const login = registryLogin({ server: 'registry.example.com', username: 'deploy', password: 'hunter2' })
  assert.is(login.input, 'deploy\nhunter2')
  assert.not.ok(shellJoin(login.argv).includes('hunter2'))
  assert.not.ok(shellJoin(login.argv).includes('deploy'))
  // What the remote docker receives: a fake docker prints its argv and its stdin.
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-login-'))
  writeFileSync(path.join(dir, 'docker'), '#!/bin/sh\nprintf "%s|" "$@"; printf "stdin=%s" "$(cat)"\n', { mode: 0o755 })
  const result = await new LocalTransport(dir).run('local', {
    argv: ['env', `PATH=${dir}:/usr/bin:/bin`, ...login.argv],
    input: login.input,
  })
  assert.is(result.exitCode, 0, result.stderr)
  assert.is(result.stdout, 'login|registry.example.com|--username|deploy|--password-stdin|stdin=hunter2')
  const hub = registryLogin({ username: "o'neil $(x)", password: 'p' })
  const viaHub = await new LocalTransport(dir).run('local', {
    argv: ['env', `PATH=${dir}:/usr/bin:/bin`, ...hub.argv],
    input: hub.input,
  })
  assert.is(viaHub.stdout, "login|--username|o'neil $(x)|--password-stdin|stdin=p")
})

test('networks: kamal and custom ones are created; built-in ones are not', () => {
  assert.ok(networkNeedsCreating('kamal'))
  assert.ok(networkNeedsCreating('backend'))
  for (const builtin of ['host', 'none', 'bridge', 'container:abc']) assert.not.ok(networkNeedsCreating(builtin))
  assert.equal(createNetwork('kamal').argv, ['docker', 'network', 'create', 'kamal'])
})

test('directories: mkdir, then chmod and chown only when set', () => {
  assert.is(shellJoin(makeDirectory({ path: 'app-db/data' }).argv), 'mkdir -p app-db/data')
  assert.is(
    shellJoin(makeDirectory({ path: '/srv/db', mode: '0700', owner: '999:999' }).argv),
    'mkdir -p /srv/db && chmod 0700 /srv/db && chown 999:999 /srv/db',
  )
  assert.is(
    shellJoin(makeDirectory({ path: '/srv/db', owner: '999:999' }).argv),
    'mkdir -p /srv/db && chown 999:999 /srv/db',
  )
  assert.is(shellJoin(makeDirectory({ path: '/srv/db', mode: '0700' }).argv), 'mkdir -p /srv/db && chmod 0700 /srv/db')
})

test("commands of several steps: restart is stop && start; boot's cleanup pipes the created ones into docker rm; a file's owner is set after it is written", () => {
  assert.is(
    shellJoin(restartContainer('shop db').argv),
    "docker container stop 'shop db' && docker container start 'shop db'",
  )
  assert.is(
    shellJoin(removeLabelledContainers('app-db').argv),
    'docker ps --all --quiet --filter label=service=app-db --filter status=created | xargs -r docker rm --force',
  )
  assert.match(
    shellJoin(writeFile('app-db/my.cnf', 'x', '640', '999:999').argv),
    / sh app-db\/my\.cnf 640 && chown 999:999 app-db\/my\.cnf$/,
  )
})

test('writeFile creates the directory and the file with its mode, content from stdin', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-write-'))
  const command = writeFile('.kamal/apps/app/env/accessories/db.env', 'A=1\n', '600')
  const result = await new LocalTransport(dir).run('local', command)
  assert.is(result.exitCode, 0, result.stderr)
  const { statSync, readFileSync } = await import('node:fs')
  const file = path.join(dir, '.kamal/apps/app/env/accessories/db.env')
  assert.is(readFileSync(file, 'utf8'), 'A=1\n')
  assert.is(statSync(file).mode & 0o777, 0o600)
  assert.not.ok(shellJoin(command.argv).includes('A=1'))
  assert.is(statSync(path.join(dir, '.kamal/apps/app/env/accessories')).mode & 0o777, 0o700)
})

test('writeFile: folders made for a mounted file get 0755 (a non-root container user reaches it); the file keeps its mode', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-write-'))
  const result = await new LocalTransport(dir).run(
    'local',
    writeFile('app-db/docker-entrypoint-initdb.d/init.sql', 'select 1;\n', '640'),
  )
  assert.is(result.exitCode, 0, result.stderr)
  const { statSync } = await import('node:fs')
  assert.is(statSync(path.join(dir, 'app-db')).mode & 0o777, 0o755)
  assert.is(statSync(path.join(dir, 'app-db/docker-entrypoint-initdb.d')).mode & 0o777, 0o755)
  assert.is(statSync(path.join(dir, 'app-db/docker-entrypoint-initdb.d/init.sql')).mode & 0o777, 0o640)
})

test('env file: one KEY=value line per secret, escaped like Kamal (Ruby String#dump)', () => {
  assert.is(envFileContent([]), '\n')
  assert.is(
    envFileContent([
      ['A', 'plain'],
      ['B', 'with "quotes" and #{x}'],
    ]),
    'A=plain\nB=with "quotes" and #{x}\n',
  )
  assert.is(dumpEnvValue('line1\nline2\ttab\\'), 'line1\\nline2\\ttab\\\\')
  assert.is(dumpEnvValue('\x01ünï'), '\\x01ünï')
})

test.run()
