// One ssh connection per host per run. OpenSSH connection sharing: the first command for a host starts a
// master (`ControlMaster`, its socket in a private 0700 directory, `ControlPersist` short), every command
// after it is a session over that connection, and `close()` ends every master (`ssh -O exit`) and removes the
// directory: at the end of a run, after an error, after SIGINT/SIGTERM (the runner's `finally`), and from
// a process `exit` hook (a second signal exits at once). A berth killed with SIGKILL leaves masters that end
// by themselves CONTROL_PERSIST_SECONDS after their last session. At most `maxConcurrentStarts` handshakes
// are in flight; a user ssh config that sets ControlMaster/ControlPath keeps its own sharing (see
// `UserSshConfig`). The per-host time limit bounds connecting and read-only round trips (see ssh.ts).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createConnection } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import path from 'node:path'
import { shellJoin } from './quote.ts'
import { forwardChunks, type CommandResult } from './transport.ts'

/** Kamal's `sshkit.max_concurrent_starts` default: handshakes in flight at once. */
export const DEFAULT_MAX_CONCURRENT_STARTS = 30
/** How long a master outlives its last session; only matters when berth itself was SIGKILLed. */
const CONTROL_PERSIST_SECONDS = 30
/** A connection whose peer stops answering is given up after 15 s × 3 unanswered keepalives. */
const KEEPALIVE_OPTIONS = ['-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3']
/** `--host-timeout` default: connecting to a host, and each read-only round trip on it. */
export const DEFAULT_HOST_TIMEOUT_SECONDS = 60

/** A counting semaphore: at most `size` pieces of work at once, the rest wait in order. */
export class Gate {
  private active = 0
  private readonly waiting: Array<() => void> = []
  readonly size: number
  constructor(size: number) {
    this.size = Math.max(1, size)
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await work()
    } finally {
      const next = this.waiting.shift()
      if (next)
        next() // the slot passes straight to the next waiter
      else this.active--
    }
  }
}

export interface SpawnOutcome {
  exitCode: number
  /** The time limit ended it (SIGTERM to the local ssh). */
  timedOut: boolean
  /** `signal` ended it (SIGTERM to the local ssh). */
  aborted: boolean
}

/**
 * Runs the local `ssh` with `args`, in its own process group: a Ctrl-C at the terminal reaches berth, which
 * decides, and never cuts a remote command (a container swap, say) in half by killing its ssh. Ended early
 * only by `signal` (logs --follow) or `timeoutMs` (read-only round trips, connecting).
 */
export function spawnSsh(
  args: string[],
  io: {
    input?: string
    /** Output as it arrives; a returned promise pauses that stream until it settles (backpressure). */
    stdout?: (chunk: Buffer) => void | Promise<void>
    stderr?: (chunk: Buffer) => void | Promise<void>
    signal?: AbortSignal
    timeoutMs?: number
    /** The child's environment (SSH_AUTH_SOCK of berth's private agent for `ssh.key_data`); unset: berth's own. */
    env?: NodeJS.ProcessEnv
    /** Told the child while it runs (so a process that exits at once can end it). */
    running?: (child: ChildProcess | undefined) => void
  },
): Promise<SpawnOutcome> {
  let child: ChildProcess
  try {
    child = spawn('ssh', args, {
      stdio: [io.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: io.env,
    })
  } catch (error) {
    void io.stderr?.(Buffer.from(`could not run the local ssh client: ${(error as Error).message}\n`))
    return Promise.resolve({ exitCode: SSH_FAILED, timedOut: false, aborted: false })
  }
  if (io.input !== undefined) {
    child.stdin?.on('error', () => {}) // ssh that failed to connect closes stdin early: its exit code tells why
    child.stdin?.end(io.input)
  }
  for (const [stream, take] of [
    [child.stdout, io.stdout],
    [child.stderr, io.stderr],
  ] as const)
    if (stream && take) forwardChunks(stream, take)
  io.running?.(child)
  let timedOut = false
  let aborted = false
  let stopped = false
  let killTimer: NodeJS.Timeout | undefined
  const stop = () => {
    stopped = true
    child.kill('SIGTERM')
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), 2000)
  }
  const limit = io.timeoutMs ? setTimeout(() => ((timedOut = true), stop()), io.timeoutMs) : undefined
  const abort = () => ((aborted = true), stop())
  if (io.signal?.aborted) abort()
  else io.signal?.addEventListener('abort', abort, { once: true })
  return new Promise((resolve) => {
    let settled = false
    const settle = (exitCode: number) => {
      if (settled) return
      settled = true
      clearTimeout(limit)
      clearTimeout(killTimer)
      io.signal?.removeEventListener('abort', abort)
      io.running?.(undefined)
      resolve({ exitCode, timedOut, aborted })
    }
    child.on('error', (error) => {
      void io.stderr?.(Buffer.from(`could not run the local ssh client: ${error.message}\n`))
      settle(SSH_FAILED)
    })
    child.on('close', (code) => settle(code ?? SIGNALLED))
    // A session over a shared connection hands its stdout/stderr to the master, which keeps them open while
    // the remote command hangs: a client berth ended counts as ended when it exits.
    child.on('exit', (code) => {
      if (!stopped) return
      child.stdout?.destroy()
      child.stderr?.destroy()
      settle(code ?? SIGNALLED)
    })
  })
}

