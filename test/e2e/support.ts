// Runs berth's real scripts, as a user would, against the lab's real hosts.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertLabUp, hostDocker, labHosts, labNet, registry, resetLab, sshConfigPath } from '../lab/lab-info.mjs'
import * as assert from 'uvu/assert'
import type { Test } from 'uvu'
import { shellJoin } from '../../lib/remote/quote.ts'

export const REPO = fileURLToPath(new URL('../..', import.meta.url))
const ZX = path.join(REPO, 'node_modules/zx/build/cli.js')

export const [HOST1, HOST2, HOST3] = labHosts().map((h) => h.addr) as [string, string, string]
/** Nothing listens here: an unreachable host. */
export const DOWN_HOST = `${labNet()}.19`
export const image = (name: string) => `${registry()}/${name}`
/** `text` as a regular expression source (lab addresses move with $BERTH_LAB_NET). */
export const re = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** `npx zx scripts/accessory-<verb>.mjs ...args` (or `scripts/lock.mjs` for `lock`) in a project directory. */
/** `env` is added to the test's environment; a variable set to undefined is left out. */
export function berth(
  verb: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string | undefined> },
): Promise<RunResult> {
  return new Promise((resolve) => {
    const script = verb === 'lock' ? 'scripts/lock.mjs' : `scripts/accessory-${verb}.mjs`
    const env = Object.fromEntries(
      Object.entries({ ...process.env, FORCE_COLOR: '0', ...options.env }).filter(([, v]) => v !== undefined),
    )
    const child = spawn(process.execPath, [ZX, path.join(REPO, script), ...args], {
      cwd: options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
  })
}

/** A throwaway project directory with a deploy.config.mjs (object) or config/deploy.yml (string). */
export function project(config: object | string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-'))
  if (typeof config === 'string') files['config/deploy.yml'] = config
  else files['deploy.config.mjs'] = `export default ${JSON.stringify(config, null, 2)}\n`
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), content)
  }
  return dir
}

/** The one lab fixture of the e2e files: the lab must be up (a test never skips), and each test starts on a reset lab. */
export function useLab(suite: Test): void {
  suite.before(async () => {
    await assertLabUp()
  })
  suite.before.each(async () => {
    await resetLab()
  })
}

/** Replaces a project's deploy.config.mjs. */
export function writeConfig(dir: string, config: object): void {
  writeFileSync(path.join(dir, 'deploy.config.mjs'), `export default ${JSON.stringify(config, null, 2)}\n`)
}

/** A project whose `boot all` succeeded (exit 0). */
export async function bootedProject(config: object | string, files: Record<string, string> = {}): Promise<string> {
  const dir = project(config, files)
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  return dir
}

/** The lab's ssh settings, as a config would carry them. */
export const labSsh = () => ({ config: sshConfigPath() })

/** A config of the lab's `shop` service with these accessories (and any other top-level keys). */
export function shopConfig<Accessories extends Record<string, object>>(
  accessories: Accessories,
  more: Record<string, unknown> = {},
) {
  return { service: 'shop', image: 'shop/app', ssh: labSsh(), ...more, accessories }
}

/** Three accessories over three hosts. */
export function threeAccessories(overrides: { db?: string; cache?: string; search?: string } = {}) {
  return shopConfig({
    db: {
      image: image(overrides.db ?? 'postgres:16'),
      hosts: [HOST1, HOST2],
      env: { clear: { POSTGRES_USER: 'shop' }, secret: ['POSTGRES_PASSWORD'] },
      directories: ['data:/var/lib/postgresql/data'],
    },
    cache: { image: image(overrides.cache ?? 'redis:7'), host: HOST3, options: { memory: '64m' } },
    search: {
      image: image(overrides.search ?? 'search:1'),
      hosts: [HOST1, HOST2, HOST3],
      volumes: ['shop-search:/data'],
    },
  })
}

export const SECRETS = { '.kamal/secrets': 'POSTGRES_PASSWORD=s3cr3t-value\n' }

/** A lab host's login directory (its $HOME), where env files and service directories land. */
export const homeOf = (addr: string) => labHosts().find((h) => h.addr === addr)!.home

/** Everything a run could change on a host: containers, images, networks, volumes, and files under its home (the lock, the audit log). */
export async function hostSnapshot(addr: string): Promise<string> {
  const docker = async (args: string[]) => (await hostDocker(addr, args)).stdout.trim()
  const files: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name)
      const stat = statSync(full)
      files.push(`${path.relative(homeOf(addr), full)} ${stat.size} ${stat.mtimeMs}`)
      if (stat.isDirectory()) walk(full)
    }
  }
  walk(homeOf(addr))
  return [
    await docker(['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Names}} {{.State}} {{.Image}}']),
    await docker(['image', 'ls', '-a', '--no-trunc', '-q']),
    await docker(['network', 'ls', '-q']),
    await docker(['volume', 'ls', '-q']),
    files.sort().join('\n'),
  ].join('\n--\n')
}

/** The engine events on a host between two engineTime() readings that change something (create, start, kill, ...). */
export async function changeEvents(addr: string, since: string, until: string): Promise<string[]> {
  const events = await hostDocker(addr, [
    'events',
    '--since',
    since,
    '--until',
    until,
    '--format',
    '{{.Type}} {{.Action}}',
  ])
  return events.stdout
    .split('\n')
    .filter((e) =>
      /^(container|image|network|volume) (create|start|stop|kill|die|pull|destroy|rename|connect|disconnect|tag|untag|delete|remove|mount|unmount|pause|unpause|restart)/.test(
        e,
      ),
    )
}

