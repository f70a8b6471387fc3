// One read-only round trip per host: every container carrying Kamal's `service` label, inspected by id.
import { inspectServiceContainers } from '../docker/commands.ts'
import { parseInspect } from '../docker/inspect.ts'
import { judgeAll, type HostObservation, type Verdict } from '../drift/verdicts.ts'
import { onHosts } from '../remote/fleet.ts'
import { SSH_CONNECTION_FAILED, type CommandResult, type Transport } from '../remote/transport.ts'
import type { Selection } from './selection.ts'

/** A failure as one sentence that names the host and says what to do. */
export function describeFailure(host: string, what: string, result: CommandResult): string {
  const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').filter(Boolean).slice(-2).join(' ')
  if (result.exitCode === SSH_CONNECTION_FAILED) {
    return `could not connect to ${host} over ssh (${detail || 'ssh exited 255'}); check that the host is up and that \`ssh ${host}\` works with the configured user and keys, then run again.`
  }
  return `${what} exited ${result.exitCode}${detail ? ` (${detail})` : ''}; fix the cause on ${host} and run again.`
}

export async function observeHosts(transport: Transport, hosts: readonly string[]): Promise<Map<string, HostObservation>> {
  const outcomes = await onHosts(hosts, async (host): Promise<HostObservation> => {
    const result = await transport.run(host, inspectServiceContainers())
    if (result.exitCode !== 0) return { ok: false, error: describeFailure(host, '`docker ps | docker inspect`', result) }
    return { ok: true, containers: parseInspect(result.stdout) }
  })
  return new Map(
    outcomes.map((o) => [o.host, o.ok ? o.value : { ok: false, error: `could not read containers on ${o.host}: ${o.error.message}` }]),
  )
}

/** Every host a selection touches, in first-seen order. */
export function selectionHosts(selection: readonly Selection[]): string[] {
  return [...new Set(selection.flatMap((s) => s.hosts))]
}

/** Observe every host of a selection once, and judge each accessory × host (config order). */
export async function observeSelection(
  transport: Transport,
  selection: readonly Selection[],
): Promise<{ observations: Map<string, HostObservation>; verdicts: Verdict[] }> {
  const observations = await observeHosts(transport, selectionHosts(selection))
  return { observations, verdicts: judgeAll(selection, observations) }
}