const SSH_FAILED = 255

function entries(directory: string): number {
  try {
    return readdirSync(directory).length
  } catch {
    return 0
  }
}
const SIGNALLED = 128

function socketsIn(directory: string): string[] {
  try {
    return readdirSync(directory).map((name) => path.join(directory, name))
  } catch {
    return []
  }
}

// OpenSSH's multiplexing protocol (PROTOCOL.mux): the messages `ssh -O exit` and `ssh -O check` send.
const MUX_MSG_HELLO = 0x00000001
const MUX_C_ALIVE_CHECK = 0x10000004
const MUX_C_TERMINATE = 0x10000005
const MUX_S_OK = 0x80000001
const MUX_S_ALIVE = 0x80000005
const MUX_PROTOCOL_VERSION = 4

/**
 * One request to the master listening on `socket`: hello, then `request`. Resolves with whether the request
 * was sent and the master's replies (its hello left out), once the master answers, closes the socket, fails,
 * or `timeoutMs` passes. Spoken by berth itself, so no ssh process is started and no host is ever contacted.
 */
function muxRequest(
  socket: string,
  request: number,
  timeoutMs: number,
): Promise<{ sent: boolean; replies: number[]; ended: 'reply' | 'closed' | 'error' | 'timeout' }> {
  return new Promise((resolve) => {
    const connection = createConnection(socket)
    let sent = false
    const replies: number[] = []
    const finish = (ended: 'reply' | 'closed' | 'error' | 'timeout') => {
      clearTimeout(timer)
      connection.destroy()
      resolve({ sent, replies, ended })
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    connection.on('connect', () => {
      const message = Buffer.alloc(24)
      message.writeUInt32BE(8, 0)
      message.writeUInt32BE(MUX_MSG_HELLO, 4)
      message.writeUInt32BE(MUX_PROTOCOL_VERSION, 8)
      message.writeUInt32BE(8, 12)
      message.writeUInt32BE(request, 16)
      message.writeUInt32BE(1, 20) // request id
      connection.write(message, () => (sent = true))
    })
    let buffered = Buffer.alloc(0)
    connection.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 8 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
        const type = buffered.readUInt32BE(4)
        buffered = buffered.subarray(4 + buffered.readUInt32BE(0))
        if (type !== MUX_MSG_HELLO) replies.push(type)
      }
      if (replies.length) finish('reply')
    })
    connection.on('error', () => finish('error'))
    connection.on('close', () => finish('closed'))
  })
}

/**
 * Asks the master listening on `socket` to exit, as `ssh -O exit` does. The master exits at once (its reply
 * rarely makes it, as OpenSSH's own source notes), so the socket closing after the request counts as done;
 * an error, a refusal or no close within `timeoutMs` does not.
 */
export async function terminateMaster(socket: string, timeoutMs = 2000): Promise<boolean> {
  const { sent, replies, ended } = await muxRequest(socket, MUX_C_TERMINATE, timeoutMs)
  // Anything but MUX_S_OK is a refusal (MUX_S_PERMISSION_DENIED, MUX_S_FAILURE).
  return sent && (ended === 'closed' || ended === 'reply') && replies.every((type) => type === MUX_S_OK)
}

/** Whether a master listens on `socket` and answers, as `ssh -O check` asks (MUX_C_ALIVE_CHECK). */
export async function masterAlive(socket: string, timeoutMs = 2000): Promise<boolean> {
  return (await muxRequest(socket, MUX_C_ALIVE_CHECK, timeoutMs)).replies.includes(MUX_S_ALIVE)
}

/**
 * What the user's ssh config files say, read once per run without running ssh: the files ssh reads for
 * these settings and every file they `Include`. Only when one of them names ControlMaster/ControlPath is
 * `ssh -G HOST` asked per host (about 10 ms each) whether the user's own sharing applies there.
 */
