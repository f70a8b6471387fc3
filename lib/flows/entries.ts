// The one mapping from what a run found and did to report entries, used by every verb: the verdict gives
// the observed fields and the state outcome; what a flow did on the host (its result) overrides the outcome.
import type { ContainerState } from '../docker/inspect.ts'
import type { Leftover, Verdict } from '../drift/verdicts.ts'
import type { Outcome, ReportEntry } from '../report/model.ts'

/** What a flow did for one accessory × host. */
export interface PairResult {
  outcome: Outcome
  error?: string
  detail?: string
  plannedCommands?: string[]
  /** The leftovers after the flow ran, when it changed them (remove takes them away). */
  leftovers?: ReportEntry['leftovers']
}

/** Key of an accessory × host pair in result maps. */
export const pairKey = (accessory: string, host: string): string => `${accessory}\u0000${host}`

export function entryFor(verdict: Verdict, result?: PairResult): ReportEntry {
  const { accessory, host } = verdict
  const base = { accessory: accessory.name, service: accessory.serviceName, host, configuredImage: accessory.image }
  let found: ReportEntry
  switch (verdict.kind) {
    case 'unobserved':
      found = { ...base, outcome: 'failed', error: verdict.error }
      break
    case 'missing':
      found = { ...base, outcome: 'missing', ...leftoversOf(verdict.leftovers) }
      break
    case 'in_sync':
    case 'drift': {
      const c = verdict.container
      const observed = {
        runningImage: c.image,
        containerId: c.id.slice(0, 12),
        state: c.state,
        ...(c.imageId ? { runningImageId: c.imageId } : {}),
      }
      const outcome: Outcome = verdict.kind === 'drift' ? 'drift' : stateOutcome(c.state)
      found = {
        ...base,
        ...observed,
        outcome,
        ...(verdict.kind === 'drift' ? { drift: verdict.findings } : {}),
        ...(verdict.notCompared.length ? { notCompared: verdict.notCompared } : {}),
        ...(verdict.repoDigests.length ? { repoDigests: verdict.repoDigests } : {}),
        ...leftoversOf(verdict.leftovers),
      }
    }
  }
  if (!result) return found
  const { error: _error, ...withoutError } = found
  const merged = { ...withoutError, ...result }
  if (result.leftovers && result.leftovers.length === 0) delete merged.leftovers
  return merged
}

/** A container with the configured image, in the report's words for its state. */
function stateOutcome(state: ContainerState): Outcome {
  return state === 'running' ? 'running' : state
}

function leftoversOf(leftovers: readonly Leftover[]): Pick<ReportEntry, 'leftovers'> {
  return leftovers.length
    ? { leftovers: leftovers.map((l) => ({ name: l.container.name, state: l.container.state })) }
    : {}
}

/** Entries in verdict order, each with its flow result when there is one. */
export function entriesFor(verdicts: readonly Verdict[], results: ReadonlyMap<string, PairResult>): ReportEntry[] {
  return verdicts.map((verdict) => entryFor(verdict, results.get(pairKey(verdict.accessory.name, verdict.host))))
}
