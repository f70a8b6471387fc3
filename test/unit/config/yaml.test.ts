// YAML as Kamal's parser (Ruby's Psych, YAML 1.1) reads it: the facts table in
// facts-docker-kamal-yaml-ssh.md, Psych's ScalarScanner rules, and what Kamal then hands on as text.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseDocument } from 'yaml'
import { loadConfig, ConfigError } from '../../../lib/config/load.ts'
import { resolveDeployment } from '../../../lib/config/deployment.ts'
import { psychScalar, psychTags, rubyFloatToS } from '../../../lib/config/psych.ts'
import { runAccessory } from '../../../lib/docker/accessory-commands.ts'
import { tempDir } from '../../support/files.ts'

const read = (text: string) =>
  parseDocument(`v: ${text}\n`, { version: '1.1', customTags: psychTags }).toJS().v as unknown

test('the facts table: Psych, not the yaml package in either mode', () => {
  const table: Array<[string, unknown]> = [
    ['yes', true],
    ['no', false],
    ['on', true],
    ['off', false],
    ['Yes', true],
    ['TRUE', true],
    ['oN', true],
    ['y', 'y'],
    ['n', 'n'],
    ['Y', 'Y'],
    ['N', 'N'],
    ['0755', 493],
    ['1_000', 1000],
    ['0o17', '0o17'],
    ['12:30', 45000],
    ['~', null],
    ['null', null],
    ['Null', null],
  ]
  for (const [text, want] of table) assert.equal(read(text), want, text)
})

test('numbers: Psych integers (commas, binary, hex, octal), floats spelled as Ruby, everything else text', () => {
  const table: Array<[string, unknown]> = [
    ['42', 42],
    ['-7', -7],
    ['+3', 3],
    ['1,000', 1000],
    ['0b101', 5],
    ['0x1F', 31],
    ['-0755', -493],
    ['0', 0],
    ['08', '08'],
    ['09:30', 34200],
    ['1:02:03', 3723],
    ['12345678901234567890', '12345678901234567890'],
    ['1.0', '1.0'],
    ['3.10', '3.1'],
    ['1.', '1.0'],
    ['1.5e+20', '1.5e+20'],
    ['1,000.5', '1000.5'],
    ['.inf', 'Infinity'],
    ['-.inf', '-Infinity'],
    ['.nan', 'NaN'],
    ['1e3', '1e3'],
    ['1.2e3', '1.2e3'],
    ['.', '.'],
    ['1.2.3', '1.2.3'],
    ['0x', '0x'],
    ['"yes"', 'yes'],
    ["'0755'", '0755'],
    ['!!str yes', 'yes'],
    ['!!int "12"', 12],
    [':fast', 'fast'],
    [':"a b"', 'a b'],
    ['postgres:16', 'postgres:16'],
    ['10.0.0.5', '10.0.0.5'],
    ['5432:5432', '5432:5432'],
    ['22:22', 80520],
    ['"22:22"', '22:22'],
  ]
  for (const [text, want] of table) assert.equal(read(text), want, text)
})

test('Ruby Float#to_s: fixed from 1e-4 up to 1e16, exponent form outside', () => {
  const table: Array<[number, string]> = [
    [1, '1.0'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [1e15, '1000000000000000.0'],
    [1e16, '1.0e+16'],
    [0.0001, '0.0001'],
    [0.00001, '1.0e-05'],
    [-2.5e-7, '-2.5e-07'],
    [1e100, '1.0e+100'],
    [123.456, '123.456'],
    [-0, '-0.0'],
  ]
  for (const [x, want] of table) assert.is(rubyFloatToS(x), want, String(x))
})

test('dates and times are Psych timestamps; an impossible date stays text', () => {
  assert.is(psychScalar('2024-01-31').kind, 'timestamp')
  assert.is(psychScalar('2001-12-14 21:59:43.10 -5').kind, 'timestamp')
  assert.is(psychScalar('2001-12-14T21:59:43Z').kind, 'timestamp')
  assert.equal(psychScalar('2024-02-30'), { kind: 'string', value: '2024-02-30' })
})

const CONFIG = `service: app
image: app
builder:
  args:
    BUILT_ON: 2024-01-31
accessories:
  db:
    image: postgres:16
    host: db1
    env:
      clear:
        ENABLED: yes
        DEBUG: off
        ANSWER: n
        PERMS: 0755
        RUBY: 3.0
        SINCE: 2024-01-31
`

test('a date where Kamal takes none is named; in app-only sections it is kept as text', async () => {
  const cwd = tempDir({ 'config/deploy.yml': CONFIG })
  try {
    await loadConfig({ cwd, env: {} })
    assert.unreachable('a date in env must be refused')
  } catch (e) {
    assert.instance(e, ConfigError)
    assert.equal((e as ConfigError).problems, [
      `config/deploy.yml:17:16: /accessories/db/env/clear/SINCE: "2024-01-31" is a date to Kamal's YAML parser (Psych), and Kamal takes no date here; quote it to mean the text.`,
    ])
  }
})

test('env values reach docker run as Kamal stringifies them: ENABLED: yes gives ENABLED=true', async () => {
  const cwd = tempDir({ 'config/deploy.yml': CONFIG.replace('        SINCE: 2024-01-31\n', '') })
  const loaded = await loadConfig({ cwd, env: {} })
  assert.equal((loaded.config.builder as { args: unknown }).args, { BUILT_ON: '2024-01-31' })
  const deployment = resolveDeployment(loaded, { cwd, env: {} })
  const argv = runAccessory(deployment.accessories[0]!, 'db1', deployment.loggingArgs).argv
  const envs = argv.flatMap((word, i) => (word === '--env' ? [argv[i + 1]] : []))
  assert.equal(envs, ['KAMAL_HOST=db1', 'ENABLED=true', 'DEBUG=false', 'ANSWER=n', 'PERMS=493', 'RUBY=3.0'])
})

test('yaml positions stay right under the 1.1 reading', async () => {
  const cwd = tempDir({
    'config/deploy.yml': 'service: app\nimage: app\naccessories:\n  db:\n    image: a\n    host: h\n    port: yes\n',
  })
  try {
    await loadConfig({ cwd, env: {} })
    assert.unreachable()
  } catch (e) {
    assert.equal((e as ConfigError).problems, [
      'config/deploy.yml:7:11: /accessories/db/port: must be string or integer',
    ])
  }
})

test.run()
