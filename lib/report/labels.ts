// Every word berth shows for an accessory on a host, derived here and only here from three fields: what was
// found (the judge's verdict), the container's state, and what a flow did. Pure; test/unit/report/labels.test.ts
// walks every combination.
import type { ContainerState } from '../docker/inspect.ts'
import type { Verdict } from '../drift/verdicts.ts'

/** What a look at one accessory on one host found: the judge's verdict, in its own words. */
export type Found = Verdict['kind']

/**
 * What a flow did there. Done as asked: booted, rebooted, restored (after an interrupted reboot), started,
 * stopped, restarted, removed. Nothing to do (nothing sent, in a dry run as in the run): unchanged. A dry
 * run: would_boot, would_reboot, planned (any other verb). Problems: failed, skipped (not attempted).
 */
export type Done =
  | 'booted'
  | 'rebooted'
  | 'restored'
  | 'started'
  | 'stopped'
  | 'restarted'
  | 'removed'
  | 'unchanged'
  | 'would_boot'
  | 'would_reboot'
  | 'planned'
  | 'failed'
  | 'skipped'

/**
 * The fields every label is derived from. `found` is absent only where no host was looked at (exec's dry
 * run, whose entries are all done `planned`); `state` comes with `in_sync` and `drift` (a container was seen).
 */
export interface Look {
  found?: Found
  state?: ContainerState
  done?: Done
}

/**
 * What an entry asks of a person: nothing (`none`), attention (exit 2), an `error` (exit 1), or nothing was
 * attempted there (`untouched`: shown and annotated, but it sets no exit code of its own).
 */
export type Need = 'none' | 'attention' | 'error' | 'untouched'

/** The report JSON's `outcome` (published): what was done, else what was found with a seen container's state. */
export type Outcome = Exclude<Done, 'stopped'> | 'stopped_on_request' | ContainerState | 'missing' | 'drift'

/** Each outcome's words in the summary line and what it needs, in the order the summary counts them. */
export const OUTCOME_LABELS: Readonly<Record<Outcome, { summary: string; need: Need }>> = {
  booted: { summary: 'booted', need: 'none' },
  rebooted: { summary: 'rebooted', need: 'none' },
  restored: { summary: 'restored', need: 'none' },
  started: { summary: 'started', need: 'none' },
  stopped_on_request: { summary: 'stopped on request', need: 'none' },
  restarted: { summary: 'restarted', need: 'none' },
  removed: { summary: 'removed', need: 'none' },
  unchanged: { summary: 'already as asked', need: 'none' },
  would_boot: { summary: 'to boot', need: 'attention' },
  would_reboot: { summary: 'to reboot', need: 'attention' },
  planned: { summary: 'to change', need: 'attention' },
  running: { summary: 'running', need: 'none' },
  stopped: { summary: 'stopped', need: 'attention' },
  created: { summary: 'created, never started', need: 'attention' },
  paused: { summary: 'paused', need: 'attention' },
  restarting: { summary: 'crash-looping', need: 'attention' },
  dead: { summary: 'dead', need: 'attention' },
  missing: { summary: 'missing', need: 'attention' },
  drift: { summary: 'drifted', need: 'attention' },
  skipped: { summary: 'not attempted', need: 'untouched' },
  failed: { summary: 'failed', need: 'error' },
}

/** The outcomes in the order the summary counts them. */
export const OUTCOMES = Object.keys(OUTCOME_LABELS) as Outcome[]

/**
 * What was done wins; else what was found: a host that could not be read is `failed` (the contract's word
 * since its first version), a container found as configured is named by its state. Nothing looked at and
 * nothing done is `skipped`.
 */
export function outcomeOf(look: Look): Outcome {
  if (look.done) return look.done === 'stopped' ? 'stopped_on_request' : look.done
  switch (look.found) {
    case 'in_sync':
      return look.state ?? 'running'
    case 'drift':
    case 'missing':
      return look.found
    case 'unreachable':
      return 'failed'
    case undefined:
      return 'skipped'
  }
}

export function needOf(look: Look): Need {
  return OUTCOME_LABELS[outcomeOf(look)].need
}

/** Shown under -q, in details' notes and as a CI annotation: all that needs more than nothing, or has leftovers beside it. */
export function needsPerson(look: Look & { leftovers?: readonly unknown[] }): boolean {
  return needOf(look) !== 'none' || (look.leftovers?.length ?? 0) > 0
}

/**
 * What a read-only view (details) calls what was found: the verdict, with a container found as configured
 * but not running named by its state. Never looked at reads as not reached.
 */
export type DetailsVerdict = Found | Exclude<ContainerState, 'running'>

/** The details table's label for each verdict, in the order its summary counts them. */
export const DETAILS_VERDICT_LABELS: Readonly<Record<DetailsVerdict, string>> = {
  in_sync: 'in sync',
  stopped: 'stopped',
  created: 'created',
  paused: 'paused',
  restarting: 'crash loop',
  dead: 'dead',
  drift: 'drift',
  missing: 'missing',
  unreachable: 'unreachable',
}

export function detailsVerdict(look: Look): DetailsVerdict {
  const found = look.found ?? 'unreachable'
  return found === 'in_sync' && look.state && look.state !== 'running' ? look.state : found
}

/**
 * check's published verdicts (schemaVersion 1 on), in the order its summary counts them: the found words, with
 * every state but running as one, `not_running` (`state` tells which).
 */
export const CHECK_VERDICTS = [
  'in_sync',
  'drift',
  'missing',
  'not_running',
  'unreachable',
] as const satisfies ReadonlyArray<Found | 'not_running'>
export type CheckVerdict = (typeof CHECK_VERDICTS)[number]

export function checkVerdict(look: Look): CheckVerdict {
  const found = look.found ?? 'unreachable'
  return found === 'in_sync' && look.state && look.state !== 'running' ? 'not_running' : found
}
