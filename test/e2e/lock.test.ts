// lock.mjs on the lab (issue 19): a lock whose details cannot be read (not base64, or no details file: a
// run killed between `mkdir` and writing them) is shown as a lock with what could be read, blocks changing
// verbs with the command that releases it, and that release removes it; release --dry-run leaves it.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { execFileSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { HOST1, SECRETS, berth, homeOf, project, re, threeAccessories, useLab } from './support.ts'

useLab(test)

const RELEASE = 'npx zx scripts/lock.mjs release'

for (const [name, details, problem] of [
  ['details that are not base64', 'not base64!!\n', 'its details file is not base64; it reads: not base64!!'],
  ['no details file', undefined, 'it has no details file'],
  ['an empty details file', '', 'its details file is empty'],
  ['details that are a pipe (cat would wait forever)', 'fifo', 'its details are not a file that can be read'],
  ['details that are a directory', 'dir', 'its details are not a file that can be read'],
  ['details linked to /dev/zero (cat would never end)', 'zero', 'its details are not a file that can be read'],
  ['details of 1 MB', 'huge', 'its details file is larger than 65536 bytes'],
] as const) {
  test(`a lock with ${name} is shown as held, blocks a boot naming the release, and release removes it`, async () => {
    const dir = project(threeAccessories(), SECRETS)
    const lockDir = path.join(homeOf(HOST1), '.kamal/lock-shop')
    mkdirSync(lockDir, { recursive: true })
    const file = path.join(lockDir, 'details')
    if (details === 'fifo') execFileSync('mkfifo', [file])
    else if (details === 'dir') mkdirSync(file)
    else if (details === 'zero') symlinkSync('/dev/zero', file)
    else if (details === 'huge') writeFileSync(file, 'QUFB\n'.repeat(200_000))
    else if (details !== undefined) writeFileSync(file, details)

    const status = await berth('lock', ['status'], { cwd: dir })
    assert.is(status.code, 0, status.stdout + status.stderr)
    assert.match(status.stdout, `Deploy lock .kamal/lock-shop on ${HOST1}: its holder cannot be read: ${problem}`)
    assert.match(status.stdout, `; if no run holds it, release it with \`${RELEASE}\`.`)

    const blocked = await berth('boot', ['cache'], { cwd: dir })
    assert.is(blocked.code, 1, blocked.stdout + blocked.stderr)
    assert.match(blocked.stderr, new RegExp(`held by a run that cannot be named \\(${re(problem)}`))
    assert.match(blocked.stderr, `release it with \`${RELEASE}\``)

    const dry = await berth('lock', ['release', '--dry-run'], { cwd: dir })
    assert.is(dry.code, 2, dry.stdout + dry.stderr)
    assert.match(
      dry.stdout,
      `Would release the deploy lock .kamal/lock-shop on ${HOST1} (its holder cannot be read: ${problem}`,
    )
    assert.ok(existsSync(lockDir), 'release --dry-run left the lock')

    const released = await berth('lock', ['release'], { cwd: dir })
    assert.is(released.code, 0, released.stdout + released.stderr)
    assert.match(released.stdout, `Released the deploy lock .kamal/lock-shop on ${HOST1}`)
    assert.not.ok(existsSync(lockDir), 'the lock is gone')
    assert.match((await berth('lock', ['status'], { cwd: dir })).stdout, `No deploy lock .kamal/lock-shop on ${HOST1}.`)
    assert.is((await berth('boot', ['cache'], { cwd: dir })).code, 0)
  })
}

test('a lock that is a symlink to nothing blocks a boot, so status shows it and release removes it', async () => {
  const dir = project(threeAccessories(), SECRETS)
  const lockDir = path.join(homeOf(HOST1), '.kamal/lock-shop')
  mkdirSync(path.dirname(lockDir), { recursive: true })
  symlinkSync('/nonexistent-berth-lock', lockDir)
  const status = await berth('lock', ['status'], { cwd: dir })
  assert.is(status.code, 0, status.stdout + status.stderr)
  assert.match(
    status.stdout,
    `Deploy lock .kamal/lock-shop on ${HOST1}: its holder cannot be read: it has no details file`,
  )
  const released = await berth('lock', ['release'], { cwd: dir })
  assert.is(released.code, 0, released.stdout + released.stderr)
  assert.not.ok(existsSync(lockDir) || lstatExists(lockDir), 'the link is gone')
  assert.is((await berth('boot', ['cache'], { cwd: dir })).code, 0)
})

function lstatExists(file: string): boolean {
  try {
    lstatSync(file)
    return true
  } catch {
    return false
  }
}

test("a lock's details are shown with their control characters escaped, never sent to the terminal", async () => {
  const dir = project(threeAccessories(), SECRETS)
  const lockDir = path.join(homeOf(HOST1), '.kamal/lock-shop')
  mkdirSync(lockDir, { recursive: true })
  const text = 'Locked by: \u001b[2Jevil at 2026-01-01T00:00:00Z\nVersion: x\nMessage: m\u0007'
  writeFileSync(path.join(lockDir, 'details'), `${Buffer.from(text).toString('base64')}\n`)
  const status = await berth('lock', ['status'], { cwd: dir })
  assert.is(status.code, 0)
  assert.is(
    status.stdout,
    `Deploy lock .kamal/lock-shop on ${HOST1}: Locked by: \\x1b[2Jevil at 2026-01-01T00:00:00Z; Version: x; Message: m\\x07\n`,
  )
})

test.run()
