// lib/docker/run-command-size.ts measures each accessory's `docker run` on its hosts and says which would not fit
// on one command line; it throws nothing (the config error is lib/flows/command-size-check.ts's).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runAccessory } from '../../../lib/docker/accessory-commands.ts'
import { oversizedRunCommands } from '../../../lib/docker/run-command-size.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { MAX_REMOTE_COMMAND_BYTES } from '../../../lib/remote/ssh.ts'
import { deploymentFrom } from '../../support/deployment.ts'

test('only the accessories too long for one command line, each with its size on its largest host', () => {
  const deployment = deploymentFrom({
    service: 'shop',
    image: 'shop',
    accessories: {
      small: { image: 'redis:7', host: 'h1' },
      big: {
        image: 'postgres:16',
        hosts: ['h1', 'a-much-longer-host-name'],
        env: { clear: { BIG: 'x'.repeat(MAX_REMOTE_COMMAND_BYTES) } },
      },
    },
  })
  const big = deployment.accessories.find((a) => a.name === 'big')!
  const longest = Math.max(
    ...big.hosts.map((host) => Buffer.byteLength(shellJoin(runAccessory(big, host, deployment.loggingArgs).argv))),
  )
  assert.equal(oversizedRunCommands(deployment), [{ accessory: big, bytes: longest }])
  assert.ok(longest > MAX_REMOTE_COMMAND_BYTES)
})

test('nothing when every command fits, and no error thrown for any size', () => {
  const deployment = deploymentFrom({
    service: 'shop',
    image: 'shop',
    accessories: { db: { image: 'postgres:16', host: 'h1' } },
  })
  assert.equal(oversizedRunCommands(deployment), [])
})

test.run()
