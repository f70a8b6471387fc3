// Verdicts that must be true: an engine that cannot be read, containers that vanish mid-read, states
// other than running, berth's own temporary containers, and docker's real error messages.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { temporaryName, temporaryRole } from '../../../lib/docker/names.ts'
import { accessoryContainer, judge } from '../../../lib/drift/verdicts.ts'
import { entryFor } from '../../../lib/flows/entries.ts'
import { planRecovery } from '../../../lib/flows/recovery.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { describeFailure, failureDetail, isConnectionFailure } from '../../../lib/remote/command-failure.ts'
import { exitCodeFor } from '../../../lib/report/exit-codes.ts'
import { outcomeOf } from '../../../lib/report/labels.ts'
import { describeEntries, renderText } from '../../../lib/report/render.ts'
import type { ObservedContainer } from '../../../lib/docker/inspect.ts'
import type { InvocationContext } from '../../../lib/report/model.ts'
import { deploymentFrom } from '../../support/deployment.ts'
import { inspectEntry } from '../docker/inspect.test.ts'
import { readRoundTrip } from '../../support/round-trip.ts'

const deployment = deploymentFrom({
  service: 'app',
  image: 'app',
  accessories: { db: { image: 'postgres:17', hosts: ['h1', 'h2'] } },
})
const db = deployment.accessories[0]!
const context: InvocationContext = { accessoryHosts: new Map([['db', ['h1', 'h2']]]) }
const container = (over: Partial<ObservedContainer>): ObservedContainer => ({
  id: 'c1c1c1c1c1c1c1c1',
  name: 'app-db',
  image: 'postgres:17',
  imageId: 'sha256:1',
  state: 'running',
  service: 'app-db',
  labels: {},
  ...over,
})

test('an engine that does not answer is an error for the host, never "no containers"', () => {
  const down = {
    exitCode: 1,
    stdout: '',
    stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?',
  }
  assert.is(readRoundTrip(down.stdout, down), undefined)
  assert.equal(readRoundTrip('[]\n')?.containers, [])
})

test('a container removed between docker ps and docker inspect: the others are still read', () => {
  const stdout = JSON.stringify([inspectEntry({ name: 'app-db' })])
  const partial = readRoundTrip(stdout, { exitCode: 1, stderr: 'Error: No such object: 0123456789abcdef\n' })
  assert.equal(
    partial?.containers.map((c) => c.name),
    ['app-db'],
  )
  assert.equal(
    readRoundTrip('[]', { exitCode: 1, stderr: 'Error: No such object: a\nError: No such object: b\n' })?.containers,
    [],
  )
  assert.is(
    readRoundTrip(stdout, { exitCode: 1, stderr: 'Error: No such object: a\nsomething else broke\n' }),
    undefined,
  )
})

test('berth temporary names are recognised for their service only, and never taken for the accessory', () => {
  assert.is(temporaryName('app-db', 'new', 'lx1abc'), 'app-db-berth-new-lx1abc')
  assert.is(temporaryRole('app-db', 'app-db-berth-old-lx1abc'), 'old')
  assert.is(temporaryRole('app-db', 'app-db-berth-new-lx1abc'), 'new')
  assert.is(temporaryRole('app-db', 'app-db'), undefined)
  assert.is(temporaryRole('app', 'app-db-berth-old-lx1abc'), undefined, "another service's temporary container")
  assert.is(temporaryRole('app-db', 'app-db-berth-old-'), undefined)
  const old = container({ id: 'o1', name: 'app-db-berth-old-lx1abc', state: 'stopped', image: 'postgres:16' })
  const fresh = container({ id: 'n1', name: 'app-db-berth-new-lx1abc', state: 'created' })
  assert.is(accessoryContainer(db, [old, fresh]), undefined)
  const verdict = judge(db, 'h1', { ok: true, containers: [old, fresh, container({})] })
  assert.is(verdict.kind, 'in_sync')
  assert.equal(verdict.kind !== 'unreachable' && verdict.leftovers.map((l) => [l.role, l.container.name]), [
    ['old', old.name],
    ['new', fresh.name],
  ])
})

