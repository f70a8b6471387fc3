// Exit codes in one place, like `terraform plan -detailed-exitcode`.
import { needOf } from './labels.ts'
import type { Report, ReportEntry, RunFailureKind } from './model.ts'

export const EXIT_OK = 0
export const EXIT_ERROR = 1
export const EXIT_DRIFT = 2
/** sysexits EX_USAGE */
const EXIT_USAGE = 64
/** sysexits EX_CONFIG */
const EXIT_CONFIG = 78

/** Any failure wins over drift; anything needing attention, leftovers of an interrupted reboot included, is 2. */
export function exitCodeFor(entries: readonly ReportEntry[]): number {
  if (entries.some((e) => needOf(e) === 'error')) return EXIT_ERROR
  if (entries.some((e) => needOf(e) === 'attention' || (e.leftovers?.length ?? 0) > 0)) return EXIT_DRIFT
  return EXIT_OK
}

/** 128 + the signal's number, as a shell reports a command ended by it: SIGHUP 129, SIGINT 130, SIGTERM 143. */
export function exitCodeForSignal(signal: string): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143
}

/** A report's exit code: an interrupted run exits as the signal says, whatever its entries are. */
export function exitCodeOf(report: Report): number {
  return exitCodeOfEntries(report.entries, report.interrupted)
}

/** The entries' exit code, or the signal's when one interrupted the run. */
export function exitCodeOfEntries(entries: readonly ReportEntry[], interrupted: string | undefined): number {
  return interrupted ? exitCodeForSignal(interrupted) : exitCodeFor(entries)
}

/** How a run ended, as far as its exit code goes. */
export interface RunExit {
  /** The code of the verb's result; absent when the run ended without one. */
  result?: number
  /** Why it ended early: bad usage (64), bad config (78), the hook (1), the lock or anything else (1). */
  failure?: RunFailureKind
  /** The signal that interrupted the run. */
  interrupted?: string
  /** A deploy lock the run took could not be released. */
  releaseFailed?: boolean
}

/**
 * The one rule for a run's exit code: usage 64 and config 78 whatever else happened, a failed hook 1; then a
 * signal's code (130, 143, 129) whatever the run found; then 1 for an error or a lock left behind; else the
 * result's own code (0 done or in sync, 1 an error on a host, 2 drift or needs attention).
 */
export function exitCodeOfRun(end: RunExit): number {
  if (end.failure === 'usage') return EXIT_USAGE
  if (end.failure === 'config') return EXIT_CONFIG
  if (end.failure === 'hook') return EXIT_ERROR
  if (end.interrupted) return exitCodeForSignal(end.interrupted)
  if (end.failure || end.releaseFailed) return EXIT_ERROR
  return end.result ?? EXIT_OK
}
