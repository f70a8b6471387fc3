// A Kamal user's habits through the real runner: Kamal's flag spellings, the clashes (each a usage error
// naming both meanings), -r/--roles and -p/--primary, `all` on a config without accessories, and the
// resolved-config printer (secrets never printed).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Ajv } from 'ajv'
import { readFileSync } from 'node:fs'
import { parseVerbArgs, UsageError } from '../../../lib/cli/args.ts'
import { VERBS } from '../../../lib/cli/verbs.ts'
import { FakeFleet } from '../../support/fake-fleet.ts'
import { runWithFleet } from '../../support/run-script.ts'
import { tempDir } from '../../support/files.ts'

async function run(verb: string, args: string[], dir: string, fleet = new FakeFleet()) {
  return { ...(await runWithFleet(verb, args, { cwd: dir, fleet })), fleet }
}

const ROLES_YML = `service: shop
image: shop/app
builder:
  arch: amd64
servers:
  web: [w1, w2]
  jobs:
    hosts: [j1]
accessories:
  db:
    image: postgres:16
    hosts: [w1, j1, x1]
  cache:
    image: redis:7
    roles: [web]
`

test("Kamal's spellings that mean the same: --config-file, --confirmed, -H", () => {
  assert.is(parseVerbArgs(['all', '--config-file', 'config/other.yml']).config, 'config/other.yml')
  assert.is(parseVerbArgs(['all', '--config-file=x.yml']).config, 'x.yml')
  assert.is(parseVerbArgs(['db', '--confirmed'], VERBS.reboot!.options).flags.yes, true)
  assert.not.throws(() => parseVerbArgs(['db', '-H']))
})

const usage = (argv: string[], options = VERBS.boot!.options) => {
  try {
    parseVerbArgs(argv, options)
  } catch (e) {
    assert.instance(e, UsageError)
    return (e as Error).message
  }
  assert.unreachable(`no usage error for ${argv.join(' ')}`)
  return ''
}

test("-h HOSTS clashes with berth's -h (help): a message naming both and the spelling to use", () => {
  assert.is(
    usage(['db', '-h', '10.0.0.5']),
    "-h '10.0.0.5': berth's -h is --help, while Kamal's -h takes hosts. For hosts write --hosts '10.0.0.5'; for help, -h or --help alone.",
  )
  assert.match(
    usage(['-h10.0.0.5', 'db']),
    /^'-h10\.0\.0\.5': berth's -h is --help, while Kamal's -h takes hosts\. For hosts write --hosts '10\.0\.0\.5'/,
  )
  assert.is(parseVerbArgs(['db', '-h']).help, true)
  assert.is(parseVerbArgs(['-h', '--json']).help, true)
})

test("Kamal's switch --lock-wait and --lock-wait-timeout clash with berth's --lock-wait SECONDS", () => {
  const both =
    "berth's --lock-wait takes SECONDS to wait for the deploy lock, while Kamal's --lock-wait is a switch (with --lock-wait-timeout, 900 s by default). Write --lock-wait SECONDS, for example --lock-wait 900."
  assert.is(usage(['db', '--lock-wait']), `--lock-wait without seconds: ${both}`)
  assert.is(usage(['--lock-wait', 'db']), `--lock-wait 'db': ${both}`)
  assert.is(usage(['db', '--lock-wait', '--lock-wait-timeout', '60']), `--lock-wait without seconds: ${both}`)
  assert.is(
    usage(['db', '--lock-wait-timeout', '60']),
    "--lock-wait-timeout is Kamal's (with its switch --lock-wait); berth has one flag, --lock-wait SECONDS, that waits that long for the lock: write --lock-wait '60'.",
  )
  assert.is(parseVerbArgs(['db', '--lock-wait', '60'], VERBS.boot!.options).flags['lock-wait'], 60)
  assert.is(parseVerbArgs(['db', '--lock-wait=2.5'], VERBS.boot!.options).flags['lock-wait'], 2.5)
})

