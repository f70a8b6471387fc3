// scripts/lock.mjs: show or release the deploy lock on the config's one lock host. A lock whose details
// cannot be read (not base64, or no details file) is still a lock: status says so, release removes it.
import type { Deployment } from '../config/deployment.ts'
import {
  LOCK_STATUS_EXITS,
  lockDirectory,
  lockStatus,
  NO_LOCK,
  readLockStatus,
  releaseLock,
} from '../lock/lock-commands.ts'
import { lockHostOf } from '../lock/deploy-lock.ts'
import { describeFailure, isConnectionFailure } from '../remote/command-failure.ts'
import { describeCommand, type Transport } from '../remote/transport.ts'
import { EXIT_DRIFT, EXIT_ERROR, EXIT_OK } from '../report/exit-codes.ts'

export type LockAction = 'status' | 'release'

export interface LockReport {
  lines: string[]
  exitCode: number
}

export interface LockCommandOptions {
  /** release: say what would be released, change nothing (exit 2 when there is a lock). */
  dryRun: boolean
  /** The command that releases this lock, for messages. */
  releaseCommand: string
}

/** `lock status` or `lock release` on the config's lock host: what to say, and the exit code. */
export async function lockCommand(
  deployment: Deployment,
  transport: Transport,
  action: LockAction,
  options: LockCommandOptions,
): Promise<LockReport> {
  const directory = lockDirectory(deployment.service, deployment.destination)
  const lockHost = lockHostOf(deployment)
  if (!lockHost) return { lines: ['This config has no hosts, so it has no deploy lock.'], exitCode: EXIT_OK }
  const { host } = lockHost
  const status = await transport.run(host, lockStatus(directory))
  if (isConnectionFailure(status) || !LOCK_STATUS_EXITS.includes(status.exitCode)) {
    return {
      lines: [`Could not check the deploy lock on ${host} (${lockHost.why}): ${describeFailure(host, 'sh', status)}`],
      exitCode: EXIT_ERROR,
    }
  }
  const state = readLockStatus(status.exitCode, status.stdout)
  if (!state.held) return { lines: [`No deploy lock ${directory} on ${host}.`], exitCode: EXIT_OK }
  const what = state.details ? state.text.replaceAll('\n', '; ') : `its holder cannot be read: ${state.problem}`
  if (action === 'status') {
    const release = state.details ? '' : `; if no run holds it, release it with \`${options.releaseCommand}\`.`
    return { lines: [`Deploy lock ${directory} on ${host}: ${what}${release}`], exitCode: EXIT_OK }
  }
  return releaseHeldLock(transport, { host, directory, what, hasDetails: status.exitCode === 0 }, options)
}

/** Releases the lock found held (`what` says by whom), or with --dry-run says what would be released. */
async function releaseHeldLock(
  transport: Transport,
  { host, directory, what, hasDetails }: { host: string; directory: string; what: string; hasDetails: boolean },
  options: LockCommandOptions,
): Promise<LockReport> {
  const release = releaseLock(directory, hasDetails)
  if (options.dryRun)
    return {
      lines: [
        `Would release the deploy lock ${directory} on ${host} (${what}); run without --dry-run to do it:`,
        `    ${describeCommand(release)}`,
      ],
      exitCode: EXIT_DRIFT,
    }
  const released = await transport.run(host, release)
  if (released.exitCode !== 0 && !isConnectionFailure(released)) {
    // another release (or the holder's own) may have removed it since: then it is gone, as asked
    const after = await transport.run(host, lockStatus(directory))
    if (!isConnectionFailure(after) && after.exitCode === NO_LOCK)
      return {
        lines: [
          `The deploy lock ${directory} on ${host} was released meanwhile (by another release or by the run that held it).`,
        ],
        exitCode: EXIT_OK,
      }
  }
  if (released.exitCode !== 0)
    return {
      lines: [`Could not release the deploy lock on ${host}: ${describeFailure(host, 'rm', released)}`],
      exitCode: EXIT_ERROR,
    }
  return { lines: [`Released the deploy lock ${directory} on ${host} (${what}).`], exitCode: EXIT_OK }
}
