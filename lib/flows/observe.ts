// One read-only round trip per host: every container carrying Kamal's `service` label, inspected by id.
import { inspectServiceContainers } from '../docker/commands.ts'
import { parseInspectResult } from '../docker/inspect.ts'
import { judgeAll, type HostObservation, type Verdict } from '../drift/verdicts.ts'
import { describeFailure, isConnectionFailure } from '../remote/transport.ts'
import type { StepEngine } from './engine.ts'
import type { Selection } from './selection.ts'

export async function observeHosts(engine: StepEngine, hosts: readonly string[]): Promise<Map<string, HostObservation>> {
  const outcomes = await engine.onHosts(hosts, async (host): Promise<HostObservation> => {
    const result = await engine.run(host, inspectServiceContainers())
    const containers = parseInspectResult(result)
    if (containers) return { ok: true, containers }
    const failure = describeFailure(host, '`docker ps`/`docker inspect`', result)
    return { ok: false, error: isConnectionFailure(result) ? failure : `could not list the containers: ${failure}` }
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
  engine: StepEngine,
  selection: readonly Selection[],
): Promise<{ observations: Map<string, HostObservation>; verdicts: Verdict[] }> {
  const observations = await observeHosts(engine, selectionHosts(selection))
  return { observations, verdicts: judgeAll(selection, observations) }
}
