// A real Kamal project works unchanged and means the same (issue #10):
// - Kamal 2.12's `kamal init` template and every config Kamal's own tests load (test/fixtures/kamal/);
// - five deploy.yml projects written from Kamal's documentation (test/fixtures/kamal/projects/): roles,
//   destinations, ERB, proxy, builder, key_data, YAML 1.1 values;
// - berth's docker commands against the expected strings in Kamal's test/commands/accessory_test.rb, read
//   from the vendored Ruby file itself (not restated here).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runScript } from '../../../lib/cli/run.ts'
import { ConfigError, loadConfig } from '../../../lib/config/load.ts'
import { resolveDeployment, type Deployment } from '../../../lib/config/deployment.ts'
import type { Accessory } from '../../../lib/config/accessory.ts'
import {
  containerLogs,
  execInContainer,
  pullImage,
  removeImage,
  runAccessory,
  runInNewContainer,
  startContainer,
  stopContainer,
} from '../../../lib/docker/accessory-commands.ts'
import { proxyDeploy, proxyRemove } from '../../../lib/docker/proxy-commands.ts'
import type { AccessoryProxy } from '../../../lib/config/accessory-proxy.ts'
import { LocalTransport } from '../../support/local-transport.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { startAgent } from '../../../lib/remote/ssh-agent.ts'
import { asText } from '../../support/run-script.ts'
import { tempDir } from '../../support/files.ts'
import { shellWords } from '../../support/shell-words.ts'
import { parseAccessoryTest, type KamalCall } from '../../support/kamal-ruby.ts'

const KAMAL = fileURLToPath(new URL('../../fixtures/kamal/', import.meta.url))
const PROJECTS = path.join(KAMAL, 'projects')

async function loadProblems(options: Parameters<typeof loadConfig>[0]): Promise<string[]> {
  try {
    await loadConfig(options)
    return []
  } catch (e) {
    if (e instanceof ConfigError) return e.problems
    throw e
  }
}

// ---------------------------------------------------------------------------------------------
// Kamal's own configs

test("`kamal init`'s template loads unchanged (ERB in a comment included), and `all` has nothing to do", async () => {
  const cwd = path.join(KAMAL, 'init')
  const template = readFileSync(path.join(cwd, 'config/deploy.yml'), 'utf8')
  assert.ok(
    template.includes(
      '#   RUBY_VERSION: <%= ENV["RBENV_VERSION"] || ENV["rvm_ruby_string"] || "#{RUBY_ENGINE}-#{RUBY_ENGINE_VERSION}" %>',
    ),
  )
  assert.equal(await loadProblems({ cwd, env: {} }), [])
  let stdout = ''
  const code = await runScript('boot', ['all'], {
    cwd,
    env: {},
    stdout: (t) => void (stdout += asText(t)),
    stderr: () => {},
    transport: () => assert.unreachable('no host') as never,
  })
  assert.is(code, 0)
  assert.is(stdout, 'config/deploy.yml has no accessories, so there is nothing to do.\n')
})

