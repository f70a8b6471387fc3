// Exit codes in one place, like `terraform plan -detailed-exitcode`.
import type { ReportEntry } from './model.ts'

export const EXIT_OK = 0
export const EXIT_ERROR = 1
export const EXIT_DRIFT = 2
/** sysexits EX_USAGE */
export const EXIT_USAGE = 64
/** sysexits EX_CONFIG */
export const EXIT_CONFIG = 78

/** Any failure wins over drift; a missing container, or a dry run that would change something, counts as drift. */
export function exitCodeFor(entries: readonly ReportEntry[]): number {
  if (entries.some((e) => e.outcome === 'failed')) return EXIT_ERROR
  if (entries.some((e) => e.outcome === 'drift' || e.outcome === 'would_boot' || e.outcome === 'would_reboot' || e.outcome === 'planned' || e.outcome === 'missing')) return EXIT_DRIFT
  return EXIT_OK
}
