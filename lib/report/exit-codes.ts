// Exit codes in one place, like `terraform plan -detailed-exitcode`.
import { needOf } from './labels.ts'
import type { Report, ReportEntry } from './model.ts'

export const EXIT_OK = 0
export const EXIT_ERROR = 1
export const EXIT_DRIFT = 2
/** sysexits EX_USAGE */
export const EXIT_USAGE = 64
/** sysexits EX_CONFIG */
export const EXIT_CONFIG = 78

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
