import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { InspectParseError } from '../../../lib/docker/inspect.ts'
import { containersOf } from '../../support/round-trip.ts'

export const inspectEntry = (
  over: { id?: string; name?: string; image?: string; status?: string; service?: string } = {},
) => ({
  Id: over.id ?? 'a1b2c3d4e5f6a7b8c9d0',
  Name: `/${over.name ?? 'app-db'}`,
  Image: 'sha256:feedface',
  State: {
    Status: over.status ?? 'running',
    Running: (over.status ?? 'running') === 'running',
    StartedAt: '2026-11-28T10:00:00Z',
  },
  Config: {
    Image: over.image ?? 'postgres:16',
    Labels: over.service === undefined ? { service: 'app-db' } : { service: over.service },
  },
})

test('empty output means no containers', () => {
  assert.equal(containersOf(''), [])
  assert.equal(containersOf('  \n'), [])
})

test('reads id, name, configured image, image id, state and labels', () => {
  const [container] = containersOf(JSON.stringify([inspectEntry()]))
  assert.equal(container, {
    id: 'a1b2c3d4e5f6a7b8c9d0',
    name: 'app-db',
    image: 'postgres:16',
    imageId: 'sha256:feedface',
    state: 'running',
    service: 'app-db',
    labels: { service: 'app-db' },
    startedAt: '2026-11-28T10:00:00Z',
  })
})

test('exited and unknown statuses are "stopped"; created, paused and restarting are kept', () => {
  const states = containersOf(
    JSON.stringify(
      ['exited', 'created', 'paused', 'restarting', 'dead', 'removing'].map((status) => inspectEntry({ status })),
    ),
  )
  assert.equal(
    states.map((c) => c.state),
    ['stopped', 'created', 'paused', 'restarting', 'dead', 'stopped'],
  )
})

test('missing fields do not throw', () => {
  const [container] = containersOf('[{}]')
  assert.is(container!.image, '')
  assert.is(container!.service, undefined)
})

test('non-JSON output is a clear error', () => {
  assert.throws(
    () => containersOf('Error: No such object'),
    (e: Error) => e instanceof InspectParseError && /not JSON/.test(e.message),
  )
  assert.throws(() => containersOf('[[{}]]'), /no object/)
})

test.run()
