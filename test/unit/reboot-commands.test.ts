// The reboot's swap and rollback as the text a host receives (lib/docker/reboot-commands.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { rollbackCommand, swapCommand } from '../../lib/docker/reboot-commands.ts'
import { shellJoin } from '../../lib/remote/quote.ts'

test('swap with an old container: rename old aside && rename new to the name && stop old && start new', () => {
  const swap = swapCommand('shop-db', '1a1a1a1a1a1a', { id: '0f0f0f0f0f0f', asideName: 'shop-db-berth-old-lx1abc' })
  assert.is(
    shellJoin(swap.argv),
    'docker rename 0f0f0f0f0f0f shop-db-berth-old-lx1abc && docker rename 1a1a1a1a1a1a shop-db && docker stop 0f0f0f0f0f0f && docker start 1a1a1a1a1a1a',
  )
  // It changes the host: never read-only (no time limit), nothing on stdin.
  assert.equal(Object.keys(swap), ['argv'])
})

test('swap without an old container: rename new to the name && start it', () => {
  assert.is(
    shellJoin(swapCommand('shop-db', '1a1a1a1a1a1a', undefined).argv),
    'docker rename 1a1a1a1a1a1a shop-db && docker start 1a1a1a1a1a1a',
  )
})

test('rollback of a running old container: rm new ; rename old back quietly ; start old', () => {
  assert.is(
    shellJoin(rollbackCommand('shop-db', '1a1a1a1a1a1a', { id: '0f0f0f0f0f0f', wasRunning: true }).argv),
    'docker rm --force 1a1a1a1a1a1a ; docker rename 0f0f0f0f0f0f shop-db 2>/dev/null ; docker start 0f0f0f0f0f0f',
  )
})

test('rollback of a stopped old container: it gets its name back and stays stopped', () => {
  assert.is(
    shellJoin(rollbackCommand('shop-db', '1a1a1a1a1a1a', { id: '0f0f0f0f0f0f', wasRunning: false }).argv),
    'docker rm --force 1a1a1a1a1a1a ; docker rename 0f0f0f0f0f0f shop-db 2>/dev/null ; true',
  )
})

test('rollback without an old container: the new one is removed, and nothing else', () => {
  assert.is(
    shellJoin(rollbackCommand('shop-db', '1a1a1a1a1a1a', undefined).argv),
    'docker rm --force 1a1a1a1a1a1a ; true',
  )
})

test.run()
