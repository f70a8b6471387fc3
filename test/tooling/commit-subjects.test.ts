// Every commit's subject is one line of at most 72 characters, the detail in its body (git log --oneline stays
// readable). Reads the history of the clone the tests run in, from the commit after which the rule holds (issue
// #21, item 7): the subjects before it stay as they were written (history is not rewritten).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
/** main before the sessions that adopted the rule ("Config: hosts: [] parks an accessory, as Kamal does"). */
const RULE_FROM = '529af7d60b606ca12fd3aa5e9f49f78c95feb12e'

const git = (...args: string[]) => execFileSync('git', args, { cwd: REPO, encoding: 'utf8' })

test('every commit subject is at most 72 characters', () => {
  assert.not.throws(
    () => git('merge-base', '--is-ancestor', RULE_FROM, 'HEAD'),
    'the tests run in a git clone with its history',
  )
  const subjects = git('log', '--format=%h %s', `${RULE_FROM}..HEAD`).trim().split('\n').filter(Boolean)
  const long = subjects.filter((line) => line.slice(line.indexOf(' ') + 1).length > 72)
  assert.equal(long, [])
})

test.run()
