// The one report model every verb fills in; text and JSON are two views of it.
import type { ContainerState } from '../docker/inspect.ts'

/**
 * What happened to one accessory on one host. State found: running (the configured image), stopped,
 * created (never started), restarting (a crash loop), paused, dead, missing, drift.
 * Done: booted, rebooted, restored (after an interrupted reboot), started, stopped_on_request,
 * restarted, removed. Nothing to do (a start of a running container, a stop of a stopped one; nothing
 * sent, in a dry run as in the run): unchanged. Dry run: would_boot, would_reboot, planned (any other verb).
 * Problems: failed, skipped (not attempted).
 */
export type Outcome =
  | 'booted'
  | 'rebooted'
  | 'restored'
  | 'started'
  | 'stopped_on_request'
  | 'restarted'
  | 'removed'
  | 'unchanged'
  | 'would_boot'
  | 'would_reboot'
  | 'planned'
  | 'running'
  | 'stopped'
  | 'created'
  | 'restarting'
  | 'paused'
  | 'dead'
  | 'missing'
  | 'drift'
  | 'failed'
  | 'skipped'

/** Found as configured, or done as asked: nothing needs a person. */
export const SETTLED_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  'running',
  'booted',
  'rebooted',
  'restored',
  'started',
  'stopped_on_request',
  'restarted',
  'removed',
  'unchanged',
])

/** Needs a person (exit 2): drift, a container that is not running, one that is missing, a dry run that would change something. */
export const ATTENTION_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  'drift',
  'missing',
  'stopped',
  'created',
  'restarting',
  'paused',
  'dead',
  'would_boot',
  'would_reboot',
  'planned',
])

/**
 * What a look at one accessory on one host found, in one set of words for every read-only view (details,
 * check, the summaries); display labels (`in sync`, `crash loop`) are chosen where text is rendered.
 */
export type AccessoryVerdict =
  'in_sync' | 'drift' | 'missing' | 'unreachable' | 'stopped' | 'created' | 'paused' | 'restarting' | 'dead'

export function verdictOf(entry: ReportEntry): AccessoryVerdict {
  switch (entry.outcome) {
    case 'drift':
    case 'missing':
    case 'stopped':
    case 'created':
    case 'paused':
    case 'restarting':
    case 'dead':
      return entry.outcome
    case 'failed':
    case 'skipped':
      return 'unreachable'
    case 'would_boot':
      return 'missing'
    case 'would_reboot':
    case 'planned':
      return 'drift'
    default:
      return 'in_sync'
  }
}

/** A temporary container an interrupted reboot left beside the accessory. */
interface LeftoverContainer {
  name: string
  state: ContainerState
}

export interface ReportEntry {
  accessory: string
  service: string
  host: string
  outcome: Outcome
  configuredImage: string
  runningImage?: string
  containerId?: string
  state?: ContainerState
  /** Why it failed (`failed`) or was not attempted (`skipped`). */
  error?: string
  /** Extra words for the message: what `removed` removed, what `planned` would do, a rollback. */
  detail?: string
  /** The remote commands a dry run would send (would_boot, would_reboot, planned), as `-v` shows them: secrets never in them. */
  plannedCommands?: string[]
  /** berth's temporary containers left by an interrupted reboot (`<service>-berth-new-…`, `-berth-old-…`). */
  leftovers?: LeftoverContainer[]
  /** For `drift`: each kind of difference found, with short reasons (secret values are never in them). */
  drift?: Array<{ kind: 'image' | 'image-id' | 'registry' | 'config' | 'secrets' | 'proxy'; reasons: string[] }>
  /** What could not be compared here (never drift). */
  notCompared?: string[]
  /** The image id the container runs, and the registry digests docker knows for it. */
  runningImageId?: string
  repoDigests?: string[]
}

export interface Report {
  verb: string
  dryRun: boolean
  entries: ReportEntry[]
  /** The signal (`SIGINT`, `SIGTERM`) that interrupted the run, when one did. */
  interrupted?: string
}

/** How the user invoked berth, so fix commands repeat the same config and destination. */
export interface InvocationContext {
  /** `-c` value when it was given. */
  configFlag?: string
  destination?: string
  /** Every host of each accessory in this run, to tell "all hosts" from "some hosts". */
  accessoryHosts: ReadonlyMap<string, readonly string[]>
  /** Accessories `all` left out because they have no hosts (`hosts: []`), with the sentence that says why. */
  skipped?: ReadonlyArray<{ accessory: string; reason: string }>
}

/** The JSON documents' `skipped` list: present only when `all` left an accessory out. */
export function skippedJson(context: InvocationContext): { skipped?: Array<{ accessory: string; reason: string }> } {
  return context.skipped?.length ? { skipped: [...context.skipped] } : {}
}

/** Why a run ended before it had a report: bad usage (64), bad config (78), the lock, anything else. */
export type RunFailureKind = 'usage' | 'config' | 'lock' | 'hook' | 'error'

/** A run that ended without a report: with --json it still prints one JSON document on stdout. */
export interface RunFailure {
  verb: string
  exitCode: number
  kind: RunFailureKind
  message: string
  problems?: string[]
}

/** The `error` member of a failure document: what kind of failure, its sentence, and a config's problems. */
export function failureError(failure: RunFailure): { kind: RunFailureKind; message: string; problems?: string[] } {
  return { kind: failure.kind, message: failure.message, ...(failure.problems ? { problems: failure.problems } : {}) }
}
