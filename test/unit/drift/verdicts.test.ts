import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { judge, judgeAll, accessoryContainer } from '../../../lib/drift/verdicts.ts'
import type { ObservedContainer } from '../../../lib/docker/inspect.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const deployment = deploymentFrom({
  service: 'app',
  image: 'app',
  accessories: {
    db: { image: 'postgres:17', hosts: ['h1', 'h2'] },
    cache: { image: 'redis:7', host: 'h1' },
  },
})
const db = deployment.accessories[0]!
const container = (over: Partial<ObservedContainer>): ObservedContainer => ({
  id: 'c1',
  name: 'app-db',
  image: 'postgres:17',
  imageId: 'sha256:1',
  state: 'running',
  service: 'app-db',
  labels: {},
  ...over,
})

test('no labelled container: missing', () => {
  assert.is(judge(db, 'h1', { ok: true, containers: [] }).kind, 'missing')
  assert.is(
    judge(db, 'h1', { ok: true, containers: [container({ service: 'app-cache', name: 'app-cache' })] }).kind,
    'missing',
  )
})

test('same image: in sync, whether running or stopped', () => {
  assert.is(judge(db, 'h1', { ok: true, containers: [container({})] }).kind, 'in_sync')
  assert.is(judge(db, 'h1', { ok: true, containers: [container({ state: 'stopped' })] }).kind, 'in_sync')
  assert.is(
    judge(db, 'h1', { ok: true, containers: [container({ image: 'docker.io/library/postgres:17' })] }).kind,
    'in_sync',
  )
})

test('another image: drift, with the running container attached', () => {
  const verdict = judge(db, 'h1', { ok: true, containers: [container({ image: 'postgres:16' })] })
  assert.is(verdict.kind, 'drift')
  assert.is(verdict.kind === 'drift' && verdict.container.image, 'postgres:16')
})

test('a host that could not be observed yields unreachable, never in sync', () => {
  const verdict = judge(db, 'h1', { ok: false, error: 'connection refused' })
  assert.equal(verdict.kind === 'unreachable' && verdict.error, 'connection refused')
})

test('found by label: a container renamed by hand still counts; the properly named one wins', () => {
  const renamed = container({ id: 'c2', name: 'db-by-hand', image: 'postgres:16' })
  assert.is(accessoryContainer(db, [renamed])?.id, 'c2')
  assert.is(accessoryContainer(db, [renamed, container({ id: 'c3' })])?.id, 'c3')
  assert.is(
    accessoryContainer(db, [container({ id: 'c4', name: 'x', state: 'stopped' }), container({ id: 'c5', name: 'y' })])
      ?.id,
    'c5',
  )
})

test('judgeAll keeps config order, accessory by accessory, host by host', () => {
  const verdicts = judgeAll(
    deployment.accessories.map((accessory) => ({ accessory, hosts: accessory.hosts })),
    new Map([
      ['h1', { ok: true, containers: [container({})] }],
      ['h2', { ok: false, error: 'down' }],
    ] as const),
  )
  assert.equal(
    verdicts.map((v) => `${v.accessory.name}@${v.host}:${v.kind}`),
    ['db@h1:in_sync', 'db@h2:unreachable', 'cache@h1:missing'],
  )
})

test.run()