/** A container's configured image, status and id on a host, read from its engine directly. */
export async function containerOn(
  addr: string,
  name: string,
): Promise<{ image: string; status: string; id: string } | undefined> {
  const r = await hostDocker(addr, ['inspect', name, '--format', '{{.Config.Image}} {{.State.Status}} {{.Id}}'])
  if (r.exitCode !== 0) return undefined
  const [img, status, id] = r.stdout.trim().split(' ')
  return { image: img!, status: status!, id: id! }
}

/** Runs a script on a pseudo-terminal (util-linux `script`), typing `answer` into it. */
export function onTerminal(verb: string, args: string[], cwd: string, answer: string): Promise<RunResult> {
  const line = shellJoin([process.execPath, ZX, path.join(REPO, `scripts/accessory-${verb}.mjs`), ...args])
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', line, '/dev/null'], {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stdin.end(answer)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: '' }))
  })
}

export interface RunningBerth {
  /** Resolves once a line matching `pattern` has appeared on stderr (with -v: the remote commands). */
  stderrLine(pattern: RegExp, timeoutMs?: number): Promise<string>
  signal(name: NodeJS.Signals): void
  done: Promise<RunResult>
}

/** Starts a script without waiting for it, so a test can watch its progress and signal it. */
export function startBerth(
  verb: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): RunningBerth {
  const child = spawn(process.execPath, [ZX, path.join(REPO, `scripts/accessory-${verb}.mjs`), ...args], {
    cwd: options.cwd,
    env: { ...process.env, FORCE_COLOR: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const waiters: Array<() => void> = []
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => {
    stderr += d
    for (const wake of waiters.splice(0)) wake()
  })
  const done = new Promise<RunResult>((resolve) =>
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : -1), stdout, stderr }),
    ),
  )
  return {
    done,
    signal: (name) => void child.kill(name),
    async stderrLine(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const line = stderr.split('\n').find((l) => pattern.test(l))
        if (line !== undefined) return line
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no stderr line matching ${pattern} (exit ${child.exitCode}):\n${stderr}\n${stdout}`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 200)
        })
      }
    },
  }
}

/**
 * A logging `ssh` to put first on PATH: it appends each call's arguments (one line a call) to a log, then
 * runs the real ssh, so a test can see every local ssh argv, and the lab's sshd logs still show connections.
 */
export function loggingSsh(): { dir: string; PATH: string; calls(): string } {
  const real = execFileSync('/bin/sh', ['-c', 'command -v ssh'], { encoding: 'utf8' }).trim()
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-logging-ssh-'))
  const log = path.join(dir, 'calls.log')
  writeFileSync(
    path.join(dir, 'ssh'),
    `#!/bin/sh\nprintf '%s\\n' "ssh $*" >> ${shellJoin([log])}\nexec ${shellJoin([real])} "$@"\n`,
    { mode: 0o755 },
  )
  return { dir, PATH: `${dir}:${process.env.PATH}`, calls: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') }
}

/** A TMPDIR of the test's own, so "nothing left behind" can be checked there. */
export const privateTmp = () => mkdtempSync(path.join(tmpdir(), 'berth-e2e-tmp-'))

/** Processes whose command line names `dir` (an ssh master or handshake started with a ControlPath inside it). */
export function processesNaming(dir: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`)
    } catch {
      // gone
    }
  }
  return found
}

/** berth left nothing in `tmp` (no control directory, no socket) and no process names it (no ssh master). */
export async function assertNothingLeft(tmp: string, r: RunResult): Promise<void> {
  // (tsx keeps its compile cache in TMPDIR too: only berth's own directories count)
  assert.equal(
    readdirSync(tmp).filter((name) => name.startsWith('berth-')),
    [],
    `control directory left in ${tmp}: ${r.stdout}${r.stderr}`,
  )
  // A master unlinks its socket just before it exits: give the process table a moment to catch up.
  let masters = processesNaming(path.join(tmp, 'berth-'))
  for (let i = 0; i < 20 && masters.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    masters = processesNaming(path.join(tmp, 'berth-'))
  }
  assert.equal(masters, [], 'an ssh process of the run is still there')
}

export interface StallingServer {
  /** The address it listens on, in the lab's block (the lab's ssh config covers it). */
  host: string
  port: number
  /** Resolves once a client has connected and sent something (ssh its banner, fetch its request). */
  reached: Promise<void>
  close(): Promise<void>
}

/** A TCP server that accepts connections, sends `greeting` if any, then never says another word. */
export async function stallingServer(greeting?: string): Promise<StallingServer> {
  const host = `${labNet()}.20`
  const sockets = new Set<Socket>()
  let reachedNow: () => void = () => {}
  const reached = new Promise<void>((resolve) => (reachedNow = resolve))
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    socket.on('data', () => reachedNow())
    if (greeting !== undefined) socket.write(greeting)
  })
  await new Promise<void>((resolve) => server.listen(0, host, resolve))
  return {
    host,
    port: (server.address() as { port: number }).port,
    reached,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/**
 * A host whose sshd stalls: it accepts connections and, with `banner`, sends an SSH banner, then never says
 * another word. `configFile` is an ssh config for the project: the lab's, with this host's port and `extra`
 * lines for it (keepalives, say).
 */
export async function stallingSshd(options: {
  banner: boolean
  extra?: string[]
}): Promise<StallingServer & { configFile: string }> {
  const server = await stallingServer(options.banner ? 'SSH-2.0-OpenSSH_9.2p1 stalling\r\n' : undefined)
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-stall-'))
  const configFile = path.join(dir, 'ssh_config')
  const lines = [`Include ${sshConfigPath()}`, `Host ${server.host}`, `  Port ${server.port}`]
  writeFileSync(configFile, [...lines, ...(options.extra ?? []).map((l) => `  ${l}`), ''].join('\n'))
  return { ...server, configFile }
}
