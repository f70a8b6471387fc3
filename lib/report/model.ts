// The one report model every verb fills in; text and JSON are two views of it.
import type { ContainerState } from '../docker/inspect.ts'

export type Outcome = 'booted' | 'would_boot' | 'running' | 'stopped' | 'drift' | 'failed'

export interface ReportEntry {
  accessory: string
  service: string
  host: string
  outcome: Outcome
  configuredImage: string
  runningImage?: string
  containerId?: string
  state?: ContainerState
  /** Why it failed, for `failed`. */
  error?: string
  /** The remote commands a dry run would send, for `would_boot`. */
  plannedCommands?: string[]
}

export interface Report {
  verb: string
  dryRun: boolean
  entries: ReportEntry[]
}

/** How the user invoked berth, so fix commands repeat the same config and destination. */
export interface InvocationContext {
  /** `-c` value when it was given. */
  configFlag?: string
  destination?: string
  /** Every host of each accessory in this run, to tell "all hosts" from "some hosts". */
  accessoryHosts: ReadonlyMap<string, readonly string[]>
}
