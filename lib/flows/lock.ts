// scripts/lock.mjs: show or release the deploy lock. For accessory-only configs the lock lives on the
// first host of whichever run took it, so every candidate host is looked at.
import type { Deployment } from '../config/model.ts'
import { lockDirectory, lockStatus, releaseLock } from '../lock/commands.ts'
import { onHosts } from '../remote/fleet.ts'
import type { Transport } from '../remote/transport.ts'
import { describeFailure } from './observe.ts'

/** Where a lock can be: the primary host, or the first host of each accessory. */
export function lockCandidates(deployment: Deployment): string[] {
  if (deployment.primaryHost) return [deployment.primaryHost]
  return [...new Set(deployment.accessories.flatMap((a) => a.hosts.slice(0, 1)))]
}

export interface LockReport {
  lines: string[]
  exitCode: number
}

export async function lockCommand(deployment: Deployment, transport: Transport, action: 'status' | 'release'): Promise<LockReport> {
  const directory = lockDirectory(deployment.service, deployment.destination)
  const outcomes = await onHosts(lockCandidates(deployment), async (host) => {
    const status = await transport.run(host, lockStatus(directory))
    if (status.exitCode === 255) throw new Error(describeFailure(host, 'stat', status))
    if (status.exitCode !== 0) return `No deploy lock ${directory} on ${host}.`
    const details = status.stdout.trim().replaceAll('\n', '; ')
    if (action === 'status') return `Deploy lock ${directory} on ${host}: ${details}`
    const released = await transport.run(host, releaseLock(directory))
    if (released.exitCode !== 0) throw new Error(describeFailure(host, 'rm', released))
    return `Released the deploy lock ${directory} on ${host} (${details}).`
  })
  return {
    lines: outcomes.map((o) => (o.ok ? o.value : `Could not check the deploy lock on ${o.host}: ${o.error.message}`)),
    exitCode: outcomes.every((o) => o.ok) ? 0 : 1,
  }
}
