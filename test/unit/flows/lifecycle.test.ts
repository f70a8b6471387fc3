// accessory-start/-stop/-restart/-remove (lib/flows/lifecycle.ts): the commands, no-ops said as such, remove's plan and question.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { ObservedContainer } from '../../../lib/docker/inspect.ts'
import { actionCommand, planAction, removeQuestion } from '../../../lib/flows/lifecycle.ts'
import { namedVolumes, planRemove } from '../../../lib/flows/remove-plan.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const deployment = deploymentFrom({
  service: 'shop',
  image: 'shop',
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
})

test('a start of a running container or a stop of one that is not up sends nothing, in the dry run as in the run', () => {
  const plan = (action: 'start' | 'stop' | 'restart', state: ObservedContainer['state']) => {
    const p = planAction(action, container({ state }))
    return p.change ? shellJoin(p.command.argv) : p.detail
  }
  assert.is(plan('start', 'running'), 'it is already running')
  assert.is(plan('start', 'stopped'), 'docker container start shop-db')
  assert.is(plan('start', 'paused'), 'docker container unpause shop-db')
  assert.is(plan('start', 'restarting'), 'docker container start shop-db')
  assert.is(plan('stop', 'stopped'), 'it is already stopped')
  assert.is(plan('stop', 'created'), 'it is already created, never started')
  assert.is(plan('stop', 'dead'), 'it is already dead')
  assert.is(plan('stop', 'running'), 'docker container stop shop-db')
  assert.is(plan('stop', 'paused'), 'docker container stop shop-db')
  assert.is(plan('restart', 'stopped'), 'docker container stop shop-db && docker container start shop-db')
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

test.run()
