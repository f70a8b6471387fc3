import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { argText, hostMatches, parseVerbArgs, secondsFlag, UsageError } from '../../lib/cli/args.ts'
import { VERBS } from '../../lib/cli/verbs.ts'
import { selectAccessories } from '../../lib/cli/select.ts'
import { deploymentFrom } from '../support/deployment.ts'

test('flags and their short forms', () => {
  const o = parseVerbArgs(['db', '-c', 'x.yml', '-d', 'staging', '--hosts', 'a, b', '--dry-run', '--json', '-v'])
  assert.equal(o, {
    target: 'db',
    config: 'x.yml',
    destination: 'staging',
    hosts: ['a', 'b'],
    primary: false,
    dryRun: true,
    skipHooks: false,
    json: true,
    quiet: false,
    verbose: true,
    help: false,
    version: false,
    flags: {},
    command: [],
  })
  assert.is(parseVerbArgs(['all', '--config=deploy.yml']).config, 'deploy.yml')
})

test('bad usage is a UsageError naming the problem', () => {
  assert.throws(
    () => parseVerbArgs(['db', '--bogus']),
    (e: Error) => e instanceof UsageError && /--bogus/.test(e.message),
  )
  assert.throws(
    () => parseVerbArgs(['db', '-c']),
    (e: Error) => e instanceof UsageError && /-c/.test(e.message),
  )
  assert.throws(() => parseVerbArgs(['db', 'cache']), /one accessory name/)
  assert.throws(() => parseVerbArgs(['db', '-q', '-v']), /not both/)
  assert.throws(() => parseVerbArgs(['db', '--hosts', ',']), /at least one host/)
})

test('verb flags and the command after --', () => {
  const o = parseVerbArgs(['db', '-y', '--lock-wait', '5', '--', 'psql', '-c', 'select 1'], {
    yes: { type: 'boolean', short: 'y', description: 'x' },
    'lock-wait': { type: 'string', description: 'SECONDS  x' },
  })
  assert.equal(o.flags, { yes: true, 'lock-wait': '5' })
  assert.equal(o.command, ['psql', '-c', 'select 1'])
  assert.throws(() => parseVerbArgs(['db', '-y']), /-y/)
})

test('seconds flags take non-negative numbers only', () => {
  assert.is(secondsFlag('2.5', 'lock-wait', 0), 2.5)
  assert.is(secondsFlag(undefined, 'lock-wait', 7), 7)
  assert.throws(() => secondsFlag('soon', 'lock-wait', 0), /--lock-wait takes a number of seconds, got 'soon'/)
  assert.throws(
    () => secondsFlag('-1', 'lock-wait', 0),
    (e: Error) => e instanceof UsageError,
  )
})

test('host patterns: exact names and fnmatch-style wildcards', () => {
  assert.ok(hostMatches('10.0.0.5', '10.0.0.5'))
  assert.not.ok(hostMatches('10.0.0.5', '10.0.0.55'))
  assert.ok(hostMatches('10.0.0.*', '10.0.0.55'))
  assert.ok(hostMatches('db?.example.com', 'db1.example.com'))
  assert.not.ok(hostMatches('10.0.0.5', '10a0a0a5'))
})

const deployment = deploymentFrom({
  service: 'app',
  image: 'app',
  accessories: { db: { image: 'postgres:16', hosts: ['h1', 'h2'] }, cache: { image: 'redis:7', host: 'h2' } },
})

test('all selects every accessory in config order; NAME selects one', () => {
  assert.equal(
    selectAccessories(deployment, 'all', undefined).map((s) => [s.accessory.name, s.hosts]),
    [
      ['db', ['h1', 'h2']],
      ['cache', ['h2']],
    ],
  )
  assert.equal(
    selectAccessories(deployment, 'cache', undefined).map((s) => s.accessory.name),
    ['cache'],
  )
})

test('--hosts narrows each accessory and drops accessories left with no host', () => {
  assert.equal(
    selectAccessories(deployment, 'all', ['h1']).map((s) => [s.accessory.name, s.hosts]),
    [['db', ['h1']]],
  )
})

test('unknown names and unmatched --hosts are usage errors with the known values', () => {
  assert.throws(() => selectAccessories(deployment, 'x', undefined), /No accessory named 'x' \(known: db, cache\)/)
  assert.throws(
    () => selectAccessories(deployment, 'db', ['h9']),
    /--hosts h9 matches no host of `db` \(its hosts: h1, h2\)/,
  )
})

test('arguments that reach a host are checked: destination, --hosts patterns, --since, --lines, NUL, huge exec commands', () => {
  const usage = (argv: string[], pattern: RegExp) =>
    assert.throws(
      () => parseVerbArgs(argv),
      (e: Error) => e instanceof UsageError && pattern.test(e.message),
    )
  usage(['db', '-d', '../prod'], /The destination "..\/prod" cannot name a config file and a folder on the hosts/)
  usage(['db', '--destination=-x'], /destination "-x"/)
  usage(['db', '--hosts', 'h1,-V'], /--hosts "-V" is not a host or a pattern/)
  usage(['db', '--hosts', '$(touch x)'], /is not a host or a pattern/)
  usage(['db\0'], /NUL/)
  usage(['db', '--', 'echo', 'x'.repeat(130_000)], /The command after `--` is \d+ bytes once quoted/)
  assert.equal(parseVerbArgs(['db', '-d', 'eu-1.prod', '--hosts', 'db_1,10.0.0.*']).hosts, ['db_1', '10.0.0.*'])
  const logs = (flags: Record<string, string>) => VERBS.logs!.validate!({ ...parseVerbArgs(['db']), flags })
  assert.throws(() => logs({ since: '-1h' }), /--since takes a duration/)
  assert.throws(() => logs({ since: '$(touch x)' }), /got "\$\(touch x\)"/)
  assert.throws(() => logs({ lines: '1e9' }), /--lines takes a positive whole number/)
  assert.throws(() => logs({ lines: '12345678901' }), /--lines/)
  for (const since of ['10m', '2h30m', '2024-01-31', '2024-01-31T12:00:00Z', '1700000000.5']) logs({ since })
  assert.is(argText('db'), "'db'")
  assert.is(argText("it's\n"), '"it\'s\\n"')
})

test.run()