test('-r/--roles and -p/--primary narrow the hosts as Kamal does', async () => {
  const dir = tempDir({ 'config/deploy.yml': ROLES_YML })
  const hosts = async (args: string[]) => {
    const r = await run('config', ['all', '--json', ...args], dir)
    assert.is(r.code, 0, r.stderr)
    return Object.fromEntries(
      (JSON.parse(r.stdout).accessories as Array<{ name: string; hosts: string[] }>).map((a) => [a.name, a.hosts]),
    )
  }
  assert.equal(await hosts([]), { db: ['w1', 'j1', 'x1'], cache: ['w1', 'w2'] })
  assert.equal(await hosts(['-r', 'jobs']), { db: ['j1'] })
  assert.equal(await hosts(['--roles', 'web']), { db: ['w1'], cache: ['w1', 'w2'] })
  assert.equal(await hosts(['-r', 'j*,web', '--hosts', 'w2']), { cache: ['w2'] })
  assert.equal(await hosts(['-p']), { db: ['w1'], cache: ['w1'] })
  const none = await run('boot', ['all', '-r', 'nope'], dir)
  assert.is(none.code, 64)
  assert.match(none.stderr, /^--roles nope matches no role under `servers` \(roles: web, jobs\)\./)
  const onlyX = await run('boot', ['cache', '-r', 'jobs'], dir)
  assert.is(onlyX.code, 64)
  assert.match(onlyX.stderr, /^--roles jobs selects no host of `cache` \(its hosts: w1, w2\)\./)
  const accessoriesOnly = tempDir({
    'config/deploy.yml': 'service: s\nimage: i\naccessories:\n  db:\n    image: a\n    host: h\n',
  })
  assert.match(
    (await run('boot', ['all', '-p'], accessoriesOnly)).stderr,
    /^--primary names the primary role's first host, but the config has no hosts under `servers`\./,
  )
})

test('all on a config without accessories does nothing and exits 0 saying so; a NAME is still a usage error', async () => {
  const dir = tempDir({ 'config/deploy.yml': 'service: shop\nimage: shop/app\nservers: [web1]\n' })
  for (const verb of ['boot', 'reboot', 'check', 'details', 'start', 'stop', 'restart', 'remove', 'logs']) {
    const r = await run(verb, ['all'], dir)
    assert.is(r.code, 0, `${verb}: ${r.stderr}`)
    assert.is(r.stdout, 'config/deploy.yml has no accessories, so there is nothing to do.\n', verb)
    assert.equal(r.fleet.sent, [], `${verb} contacted a host`)
  }
  const exec = await run('exec', ['all', '--', 'true'], dir)
  assert.is(exec.code, 0)
  const json = await run('boot', ['all', '--json'], dir)
  assert.equal(JSON.parse(json.stdout), {
    verb: 'boot',
    dryRun: false,
    exitCode: 0,
    summary: JSON.parse(json.stdout).summary,
    entries: [],
  })
  const check = await run('check', ['all', '--json'], dir)
  const validate = new Ajv({ strict: false }).compile(
    JSON.parse(readFileSync(new URL('../../../schemas/check.schema.json', import.meta.url), 'utf8')),
  )
  assert.ok(validate(JSON.parse(check.stdout)), JSON.stringify(validate.errors))
  const named = await run('boot', ['db'], dir)
  assert.is(named.code, 64)
})

test('the config printer: what berth acts on, every secret value redacted, no host contacted', async () => {
  const dir = tempDir({
    'config/deploy.yml': `${ROLES_YML}    env:\n      clear:\n        ENABLED: yes\n      secret: [POSTGRES_PASSWORD, "APP_KEY:OTHER"]\nregistry:\n  server: ghcr.io\n  username: [REG_USER]\n  password: [REG_PASS]\nssh:\n  key_data: [SSH_KEY]\n  log_level: debug\n`,
    '.kamal/secrets': 'POSTGRES_PASSWORD=pg-s3cr3t\nREG_USER=bot-s3cr3t\nREG_PASS=reg-s3cr3t\nSSH_KEY=key-s3cr3t\n',
  })
  const text = await run('config', [], dir)
  const json = await run('config', ['cache', '--json'], dir)
  for (const r of [text, json]) {
    assert.is(r.code, 0, r.stderr)
    assert.not.ok(/s3cr3t/.test(r.stdout + r.stderr), r.stdout)
    assert.equal(r.fleet.sent, [])
  }
  assert.match(text.stdout, /key_data SSH_KEY=\[REDACTED\]/)
  assert.match(
    text.stdout,
    /secrets: POSTGRES_PASSWORD=\[REDACTED\] APP_KEY=\[not set here\] \(env file \.kamal\/apps\/shop\/env\/accessories\/cache\.env\)/,
  )
  assert.match(
    text.stdout,
    /on w1: docker run --name shop-cache --detach .* --env KAMAL_HOST=w1 --env ENABLED=true --env-file \.kamal\/apps\/shop\/env\/accessories\/cache\.env .* redis:7\n/,
  )
  const doc = JSON.parse(json.stdout)
  assert.equal(
    doc.accessories.map((a: { name: string }) => a.name),
    ['cache'],
  )
  assert.equal(doc.accessories[0].registry, { server: 'ghcr.io', username: '[REDACTED]', password: '[REDACTED]' })
  assert.is(doc.ssh.logLevel, 'debug')
  assert.equal(doc.lock, { host: 'w1', why: "the primary role's first host" })
})

test.run()
