// accessory-exec (lib/flows/exec.ts): in the running container, or in a new one after a registry login.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { collected, passThrough, sections } from '../../../lib/cli/exec-output.ts'
import { execOnHosts, planExec, planExecReport, type ExecOutput } from '../../../lib/flows/exec.ts'
import { StepEngine } from '../../../lib/flows/engine.ts'
import { FakeFleet } from '../../support/fake-fleet.ts'
import { asText } from '../../support/run-script.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { outcomeOf } from '../../../lib/report/labels.ts'
import type { Transport } from '../../../lib/remote/transport.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const deployment = deploymentFrom({
  service: 'shop',
  image: 'shop',
  registry: { server: 'registry.example', username: 'deploy', password: 'pw' },
  accessories: { db: { image: 'postgres:16', hosts: ['h1', 'h2'], directories: ['data:/var/lib/postgresql/data'] } },
})
const db = deployment.accessories[0]!

test('exec: docker exec in the running container, or login + docker run --rm (execute_in_new_container)', () => {
  const words = ['sh', '-c', 'echo "$1"', 'sh', "it's a $HOME"]
  assert.equal(
    planExec(db, words, false).map((s) => shellJoin(s.command.argv)),
    [`docker exec shop-db sh -c 'echo "$1"' sh 'it'\\''s a $HOME'`],
  )
  const fresh = planExec(db, ['psql'], true)
  assert.equal(
    fresh.map((s) => s.command.argv.slice(0, 2)),
    [
      ['sh', '-c'],
      ['docker', 'run'],
    ],
  )
  assert.match(String(fresh[0]!.command.argv[2]), /exec docker login/)
  assert.is(fresh[0]!.command.input?.split('\n')[1], 'pw')
  assert.is(
    shellJoin(fresh[1]!.command.argv),
    'docker run --rm --network kamal --env-file .kamal/apps/shop/env/accessories/db.env --volume "$PWD"/shop-db/data:/var/lib/postgresql/data postgres:16 psql',
  )
  assert.equal(
    fresh.map((s) => s.isCommand === true),
    [false, true],
  )
})

test('exec --dry-run plans every accessory × host without secrets', () => {
  const report = planExecReport([{ accessory: db, hosts: ['h1', 'h2'] }], ['psql', '-c', 'select 1'], true)
  assert.equal(
    report.entries.map((e) => [e.host, outcomeOf(e)]),
    [
      ['h1', 'planned'],
      ['h2', 'planned'],
    ],
  )
  assert.is(report.entries[0]!.detail, "run `psql -c 'select 1'` in a new container of")
  // user name + newline + password: 'deploy\npw'
  assert.ok(report.entries[0]!.plannedCommands![0]!.includes('# stdin: 9 bytes, not shown'))
  assert.not.ok(JSON.stringify(report).includes('pw'))
  assert.not.ok(JSON.stringify(report).includes('deploy'))
})

/** Drives an output as the exec flow does: begin, chunks, end; returns what went to stdout and stderr. */
async function drive(
  output: ExecOutput,
  runs: Array<{ host: string; out: string[]; exitCode?: number; error?: string }>,
) {
  for (const run of runs) {
    const sink = output.begin('db', run.host)
    for (const chunk of run.out) await sink.stdout(Buffer.from(chunk, 'latin1'))
    const { exitCode, error } = run
    await output.end({
      accessory: 'db',
      host: run.host,
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(error ? { error } : {}),
    })
  }
}

function writer() {
  const written = { stdout: '', stderr: '' }
  return {
    written,
    io: {
      stdout: (t: string | Uint8Array) =>
        void (written.stdout += typeof t === 'string' ? t : Buffer.from(t).toString('latin1')),
      stderr: (t: string | Uint8Array) => void (written.stderr += asText(t)),
    },
  }
}

test('exec output: one target adds nothing; several get a header each and end their section on a newline', async () => {
  const one = writer()
  await drive(passThrough(one.io), [{ host: 'h1', out: ['ab', 'c\xff'], exitCode: 3, error: '`x` exited 3 on h1.' }])
  assert.equal(one.written, { stdout: 'abc\xff', stderr: '' }, 'the command ran: its exit code says it, nothing added')
  const unreached = writer()
  await drive(passThrough(unreached.io), [{ host: 'h1', out: [], error: 'could not connect to h1 over ssh' }])
  assert.equal(unreached.written, { stdout: '', stderr: 'Accessory `db` on h1: could not connect to h1 over ssh\n' })

  const several = writer()
  await drive(sections(several.io, false), [
    { host: 'h1', out: ['a\n', 'b'], exitCode: 0 },
    { host: 'h2', out: ['c\n'], exitCode: 1, error: '`x` exited 1 on h2.' },
    { host: 'h3', out: [], exitCode: 0 },
  ])
  assert.is(several.written.stdout, '== db on h1 ==\na\nb\n== db on h2 ==\nc\n== db on h3 ==\n')
  assert.is(several.written.stderr, 'Accessory `db` on h2: `x` exited 1 on h2.\n')
  const quiet = writer()
  await drive(sections(quiet.io, true), [{ host: 'h1', out: ['a'], exitCode: 0 }])
  assert.is(quiet.written.stdout, 'a\n')

  const json = collected()
  await drive(json, [{ host: 'h1', out: ['x', 'y'], exitCode: 0 }])
  assert.equal(json.results, [{ accessory: 'db', host: 'h1', exitCode: 0, stdout: 'xy', stderr: '' }])
})

test('exec runs each accessory × host in turn and passes the exit code on; an unreachable host never ran', async () => {
  const fleet = new FakeFleet()
  fleet.host('h2').unreachable = true
  const json = collected()
  const results = await execOnHosts(
    [{ accessory: db, hosts: ['h1', 'h2'] }],
    new StepEngine(fleet),
    ['true'],
    false,
    json,
  )
  assert.equal(
    results.map((r) => [r.host, r.exitCode, r.error !== undefined]),
    [
      ['h1', 127, true], // the fake knows no `docker exec`: its 127 is passed on as the command's
      ['h2', undefined, true],
    ],
  )
  assert.match(results[1]!.error!, /could not connect to h2 over ssh/)
})

test('exec whose connection is lost after its output began: said so, never "could not connect"', async () => {
  const transport: Transport = {
    run: async () => ({ exitCode: 0, stdout: '', stderr: '' }),
    stream: async (_host, _command, sink) => {
      await sink.stdout(Buffer.from('before\n'))
      return { exitCode: 255, stdout: 'before\n', stderr: '', connectionFailed: true }
    },
  }
  const json = collected()
  const [result] = await execOnHosts(
    [{ accessory: db, hosts: ['h1'] }],
    new StepEngine(transport),
    ['sleep', '9'],
    false,
    json,
  )
  assert.is(result!.exitCode, undefined)
  assert.is(
    result!.error,
    'the connection to h1 was lost while `sleep 9` ran (ssh exited 255); its output so far was passed on, ' +
      'and whether it ran to its end there is unknown: check on that host before running it again.',
  )
  assert.is(json.results[0]!.stdout, 'before\n')
})

test.run()