test("the template's own accessories, uncommented, load and mean what they say", async () => {
  const template = readFileSync(path.join(KAMAL, 'init/config/deploy.yml'), 'utf8')
  const start = template.indexOf('# accessories:')
  const uncommented = template.slice(0, start) + template.slice(start).replace(/^# ?/gm, '')
  const cwd = tempDir({
    'config/deploy.yml': uncommented,
    '.kamal/secrets': 'MYSQL_ROOT_PASSWORD=x\n',
    'config/mysql/production.cnf': '[mysqld]\n',
    'db/production.sql': '\n',
  })
  const loaded = await loadConfig({ cwd, env: {} })
  const deployment = resolveDeployment(loaded, { cwd, env: {} })
  assert.equal(
    deployment.accessories.map((a) => [a.serviceName, a.image, a.hosts, a.port]),
    [
      ['my-app-db', 'mysql:8.0', ['192.168.0.2'], '3306:3306'],
      ['my-app-redis', 'valkey/valkey:8', ['192.168.0.2'], '6379:6379'],
    ],
  )
})

/** Kamal's fixtures that need Kamal itself: `Kamal::Utils.docker_arch` in ERB is named as outside the subset. */
const NEEDS_KAMAL = [
  'deploy_with_cloud_builder.yml',
  'deploy_with_local_registry_and_remote_builder.yml',
  'deploy_with_local_registry_and_remote_builder_with_port.yml',
  'deploy_with_remote_builder.yml',
  'deploy_with_remote_builder_and_custom_ports.yml',
]

test("every config Kamal's own tests load, loads (destination files with their base); Kamal-only ERB needs Ruby", async () => {
  const dir = path.join(KAMAL, 'kamal-tests')
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml'))
  assert.ok(files.length >= 40, `${files.length} fixtures`)
  for (const file of files) {
    const destination = /^(deploy_for_(?:required_)?dest)\.(\w+)\.yml$/.exec(file)
    const problems = destination
      ? await loadProblems({ cwd: dir, file: `${destination[1]}.yml`, destination: destination[2], env: {} })
      : await loadProblems({ cwd: dir, file, env: {} })
    if (NEEDS_KAMAL.includes(file)) {
      // Ruby's ERB renders it, as Kamal does (ruby-erb.ts defines Kamal::Utils.docker_arch); without Ruby it is named
      assert.equal(problems, [], file)
      const noRuby = await loadProblems({ cwd: dir, file, env: {}, ruby: '/nonexistent/ruby' })
      assert.is(noRuby.length, 1, `${file}: ${noRuby.join('\n')}`)
      assert.match(
        noRuby[0]!,
        new RegExp(
          `^${file}:\\d+:\\d+: ERB <%= Kamal::Utils\\.docker_arch == "arm64" \\? "amd64" : "arm64" %> \\(Kamal is not part of the subset\\) needs Ruby`,
        ),
      )
    } else if (/^deploy_for_(?:required_)?dest\.yml$/.test(file)) {
      // a base without servers of its own: Kamal loads it only with a destination, and so does berth
      assert.equal(problems, [`${file}:1:1: (root): no servers or accessories specified`], file)
    } else {
      assert.equal(problems, [], file)
    }
  }
})

// ---------------------------------------------------------------------------------------------
// Five projects written from Kamal's documentation

async function project(name: string, env: Record<string, string> = {}, destination?: string): Promise<Deployment> {
  const cwd = path.join(PROJECTS, name)
  const fullEnv = { PATH: process.env.PATH, ...env }
  const loaded = await loadConfig({ cwd, env: fullEnv, ...(destination ? { destination } : {}) })
  return resolveDeployment(loaded, { cwd, env: fullEnv })
}

const accessory = (d: Deployment, name: string) => d.accessories.find((a) => a.name === name)!
const envOf = (a: Accessory) => Object.fromEntries(a.envClear)

test('project rails: the Rails 8 deploy.yml with its db and cache; secrets from ENV and a file', async () => {
  const d = await project('rails', { KAMAL_REGISTRY_PASSWORD: 'reg', MYSQL_ROOT_PASSWORD: 'root-pw' })
  const db = accessory(d, 'db')
  assert.equal(
    [db.serviceName, db.image, db.hosts, db.port],
    ['shop-db', 'mysql:8.0', ['192.168.0.2'], '127.0.0.1:3306:3306'],
  )
  assert.equal(db.envSecret, [['MYSQL_ROOT_PASSWORD', 'root-pw']])
  assert.equal(
    db.files.map((f) => [f.remotePath, f.mode]),
    [
      ['shop-db/etc/mysql/my.cnf', '755'],
      ['shop-db/docker-entrypoint-initdb.d/setup.sql', '755'],
    ],
  )
  assert.equal(accessory(d, 'redis').port, '6379:6379')
  assert.is(d.primaryHost, '192.168.0.1')
  assert.equal(d.roles, [
    { name: 'web', hosts: ['192.168.0.1'] },
    { name: 'job', hosts: ['192.168.0.1'] },
  ])
  assert.equal(db.registryLogin?.username, 'acme')
})

test('project destinations: roles, tags, a destination merged over the base, secrets per destination', async () => {
  const env = {
    KAMAL_REGISTRY_PASSWORD: 'reg',
    RAILS_MASTER_KEY: 'mk',
    MEILI_MASTER_KEY: 'meili',
    PRODUCTION_DB_PASSWORD: 'prod-pw',
  }
  const staging = await project('destinations', env, 'staging')
  const db = accessory(staging, 'db')
  assert.equal([db.serviceName, db.hosts, envOf(db).POSTGRES_DB], ['hey-db-staging', ['10.1.0.10'], 'hey_staging'])
  assert.equal(db.envSecret, [['POSTGRES_PASSWORD', 'staging-only-not-a-real-one']])
  assert.is(db.envFile, '.kamal/apps/hey-staging/env/accessories/db.env')
  assert.equal(accessory(staging, 'search').hosts, ['10.1.0.3'])
  assert.equal(accessory(staging, 'cache').hosts, ['10.1.0.1'])
  const production = await project('destinations', env, 'production')
  assert.equal(accessory(production, 'search').hosts, ['10.0.0.3', '10.0.0.4'])
  assert.equal(accessory(production, 'cache').hosts, ['10.0.0.1', '10.0.0.2'])
  assert.equal(accessory(production, 'db').envSecret, [['POSTGRES_PASSWORD', 'prod-pw']])
  assert.is(production.primaryHost, '10.0.0.1')
})

test('project ci-key-data: key_data from the environment into a private agent; ssh settings as Kamal means them', async () => {
  const keyDir = mkdtempSync(path.join(tmpdir(), 'berth-ci-key-'))
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, 'id')])
  const key = readFileSync(path.join(keyDir, 'id'), 'utf8')
  const d = await project('ci-key-data', {
    SSH_PRIVATE_KEY: key,
    KAMAL_REGISTRY_PASSWORD: 'reg',
    POSTGRES_PASSWORD: 'pg',
    GITHUB_ACTOR: 'octocat',
  })
  assert.equal(d.sshKeyData, [{ name: 'SSH_PRIVATE_KEY', key }])
  assert.equal(
    { ...d.ssh },
    {
      user: 'deploy',
      port: 2222,
      proxy: 'root@bastion.example.com',
      proxyCommand: undefined,
      keys: [],
      keysOnly: true,
      configFiles: true,
      connectTimeoutSeconds: 10,
      forwardAgent: false,
      logLevel: 'INFO',
    },
  )
  assert.is(accessory(d, 'db').registryLogin?.username, 'octocat')
  assert.is(accessory(d, 'db').restartPolicy, 'always')
  const agent = await startAgent(d.sshKeyData)
  try {
    assert.is(
      execFileSync('ssh-add', ['-l'], { env: { SSH_AUTH_SOCK: agent.socket }, encoding: 'utf8' })
        .split('\n')
        .filter(Boolean).length,
      1,
    )
  } finally {
    agent.stop()
  }
})

