// After a reboot's swap: does the new container stay up (running, never restarted, healthy if it has a check)?
// Throws a sentence saying why not, with the container's last output when it stopped.
import { containerHealth, containerLogs } from '../docker/accessory-commands.ts'
import { describeFailure } from '../remote/command-failure.ts'
import type { StepEngine } from './engine.ts'

/** A new container must stay running this long (and not restart) to count as up. */
export const SETTLE_MS = 1000
const POLL_MS = 250

/**
 * Waits until the container has been running SETTLE_MS without restarting, and is healthy if it has a check.
 * Throws `Interrupted` at a signal: a health check is never waited for after one.
 */
export async function verifyUp(
  engine: StepEngine,
  host: string,
  id: string,
  healthTimeoutSeconds: number,
  settleMs: number,
): Promise<void> {
  const started = Date.now()
  const healthy = healthTimeoutSeconds
    ? ` (and becomes healthy if it has a health check, up to ${healthTimeoutSeconds}s)`
    : ''
  engine.progress(host, `checking that the new container stays up${healthy}`)
  const pollMs = Math.min(POLL_MS, settleMs)
  const deadline = started + Math.max(healthTimeoutSeconds * 1000, settleMs + pollMs)
  for (;;) {
    const elapsed = Date.now() - started
    const result = await engine.run(host, containerHealth(id))
    if (result.exitCode === 1 && /No such (container|object)/i.test(result.stderr))
      throw new Error('the new container is gone (removed while the reboot ran)')
    if (result.exitCode !== 0) throw new Error(describeFailure(host, 'docker inspect', result))
    const [status, restarts, health] = result.stdout.trim().split(' ')
    if (status === 'removing') throw new Error('the new container is being removed (by hand, while the reboot ran)')
    if (status !== 'running' || restarts !== '0') {
      const logs = await engine.run(host, containerLogs(id, { lines: 5, timestamps: false }))
      // (`docker logs … 2>&1`: a failed read prints docker's error, which is no output of the container's)
      const tail = logs.exitCode ? '' : logs.stdout.trim().split('\n').filter(Boolean).slice(-3).join(' | ')
      const restarted = restarts !== '0' ? `, restarted ${restarts}×` : ''
      const output = tail ? `; its last output: ${tail}` : ''
      throw new Error(`the new container did not stay up (${status}${restarted})${output}`)
    }
    if (health === 'unhealthy') throw new Error('the new container reported unhealthy')
    // Settled when this look began at least settleMs after the start: running, and never restarted, all along.
    const settled = elapsed >= settleMs
    if (settled && (health === 'none' || health === 'healthy')) return
    if (Date.now() > deadline)
      throw new Error(`the new container was not healthy within ${healthTimeoutSeconds}s (health: ${health})`)
    // The last look of the settle window starts right at its end.
    await engine.sleep(settled ? pollMs : Math.max(0, Math.min(pollMs, started + settleMs - Date.now())))
  }
}
