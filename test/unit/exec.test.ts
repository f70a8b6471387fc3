// accessory-exec (lib/flows/exec.ts): in the running container, or in a new one after a registry login.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { planExec, planExecReport } from '../../lib/flows/exec.ts'
import { shellJoin } from '../../lib/remote/quote.ts'
import { deploymentFrom } from '../support/deployment.ts'

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