test('project yaml-1-1: accessories only, anchors and merge keys, values as Psych reads them, a list from ERB', async () => {
  const d = await project('yaml-1-1')
  const search = accessory(d, 'search')
  assert.equal(search.hosts, ['10.0.1.5', '10.0.1.6'])
  assert.equal(envOf(search), {
    'discovery.type': 'single-node',
    'xpack.security.enabled': 'false',
    'bootstrap.memory_lock': 'true',
    ES_JAVA_OPTS: '-Xms1g -Xmx1g',
    'ingest.geoip.downloader.enabled': 'false',
  })
  assert.equal(search.options, [
    ['ulimit', 'memlock=-1:-1'],
    ['ulimit', 'nofile=65535:65535'],
    ['init', undefined],
  ])
  assert.is(search.restartPolicy, 'no')
  const metrics = accessory(d, 'metrics')
  assert.equal(envOf(metrics), {
    SCRAPE_ENABLED: 'true',
    ANSWER: 'y',
    FILE_MODE: '420',
    SCHEMA_VERSION: '1.0',
    WORKERS: '1000',
  })
  assert.equal(metrics.labels, [
    ['service', 'analytics-metrics'],
    ['team', 'data'],
    ['alerting', 'true'],
  ])
  assert.is(d.primaryHost, undefined)
  const more = await project('yaml-1-1', { SEARCH_HOSTS: 'es1,es2,es3' })
  assert.equal(accessory(more, 'search').hosts, ['es1', 'es2', 'es3'])
})

test('project builder-proxy: secrets through kamal secrets extract, ERB running a command, app-only sections ignored', async () => {
  const d = await project('builder-proxy')
  const redis = accessory(d, 'redis')
  assert.equal(redis.envSecret, [['REDIS_PASSWORD', 'redis-pw']])
  assert.equal(redis.registryLogin, {
    server: 'registry.example.com:5000',
    username: 'storefront',
    password: 'reg-token',
    passwordSecret: 'KAMAL_REGISTRY_PASSWORD',
  })
  const mq = accessory(d, 'worker-queue')
  assert.equal([mq.serviceName, mq.envSecret], ['storefront-mq', [['RABBITMQ_DEFAULT_PASS', 'mq-pw']]])
  assert.equal(d.loggingArgs, ['--log-driver', 'json-file', '--log-opt', 'max-size=50m', '--log-opt', 'max-file=5'])
  const loaded = await loadConfig({ cwd: path.join(PROJECTS, 'builder-proxy'), env: {} })
  assert.equal((loaded.config.builder as { args: unknown }).args, { NODE_VERSION: '22', REVISION: 'f00dcafe' })
})

// ---------------------------------------------------------------------------------------------
// docker commands against Kamal's test/commands/accessory_test.rb

type Builder = (a: Accessory, d: Deployment, call: KamalCall) => string
const logsOptions = (k: Record<string, unknown>) => ({
  since: k.since as string | undefined,
  lines: k.lines as number | undefined,
  timestamps: k.timestamps as boolean | undefined,
})

