// The reboot's swap and rollback as the text a host receives (lib/docker/reboot-commands.ts).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keepNewCommand, nameHolder, putBackCommand, swapCommand } from '../../../lib/docker/reboot-commands.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'

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

test('rollback, first step: stop new ; new back to its temporary name ; the old one gets the name && start it', () => {
  assert.is(
    shellJoin(
      putBackCommand(
        'shop-db',
        { id: '1a1a1a1a1a1a', temporaryName: 'shop-db-berth-new-lx1abc' },
        { id: '0f0f0f0f0f0f', wasRunning: true },
      ).argv,
    ),
    'docker stop 1a1a1a1a1a1a 2>/dev/null ; docker rename 1a1a1a1a1a1a shop-db-berth-new-lx1abc 2>/dev/null ; ' +
      'docker rename 0f0f0f0f0f0f shop-db 2>/dev/null && docker start 0f0f0f0f0f0f',
  )
})

test('rollback of a stopped old container: it gets its name back and stays stopped; nothing is removed', () => {
  const line = shellJoin(
    putBackCommand(
      'shop-db',
      { id: '1a1a1a1a1a1a', temporaryName: 'shop-db-berth-new-lx1abc' },
      { id: '0f0f0f0f0f0f', wasRunning: false },
    ).argv,
  )
  assert.is(
    line,
    'docker stop 1a1a1a1a1a1a 2>/dev/null ; docker rename 1a1a1a1a1a1a shop-db-berth-new-lx1abc 2>/dev/null ; ' +
      'docker rename 0f0f0f0f0f0f shop-db 2>/dev/null',
  )
  assert.not.match(line, / rm /)
})

test('when the old container is gone, the new one takes the name and is started', () => {
  assert.is(
    shellJoin(keepNewCommand('shop-db', '1a1a1a1a1a1a').argv),
    'docker rename 1a1a1a1a1a1a shop-db 2>/dev/null ; docker start 1a1a1a1a1a1a',
  )
})

test('what holds a name: one read-only inspect of containers only', () => {
  const look = nameHolder('shop-db')
  assert.is(
    shellJoin(look.argv),
    "docker inspect shop-db --type container --format '{{.Id}} {{.State.Status}} {{.Config.Image}}'",
  )
  assert.is(look.readOnly, true)
})

test.run()
