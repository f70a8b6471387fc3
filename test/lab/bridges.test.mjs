// The lab's kernel bridges (issue #6): stop deletes the bridges of its own engines' networks, start
// sweeps the ones no running engine owns, and start says in one line when docker's pools are exhausted.
// Runs real labs on their own address block ($BERTH_BRIDGES_NET, default 127.0.4) and lab dirs, never on
// the main lab's; the pool-exhaustion case runs in a private network namespace. CI: its own stage in
// .ci/run, before `make test`. Run: node scripts/test.mjs test/lab
import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const NET = process.env.BERTH_BRIDGES_NET || '127.0.4'
const ADDRS = [11, 12, 13].map((n) => `${NET}.${n}`)
const DIR = fs.mkdtempSync('/tmp/berth-br.')
/** The pool-exhaustion lab: its own dir, in its own network namespace. */
const NS_DIR = fs.mkdtempSync('/tmp/berth-brns.')
const NS = `berth-br-${process.pid}`
const NS_PATH = `/run/netns/${NS}`

// a throwaway project: the example config (it follows BERTH_LAB_DIR / BERTH_LAB_NET) and its secret
const PROJECT = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-br-project-'))
fs.copyFileSync(path.join(REPO, 'deploy.config.mjs'), path.join(PROJECT, 'deploy.config.mjs'))
fs.mkdirSync(path.join(PROJECT, '.kamal'))
fs.writeFileSync(path.join(PROJECT, '.kamal/secrets'), 'POSTGRES_PASSWORD=bridges-test\n')

/** @typedef {{ code: number, stdout: string, stderr: string }} Result */

/**
 * @param {string} cmd @param {string[]} args @param {{ cwd?: string, env?: NodeJS.ProcessEnv }} [opts]
 * @returns {Promise<Result>}
 */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? REPO,
      env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', (err) => (stderr += err.message))
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

const labEnv = (dir = DIR) => ({ BERTH_LAB_DIR: dir, BERTH_LAB_NET: NET })

/** `node test/lab/lab.mjs VERB` on the test's lab. @param {string[]} args */
const lab = (...args) => run(process.execPath, ['test/lab/lab.mjs', ...args], { env: labEnv() })

/** The same, inside the private network namespace, on its own lab dir. @param {string[]} args */
const nsLab = (...args) =>
  run('nsenter', [`--net=${NS_PATH}`, process.execPath, 'test/lab/lab.mjs', ...args], { env: labEnv(NS_DIR) })

/** @param {string[]} args */
const inNs = (...args) => run('nsenter', [`--net=${NS_PATH}`, ...args])

/** @param {string} what @param {Result} r */
function ok(what, r) {
  assert.is(r.code, 0, `${what} exited ${r.code}:\n${r.stdout}\n${r.stderr}`)
  return r
}

/** The real berth boot of the example config's 6 accessories on the test's 3 hosts. */
const boot = () =>
  run(
    process.execPath,
    [path.join(REPO, 'node_modules/zx/build/cli.js'), path.join(REPO, 'scripts/accessory-boot.mjs'), 'all'],
    { cwd: PROJECT, env: labEnv() },
  )

/** The bridges of the test lab's engines' networks, named from their network ids. */
async function ownBridges() {
  const names = []
  for (const addr of ADDRS) {
    const r = ok(
      `network ls on ${addr}`,
      await run('docker', [
        '-H',
        `unix://${DIR}/hosts/${addr}/docker.sock`,
        'network',
        'ls',
        '--no-trunc',
        '-q',
        '--filter',
        'driver=bridge',
      ]),
    )
    names.push(
      ...r.stdout
        .split('\n')
        .filter(Boolean)
        .map((id) => `br-${id.slice(0, 12)}`),
    )
  }
  return names
}

/** Start the test lab, retrying while the sweep is (rightly) skipped because another engine is starting. */
async function startSwept() {
  for (let attempt = 1; ; attempt++) {
    const r = ok('lab start', await lab('start'))
    if (!/sweep skipped/.test(r.stdout) || attempt === 5) return r
    await new Promise((resolve) => setTimeout(resolve, 1000 * attempt))
  }
}

const hex12 = () => crypto.randomBytes(6).toString('hex')
/** Which of `names` exist as bridges in this network namespace. @param {string[]} names */
async function present(names) {
  const r = ok('ip link show type bridge', await run('ip', ['-o', 'link', 'show', 'type', 'bridge']))
  const now = new Set(r.stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]))
  return names.filter((n) => now.has(n))
}

/** @type {string[]} */
const madeHere = [] // bridges this test adds by hand, deleted in after()

test('three cycles of start, boot, stop --purge: each removes exactly the bridges its engines created', async () => {
  /** @type {string[]} */
  const all = []
  for (let cycle = 1; cycle <= 3; cycle++) {
    ok('lab start', await lab('start'))
    ok('berth boot all', await boot())
    const mine = await ownBridges()
    assert.is(mine.length, 3, `one kamal network per host, got ${mine.join(' ')}`)
    assert.equal(await present(mine), mine, 'the networks have their bridges while the lab runs')
    const stop = ok('lab stop --purge', await lab('stop', '--purge'))
    for (const b of mine) assert.ok(stop.stdout.includes(b), `stop names ${b} as removed:\n${stop.stdout}`)
    assert.equal(await present(mine), [], `cycle ${cycle}: its bridges are gone`)
    console.log(`  cycle ${cycle}: created and removed ${mine.join(' ')}`)
    all.push(...mine)
  }
  assert.is(new Set(all).size, 9)
  assert.equal(await present(all), [], 'three cycles leave none of their 9 bridges')
})