export class UserSshConfig {
  readonly keywords: Set<string>
  constructor(files: readonly string[]) {
    this.keywords = configKeywords(files)
  }

  /** The user's files may set up sharing for some host: ask `ssh -G` per host. */
  get mentionsSharing(): boolean {
    return this.keywords.has('controlmaster') || this.keywords.has('controlpath')
  }

  /** The user's files set keepalives: berth leaves them as configured. */
  get setsKeepalive(): boolean {
    return this.keywords.has('serveraliveinterval')
  }
}

/** The files ssh reads: `config: true` → ~/.ssh/config and /etc/ssh/ssh_config; `false` → none; paths → those (-F). */
export function sshConfigFiles(configFiles: boolean | string[], home = homedir()): string[] {
  if (configFiles === false) return []
  if (configFiles === true) return [path.join(home, '.ssh', 'config'), '/etc/ssh/ssh_config']
  return configFiles.map((f) => expandHome(f, home))
}

const expandHome = (file: string, home: string) =>
  file === '~' ? home : file.startsWith('~/') ? path.join(home, file.slice(2)) : file

/** Every keyword (lower case) set in these files and in the files they Include (ssh's rules for relative paths). */
export function configKeywords(files: readonly string[], home = homedir()): Set<string> {
  const keywords = new Set<string>()
  const seen = new Set<string>()
  const read = (file: string, system: boolean, depth: number) => {
    if (depth > 16 || seen.has(file)) return
    seen.add(file)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return
    }
    for (const line of text.split('\n')) {
      const match = /^\s*([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(line)
      if (!match) continue
      const keyword = match[1]!.toLowerCase()
      keywords.add(keyword)
      if (keyword !== 'include') continue
      for (const word of match[2]!.trim().split(/\s+/)) {
        const pattern = expandHome(word.replace(/^"(.*)"$/, '$1'), home)
        const absolute = path.isAbsolute(pattern)
          ? pattern
          : path.join(system ? '/etc/ssh' : path.join(home, '.ssh'), pattern)
        for (const included of globFiles(absolute)) read(included, system, depth + 1)
      }
    }
  }
  for (const file of files) read(file, file.startsWith('/etc/ssh/'), 0)
  return keywords
}

/** Files matching a path whose components may hold `*` and `?` (ssh's Include globs). */
function globFiles(pattern: string): string[] {
  const parts = pattern.split('/').filter(Boolean)
  let paths = ['/']
  for (const part of parts) {
    if (!/[*?[]/.test(part)) {
      paths = paths.map((p) => path.join(p, part))
      continue
    }
    const regex = new RegExp(
      `^${part
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replaceAll('*', '.*')
        .replaceAll('?', '.')}$`,
    )
    paths = paths.flatMap((dir) => {
      try {
        return readdirSync(dir)
          .filter((name) => !name.startsWith('.') && regex.test(name))
          .sort()
          .map((name) => path.join(dir, name))
      } catch {
        return []
      }
    })
  }
  return paths.filter((p) => {
    try {
      return statSync(p).isFile()
    } catch {
      return false
    }
  })
}

/** `ssh -G` output → does the user's own config share connections for that host? */
export function userSharesConnections(effective: string): boolean {
  const value = (key: string) => new RegExp(`^${key} (.*)$`, 'im').exec(effective)?.[1]?.trim().toLowerCase()
  const master = value('controlmaster')
  const controlPath = value('controlpath')
  return (
    (master !== undefined && master !== 'false' && master !== 'no') ||
    (controlPath !== undefined && controlPath !== 'none')
  )
}

// Unix socket paths hold about 104 bytes; ssh adds a 17-character suffix while it binds, and %C is 40 hex.
const SOCKET_DIR_MAX = 104 - 1 - 40 - 17

/** A fresh private (0700) directory for the control sockets, short enough for socket paths. */
export function makeControlDirectory(): string {
  const base = tmpdir().length + 'berth-ssh-XXXXXX'.length + 1 <= SOCKET_DIR_MAX ? tmpdir() : '/tmp'
  return mkdtempSync(path.join(base, 'berth-ssh-')) // mkdtemp creates it 0700
}

export interface PoolOptions {
  /** ssh's argv for a host up to (not including) the remote command, with `extra` options. */
  argv(host: string, extra: string[]): string[]
  userConfig: UserSshConfig
  maxConcurrentStarts: number
  /** The per-host time limit for connecting, in ms (0: none). */
  hostTimeoutMs: number
  /** The environment of every ssh the pool and its commands run. */
  env?: NodeJS.ProcessEnv
}

/**
 * How a command reaches a host, once `connect` has made sure a connection is there: the ssh options, and
 * `socket` when the connection is this run's own master (the user's own sharing has none).
 */
export type Connection =
  { ok: true; options: string[]; gate?: Gate; socket?: string } | { ok: false; failure: CommandResult }

/** A connection that could not be made: ssh's (or berth's) words, and certainly no remote command's exit. */
const failed = (stderr: string): Connection => ({
  ok: false,
  failure: { exitCode: SSH_FAILED, stdout: '', stderr, connectionFailed: true },
})

/** A wait for a connection given up because the run was interrupted. */
const abandoned = (host: string): Connection => ({
  ok: false,
  failure: {
    exitCode: SSH_FAILED,
    stdout: '',
    stderr: `ssh: stopped waiting for the connection to ${host}: the run was interrupted\n`,
    interrupted: true,
  },
})

/** The shared connections of one run: one master per host, started at most N at a time, closed by `close()`. */
export class ConnectionPool {
  private readonly options: PoolOptions
  private readonly gate: Gate
  private directory?: string
  private readonly masters = new Map<string, Promise<Connection>>()
  private readonly userSharing = new Map<string, Promise<boolean>>()
  /** Handshakes in progress (`ssh -N`), ended by `closeSync` so none becomes a master after the exit. */
  private readonly starting = new Set<ChildProcess>()
  /** Ends every ssh the pool itself runs (handshakes, `ssh -G`) when the run closes: waiting for them reads nothing. */
  private readonly stopping = new AbortController()
  /** Each host's control socket in the private directory, named by berth (so its master can be asked directly). */
  private readonly sockets = new Map<string, string>()
  private closed = false
  private readonly onExit = () => this.closeSync()

  constructor(options: PoolOptions) {
    this.options = options
    this.gate = new Gate(options.maxConcurrentStarts)
  }

  get env(): NodeJS.ProcessEnv | undefined {
    return this.options.env
  }

  private get keepalive(): string[] {
    return this.options.userConfig.setsKeepalive ? [] : KEEPALIVE_OPTIONS
  }

  /** The control socket of `host`'s master: a number in the private directory, one per host of this run. */
  private socketOf(host: string): string {
    if (!this.directory) {
      this.directory = makeControlDirectory()
      process.once('exit', this.onExit)
    }
    let socket = this.sockets.get(host)
    if (!socket) this.sockets.set(host, (socket = path.join(this.directory, String(this.sockets.size))))
    return socket
  }

  private sharingOptions(socket: string): string[] {
    return [
      '-o',
      'ControlMaster=auto',
      '-o',
      `ControlPath=${socket}`,
      '-o',
      `ControlPersist=${CONTROL_PERSIST_SECONDS}`,
    ]
  }

  /** The control directory, once a master was started (for tests and -v). */
  get controlDirectory(): string | undefined {
    return this.directory
  }

  /**
   * Makes sure `host` has a connection; resolves with the ssh options its commands use. Concurrent callers
   * for one host wait for the same handshake. A host that could not be reached resolves with ssh's own
   * failure; the next command tries again. Once `signal` fires, this caller stops waiting at once (the
   * result says `interrupted`): a handshake changes nothing on a host, and `close()` ends it.
   */
  connect(host: string, signal?: AbortSignal): Promise<Connection> {
    if (this.closed) return Promise.resolve(failed('ssh: the run has ended; no new connection is opened\n'))
    if (signal?.aborted) return Promise.resolve(abandoned(host))
    let pending = this.masters.get(host)
    if (!pending) {
      pending = this.start(host)
      this.masters.set(host, pending)
    }
    const seen = pending
    // A failure is told to the commands waiting for it; the next command tries again.
    void seen.then((connection) => {
      if (!connection.ok && this.masters.get(host) === seen) this.masters.delete(host)
    })
    if (!signal) return seen
    return new Promise((resolve) => {
      const abandon = () => resolve(abandoned(host))
      signal.addEventListener('abort', abandon, { once: true })
      void seen.then((connection) => {
        signal.removeEventListener('abort', abandon)
        resolve(connection)
      })
    })
  }

  /**
   * After a command exited 255: is `host`'s connection still up? Only this run's own masters can be asked
   * (over their socket, as `ssh -O check`); for the user's own sharing the answer is unknown (undefined).
   */
  async stillConnected(connection: Connection): Promise<boolean | undefined> {
    if (!connection.ok || !connection.socket) return undefined
    return masterAlive(connection.socket)
  }

  /** Starts the handshakes of hosts the run will reach, ahead of their first command. */
  preconnect(hosts: readonly string[]): void {
    for (const host of hosts) if (!this.closed && !this.masters.has(host)) this.masters.set(host, this.start(host))
  }

  private async start(host: string): Promise<Connection> {
    if (this.options.userConfig.mentionsSharing && (await this.sharedByUser(host))) {
      // The user's ssh config shares connections for this host: berth leaves it alone, and counts every
      // command as a possible handshake.
      return { ok: true, options: this.keepalive, gate: this.gate }
    }
    const socket = this.socketOf(host)
    const options = [...this.keepalive, ...this.sharingOptions(socket)]
    return this.gate.run(async () => {
      // queued behind other handshakes while the run ended
      if (this.closed) return failed('ssh: the run has ended; no new connection is opened\n')
      let stderr = ''
      let child: ChildProcess | undefined
      const started = await spawnSsh(this.options.argv(host, [...options, '-N']), {
        env: this.options.env,
        stderr: (chunk) => void (stderr += chunk.toString()),
        timeoutMs: this.options.hostTimeoutMs || undefined,
        signal: this.stopping.signal,
        running: (running) => {
          if (running) this.starting.add((child = running))
          else if (child) this.starting.delete(child)
        },
      })
      if (started.exitCode === 0 && !started.timedOut && !started.aborted) return { ok: true, options, socket } as const
      if (started.aborted) return failed(`ssh: connecting to ${host} was abandoned: the run has ended\n`)
      if (started.timedOut) {
        stderr =
          `ssh: no answer from ${host} within ${this.options.hostTimeoutMs / 1000}s while connecting ` +
          '(the per-host time limit, --host-timeout)\n'
      }
      return failed(stderr)
    })
  }

  private sharedByUser(host: string): Promise<boolean> {
    let known = this.userSharing.get(host)
    if (!known) {
      known = new Promise((resolve) => {
        let out = ''
        void spawnSsh(['-G', ...this.options.argv(host, [])], {
          env: this.options.env,
          stdout: (chunk) => void (out += chunk.toString()),
          timeoutMs: 10_000,
          signal: this.stopping.signal,
        }).then(({ exitCode }) => resolve(exitCode === 0 && userSharesConnections(out)))
      })
      this.userSharing.set(host, known)
    }
    return known
  }

  /** `ssh -O exit` to every master, then the directory goes. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    process.off('exit', this.onExit)
    // Handshakes still in flight read nothing anyone waits for: they end now (SIGTERM, by pid).
    this.stopping.abort()
    const directory = this.directory
    if (!directory) return
    const hosts = await this.startedHosts()
    // Every socket in this private directory is one of this run's masters: asked to exit over the socket
    // itself (no ssh client per host); `ssh -O exit` for every host when any of them did not take it.
    const asked = await Promise.all(socketsIn(directory).map((socket) => terminateMaster(socket)))
    if (!asked.every(Boolean))
      await Promise.all(hosts.map((host) => spawnSsh(this.exitArgv(host), { env: this.options.env, timeoutMs: 5000 })))
    // `-O exit` returns once the request is sent; a master unlinks its socket as the last thing before it
    // exits, so an empty directory means every master has ended.
    for (let waited = 0; waited < 3000 && entries(directory) > 0; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20))
    rmSync(directory, { recursive: true, force: true })
  }

  /** The same, synchronously, for a process that exits now (a second SIGINT/SIGTERM, an unexpected exit). */
  closeSync(): void {
    if (this.closed) return
    this.closed = true
    for (const child of this.starting) child.kill('SIGKILL')
    const directory = this.directory
    if (!directory) return
    const hosts = [...this.masters.keys()]
    if (hosts.length) {
      const script =
        `${hosts.map((host) => `${shellJoin(['ssh', ...this.exitArgv(host)])} >/dev/null 2>&1 &`).join('\n')}\nwait\n` +
        `i=0; while [ -n "$(ls -A ${shellJoin([directory])})" ] && [ $i -lt 150 ]; do sleep 0.02; i=$((i+1)); done`
      spawnSync('/bin/sh', ['-c', script], { stdio: 'ignore', timeout: 8000 })
    }
    rmSync(directory, { recursive: true, force: true })
  }

  private exitArgv(host: string): string[] {
    return this.options.argv(host, ['-o', `ControlPath=${this.socketOf(host)}`, '-O', 'exit'])
  }

  private async startedHosts(): Promise<string[]> {
    const hosts = await Promise.all(
      [...this.masters.entries()].map(async ([host, pending]) => ((await pending).ok ? host : undefined)),
    )
    return hosts.filter((h): h is string => h !== undefined)
  }
}
