// accessory-logs: its flags and --follow's one target (lib/cli/logs-flags.ts), the command and the local grep (lib/flows/logs.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseVerbArgs, UsageError } from '../../../lib/cli/args.ts'
import { followTarget, LOGS_OPTIONS, logsOptions } from '../../../lib/cli/logs-flags.ts'
import { grepLines, LineSplitter, logsCommand } from '../../../lib/flows/logs.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const deployment = deploymentFrom({
  service: 'shop',
  image: 'shop',
  accessories: { db: { image: 'postgres:16', hosts: ['h1', 'h2'] }, search: { image: 'search:1', hosts: ['h1'] } },
})
const [db, search] = deployment.accessories as [(typeof deployment.accessories)[0], (typeof deployment.accessories)[0]]

test('logs options: Kamal defaults (100 lines unless --since or --grep; 10 when following)', () => {
  assert.equal(logsOptions({}), { since: undefined, lines: 100, grep: undefined, follow: false })
  assert.is(logsOptions({ since: '5m' }).lines, undefined)
  assert.is(logsOptions({ grep: 'ERROR' }).lines, undefined)
  assert.is(logsOptions({ grep: 'ERROR', lines: 7 }).lines, 7)
  assert.is(logsOptions({ follow: true }).lines, 10)
  assert.is(logsOptions({ follow: true, lines: 3 }).lines, 3)
  for (const lines of ['0', '-1', 'ten', '1.5', ''])
    assert.throws(
      () => parseVerbArgs(['db', '--lines', lines], LOGS_OPTIONS),
      (e: Error) => e instanceof UsageError,
    )
  assert.throws(() => parseVerbArgs(['db', '--grep', ''], LOGS_OPTIONS), /--grep/)
  assert.throws(() => parseVerbArgs(['db', '--since', ' '], LOGS_OPTIONS), /--since/)
})

test("logs command: Kamal's docker logs, with the grep left out (it is matched here)", () => {
  assert.is(shellJoin(logsCommand('shop-db', logsOptions({})).argv), 'docker logs shop-db --tail 100 --timestamps 2>&1')
  assert.is(
    shellJoin(logsCommand('shop-db', logsOptions({ since: '5m', grep: 'x' })).argv),
    'docker logs shop-db --since 5m --timestamps 2>&1',
  )
  assert.is(
    shellJoin(logsCommand('shop-db', logsOptions({ follow: true })).argv),
    'docker logs shop-db --timestamps --tail 10 --follow 2>&1',
  )
})

test('grep is a plain substring match per line; no match is an empty list', () => {
  assert.equal(grepLines(['a ERROR b', 'ok', 'error', '[x]'], 'ERROR'), ['a ERROR b'])
  assert.equal(grepLines(['[x]', 'x'], '[x]'), ['[x]'])
  assert.equal(grepLines(['a'], 'zzz'), [])
  assert.equal(grepLines(['a', 'b'], undefined), ['a', 'b'])
})

test('the line splitter joins chunks into whole lines and flushes the last piece', () => {
  const lines: string[] = []
  const splitter = new LineSplitter((l) => lines.push(l))
  splitter.push('one\ntw')
  splitter.push('o\r\nthr')
  assert.equal(lines, ['one', 'two'])
  splitter.flush()
  assert.equal(lines, ['one', 'two', 'thr'])
})

test('--follow needs exactly one host (never silently the first) and one accessory', () => {
  assert.throws(
    () => followTarget([{ accessory: db, hosts: ['h1', 'h2'] }]),
    (e: Error) => e instanceof UsageError && e.message === '--follow needs one host; pass --hosts with one of: h1, h2',
  )
  assert.throws(
    () =>
      followTarget([
        { accessory: db, hosts: ['h1'] },
        { accessory: search, hosts: ['h1'] },
      ]),
    /--follow needs one accessory; name one of: db, search/,
  )
  const target = followTarget([{ accessory: db, hosts: ['h2'] }])
  assert.is(target.host, 'h2')
  assert.is(target.accessory.name, 'db')
})

test.run()