test('start sweeps a bridge no running engine owns, keeps the ones running engines own and foreign names', async () => {
  ok('lab start', await lab('start'))
  ok('berth boot all', await boot())
  const owned = await ownBridges()
  const stale = `br-${hex12()}`
  const foreign = `br-keep${hex12().slice(0, 5)}` // not br-<12 hex>: never touched
  for (const b of [stale, foreign]) {
    ok(`ip link add ${b}`, await run('ip', ['link', 'add', b, 'type', 'bridge']))
    madeHere.push(b)
  }
  const r = await startSwept() // the lab is up: start only sweeps and probes
  assert.ok(r.stdout.includes(stale), `start names the leftover it removed:\n${r.stdout}`)
  assert.equal(await present([stale]), [], 'the stale bridge is gone')
  assert.equal(await present(owned), owned, 'bridges of running engines stay')
  assert.equal(await present([foreign]), [foreign], 'a bridge not named br-<12 hex> stays')
})

test('engines killed before stop leak their bridges; the next start sweeps them', async () => {
  const owned = await ownBridges() // the lab of the previous test, still up
  assert.is(owned.length, 3)
  for (const addr of ADDRS) {
    const pidFile = `${DIR}/hosts/${addr}/docker.pid`
    const pid = Number(fs.readFileSync(pidFile, 'utf8'))
    assert.ok(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(DIR), `pid ${pid} is this test's dockerd`)
    process.kill(pid, 'SIGKILL')
  }
  ok('lab stop --purge', await lab('stop', '--purge'))
  const leaked = await present(owned)
  console.log(`  killed engines left ${leaked.join(' ') || 'nothing (another lab swept first)'}`)
  const r = await startSwept()
  for (const b of leaked) assert.ok(r.stdout.includes(b), `start names ${b} as removed:\n${r.stdout}`)
  assert.equal(await present(owned), [], 'start removed the leaked bridges')
  ok('lab stop --purge', await lab('stop', '--purge'))
})

test('exhausted pools: start fails with one line naming the cause and the fix; after the fix it starts', async () => {
  ok('ip netns add', await run('ip', ['netns', 'add', NS]))
  const leftover = `br-${hex12()}`
  for (const args of [
    ['ip', 'link', 'set', 'lo', 'up'],
    // 192.168.0.0/16 held by something that is not docker's, 172.17-31 by a leftover docker bridge
    ['ip', 'link', 'add', 'poolhog', 'type', 'bridge'],
    ['ip', 'addr', 'add', '192.168.0.1/16', 'dev', 'poolhog'],
    ['ip', 'link', 'set', 'poolhog', 'up'], // a link that is down has no route: it would hold nothing
    ['ip', 'link', 'add', leftover, 'type', 'bridge'],
    ['ip', 'addr', 'add', '172.16.0.1/12', 'dev', leftover],
    ['ip', 'link', 'set', leftover, 'up'],
  ])
    ok(args.join(' '), await inNs(...args))
  // an engine that cannot be asked: the sweep must not delete anything
  // (a node process named dockerd, listening nowhere: its argv is `dockerd -e ... -- -H unix://<nothing>`)
  const mute = spawn(
    'nsenter',
    [
      `--net=${NS_PATH}`,
      'bash',
      '-c',
      'exec -a dockerd "$0" -e "setInterval(() => {}, 1e6)" -- -H "$1"',
      process.execPath,
      `unix://${NS_DIR}/mute.sock`,
    ],
    { stdio: 'ignore' },
  )
  try {
    await new Promise((resolve) => setTimeout(resolve, 300))
    const failed = await nsLab('start')
    assert.is(failed.code, 1, `start fails:\n${failed.stdout}\n${failed.stderr}`)
    const lines = failed.stderr.split('\n').filter((l) => l.startsWith('lab start FAILED'))
    assert.is(lines.length, 1, failed.stderr)
    const line = /** @type {string} */ (lines[0])
    assert.match(line, /address pools are exhausted/)
    assert.match(line, new RegExp(`fix: delete the 1 owned by no engine that answered .*ip link delete ${leftover}`))
    assert.match(failed.stdout, /leftover-bridge sweep skipped, dockerd \d+ .* did not answer/)
    assert.ok(!failed.stdout.includes('lab: images'), 'it fails before the lab is ready')
    console.log(`  ${line.slice(0, 240)}…`)
  } finally {
    mute.kill('SIGKILL')
  }
  await new Promise((resolve) => setTimeout(resolve, 300))
  const r = ok('lab start after the mute engine is gone', await nsLab('start'))
  assert.ok(r.stdout.includes(`removed 1 leftover bridges that no running engine owns: ${leftover}`), r.stdout)
  ok('lab stop --purge', await nsLab('stop', '--purge'))
})

test.after(async () => {
  await lab('stop', '--purge')
  if (fs.existsSync(NS_PATH)) {
    await nsLab('stop', '--purge')
    await run('ip', ['netns', 'delete', NS])
  }
  for (const b of await present(madeHere)) await run('ip', ['link', 'delete', b])
  for (const d of [DIR, NS_DIR, PROJECT]) fs.rmSync(d, { recursive: true, force: true })
})

test.run()
