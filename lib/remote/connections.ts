// One ssh connection per host per run. OpenSSH connection sharing: the first command for a host starts a
// master (`ControlMaster`, its socket in a private 0700 directory, `ControlPersist` short), every command
// after it is a session over that connection, and `close()` ends every master (over its control socket, or
// `ssh -O exit`) and removes the directory: at the end of a run, after an error, after SIGINT/SIGTERM (the
// runner's `finally`), and from a process `exit` hook (a second signal exits at once). A berth killed with
// SIGKILL leaves masters that end by themselves CONTROL_PERSIST_SECONDS after their last session. At most
// `maxConcurrentStarts` handshakes are in flight (gate.ts); a user ssh config that sets
// ControlMaster/ControlPath keeps its own sharing (user-ssh-config.ts); a run that sends each host one command
// (`shares: false`) starts no master: that command's ssh is the connection. The per-host time limit bounds
// connecting and read-only round trips (see ssh.ts).
import { spawnSync, type ChildProcess } from 'node:child_process'
import { setMaxListeners } from 'node:events'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { SSH_CONNECTION_FAILED } from './command-failure.ts'
import { masterAlive, terminateMaster } from './control-socket.ts'
import { Gate } from './gate.ts'
import { shellJoin } from './quote.ts'
import { spawnSsh } from './spawn-ssh.ts'
import type { CommandResult } from './transport.ts'
import { userSharesConnections, type UserSshConfig } from './user-ssh-config.ts'

/** Kamal's `sshkit.max_concurrent_starts` default: handshakes in flight at once. */
export const DEFAULT_MAX_CONCURRENT_STARTS = 30
/** How long a master outlives its last session; only matters when berth itself was SIGKILLed. */
const CONTROL_PERSIST_SECONDS = 30
/** A connection whose peer stops answering is given up after 15 s × 3 unanswered keepalives. */
const KEEPALIVE_OPTIONS = ['-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3']
/** `--host-timeout` default: connecting to a host, and each read-only round trip on it. */
export const DEFAULT_HOST_TIMEOUT_SECONDS = 60

// Unix socket paths hold about 104 bytes; ssh adds a 17-character suffix while it binds, and %C is 40 hex.
const SOCKET_DIR_MAX = 104 - 1 - 40 - 17

/** A fresh private (0700) directory for the control sockets, short enough for socket paths. */
export function makeControlDirectory(): string {
  const base = tmpdir().length + 'berth-ssh-XXXXXX'.length + 1 <= SOCKET_DIR_MAX ? tmpdir() : '/tmp'
  return mkdtempSync(path.join(base, 'berth-ssh-')) // mkdtemp creates it 0700
}

function entries(directory: string): number {
  try {
    return readdirSync(directory).length
  } catch {
    return 0
  }
}

function socketsIn(directory: string): string[] {
  try {
    return readdirSync(directory).map((name) => path.join(directory, name))
  } catch {
    return []
  }
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
  /**
   * false for a run that sends each host one command (check, details): that command's own ssh connects and runs
   * it, as `ssh host cmd` does, with no master beside it (a second process, and a second client of the host's
   * sshd, for nothing to share). Each command then counts as a handshake.
   */
  shares?: boolean
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
  failure: { exitCode: SSH_CONNECTION_FAILED, stdout: '', stderr, connectionFailed: true },
})

/** A wait for a connection given up because the run was interrupted. */
const abandoned = (host: string): Connection => ({
  ok: false,
  failure: {
    exitCode: SSH_CONNECTION_FAILED,
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
    // One listener per handshake in progress: at 11 hosts and more Node would call that a leak.
    setMaxListeners(0, this.stopping.signal)
  }

  get env(): NodeJS.ProcessEnv | undefined {
    return this.options.env
  }

  /** Keepalive options, unless the user's ssh config sets its own. */
  get keepalive(): string[] {
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
    if (this.options.shares === false) return { ok: true, options: this.keepalive, gate: this.gate }
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
