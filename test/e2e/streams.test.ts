// Output that streams (issue 19.3-19.5), on the lab with the real scripts: `accessory-exec` passes a
// command's bytes through unchanged with its exit code, whatever the size, in flat memory; `accessory-logs
// --follow` leaves nothing running on either side after SIGINT/SIGTERM.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { hostDocker, labHosts, sshConfigPath } from '../lab/lab-info.mjs'
import { HOST1, HOST2, REPO, bootedProject, image, startBerth, useLab } from './support.ts'

const ZX = path.join(REPO, 'node_modules/zx/build/cli.js')

/** db on two hosts, quiet once started; every ssh berth runs names this run's own copy of the lab's ssh config. */
function config(sshConfig: string) {
  return {
    service: 'mart',
    image: 'shop/app',
    ssh: { config: sshConfig },
    accessories: {
      db: {
        image: image('postgres:16'),
        hosts: [HOST1, HOST2],
        cmd: `sh -c 'echo started; trap "exit 0" TERM; sleep infinity & wait'`,
      },
    },
  }
}

/** A copy of the lab's ssh config at a path of this test's own, so its ssh processes can be told from others. */
function ownSshConfig(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'berth-streams-')), 'ssh_config')
  writeFileSync(file, readFileSync(sshConfigPath()))
  return file
}

interface Captured {
  code: number
  bytes: number
  sha256: string
  /** Every byte, unless `count` only was asked for. */
  stdout: Buffer
  stderr: string
}

/** Runs a script and takes its stdout as bytes (hashed and counted as they come; kept unless `countOnly`). */
function capture(
  verb: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; countOnly?: boolean },
): Promise<Captured> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ZX, path.join(REPO, `scripts/accessory-${verb}.mjs`), ...args], {
      cwd: options.cwd,
      env: { ...process.env, FORCE_COLOR: '0', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const hash = createHash('sha256')
    const kept: Buffer[] = []
    let bytes = 0
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      hash.update(chunk)
      if (!options.countOnly) kept.push(chunk)
    })
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) =>
      resolve({ code: code ?? -1, bytes, sha256: hash.digest('hex'), stdout: Buffer.concat(kept), stderr }),
    )
  })
}

const pids = () =>
  readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)

function procFile(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8')
  } catch {
    return ''
  }
}

/** `docker logs` processes a lab host runs (the hosts are this machine's processes, told apart by DOCKER_HOST). */
function dockerLogsOn(addr: string): number[] {
  const dockerHost = labHosts().find((h) => h.addr === addr)!.dockerHost
  return pids().filter((pid) => {
    const argv = procFile(pid, 'cmdline').split('\0')
    return (
      path.basename(argv[0] ?? '') === 'docker' &&
      argv[1] === 'logs' &&
      procFile(pid, 'environ').split('\0').includes(`DOCKER_HOST=${dockerHost}`)
    )
  })
}

/** Local ssh processes whose command line names this file (the test's own ssh config). */
function sshNaming(file: string): number[] {
  return pids().filter((pid) => {
    const argv = procFile(pid, 'cmdline').split('\0')
    return path.basename(argv[0] ?? '') === 'ssh' && argv.includes(file)
  })
}

async function waitFor(what: string, ready: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !ready();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

useLab(test)

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
  ['SIGHUP', 129],
] as const) {
  test(`logs --follow on a quiet container: after ${signal} (exit ${code}) nothing it started runs on either side`, async () => {
    const sshConfig = ownSshConfig()
    const dir = await bootedProject(config(sshConfig))
    assert.equal(dockerLogsOn(HOST2), [], 'no docker logs before')
    const following = startBerth('logs', ['db', '--follow', '--hosts', HOST2], { cwd: dir })
    await waitFor('docker logs --follow on the host', () => dockerLogsOn(HOST2).length > 0, 30_000)
    following.signal(signal)
    const r = await following.done
    assert.is(r.code, code, r.stdout + r.stderr)
    assert.not.match(r.stderr, /Shared connection to .* closed/)
    // The hang-up reaches the host within moments; a `docker logs` left behind would live until the next line.
    await waitFor('docker logs to end on the host', () => dockerLogsOn(HOST2).length === 0, 10_000).catch(() => {})
    const left = dockerLogsOn(HOST2)
    for (const pid of left) process.kill(pid, 'SIGKILL') // the failing case leaves them: they are this test's
    assert.equal(left, [], `docker logs still running on ${HOST2} after ${signal}`)
    assert.equal(sshNaming(sshConfig), [], `a local ssh of this run is still running after ${signal}`)
  })
}

