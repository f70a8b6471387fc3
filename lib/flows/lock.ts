// scripts/lock.mjs: show or release the deploy lock on the config's one lock host.
import type { Deployment } from '../config/model.ts'
import { lockDirectory, lockStatus, releaseLock } from '../lock/commands.ts'
import { lockHostOf } from '../lock/deploy-lock.ts'
import { describeFailure, isConnectionFailure, type Transport } from '../remote/transport.ts'

export interface LockReport {
  lines: string[]
  exitCode: number
}

export async function lockCommand(
  deployment: Deployment,
  transport: Transport,
  action: 'status' | 'release',
): Promise<LockReport> {
  const directory = lockDirectory(deployment.service, deployment.destination)
  const lockHost = lockHostOf(deployment)
  if (!lockHost) return { lines: ['This config has no hosts, so it has no deploy lock.'], exitCode: 0 }
  const { host } = lockHost
  const status = await transport.run(host, lockStatus(directory))
  if (isConnectionFailure(status)) {
    return {
      lines: [`Could not check the deploy lock on ${host} (${lockHost.why}): ${describeFailure(host, 'stat', status)}`],
      exitCode: 1,
    }
  }
  if (status.exitCode !== 0) return { lines: [`No deploy lock ${directory} on ${host}.`], exitCode: 0 }
  const details = status.stdout.trim().replaceAll('\n', '; ')
  if (action === 'status') return { lines: [`Deploy lock ${directory} on ${host}: ${details}`], exitCode: 0 }
  const released = await transport.run(host, releaseLock(directory))
  if (released.exitCode !== 0)
    return {
      lines: [`Could not release the deploy lock on ${host}: ${describeFailure(host, 'rm', released)}`],
      exitCode: 1,
    }
  return { lines: [`Released the deploy lock ${directory} on ${host} (${details}).`], exitCode: 0 }
}
