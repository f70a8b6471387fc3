import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  MAX_SECONDS,
  argText,
  booleanOption,
  countFlag,
  hostMatches,
  parseVerbArgs,
  secondsFlag,
  secondsOption,
  UsageError,
} from '../../../lib/cli/args.ts'
import { LOGS_OPTIONS } from '../../../lib/cli/logs-flags.ts'
import { VERBS } from '../../../lib/cli/verbs.ts'
import { selectAccessories } from '../../../lib/cli/accessory-selection.ts'
import { deploymentFrom } from '../../support/deployment.ts'

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
    yes: booleanOption('x', 'y'),
    'lock-wait': secondsOption('SECONDS  x', 0),
  })
  assert.equal(o.flags, { yes: true, 'lock-wait': 5 })
  assert.equal(o.command, ['psql', '-c', 'select 1'])
  assert.throws(() => parseVerbArgs(['db', '-y']), /-y/)
})

test('seconds flags take non-negative numbers only', () => {
  assert.is(secondsFlag('2.5', 'lock-wait', 0), 2.5)
  assert.is(secondsFlag(undefined, 'lock-wait', 7), 7)
  assert.throws(() => secondsFlag('soon', 'lock-wait', 0), /--lock-wait takes plain decimal seconds .*, got 'soon'/)
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

test('seconds flags take only what a timer can honour: 2147483 s at most, named in the refusal', () => {
  // Node's setTimeout holds 2^31-1 ms; 2147484 s would fire after 1 ms and fail every host at once.
  assert.is(MAX_SECONDS, 2147483)
  assert.ok(MAX_SECONDS * 1000 <= 2 ** 31 - 1 && (MAX_SECONDS + 1) * 1000 > 2 ** 31 - 1)
  for (const flag of ['host-timeout', 'lock-wait', 'health-timeout']) {
    assert.is(secondsFlag('2147483', flag, 0), 2147483)
    for (const value of ['2147484', '2147483.5', '99999999999999999999', '1' + '0'.repeat(400)])
      assert.throws(
        () => secondsFlag(value, flag, 0),
        (e: Error) =>
          e instanceof UsageError &&
          e.message.startsWith(`--${flag} takes at most 2147483 seconds`) &&
          e.message.includes(argText(value).slice(0, 20)),
      )
  }
})

test('numeric flags are plain decimal: 0x10, 1e3, Infinity, signs and bare dots are usage errors', () => {
  // Number() reads all of these; a person writing seconds or a count never means them.
  for (const value of [
    '0x10',
    '0o7',
    '0b1',
    '1e3',
    '1E3',
    'Infinity',
    '+5',
    '-0',
    '.5',
    '5.',
    '1_000',
    '',
    ' ',
    '5s',
    '1,5',
  ])
    assert.throws(
      () => secondsFlag(value, 'host-timeout', 60),
      (e: Error) =>
        e instanceof UsageError && /^--host-timeout takes plain decimal seconds from 0 to 2147483/.test(e.message),
      `--host-timeout ${JSON.stringify(value)}`,
    )
  // fractions were accepted before and still are (documented in --help and the README)
  assert.is(secondsFlag('1.5', 'host-timeout', 60), 1.5)
  assert.is(secondsFlag('0', 'host-timeout', 60), 0)
  assert.is(secondsFlag(' 30 ', 'host-timeout', 60), 30)
  assert.is(secondsFlag('007', 'lock-wait', 0), 7)
  for (const value of ['0x10', '1e3', '1.5', '0', '-1', 'Infinity', '1000000000'])
    assert.throws(
      () => countFlag(value, 'concurrency'),
      (e: Error) =>
        e instanceof UsageError && /^--concurrency takes a whole number from 1 to 999999999/.test(e.message),
      `--concurrency ${value}`,
    )
  assert.is(countFlag('30', 'concurrency'), 30)
  assert.is(countFlag(undefined, 'concurrency'), undefined)
  for (const lines of ['0x10', '1e3', '2.5', '0'])
    assert.throws(
      () => parseVerbArgs(['db', '--lines', lines], LOGS_OPTIONS),
      /^--lines takes a whole number from 1 to 999999999/,
    )
  assert.is(parseVerbArgs(['db', '--lines', '25'], LOGS_OPTIONS).flags.lines, 25)
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
  const logs = (flags: Record<string, string>) =>
    parseVerbArgs(
      ['db', ...Object.entries(flags).flatMap(([flag, value]) => [`--${flag}=${value}`])],
      VERBS.logs!.options,
    )
  assert.throws(() => logs({ since: '-1h' }), /--since takes a duration/)
  assert.throws(() => logs({ since: '$(touch x)' }), /got "\$\(touch x\)"/)
  assert.throws(() => logs({ lines: '1e9' }), /--lines takes a whole number/)
  assert.throws(() => logs({ lines: '12345678901' }), /--lines/)
  for (const since of ['10m', '2h30m', '2024-01-31', '2024-01-31T12:00:00Z', '1700000000.5']) logs({ since })
  assert.is(argText('db'), "'db'")
  assert.is(argText("it's\n"), '"it\'s\\n"')
})

test.run()