test('logs --follow | head -1: once its reader is gone, following ends (exit 0) and nothing runs on either side', async () => {
  const sshConfig = ownSshConfig()
  const dir = await bootedProject(config(sshConfig))
  const child = spawn(
    process.execPath,
    [ZX, path.join(REPO, 'scripts/accessory-logs.mjs'), 'db', '--follow', '--hosts', HOST2],
    {
      cwd: dir,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (d) => (stderr += d))
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  // `head -1`: read the first line (the container's `started`), then close the pipe
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()))
  child.stdout.destroy()
  // the next line berth writes meets the closed pipe
  await hostDocker(HOST2, ['exec', 'mart-db', 'sh', '-c', 'echo more > /proc/1/fd/1'])
  const exited = await Promise.race([done, new Promise((resolve) => setTimeout(() => resolve('running'), 20_000))])
  if (exited === 'running') child.kill('SIGKILL')
  await waitFor('docker logs to end on the host', () => dockerLogsOn(HOST2).length === 0, 10_000).catch(() => {})
  const left = dockerLogsOn(HOST2)
  for (const pid of left) process.kill(pid, 'SIGKILL') // the failing case leaves them: they are this test's
  assert.is(exited, 0, stderr)
  assert.equal(left, [], `docker logs still running on ${HOST2} after its reader went`)
  assert.equal(sshNaming(sshConfig), [], 'a local ssh of this run is still running')
})

test('exec on one host: the bytes and exit code are the command’s own (printf, binary, gzip, stderr)', async () => {
  const dir = await bootedProject(config(ownSshConfig()))
  const one = ['db', '--hosts', HOST1, '--']

  const abc = await capture('exec', [...one, 'printf', 'abc'], { cwd: dir })
  assert.is(abc.code, 0, abc.stderr)
  assert.is(abc.stdout.toString('latin1'), 'abc', 'no header, no newline added')

  const made = await capture('exec', [...one, 'sh', '-c', 'head -c 2000000 /dev/urandom > /tmp/x; sha256sum /tmp/x'], {
    cwd: dir,
  })
  assert.is(made.code, 0, made.stderr)
  const binary = await capture('exec', [...one, 'cat', '/tmp/x'], { cwd: dir })
  assert.is(binary.code, 0, binary.stderr)
  assert.is(binary.bytes, 2_000_000)
  assert.is(binary.sha256, made.stdout.toString().split(' ')[0], 'the same bytes as on the container')

  const gz = await capture('exec', [...one, 'sh', '-c', 'gzip -c /tmp/x'], { cwd: dir })
  assert.is(gz.code, 0, gz.stderr)
  const tested = spawnSync('gunzip', ['-t'], { input: gz.stdout })
  assert.is(tested.status, 0, `gunzip -t: ${tested.stderr}`)

  const both = await capture('exec', [...one, 'sh', '-c', 'printf out; printf err >&2; exit 3'], { cwd: dir })
  assert.is(both.code, 3, 'the command’s exit code')
  assert.is(both.stdout.toString(), 'out')
  assert.is(both.stderr, 'err', 'stderr is the command’s own, nothing added')

  const exited = await capture('exec', [...one, 'sh', '-c', 'exit 7'], { cwd: dir })
  assert.is(exited.code, 7)
})

test('exec of 100 MB on one host: every byte arrives, exit 0, and berth’s peak memory stays flat', async () => {
  const dir = await bootedProject(config(ownSshConfig()))
  // Every node process of the run writes its own peak resident set (getrusage's maxRSS, KiB) as it exits.
  const probeDir = mkdtempSync(path.join(tmpdir(), 'berth-rss-'))
  const report = path.join(probeDir, 'rss')
  const probe = path.join(probeDir, 'probe.mjs')
  writeFileSync(
    probe,
    `import { appendFileSync } from 'node:fs'\n` +
      `process.on('exit', () => appendFileSync(${JSON.stringify(report)}, process.resourceUsage().maxRSS + '\\n'))\n`,
  )
  const big = await capture('exec', ['db', '--hosts', HOST1, '--', 'head', '-c', '100000000', '/dev/zero'], {
    cwd: dir,
    env: { NODE_OPTIONS: `--import ${probe}` },
    countOnly: true,
  })
  assert.is(big.code, 0, big.stderr)
  const peaks = readFileSync(report, 'utf8').trim().split('\n').map(Number)
  assert.ok(peaks.length >= 1)
  const peakMb = Math.max(...peaks) / 1024
  assert.ok(peakMb < 200, `peak RSS ${peakMb.toFixed(0)} MB`)
  assert.is(big.bytes, 100_000_000)
})

test('exec on several hosts: a labelled section each, the output unchanged inside it, exit 1 if any failed', async () => {
  const dir = await bootedProject(config(ownSshConfig()))
  const r = await capture('exec', ['db', '--', 'sh', '-c', 'printf "a\\0b"; exit 4'], {
    cwd: dir,
  })
  assert.is(r.code, 1, r.stderr)
  assert.is(r.stdout.toString('latin1'), `== db on ${HOST1} ==\na\0b\n== db on ${HOST2} ==\na\0b\n`)
  assert.match(r.stderr, /2 of 2 runs failed \(exit 1\)/)
})

test.run()