/** Kamal's command methods berth builds the same way, and how berth builds each. */
const SAME: Record<string, Builder> = {
  run: (a, d) => shellJoin(runAccessory(a, undefined, d.loggingArgs).argv),
  start: (a) => shellJoin(startContainer(a.serviceName).argv),
  stop: (a) => shellJoin(stopContainer(a.serviceName).argv),
  execute_in_new_container: (a, _d, c) => shellJoin(runInNewContainer(a, c.args).argv),
  execute_in_existing_container: (a, _d, c) => shellJoin(execInContainer(a.serviceName, c.args).argv),
  // berth filters with --grep itself, line by line, so no match is no error: the docker part is compared
  logs: (a, _d, c) => shellJoin(containerLogs(a.serviceName, logsOptions(c.kwargs)).argv),
  // the remote command of Kamal's `ssh -t … '<command>'`: berth streams it through its own ssh
  follow_logs: (a, _d, c) =>
    shellJoin(containerLogs(a.serviceName, { ...logsOptions(c.kwargs), lines: 10, follow: true }).argv),
  pull_image: (a) => shellJoin(pullImage(a.image).argv),
  remove_image: (a) => shellJoin(removeImage(a.image).argv),
  deploy: (a, _d, c) => shellJoin(proxyDeploy(proxied(a), String(c.kwargs.target)).argv),
  remove: (a) => shellJoin(proxyRemove(a).argv),
}

function proxied(a: Accessory): Accessory & { proxy: AccessoryProxy } {
  assert.ok(a.proxy, `accessory ${a.name} has no proxy: in Kamal's test config`)
  return a as Accessory & { proxy: AccessoryProxy }
}

/** Kamal's methods berth has no counterpart for, with the reason (README "Kamal compatibility"). */
const DIFFERENT: Record<string, string> = {
  info: 'berth reads a host with one round trip that inspects every labelled container (docker ps + docker inspect), not docker ps per accessory',
  remove_container:
    'berth removes each labelled container by id (docker container rm --force), running ones included, rather than docker container prune (stopped ones only)',
  execute_in_new_container_over_ssh: "berth runs no interactive session (-it): exec collects each host's output",
  execute_in_existing_container_over_ssh: "berth runs no interactive session (-it): exec collects each host's output",
}

/** Kamal's expected line, as the part berth builds: without `| grep …`, and the remote command of an `ssh -t …`. */
async function kamalWords(method: string, expected: string): Promise<string[]> {
  if (method === 'logs') return shellWords(expected.replace(/ \| grep .*$/, ''))
  if (method === 'follow_logs') {
    const words = await new LocalTransport(tmpdir()).run('local', {
      argv: ['sh', '-c', `printf '%s\\0' ${expected.replace(/^ssh /, '')}`],
    })
    return shellWords(words.stdout.split('\0').slice(0, -1).at(-1)!)
  }
  return shellWords(expected)
}

test("docker commands: the same words as Kamal's own command tests expect, for every method both have", async () => {
  const { config, secrets, tests } = parseAccessoryTest(readFileSync(path.join(KAMAL, 'accessory_test.rb'), 'utf8'))
  let compared = 0
  const skipped = new Set<string>()
  for (const kamalTest of tests) {
    const changed = structuredClone(config)
    for (const { path: keys, value } of kamalTest.changes) {
      let node = changed as Record<string, unknown>
      for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>
      node[keys.at(-1)!] = value
    }
    const cwd = tempDir({
      'deploy.config.mjs': `export default ${JSON.stringify(changed)}\n`,
      ...Object.fromEntries(Object.entries(secrets).map(([f, body]) => [`.kamal/${f}`, `${body}\n`])),
    })
    const deployment = resolveDeployment(await loadConfig({ cwd, env: {} }), { cwd, env: {} })
    assert.ok(kamalTest.assertions.length > 0, `Kamal test "${kamalTest.name}" has no assertion berth can read`)
    for (const { expected, call, match } of kamalTest.assertions) {
      if (call.method in DIFFERENT) {
        skipped.add(call.method)
        continue
      }
      const build = SAME[call.method]
      assert.ok(
        build,
        `Kamal test "${kamalTest.name}" calls ${call.method}, which berth neither builds nor lists as different`,
      )
      assert.not.ok(match, `"${kamalTest.name}": a pattern, not a command line`)
      const ours = build!(accessory(deployment, call.accessory), deployment, call)
      assert.equal(
        await shellWords(ours),
        await kamalWords(call.method, expected),
        `Kamal test "${kamalTest.name}" (${call.accessory}.${call.method}):\n  Kamal: ${expected}\n  berth: ${ours}`,
      )
      compared++
    }
  }
  // 21 command lines compared; the methods berth has no counterpart for are listed with their reason
  assert.is(compared, 21)
  assert.equal([...skipped].sort(), Object.keys(DIFFERENT).sort())
})

test.run()