test('states other than running need attention (exit 2), each with its own words and fix', () => {
  const cases = [
    ['stopped', 'but is stopped; run `npx zx scripts/accessory-start.mjs db --hosts h1` to start it.'],
    ['created', 'but was never started; run `npx zx scripts/accessory-start.mjs db --hosts h1` to start it.'],
    ['paused', 'but is paused; run `npx zx scripts/accessory-start.mjs db --hosts h1` to unpause it.'],
    [
      'restarting',
      'keeps restarting on h1 (a crash loop, postgres:17); run `npx zx scripts/accessory-logs.mjs db --hosts h1` to see why',
    ],
    [
      'dead',
      'is dead on h1 (docker could not stop or remove it cleanly); run `npx zx scripts/accessory-reboot.mjs db --hosts h1` to replace it.',
    ],
  ] as const
  for (const [state, words] of cases) {
    const entry = entryFor({
      kind: 'in_sync',
      accessory: db,
      host: 'h1',
      container: container({ state }),
      leftovers: [],
      notCompared: [],
      repoDigests: [],
    })
    assert.is(outcomeOf(entry), state)
    assert.is(exitCodeFor([entry]), 2, state)
    const [described] = describeEntries({ verb: 'boot', dryRun: false, entries: [entry] }, context)
    assert.ok(described!.message.includes(words), described!.message)
  }
  const text = renderText(
    {
      verb: 'boot',
      dryRun: false,
      entries: [
        entryFor({
          kind: 'in_sync',
          accessory: db,
          host: 'h1',
          container: container({ state: 'restarting' }),
          leftovers: [],
          notCompared: [],
          repoDigests: [],
        }),
        entryFor({
          kind: 'in_sync',
          accessory: db,
          host: 'h2',
          container: container({ state: 'paused' }),
          leftovers: [],
          notCompared: [],
          repoDigests: [],
        }),
      ],
    },
    context,
    { quiet: false },
  )
  assert.ok(text.endsWith('1 paused, 1 crash-looping (exit 2).\n'), text)
  assert.is(
    exitCodeFor([
      entryFor({
        kind: 'in_sync',
        accessory: db,
        host: 'h1',
        container: container({}),
        leftovers: [],
        notCompared: [],
        repoDigests: [],
      }),
    ]),
    0,
  )
})

test('leftovers are always visible: exit 2 and the reboot that cleans them, even when the accessory runs', () => {
  const old = container({ id: 'o1o1o1o1o1o1o1', name: 'app-db-berth-old-lx1abc', state: 'stopped' })
  const running = entryFor(judge(db, 'h1', { ok: true, containers: [container({}), old] }))
  assert.is(outcomeOf(running), 'running')
  assert.equal(running.leftovers, [{ name: 'app-db-berth-old-lx1abc', state: 'stopped' }])
  assert.is(exitCodeFor([running]), 2)
  const [described] = describeEntries({ verb: 'details', dryRun: false, entries: [running] }, context)
  assert.ok(
    described!.message.includes(
      'An interrupted reboot left app-db-berth-old-lx1abc (stopped) there; run `npx zx scripts/accessory-reboot.mjs db --hosts h1`',
    ),
    described!.message,
  )
  // Only the old container is left: it is restored by a reboot, not booted anew.
  const missing = entryFor(judge(db, 'h1', { ok: true, containers: [old] }))
  assert.is(outcomeOf(missing), 'missing')
  const [restore] = describeEntries({ verb: 'boot', dryRun: false, entries: [missing] }, context)
  assert.is(restore!.fix, 'npx zx scripts/accessory-reboot.mjs db --hosts h1')
  assert.match(
    restore!.message,
    /has no container named app-db on h1; run `npx zx scripts\/accessory-reboot.mjs db --hosts h1` to restore it\./,
  )
})

