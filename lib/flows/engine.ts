// The one way flows run remote commands: steps in order per host, hosts in parallel, results returned,
// cleanup on failure, and the run's AbortSignal checked before every remote command. After SIGINT/SIGTERM
// no new command starts; only commands that put a host back as it was (`restore`) still run. The signal
// also reaches the transport: waits that change nothing (connecting, read-only commands) end at once.
import { auditLogFile, recordAudit, type AuditContext } from '../audit/audit-log.ts'
import { onHosts, type HostOutcome } from '../remote/fleet.ts'
import { describeFailure, failureDetail } from '../remote/command-failure.ts'
import type { CommandResult, OutputSink, RemoteCommand, Transport } from '../remote/transport.ts'

/** Thrown instead of starting a remote command once the run has been signalled. */
export class Interrupted extends Error {
  readonly signal: string
  constructor(signal: string) {
    super(`interrupted by ${signal}`)
    this.name = 'Interrupted'
    this.signal = signal
  }
}

export interface Step {
  /** What the step does, for messages: `create network kamal`. */
  description: string
  command: RemoteCommand
  /** Steps with the same key run once per host (network, login) however many accessories need them. */
  oncePerHost?: string
  /** A non-zero exit that still counts as success (the network already exists). */
  tolerate?: (result: CommandResult) => boolean
  /** Run when this step fails, so nothing half-made is left behind. */
  cleanup?: RemoteCommand
}

/** What a list of steps did on one host. `completed` counts the steps that succeeded (skipped once-per-host ones included). */
export type StepsResult =
  | { ok: true; results: Array<CommandResult | undefined> }
  | { ok: false; interrupted: false; completed: number; results: Array<CommandResult | undefined>; error: string }
  | { ok: false; interrupted: true; completed: number; results: Array<CommandResult | undefined>; signal: string }

/** Says what a host is doing as it happens (stderr: pulls, health waits, lock waits can take seconds). */
export type ProgressSink = (host: string, doing: string) => void

export interface EngineOptions {
  signal?: AbortSignal
  progress?: ProgressSink
  /** Where changes are recorded in Kamal's audit log on the hosts; none: nothing is recorded. */
  audit?: AuditContext
  /** Told a sentence when something the run does not fail on went wrong (an audit line not written). */
  warn?: (text: string) => void
}

export class StepEngine {
  readonly transport: Transport
  readonly signal: AbortSignal
  readonly progress: ProgressSink
  private readonly auditContext?: AuditContext
  private readonly warn: (text: string) => void

  constructor(transport: Transport, options: EngineOptions = {}) {
    this.transport = transport
    this.signal = options.signal ?? new AbortController().signal
    this.progress = options.progress ?? (() => {})
    this.auditContext = options.audit
    this.warn = options.warn ?? (() => {})
  }

  /**
   * Records changes already made on a host in Kamal's audit log (so `kamal audit` shows them). It runs even
   * after a signal, since it only describes what happened; a failure to record never fails the run, it is told.
   */
  async audit(host: string, messages: readonly string[]): Promise<void> {
    if (!this.auditContext || messages.length === 0) return
    const result = await this.restore(host, recordAudit(this.auditContext, messages, new Date()))
    if (result.exitCode === 0) return
    const file = auditLogFile(this.auditContext.service, this.auditContext.destination)
    const lacking = messages.map((m) => (m.length > 200 ? `${m.slice(0, 200)}…` : m)).join('; ')
    this.warn(
      `${host}: the audit log ${file} was not written (${failureDetail(result) || `exit ${result.exitCode}`}), ` +
        `so it lacks: ${lacking}. What was done stays done; check that host's ${file}.`,
    )
  }

  /** The signal's name (`SIGTERM`) once the run was interrupted. */
  get interruptedBy(): string | undefined {
    return this.signal.aborted ? String(this.signal.reason ?? 'SIGINT') : undefined
  }

