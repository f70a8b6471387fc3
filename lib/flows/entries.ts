// The one mapping from what a run found and did to report entries, used by every verb: the verdict is what
// was found (with the observed fields); what a flow did on the host (its result) is what was done.
import type { Leftover, Verdict } from '../drift/verdicts.ts'
import type { Done } from '../report/labels.ts'
import type { ReportEntry } from '../report/model.ts'

/** What a flow did for one accessory × host. */
export interface PairResult {
  done: Done
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
    case 'unreachable':
      found = { ...base, found: 'unreachable', error: verdict.error }
      break
    case 'missing':
      found = { ...base, found: 'missing', ...leftoversOf(verdict.leftovers) }
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
      found = {
        ...base,
        ...observed,
        found: verdict.kind,
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

function leftoversOf(leftovers: readonly Leftover[]): Pick<ReportEntry, 'leftovers'> {
  return leftovers.length
    ? { leftovers: leftovers.map((l) => ({ name: l.container.name, state: l.container.state })) }
    : {}
}

/** Entries in verdict order, each with its flow result when there is one. */
export function entriesFor(verdicts: readonly Verdict[], results: ReadonlyMap<string, PairResult>): ReportEntry[] {
  return verdicts.map((verdict) => entryFor(verdict, results.get(pairKey(verdict.accessory.name, verdict.host))))
}
