// Taking and releasing the deploy lock around a run that changes hosts. A second run fails fast with
// who holds the lock and since when, or waits with --lock-wait. The lock is released on errors and on
// SIGINT/SIGTERM, so an interrupted run does not leave it behind.
import os from 'node:os'
import { acquireLock, formatLockDetails, lockDirectory, lockStatus, parseLockDetails, releaseLock } from './commands.ts'
import type { Transport } from '../remote/transport.ts'
import { describeFailure } from '../flows/observe.ts'

export class LockHeldError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LockHeldError'
  }
}

export interface LockOptions {
  transport: Transport
  host: string
  service: string
  destination?: string
  message: string
  waitSeconds: number
  /** How to tell the user to release a stale lock. */
  releaseCommand: string
}

const POLL_MS = 1000

export function lockHolder(): string {
  return process.env.BERTH_LOCK_HOLDER ?? `${os.userInfo().username}@${os.hostname()}`
}

export class DeployLock {
  private readonly options: LockOptions
  private readonly directory: string
  private held = false
  private readonly onSignal = (signal: NodeJS.Signals) => {
    void this.release().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
  }

  constructor(options: LockOptions) {
    this.options = options
    this.directory = lockDirectory(options.service, options.destination)
  }

  async acquire(): Promise<void> {
    const { transport, host, waitSeconds } = this.options
    const details = formatLockDetails({ lockedBy: lockHolder(), at: new Date().toISOString(), version: 'berth', message: this.options.message })
    const deadline = Date.now() + waitSeconds * 1000
    for (;;) {
      const result = await transport.run(host, acquireLock(this.directory, details))
      if (result.exitCode === 0) break
      if (!/exists/i.test(result.stderr)) throw new Error(`could not take the deploy lock: ${describeFailure(host, 'mkdir', result)}`)
      if (Date.now() >= deadline) throw new LockHeldError(await this.heldMessage())
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    this.held = true
    process.once('SIGINT', this.onSignal)
    process.once('SIGTERM', this.onSignal)
  }

  async release(): Promise<void> {
    if (!this.held) return
    this.held = false
    process.off('SIGINT', this.onSignal)
    process.off('SIGTERM', this.onSignal)
    const result = await this.options.transport.run(this.options.host, releaseLock(this.directory))
    if (result.exitCode !== 0) {
      throw new Error(`could not release the deploy lock ${this.directory} on ${this.options.host}; release it with \`${this.options.releaseCommand}\`.`)
    }
  }

  async heldMessage(): Promise<string> {
    const { transport, host, waitSeconds, releaseCommand } = this.options
    const status = await transport.run(host, lockStatus(this.directory))
    const details = parseLockDetails(status.stdout)
    const who = details ? `by ${details.lockedBy} since ${details.at} (${details.message})` : 'by another run'
    const waited = waitSeconds > 0 ? ` after waiting ${waitSeconds}s` : ''
    return `The deploy lock ${this.directory} on ${host} is held ${who}${waited}; wait for that run to finish, pass --lock-wait SECONDS to wait for it, or if it is stale release it with \`${releaseCommand}\`.`
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