  /** Throws `Interrupted` when the run has been signalled. */
  checkpoint(): void {
    const signal = this.interruptedBy
    if (signal) throw new Interrupted(signal)
  }

  /**
   * One remote command; never starts after a signal (throws `Interrupted` instead). A signal that comes
   * while it waits for its connection, or while a read-only command runs, throws `Interrupted` too.
   */
  async run(host: string, command: RemoteCommand): Promise<CommandResult> {
    this.checkpoint()
    const result = await this.transport.run(host, command, this.signal)
    if (result.interrupted) this.checkpoint()
    return result
  }

  /**
   * One remote command whose output goes to `sink` as it arrives (exec, logs --follow); never starts after a
   * signal. `until` ends it early (logs --follow ends on the run's own signal); without it, it runs to its end.
   */
  async stream(host: string, command: RemoteCommand, sink: OutputSink, until?: AbortSignal): Promise<CommandResult> {
    this.checkpoint()
    if (until) return this.transport.stream(host, command, sink, until)
    // Run to its end, but a signal while it waits for its connection throws `Interrupted` (nothing ran yet).
    const result = await this.transport.stream(host, command, sink, this.signal, { cut: false })
    if (result.interrupted) this.checkpoint()
    return result
  }

  /** A command that puts a host back as it was (rollback, cleanup): it runs even after a signal. */
  restore(host: string, command: RemoteCommand): Promise<CommandResult> {
    return this.transport.run(host, command)
  }

  /**
   * Waits for `work` that changes nothing (a registry look-up), unless the run is signalled first: then
   * throws `Interrupted` at once and leaves `work` to end by itself (its own time limit bounds it).
   */
  async unlessInterrupted<T>(work: Promise<T>): Promise<T> {
    this.checkpoint()
    let abort = () => {}
    const interrupted = new Promise<never>((_, reject) => {
      abort = () => reject(new Interrupted(this.interruptedBy ?? 'SIGINT'))
      this.signal.addEventListener('abort', abort, { once: true })
    })
    try {
      return await Promise.race([work, interrupted])
    } finally {
      this.signal.removeEventListener('abort', abort)
    }
  }

  /** Waits, unless the run is signalled first (then throws `Interrupted`). */
  async sleep(ms: number): Promise<void> {
    this.checkpoint()
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        this.signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.signal.addEventListener('abort', done, { once: true })
    })
    this.checkpoint()
  }

  /**
   * Steps in order on one host. Stops at the first failure (running that step's cleanup) or at a signal.
   * `done` carries once-per-host keys across calls for the same host.
   */
  async steps(host: string, steps: readonly Step[], done: Set<string> = new Set()): Promise<StepsResult> {
    const results: Array<CommandResult | undefined> = []
    for (const [index, step] of steps.entries()) {
      if (step.oncePerHost && done.has(step.oncePerHost)) {
        results.push(undefined)
        continue
      }
      const signal = this.interruptedBy
      if (signal) return { ok: false, interrupted: true, completed: index, results, signal }
      this.progress(host, step.description)
      const result = await this.transport.run(host, step.command, this.signal)
      if (result.interrupted)
        return { ok: false, interrupted: true, completed: index, results, signal: this.interruptedBy! }
      results.push(result)
      if (result.exitCode !== 0 && !step.tolerate?.(result)) {
        if (step.cleanup) await this.restore(host, step.cleanup)
        return {
          ok: false,
          interrupted: false,
          completed: index,
          results,
          error: `could not ${step.description}: ${describeFailure(host, step.description, result)}`,
        }
      }
      if (step.oncePerHost) done.add(step.oncePerHost)
    }
    return { ok: true, results }
  }

  /** Every host in parallel, each to the end; a host whose work throws reports its error. */
  onHosts<T>(hosts: readonly string[], work: (host: string) => Promise<T>): Promise<Array<HostOutcome<T>>> {
    return onHosts(hosts, work)
  }
}
