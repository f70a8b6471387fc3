// accessory-tunnel's one connection to a host: an ssh master that stays berth's child (`ControlMaster=yes`,
// no ControlPersist: the run's shared masters end by themselves 30 s after their last session, which a
// tunnel must outlive), the container lookup as a session over it, and each forward added to it with
// `ssh -O forward -L 127.0.0.1:…`, one per port, so a port that cannot be bound is known by its number.
// `close()` ends the master (its listeners go with it) and removes its private socket directory; so does a
// process `exit` hook when a second signal exits at once. The master's own session is `cat >/dev/null`
// reading a pipe from berth: however berth ends, SIGKILL included, the pipe closes, the session ends, and
// the master with it (once the connections through it have closed), so no tunnel outlives berth. The
// master is in its own process group, so a Ctrl-C at the terminal reaches berth, which closes it.
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import path from 'node:path'
import { makeControlDirectory } from './connections.ts'
import { masterAlive, terminateMaster } from './control-socket.ts'
import { shellJoin } from './quote.ts'
import { spawnSsh } from './spawn-ssh.ts'
import {
  Tail,
  type CommandResult,
  type ForwardSpec,
  type RemoteCommand,
  type Tunnel,
  type TunnelEnd,
} from './transport.ts'

export interface TunnelOptions {
  /** ssh's argv for the host up to (not including) the remote command, with `extra` options (stdin: keep it). */
  argv(extra: string[], stdin?: boolean): string[]
  env?: NodeJS.ProcessEnv
  /** Keepalives, unless the user's ssh config sets its own. */
  keepalive: string[]
  /** `--host-timeout` in ms (0: none): connecting, and the lookup. */
  hostTimeoutMs: number
  /** -v: each remote command line as it is sent. */
  observe?: (commandLine: string) => void
}

/** `-L`'s argument: bound to 127.0.0.1 only; an IPv6 address in brackets. */
export function forwardArgument(spec: ForwardSpec): string {
  const address = spec.address.includes(':') ? `[${spec.address}]` : spec.address
  return `127.0.0.1:${spec.local}:${address}:${spec.port}`
}

const POLL_MS = 50
/** The master's own session: it reads berth's pipe until berth ends, and prints nothing. */
const UNTIL_BERTH_ENDS = 'cat >/dev/null'

export class TunnelConnection implements Tunnel {
  private readonly options: TunnelOptions
  private readonly directory = makeControlDirectory()
  private readonly socket = path.join(this.directory, 't')
  private child?: ChildProcess
  private readonly stderr = new Tail()
  private ended?: TunnelEnd
  private onEnd?: (end: TunnelEnd) => void
  /** Settles when the master has exited, for whatever reason. */
  readonly closed: Promise<TunnelEnd>
  private readonly onExit = () => this.closeSync()

  constructor(options: TunnelOptions) {
    this.options = options
    this.closed = new Promise((resolve) => (this.onEnd = resolve))
    process.once('exit', this.onExit)
  }

  /** Starts the master and waits until it answers on its socket; ssh's words when it ended or timed out first. */
  async open(signal: AbortSignal): Promise<{ ok: true } | { ok: false; message: string; interrupted?: true }> {
    const extra = [...this.options.keepalive, '-o', 'ControlMaster=yes', '-o', `ControlPath=${this.socket}`]
    // the user's LocalForward/RemoteForward for this host are not this tunnel's (`-O forward` adds its own)
    const master = [...extra, '-o', 'ControlPersist=no', '-o', 'ClearAllForwardings=yes', '-o', 'RequestTTY=no']
    this.options.observe?.(UNTIL_BERTH_ENDS)
    const child = spawn('ssh', [...this.options.argv(master, true), UNTIL_BERTH_ENDS], {
      stdio: ['pipe', 'ignore', 'pipe'],
      detached: true,
      env: this.options.env,
    })
    this.child = child
    child.stdin?.on('error', () => {}) // a master that ended closes it: its exit code tells why
    child.stderr?.on('data', (chunk: Buffer) => this.stderr.push(chunk))
    child.on('error', (error) => this.end(255, `could not run the local ssh client: ${error.message}\n`))
    child.on('close', (code, signalName) => this.end(code ?? (signalName ? 128 : 255), ''))
    const deadline = this.options.hostTimeoutMs ? Date.now() + this.options.hostTimeoutMs : Infinity
    while (!this.ended) {
      if (signal.aborted) return { ok: false, message: 'the run was interrupted', interrupted: true }
      if (Date.now() > deadline) return { ok: false, message: this.timeoutMessage() }
      if (await masterAlive(this.socket, 1000)) return { ok: true }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    return { ok: false, message: this.ended.stderr.trim() || `ssh exited with ${this.ended.exitCode}` }
  }

  private timeoutMessage(): string {
    return `no answer within ${this.options.hostTimeoutMs / 1000}s (the per-host time limit, --host-timeout)`
  }

  private end(exitCode: number, extra: string): void {
    if (this.ended) return
    this.ended = { exitCode, stderr: `${this.stderr.toString()}${extra}` }
    this.onEnd?.(this.ended)
  }

  /** A remote command as a session over the master, bounded by the per-host time limit. */
  async run(command: RemoteCommand, signal: AbortSignal): Promise<CommandResult> {
    const remote = shellJoin(command.argv)
    this.options.observe?.(remote)
    let stdout = ''
    let stderr = ''
    const session = [...this.sessionOptions(), '-o', 'ClearAllForwardings=yes']
    const outcome = await spawnSsh([...this.options.argv(session), remote], {
      env: this.options.env,
      stdout: (chunk) => void (stdout += chunk.toString()),
      stderr: (chunk) => void (stderr += chunk.toString()),
      timeoutMs: this.options.hostTimeoutMs || undefined,
      signal,
    })
    if (outcome.timedOut) stderr += `${this.timeoutMessage()}\n`
    return { exitCode: outcome.exitCode, stdout, stderr }
  }

  private sessionOptions(): string[] {
    return ['-o', 'ControlMaster=no', '-o', `ControlPath=${this.socket}`]
  }

  /** Adds one forward to the master (`ssh -O forward`): ok, or ssh's words (a port that cannot be bound). */
  async forward(spec: ForwardSpec): Promise<{ ok: true } | { ok: false; message: string }> {
    let stderr = ''
    const argv = this.options.argv([...this.sessionOptions(), '-O', 'forward', '-L', forwardArgument(spec)])
    const outcome = await spawnSsh(argv, {
      env: this.options.env,
      stderr: (chunk) => void (stderr += chunk.toString()),
      timeoutMs: 10_000,
    })
    return outcome.exitCode === 0 ? { ok: true } : { ok: false, message: stderr.trim() || `exit ${outcome.exitCode}` }
  }

  /** Ends the master (over its socket, else SIGTERM, then SIGKILL) and waits until it has exited; idempotent. */
  async close(): Promise<void> {
    process.off('exit', this.onExit)
    const child = this.child
    if (child && !this.ended) {
      if (!(await terminateMaster(this.socket))) this.kill('SIGTERM')
      const killer = setTimeout(() => this.kill('SIGKILL'), 3000)
      await this.closed
      clearTimeout(killer)
    }
    rmSync(this.directory, { recursive: true, force: true })
  }

  private kill(signal: NodeJS.Signals): void {
    try {
      this.child?.kill(signal)
    } catch {
      // already gone
    }
  }

  /** For a process that exits now: SIGTERM to the master, and its directory goes. */
  private closeSync(): void {
    if (!this.ended) this.kill('SIGTERM')
    rmSync(this.directory, { recursive: true, force: true })
  }
}
