import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseVerbArgs, UsageError } from '../../../lib/cli/args.ts'
import { VERBS } from '../../../lib/cli/verbs.ts'
import { verbOptions } from '../../../lib/cli/verb-options.ts'

const tunnelArgs = (...argv: string[]) => parseVerbArgs(['db', ...argv], verbOptions(VERBS.tunnel!))

test('--ports is typed once: LOCAL:REMOTE pairs, in order', () => {
  assert.equal(tunnelArgs('--ports', '15432:5432, 8080:80').flags.ports, [
    { local: 15432, remote: 5432 },
    { local: 8080, remote: 80 },
  ])
  assert.equal(tunnelArgs('--ports=1:65535').flags.ports, [{ local: 1, remote: 65535 }])
  assert.is(tunnelArgs().flags.ports, undefined)
})

test('--ports refuses what is not a pair of TCP ports, naming what was given', () => {
  for (const bad of [
    '0:8080',
    '8080:0',
    '65536:80',
    '80:65536',
    '1:2:3',
    '8080',
    ':80',
    '80:',
    '-1:80',
    '0x50:80',
    '1e3:80',
    '+80:80',
    '80 :81',
    '８０:80',
    '$(id):80',
    '80:80\nx',
    '--json',
    ' , ',
  ]) {
    assert.throws(
      () => tunnelArgs(`--ports=${bad}`),
      (e: Error) => e instanceof UsageError && /--ports/.test(e.message),
      bad,
    )
  }
  assert.throws(() => tunnelArgs('--ports', '1:2:3'), /LOCAL:REMOTE pairs of TCP ports \(1 to 65535\).*got '1:2:3'/)
  assert.throws(() => tunnelArgs('--ports', '$(id):80'), /got "\$\(id\):80"/)
})

test('--ports refuses one local port for two forwards', () => {
  assert.throws(() => tunnelArgs('--ports', '9000:80,9000:81'), /local port 9000 twice/)
})

test('tunnel refuses all, --dry-run and a command after --', () => {
  const verb = VERBS.tunnel!
  const parse = (...argv: string[]) => parseVerbArgs(argv, verbOptions(verb))
  assert.throws(() => verb.validate!(parse('all'), false), /name it instead of `all`/)
  assert.throws(() => verb.validate!(parse('db', '--dry-run'), false), /no --dry-run/)
  assert.throws(() => verb.validate!(parse('db', '--', 'psql'), false), /runs no command/)
})

test.run()
