// One read-only round trip per host: every container carrying Kamal's `service` label, inspected by id.
import type { Accessory } from '../config/accessory.ts'
import { inspectHost } from '../docker/accessory-commands.ts'
import { parseHostInspection } from '../docker/inspect.ts'
import { judgeAll, type HostObservation, type JudgeContext, type Verdict } from '../drift/verdicts.ts'
import { describeFailure, isConnectionFailure } from '../remote/command-failure.ts'
import { Interrupted, type StepEngine } from './engine.ts'
import { selectionHosts, type Selection } from './selection.ts'

/**
 * One read-only round trip per host: its labelled containers, the configured images of `accessoriesOf(host)`
 * that have a container there, and the own containers' images.
 */
export async function observeHosts(
  engine: StepEngine,
  hosts: readonly string[],
  accessoriesOf: (host: string) => Accessory[] = () => [],
  proxiedOn: (host: string) => boolean = () => false,
): Promise<Map<string, HostObservation>> {
  const outcomes = await engine.onHosts(hosts, async (host): Promise<HostObservation> => {
    const result = await engine.run(host, inspectHost(accessoriesOf(host), proxiedOn(host)))
    const inspected = parseHostInspection(result)
    if (inspected) return { ok: true, ...inspected }
    const failure = describeFailure(host, '`docker ps`/`docker inspect`', result)
    return { ok: false, error: isConnectionFailure(result) ? failure : `could not list the containers: ${failure}` }
  })
  return new Map(
    outcomes.map((o) => [
      o.host,
      o.ok
        ? o.value
        : {
            ok: false,
            error:
              o.error instanceof Interrupted
                ? `not read: the run was interrupted by ${o.error.signal} before ${o.host} answered.`
                : `could not read containers on ${o.host}: ${o.error.message}`,
          },
    ]),
  )
}

/** The selection's accessories on one host. */
export function accessoriesOn(selection: readonly Selection[], host: string): Accessory[] {
  return selection.filter((s) => s.hosts.includes(host)).map((s) => s.accessory)
}

/** Whether an accessory of the selection on this host is served through kamal-proxy (its view is read then). */
export function proxiedOn(selection: readonly Selection[], host: string): boolean {
  return selection.some((s) => s.hosts.includes(host) && s.accessory.proxy !== undefined)
}

/** Observe every host of a selection once, and judge each accessory × host (config order). */
export async function observeSelection(
  engine: StepEngine,
  selection: readonly Selection[],
  context: JudgeContext,
): Promise<{ observations: Map<string, HostObservation>; verdicts: Verdict[] }> {
  const observations = await observeHosts(
    engine,
    selectionHosts(selection),
    (host) => accessoriesOn(selection, host),
    (host) => proxiedOn(selection, host),
  )
  return { observations, verdicts: judgeAll(selection, observations, context) }
}
