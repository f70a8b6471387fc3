// How a command reaches a host. Every remote command in berth goes through `Transport.run` (output collected)
// or `Transport.stream` (output passed on as it arrives, byte for byte): the command and result types, the
// stream helpers transports share, and a command as the user could type it. Telling and describing why a
// command failed is command-failure.ts.
import { displayJoin, type ShellWord } from './quote.ts'

export interface RemoteCommand {
  argv: ShellWord[]
  /** Sent on stdin (secrets travel this way, never in argv). Not printed by -v. */
  input?: string
  /**
   * Only reads (docker ps/inspect, logs, the lock's status): the per-host time limit (`--host-timeout`) may
   * end it. A command that changes a host never has a time limit.
   */
  readOnly?: boolean
  /**
   * Runs on a remote terminal (`ssh -tt`), so ending the local end hangs the remote command up instead of
   * leaving it running (logs --follow). Its stdout and stderr then arrive together, on stdout.
   */
  terminal?: boolean
}

export interface CommandResult {
  exitCode: number
  stdout: string
  stderr: string
  /** A read-only command ended by the per-host time limit (its exit code is then TIMED_OUT). */
  timedOut?: { seconds: number }
  /**
   * The run's signal ended the wait: a read-only command was cut short, or the command never started
   * because its connection was still being made. Nothing was changed on the host by it.
   */
  interrupted?: true
  /**
   * Set by a transport that knows whether the connection failed (true: the command never ran, e.g. the
   * handshake failed) or held (false: a 255 is the remote command's own exit). Unset: guessed from exit
   * 255 and ssh's own words on stderr (isConnectionFailure in command-failure.ts).
   */
  connectionFailed?: boolean
}

/** The exit code of a read-only command that the per-host time limit ended (as timeout(1)). */
export const TIMED_OUT = 124

/** Output as it arrives, byte for byte. A returned promise holds the next chunk back until it settles (backpressure). */
export interface OutputSink {
  stdout(chunk: Uint8Array): void | Promise<void>
  stderr(chunk: Uint8Array): void | Promise<void>
}

/** How much of each stream `Transport.stream` keeps to describe a failure. */
const TAIL_BYTES = 4096

/** The last `TAIL_BYTES` of a stream (what a failure sentence quotes), decoded when asked. */
export class Tail {
  private kept = Buffer.alloc(0)
  push(chunk: Uint8Array): void {
    // A copy, so a large chunk's memory is not held by the few bytes kept of it.
    const joined = chunk.length >= TAIL_BYTES ? chunk : Buffer.concat([this.kept, chunk])
    this.kept = Buffer.from(joined.subarray(Math.max(0, joined.length - TAIL_BYTES)))
  }
  toString(): string {
    return this.kept.toString('utf8')
  }
}

/**
 * Hands each chunk of `stream` to `take`; while the promise `take` returns is pending the stream is paused, so
 * output is passed on as fast as it is taken and never piled up in memory (backpressure).
 */
export function forwardChunks<Chunk extends string | Buffer>(
  stream: NodeJS.ReadableStream,
  take: (chunk: Chunk) => void | Promise<void>,
): void {
  stream.on('data', (chunk: Chunk) => {
    const taken = take(chunk)
    if (!taken) return
    stream.pause()
    void taken.then(
      () => stream.resume(),
      () => stream.resume(),
    )
  })
}

export interface Transport {
  /**
   * Runs one command on one host. Never throws for a non-zero exit: the caller decides. Once `signal` (the
   * run's) fires, waits that change nothing end at once with `interrupted`: connecting, and a `readOnly`
   * command. A command that changes a host is never cut short.
   */
  run(host: string, command: RemoteCommand, signal?: AbortSignal): Promise<CommandResult>
  /**
   * Runs one command, handing its output over byte for byte as it arrives (logs --follow, exec), never holding
   * it: the result's stdout and stderr are only their last `TAIL_BYTES`, to describe a failure. When `signal`
   * fires, the local end is closed and the promise resolves; with `cut: false` (exec) it only abandons the wait
   * for the connection (`interrupted`), and a command that has started runs to its end.
   */
  stream(
    host: string,
    command: RemoteCommand,
    sink: OutputSink,
    signal?: AbortSignal,
    options?: { cut: boolean },
  ): Promise<CommandResult>
  /** Starts connecting to these hosts now (their first commands come later); never fails by itself. */
  prepare?(hosts: readonly string[]): void
  /** Ends what the transport holds open (shared ssh connections); the runner calls it once, at the end. */
  close?(): Promise<void>
  /** A connection of its own to `host` that carries port forwards (accessory-tunnel); not every transport has one. */
  tunnel?(host: string): Tunnel
}

/** One forward: 127.0.0.1:local here to address:port as the host sees it. */
export interface ForwardSpec {
  local: number
  address: string
  port: number
}

/** How a tunnel's connection ended: ssh's exit code and the last of what it said. */
export interface TunnelEnd {
  exitCode: number
  stderr: string
}

/** A connection that carries forwards (lib/remote/tunnel-connection.ts): open it, look, forward, wait, close. */
export interface Tunnel {
  /** Connects; ssh's words when it could not (or `interrupted` when `signal` fired first). */
  open(signal: AbortSignal): Promise<{ ok: true } | { ok: false; message: string; interrupted?: true }>
  /** A read-only command over this connection; `signal` ends it. */
  run(command: RemoteCommand, signal: AbortSignal): Promise<CommandResult>
  /** Adds one forward: ok, or ssh's words. */
  forward(spec: ForwardSpec): Promise<{ ok: true } | { ok: false; message: string }>
  /** Settles when the connection has ended, for whatever reason. */
  readonly closed: Promise<TunnelEnd>
  /** Ends the connection and every forward with it; resolves once it has ended. */
  close(): Promise<void>
}

/** A remote command as the user could type it; stdin is named by size only (it may hold secrets). */
export function describeCommand(command: RemoteCommand): string {
  const line = displayJoin(command.argv)
  return command.input === undefined ? line : `${line}  # stdin: ${Buffer.byteLength(command.input)} bytes, not shown`
}
