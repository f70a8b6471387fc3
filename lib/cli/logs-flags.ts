// accessory-logs' flags, each with its parser, and the options they make: Kamal's defaults, and the one target
// --follow reads. Usage errors (64) belong to the command line, so this lives here rather than in the logs flow.
import { DEFAULT_LINES, FOLLOW_LINES, type LogsOptions } from '../flows/logs.ts'
import { selectionHosts } from '../flows/selection.ts'
import type { Selection } from '../flows/selection.ts'
import { argText, booleanOption, countOption, textOption, UsageError, type FlagValues } from './args.ts'

/** What `docker logs --since` takes: a duration (`10m`), a date or time, or a Unix timestamp; never a flag. */
const SINCE = /^[0-9][0-9a-zA-Z.:+-]{0,63}$/

export const LOGS_OPTIONS = {
  since: textOption('DURATION  only lines since then (docker logs --since: 10m, 2h, a timestamp)', 's', (since) => {
    if (since.trim() === '') throw new UsageError('--since takes a duration or time, e.g. --since 10m.')
    if (!SINCE.test(since))
      throw new UsageError(
        `--since takes a duration (10m, 2h30m) or a time (2024-01-31, 2024-01-31T12:00:00Z, a Unix timestamp), got ${argText(since)}.`,
      )
  }),
  lines: countOption('N  the last N lines (default 100, or all with --since/--grep; 10 with --follow)', 'n'),
  grep: textOption('TEXT  only lines containing TEXT (plain text, matched here)', 'g', (grep) => {
    if (grep === '') throw new UsageError('--grep takes the text to look for, e.g. --grep ERROR.')
  }),
  follow: booleanOption('keep printing new lines until interrupted (one host: pass --hosts)', 'f'),
}

/** The verb's typed flags as the flow's options, with Kamal's defaults for --lines. */
export function logsOptions(flags: Partial<FlagValues<typeof LOGS_OPTIONS>>): LogsOptions {
  const { since, grep } = flags
  const follow = flags.follow === true
  const lines =
    flags.lines ?? (follow ? FOLLOW_LINES : since !== undefined || grep !== undefined ? undefined : DEFAULT_LINES)
  return { since, lines, grep, follow }
}

/** --follow reads one container on one host: the one --hosts names, never silently the first. */
export function followTarget(selection: readonly Selection[]): { accessory: Selection['accessory']; host: string } {
  const hosts = selectionHosts(selection)
  if (hosts.length !== 1) throw new UsageError(`--follow needs one host; pass --hosts with one of: ${hosts.join(', ')}`)
  if (selection.length !== 1)
    throw new UsageError(
      `--follow needs one accessory; name one of: ${selection.map((s) => s.accessory.name).join(', ')}`,
    )
  return { accessory: selection[0]!.accessory, host: hosts[0]! }
}
