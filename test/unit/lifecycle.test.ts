import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ObservedContainer } from '../../lib/docker/inspect.ts'
import {
  actionCommand,
  actionDetail,
  chain,
  namedVolumes,
  planRemove,
  removeQuestion,
} from '../../lib/flows/lifecycle.ts'
import { planExec, planExecReport } from '../../lib/flows/exec.ts'
import { grepLines, LineSplitter, logsCommand } from '../../lib/flows/logs.ts'
import { followTarget, logsOptions } from '../../lib/cli/logs-flags.ts'
import { UsageError } from '../../lib/cli/args.ts'
import { startContainer, stopContainer } from '../../lib/docker/commands.ts'
import { shellJoin } from '../../lib/remote/quote.ts'
import { deploymentFrom } from '../support/deployment.ts'

const deployment = deploymentFrom({
  service: 'shop',
  image: 'shop',
  registry: { server: 'registry.example', username: 'deploy', password: 'pw' },
  accessories: {
    db: { image: 'postgres:16', hosts: ['h1', 'h2'], directories: ['data:/var/lib/postgresql/data'] },
    search: {
      image: 'search:1',
      hosts: ['h1'],
      volumes: [
        'shop-search:/data',
        '/srv/search:/backup',
        './rel:/rel',
        'anon',
        'shop-search:/again:ro',
        'cache_2.x:/c',
      ],
    },
  },
})
const [db, search] = deployment.accessories as [(typeof deployment.accessories)[0], (typeof deployment.accessories)[0]]
const container = (over: Partial<ObservedContainer>): ObservedContainer => ({
  id: '0123456789abcdef0123',
  name: 'shop-db',
  image: 'postgres:16',
  imageId: 'sha256:1',
  state: 'running',
  service: 'shop-db',
  labels: {},
  ...over,
})

test('named volumes: sources that are volume names, not host paths or anonymous volumes; each once', () => {
  assert.equal(namedVolumes(search.volumes), ['shop-search', 'cache_2.x'])
  assert.equal(namedVolumes(['/abs:/a', './rel:/b', '../up:/c', '~/home:/d', '/only', 'only', '$VAR:/e']), [])
  assert.equal(namedVolumes([]), [])
})

test('start, stop and restart act on the container the label found, by its name', () => {
  const c = container({ name: 'renamed-by-hand' })
  assert.is(shellJoin(actionCommand('start', c).argv), 'docker container start renamed-by-hand')
  assert.is(shellJoin(actionCommand('stop', c).argv), 'docker container stop renamed-by-hand')
  assert.is(
    shellJoin(actionCommand('restart', c).argv),
    'docker container stop renamed-by-hand && docker container start renamed-by-hand',
  )
  assert.equal(chain(startContainer('a')), startContainer('a'))
  assert.is(
    shellJoin(chain(stopContainer('a'), startContainer('b'), startContainer('c')).argv),
    'docker container stop a && docker container start b && docker container start c',
  )
})

test('a start of a running container or a stop of a stopped one is said to be a no-op', () => {
  assert.is(actionDetail('start', container({})), 'it was already running')
  assert.is(actionDetail('start', container({ state: 'stopped' })), undefined)
  assert.is(actionDetail('stop', container({ state: 'stopped' })), 'it was already stopped')
  assert.is(actionDetail('stop', container({ state: 'created' })), 'it was already created')
  assert.is(actionDetail('stop', container({})), undefined)
  assert.is(actionDetail('restart', container({ state: 'stopped' })), undefined)
})

const none = { image: false, directory: false, volumes: false }
const commands = (plan: ReturnType<typeof planRemove>) => plan.steps.map((s) => shellJoin(s.command.argv))

test('remove without flags: stops running labelled containers, removes every labelled one by id; no data', () => {
  const containers = [
    container({}),
    container({ id: 'ffff0000ffff0000', name: 'shop-db-old', state: 'stopped' }),
    container({ id: 'eeee', name: 'shop-cache', service: 'shop-cache' }),
  ]
  const plan = planRemove(db, containers, none)
  assert.equal(commands(plan), [
    'docker container stop 0123456789ab',
    'docker container rm --force 0123456789ab',
    'docker container rm --force ffff0000ffff',
  ])
  assert.is(plan.steps[0]!.tolerate?.({ exitCode: 1, stdout: '', stderr: 'x' }), true)
  assert.equal(
    plan.steps.map((s) => s.removes),
    [undefined, 'container shop-db (0123456789ab)', 'container shop-db-old (ffff0000ffff)'],
  )
})

test('remove with --image --directory --volumes: then the image, the service directory, the named volumes', () => {
  const plan = planRemove(search, [container({ name: 'shop-search', service: 'shop-search', state: 'stopped' })], {
    image: true,
    directory: true,
    volumes: true,
  })
  assert.equal(commands(plan), [
    'docker container rm --force 0123456789ab',
    'docker image rm --force search:1',
    'rm -rf shop-search',
    'docker volume rm shop-search',
    'docker volume rm cache_2.x',
  ])
  const volumeStep = plan.steps[3]!
  assert.is(
    volumeStep.tolerate?.({
      exitCode: 1,
      stdout: '',
      stderr: 'Error response from daemon: get shop-search: no such volume',
    }),
    true,
  )
  assert.is(volumeStep.tolerate?.({ exitCode: 1, stdout: '', stderr: 'volume is in use' }), false)
})

test('remove with nothing there and no flags plans nothing; flags still clean up', () => {
  assert.equal(planRemove(db, [], none).steps, [])
  assert.equal(commands(planRemove(db, [], { ...none, directory: true })), ['rm -rf shop-db'])
  assert.equal(commands(planRemove(db, [], { ...none, volumes: true })), [])
})

test('the remove question names accessories, hosts, and what data goes', () => {
  assert.is(
    removeQuestion([{ accessory: db, hosts: ['h1', 'h2'] }], none),
    'This will remove the containers of accessory `db` on h1, h2. Are you sure?',
  )
  assert.is(
    removeQuestion(
      [
        { accessory: db, hosts: ['h2'] },
        { accessory: search, hosts: ['h1'] },
      ],
      { image: true, directory: true, volumes: true },
    ),
    'This will remove the containers of accessory `db` on h2; `search` on h1, and their images, service directories (with their files and data directories), named volumes (shop-search, cache_2.x). Are you sure?',
  )
})

test('logs options: Kamal defaults (100 lines unless --since or --grep; 10 when following)', () => {
  assert.equal(logsOptions({}), { since: undefined, lines: 100, grep: undefined, follow: false })
  assert.is(logsOptions({ since: '5m' }).lines, undefined)
  assert.is(logsOptions({ grep: 'ERROR' }).lines, undefined)
  assert.is(logsOptions({ grep: 'ERROR', lines: '7' }).lines, 7)
  assert.is(logsOptions({ follow: true }).lines, 10)
  assert.is(logsOptions({ follow: true, lines: '3' }).lines, 3)
  for (const lines of ['0', '-1', 'ten', '1.5', ''])
    assert.throws(
      () => logsOptions({ lines }),
      (e: Error) => e instanceof UsageError,
    )
  assert.throws(() => logsOptions({ grep: '' }), /--grep/)
  assert.throws(() => logsOptions({ since: ' ' }), /--since/)
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
    report.entries.map((e) => [e.host, e.outcome]),
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

test.run()