test('recovery: the newest old container gets the name back when the accessory has none; stale ones go', () => {
  const older = container({
    id: 'o0o0o0o0o0o0o0',
    name: 'app-db-berth-old-lx1aaa',
    state: 'stopped',
    image: 'postgres:15',
  })
  const old = container({
    id: 'o1o1o1o1o1o1o1',
    name: 'app-db-berth-old-lx1abc',
    state: 'stopped',
    image: 'postgres:16',
  })
  const fresh = container({ id: 'n1n1n1n1n1n1n1', name: 'app-db-berth-new-lx1abc', state: 'created' })
  const plan = planRecovery(judge(db, 'h1', { ok: true, containers: [older, old, fresh] }))!
  assert.equal(
    plan.steps.map((s) => shellJoin(s.command.argv)),
    [
      'docker container rename o1o1o1o1o1o1 app-db',
      'docker container start o1o1o1o1o1o1',
      'docker container rm --force o0o0o0o0o0o0',
      'docker container rm --force n1n1n1n1n1n1',
    ],
  )
  assert.match(
    plan.summary,
    /renamed app-db-berth-old-lx1abc \(postgres:16\) back to app-db and started it; removed app-db-berth-old-lx1aaa, app-db-berth-new-lx1abc/,
  )
})

test('recovery: a swap cut after its renames (new one under the name, never started) goes back to the old one', () => {
  const old = container({
    id: 'o1o1o1o1o1o1o1',
    name: 'app-db-berth-old-lx1abc',
    state: 'stopped',
    image: 'postgres:16',
  })
  const unstarted = container({ id: 'n1n1n1n1n1n1n1', name: 'app-db', state: 'created' })
  const plan = planRecovery(judge(db, 'h1', { ok: true, containers: [old, unstarted] }))!
  assert.equal(
    plan.steps.map((s) => shellJoin(s.command.argv)),
    [
      'docker container rm --force n1n1n1n1n1n1',
      'docker container rename o1o1o1o1o1o1 app-db',
      'docker container start o1o1o1o1o1o1',
    ],
  )
})

test('recovery: a running accessory keeps its container and temporary ones go; one that does not run gives way to the old one', () => {
  const old = container({ id: 'o1o1o1o1o1o1o1', name: 'app-db-berth-old-lx1abc', state: 'stopped' })
  const running = planRecovery(judge(db, 'h1', { ok: true, containers: [container({ state: 'running' }), old] }))!
  assert.equal(
    running.steps.map((s) => shellJoin(s.command.argv)),
    ['docker container rm --force o1o1o1o1o1o1'],
  )
  for (const state of ['stopped', 'restarting', 'created'] as const) {
    // The new container of a reboot cut after its swap, never shown to work: the known-good old one comes back.
    const plan = planRecovery(judge(db, 'h1', { ok: true, containers: [container({ state }), old] }))!
    assert.equal(
      plan.steps.map((s) => shellJoin(s.command.argv)),
      [
        'docker container rm --force c1c1c1c1c1c1',
        'docker container rename o1o1o1o1o1o1 app-db',
        'docker container start o1o1o1o1o1o1',
      ],
      state,
    )
    assert.match(plan.summary, new RegExp(`^removed the unverified app-db \\(postgres:17, ${state}\\); renamed`))
  }
  assert.is(planRecovery(judge(db, 'h1', { ok: true, containers: [container({})] })), undefined)
  assert.is(planRecovery(judge(db, 'h1', { ok: false, error: 'down' })), undefined)
})

test("error details keep docker's cause, not its usage pointer; a command's own 255 is not an ssh failure", () => {
  const usage = {
    exitCode: 125,
    stdout: '',
    stderr:
      'docker: invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\'.\nSee \'docker run --help\'.\n',
  }
  assert.is(failureDetail(usage), 'docker: invalid argument "lots" for "-m, --memory" flag: invalid size: \'lots\'.')
  assert.match(describeFailure('h1', 'docker run', usage), /invalid size/)
  assert.is(failureDetail({ exitCode: 1, stdout: '', stderr: 'x'.repeat(2000) }).length, 600)
  assert.ok(
    isConnectionFailure({ exitCode: 255, stdout: '', stderr: 'ssh: connect to host h1 port 22: Connection refused\n' }),
  )
  assert.ok(isConnectionFailure({ exitCode: 255, stdout: '', stderr: 'root@h1: Permission denied (publickey).\n' }))
  assert.ok(isConnectionFailure({ exitCode: 255, stdout: '', stderr: '' }))
  assert.not.ok(isConnectionFailure({ exitCode: 255, stdout: 'partial output', stderr: 'my tool failed\n' }))
  assert.match(
    describeFailure('h1', '`exit 255`', { exitCode: 255, stdout: '', stderr: 'my tool failed' }),
    /^`exit 255` exited 255 \(my tool failed\)/,
  )
})

test.run()
