// Exit codes in one place, like `terraform plan -detailed-exitcode`.
import type { Outcome, Report, ReportEntry } from './model.ts'

export const EXIT_OK = 0
export const EXIT_ERROR = 1
export const EXIT_DRIFT = 2
/** sysexits EX_USAGE */
export const EXIT_USAGE = 64
/** sysexits EX_CONFIG */
export const EXIT_CONFIG = 78

/** Outcomes that need a person (exit 2): drift, a container that is not running, one that is missing, a dry run that would change something. */
const NEEDS_ATTENTION: ReadonlySet<Outcome> = new Set<Outcome>([
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

/** Any failure wins over drift; anything needing attention, leftovers of an interrupted reboot included, is 2. */
export function exitCodeFor(entries: readonly ReportEntry[]): number {
  if (entries.some((e) => e.outcome === 'failed')) return EXIT_ERROR
  if (entries.some((e) => NEEDS_ATTENTION.has(e.outcome) || (e.leftovers?.length ?? 0) > 0)) return EXIT_DRIFT
  return EXIT_OK
}

/** 128 + the signal's number, as a shell reports a command ended by it: SIGINT 130, SIGTERM 143. */
export function exitCodeForSignal(signal: string): number {
  return signal === 'SIGINT' ? 130 : 143
}

/** A report's exit code: an interrupted run exits as the signal says, whatever its entries are. */
export function exitCodeOf(report: Report): number {
  return report.interrupted ? exitCodeForSignal(report.interrupted) : exitCodeFor(report.entries)
}
