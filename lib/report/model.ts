// The one report model every verb fills in; text and JSON are two views of it.
import type { ContainerState } from '../docker/inspect.ts'
import type { Done, Found } from './labels.ts'

/** A temporary container an interrupted reboot left beside the accessory. */
interface LeftoverContainer {
  name: string
  state: ContainerState
}

export interface ReportEntry {
  accessory: string
  service: string
  host: string
  /** What the look found (absent where no host was looked at: exec's dry run). */
  found?: Found
  /** What a flow did (absent for a read-only look). Every label is derived from these two and `state`, in labels.ts. */
  done?: Done
  configuredImage: string
  runningImage?: string
  containerId?: string
  state?: ContainerState
  /** Why the host could not be read (`unreachable`), or why it failed (`failed`) or was not attempted (`skipped`). */
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
  /** `--shard K/N`: this run read shard `index` of `count` of the selected hosts (its JSON documents say so). */
  shard?: { index: number; count: number }
  /** Accessories `all` left out because they have no hosts (`hosts: []`), with the sentence that says why. */
  skipped?: ReadonlyArray<{ accessory: string; reason: string }>
}

/** The JSON documents' `skipped` list: present only when `all` left an accessory out. */
export function skippedJson(context: InvocationContext): { skipped?: Array<{ accessory: string; reason: string }> } {
  return context.skipped?.length ? { skipped: [...context.skipped] } : {}
}

/** The JSON documents' `shard` member: present only in a `--shard K/N` run, as `{ index: K, count: N }`. */
export function shardJson(context: InvocationContext): { shard?: { index: number; count: number } } {
  return context.shard ? { shard: { index: context.shard.index, count: context.shard.count } } : {}
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
