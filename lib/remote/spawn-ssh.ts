// Running the local `ssh` client once: in its own process group, its output passed on as it arrives, ended
// early only by a time limit or a signal berth was given (SIGTERM, then SIGKILL). What to run is the
// caller's (ssh.ts for commands, connections.ts for handshakes, `ssh -G` and `ssh -O exit`).
import { spawn, type ChildProcess } from 'node:child_process'
import { SSH_CONNECTION_FAILED } from './command-failure.ts'
import { forwardChunks } from './transport.ts'

interface SpawnOutcome {
  exitCode: number
  /** The time limit ended it (SIGTERM to the local ssh). */
  timedOut: boolean
  /** `signal` ended it (SIGTERM to the local ssh). */
  aborted: boolean
}

interface SpawnIo {
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
}

/** The exit code of an ssh that a signal ended without one. */
const SIGNALLED = 128
/** How long an ssh berth ended gets between SIGTERM and SIGKILL. */
const KILL_AFTER_MS = 2000

/**
 * Runs the local `ssh` with `args`, in its own process group: a Ctrl-C at the terminal reaches berth, which
 * decides, and never cuts a remote command (a container swap, say) in half by killing its ssh. Ended early
 * only by `signal` (logs --follow) or `timeoutMs` (read-only round trips, connecting).
 */
export function spawnSsh(args: string[], io: SpawnIo): Promise<SpawnOutcome> {
  const child = startSsh(args, io)
  if (!child) return Promise.resolve({ exitCode: SSH_CONNECTION_FAILED, timedOut: false, aborted: false })
  connectStreams(child, io)
  io.running?.(child)
  return outcomeOf(child, io, armEarlyStop(child, io))
}

function cannotRunSsh(io: SpawnIo, message: string): void {
  void io.stderr?.(Buffer.from(`could not run the local ssh client: ${message}\n`))
}

/** The local ssh, detached into its own process group; undefined (said on stderr) when it cannot be run. */
function startSsh(args: string[], io: SpawnIo): ChildProcess | undefined {
  try {
    return spawn('ssh', args, {
      stdio: [io.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
      env: io.env,
    })
  } catch (error) {
    cannotRunSsh(io, (error as Error).message)
    return undefined
  }
}

/** Writes the input to ssh's stdin and passes its stdout and stderr on as they arrive. */
function connectStreams(child: ChildProcess, io: SpawnIo): void {
  if (io.input !== undefined) {
    child.stdin?.on('error', () => {}) // ssh that failed to connect closes stdin early: its exit code tells why
    child.stdin?.end(io.input)
  }
  for (const [stream, take] of [
    [child.stdout, io.stdout],
    [child.stderr, io.stderr],
  ] as const)
    if (stream && take) forwardChunks(stream, take)
}

/** Why berth ended an ssh early, if it did; `disarm` once the ssh has ended. */
interface EarlyStop {
  timedOut: boolean
  aborted: boolean
  /** berth sent SIGTERM (for the time limit or the signal). */
  stopped: boolean
  disarm(): void
}

/** Ends `child` when `io.timeoutMs` passes or `io.signal` fires: SIGTERM, then SIGKILL if it lingers. */
function armEarlyStop(child: ChildProcess, io: SpawnIo): EarlyStop {
  const early: EarlyStop = { timedOut: false, aborted: false, stopped: false, disarm: () => {} }
  let killTimer: NodeJS.Timeout | undefined
  const stop = () => {
    early.stopped = true
    child.kill('SIGTERM')
    killTimer ??= setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS)
  }
  const limit = io.timeoutMs ? setTimeout(() => ((early.timedOut = true), stop()), io.timeoutMs) : undefined
  const abort = () => ((early.aborted = true), stop())
  early.disarm = () => {
    clearTimeout(limit)
    clearTimeout(killTimer)
    io.signal?.removeEventListener('abort', abort)
  }
  if (io.signal?.aborted) abort()
  else io.signal?.addEventListener('abort', abort, { once: true })
  return early
}

/** Resolves once, when ssh has ended: its exit code and whether berth ended it early. */
function outcomeOf(child: ChildProcess, io: SpawnIo, early: EarlyStop): Promise<SpawnOutcome> {
  return new Promise((resolve) => {
    let settled = false
    const settle = (exitCode: number) => {
      if (settled) return
      settled = true
      early.disarm()
      io.running?.(undefined)
      resolve({ exitCode, timedOut: early.timedOut, aborted: early.aborted })
    }
    child.on('error', (error) => {
      cannotRunSsh(io, error.message)
      settle(SSH_CONNECTION_FAILED)
    })
    child.on('close', (code) => settle(code ?? SIGNALLED))
    // A session over a shared connection hands its stdout/stderr to the master, which keeps them open while
    // the remote command hangs: a client berth ended counts as ended when it exits.
    child.on('exit', (code) => {
      if (!early.stopped) return
      child.stdout?.destroy()
      child.stderr?.destroy()
      settle(code ?? SIGNALLED)
    })
  })
}
