// Taking and releasing the deploy lock around a run that changes hosts. A second run fails fast with
// who holds the lock and since when, or waits with --lock-wait. Every run of one config meets the same
// lock host, whatever it selects. The runner releases the lock after the last command that changed a
// host, also after SIGINT/SIGTERM (the flows stop starting new commands, then return).
import os from 'node:os'
import type { Deployment } from '../config/deployment.ts'
import { describeFailure, failureDetail, isConnectionFailure } from '../remote/command-failure.ts'
import type { Transport } from '../remote/transport.ts'
import {
  acquireLock,
  formatLockDetails,
  LOCK_STATUS_EXITS,
  lockDirectory,
  lockStatus,
  readLockStatus,
  releaseLock,
} from './lock-commands.ts'

/** Told apart by its name where the lock module is not loaded (run-session.ts). */
class LockHeldError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LockHeldError'
  }
}

/** Where a config's lock lives, and why there (for messages). */
export interface LockHost {
  host: string
  why: string
}

/**
 * One lock host per config: Kamal's primary host (the primary role's first host); for a config with
 * accessories only, the first host of the first accessory in config order. Never depends on a run's
 * selection, so `reboot all` and `reboot db --hosts x` meet the same lock.
 */
export function lockHostOf(deployment: Pick<Deployment, 'primaryHost' | 'accessories'>): LockHost | undefined {
  if (deployment.primaryHost) return { host: deployment.primaryHost, why: "the primary role's first host" }
  const first = deployment.accessories.find((a) => a.hosts.length > 0)
  if (!first) return undefined
  return {
    host: first.hosts[0]!,
    why: `the first host of the first accessory, \`${first.name}\`, as this config has no servers`,
  }
}

export interface LockOptions {
  transport: Transport
  lockHost: LockHost
  service: string
  destination?: string
  message: string
  waitSeconds: number
  /** How to tell the user to release a stale lock. */
  releaseCommand: string
  /** A signal ends a wait for the lock (nothing was changed yet). */
  signal?: AbortSignal
  /** Told once when the run starts waiting for another run's lock. */
  onWait?: (message: string) => void
}

const POLL_MS = 1000

function lockHolder(): string {
  return process.env.BERTH_LOCK_HOLDER ?? `${os.userInfo().username}@${os.hostname()}`
}

export class DeployLock {
  private readonly options: LockOptions
  private readonly directory: string
  private held = false

  constructor(options: LockOptions) {
    this.options = options
    this.directory = lockDirectory(options.service, options.destination)
  }

  private get host(): string {
    return this.options.lockHost.host
  }

  async acquire(): Promise<void> {
    const { transport, waitSeconds, signal } = this.options
    const details = formatLockDetails({
      lockedBy: lockHolder(),
      at: new Date().toISOString(),
      version: 'berth',
      message: this.options.message,
    })
    const deadline = Date.now() + waitSeconds * 1000
    let waiting = false
    for (;;) {
      if (signal?.aborted)
        throw new Error(
          `interrupted by ${String(signal.reason)} while waiting for the deploy lock; nothing was changed.`,
        )
      // the signal abandons only a wait for the connection: a `mkdir` that was sent runs to its end
      const result = await transport.run(this.host, acquireLock(this.directory, details), signal)
      if (result.interrupted)
        throw new Error(
          `interrupted by ${String(signal?.reason)} while connecting to take the deploy lock; nothing was changed.`,
        )
      if (result.exitCode === 0) break
      if (isConnectionFailure(result))
        throw new Error(this.unreachableMessage(describeFailure(this.host, 'mkdir', result)))
      if (!/exists/i.test(result.stderr))
        throw new Error(
          `could not take the deploy lock on ${this.host}: ${describeFailure(this.host, 'mkdir', result)}`,
        )
      if (Date.now() >= deadline) throw new LockHeldError(await this.heldMessage())
      if (!waiting)
        this.options.onWait?.(
          `waiting up to ${waitSeconds}s for the deploy lock ${this.directory}, held by another run`,
        )
      waiting = true
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    this.held = true
    // A signal that arrived while `mkdir` ran: the caller's work never starts, and the lock goes again.
  }

  private unreachableMessage(cause: string): string {
    const { lockHost } = this.options
    return (
      `could not take the deploy lock: it lives on ${lockHost.host} (${lockHost.why}), and ${cause.replace(/,? then run again\.$/, '.')} ` +
      'Every run of this config that changes hosts takes its lock there, so no host was changed; bring that host back and run again. ' +
      'Read-only commands (accessory-details, accessory-boot --dry-run) work without it.'
    )
  }

  async release(): Promise<void> {
    if (!this.held) return
    this.held = false
    const result = await this.options.transport.run(this.host, releaseLock(this.directory))
    if (result.exitCode !== 0) {
      throw new Error(
        `could not release the deploy lock ${this.directory} on ${this.host}; release it with \`${this.options.releaseCommand}\`.`,
      )
    }
  }

  async heldMessage(): Promise<string> {
    const { transport, waitSeconds, releaseCommand } = this.options
    const status = await transport.run(this.host, lockStatus(this.directory))
    const looked = LOCK_STATUS_EXITS.includes(status.exitCode) && !isConnectionFailure(status)
    const state = looked
      ? readLockStatus(status.exitCode, status.stdout)
      : {
          held: true as const,
          problem: `its details could not be read: ${failureDetail(status) || `exit ${status.exitCode}`}`,
        }
    const who = !state.held
      ? 'by another run'
      : state.details
        ? `by ${state.details.lockedBy} since ${state.details.at} (${state.details.message})`
        : `by a run that cannot be named (${state.problem})`
    const waited = waitSeconds > 0 ? ` after waiting ${waitSeconds}s` : ''
    return (
      `The deploy lock ${this.directory} on ${this.host} is held ${who}${waited}; wait for that run to finish, ` +
      `pass --lock-wait SECONDS to wait for it, or if it is stale release it with \`${releaseCommand}\`.`
    )
  }

  /** Set when the lock could not be released after the work, so the caller can report it after its result. */
  releaseError?: Error

  /** Runs `work` holding the lock; always releases it afterwards. A failed release never hides the work's result. */
  async around<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire()
    try {
      return await work()
    } finally {
      await this.release().catch((error: Error) => {
        this.releaseError = error
      })
    }
  }
}
