// Kamal's audit log on the lab (issue 19): a newline in the performer (`git config user.email`) or in an
// exec command cannot forge a record (each record is one line, the newline written as Kamal's `\n`), and
// remove records Kamal's `Stopped` line before `Remove ... container`.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { HOST1, SECRETS, berth, homeOf, project, threeAccessories, useLab } from './support.ts'

useLab(test)

test('a newline in the performer or an exec command stays inside its one audit line, written as Kamal writes it', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const forged = '[2026-01-01T00:00:00Z] [boss] Removed db accessory image'
  execFileSync('git', ['init', '-q'], { cwd: dir })
  execFileSync('git', ['config', 'user.email', `dev@example.com\n${forged}`], { cwd: dir })
  const only = ['--hosts', HOST1]
  assert.is((await berth('boot', ['db', ...only], { cwd: dir })).code, 0)
  const exec = await berth('exec', ['db', ...only, '--', 'sh', '-c', 'echo a\necho "$HOME" `id` ${PWD} #{x}'], {
    cwd: dir,
  })
  assert.is(exec.code, 0, exec.stdout + exec.stderr)
  const removed = await berth('remove', ['db', '-y', ...only], { cwd: dir })
  assert.is(removed.code, 0, removed.stdout + removed.stderr)
  const lines = readFileSync(path.join(homeOf(HOST1), '.kamal/shop-audit.log'), 'utf8').split('\n')
  assert.is(lines.pop(), '', 'the log ends with a newline')
  const performer = `[dev@example.com\\n${forged}]`
  for (const line of lines) assert.match(line, /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[dev@example\.com\\n\[/)
  assert.equal(
    lines.map((l) => l.replace(/^\[[^\]]+\] /, '')),
    [
      `${performer} Booted db accessory`,
      `${performer} Executed cmd 'sh -c echo a\\necho "$HOME" \`id\` \${PWD} \\#{x}' on db accessory`,
      `${performer} Stopped db accessory`,
      `${performer} Remove db accessory container`,
    ],
  )
})

test.run()
