// The one mapping from what a run found and did to report entries, used by every verb: the verdict gives
// the observed fields and the state outcome; what a flow did on the host (its result) overrides the outcome.
import type { Verdict } from '../drift/verdicts.ts'
import type { Outcome, ReportEntry } from '../report/model.ts'

/** What a flow did for one accessory × host. */
export interface PairResult {
  outcome: Outcome
  error?: string
  detail?: string
  plannedCommands?: string[]
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
      found = { ...base, outcome: 'missing' }
      break
    case 'in_sync':
    case 'drift': {
      const c = verdict.container
      const observed = { runningImage: c.image, containerId: c.id.slice(0, 12), state: c.state }
      const outcome: Outcome = verdict.kind === 'drift' ? 'drift' : c.state === 'running' ? 'running' : 'stopped'
      found = { ...base, ...observed, outcome }
    }
  }
  if (!result) return found
  const { error: _error, ...withoutError } = found
  return { ...withoutError, ...result }
}

/** Entries in verdict order, each with its flow result when there is one. */
export function entriesFor(verdicts: readonly Verdict[], results: ReadonlyMap<string, PairResult>): ReportEntry[] {
  return verdicts.map((verdict) => entryFor(verdict, results.get(pairKey(verdict.accessory.name, verdict.host))))
}
