import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { nextFreePort, planForwards, wantedForwards } from '../../../lib/flows/tunnel-plan.ts'

const freeExcept =
  (...taken: number[]) =>
  async (port: number) =>
    !taken.includes(port)

test('each port on its own number when free', async () => {
  assert.equal(await planForwards(wantedForwards(undefined, [80, 5432]), '172.18.0.2', freeExcept()), [
    { local: 80, address: '172.18.0.2', port: 80 },
    { local: 5432, address: '172.18.0.2', port: 5432 },
  ])
})

test('a taken port moves to the next free one, never one another forward took', async () => {
  const plan = await planForwards(wantedForwards(undefined, [5432, 5433]), 'fd00::2', freeExcept(5432, 5434))
  assert.equal(
    plan.map((f) => f.local),
    [5433, 5435],
  )
})

test('--ports is honoured, and its local ports are kept out of the others', async () => {
  const wanted = wantedForwards([{ local: 5433, remote: 5432 }], [5432, 8080])
  assert.equal(wanted, [{ remote: 5432, local: 5433 }])
  const mixed = await planForwards([{ remote: 5433 }, { remote: 5432, local: 5433 }], 'a', freeExcept())
  assert.equal(
    mixed.map((f) => f.local),
    [5434, 5433],
  )
})

test('the walk ends at 65535', async () => {
  assert.is(await nextFreePort(65534, freeExcept(65534, 65535), new Set()), undefined)
  assert.is(await nextFreePort(0, freeExcept(), new Set([1])), 2)
  assert.is(await nextFreePort(65535, freeExcept(), new Set()), 65535)
  try {
    await planForwards([{ remote: 65535 }], 'a', freeExcept(65535))
    assert.unreachable()
  } catch (error) {
    assert.match((error as Error).message, /no local port from 65535 up to 65535 is free/)
  }
})

test.run()
