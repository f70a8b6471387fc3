// accessory-logs' flags as options: Kamal's defaults, and the one target --follow reads. Usage errors (64)
// belong to the command line, so this lives here rather than in the logs flow.
import { DEFAULT_LINES, FOLLOW_LINES, type LogsOptions } from '../flows/logs.ts'
import { selectionHosts } from '../flows/selection.ts'
import type { Selection } from '../flows/selection.ts'
import { countFlag, UsageError, type ParsedArgs } from './args.ts'

/** The verb's flags as options; a bad --lines or an empty --since/--grep is a usage error. */
export function logsOptions(flags: ParsedArgs['flags']): LogsOptions {
  const since = flags.since as string | undefined
  const grep = flags.grep as string | undefined
  const linesFlag = flags.lines as string | undefined
  if (since !== undefined && since.trim() === '')
    throw new UsageError('--since takes a duration or time, e.g. --since 10m.')
  if (grep !== undefined && grep === '') throw new UsageError('--grep takes the text to look for, e.g. --grep ERROR.')
  let lines = countFlag(linesFlag, 'lines')
  const follow = flags.follow === true
  if (lines === undefined)
    lines = follow ? FOLLOW_LINES : since !== undefined || grep !== undefined ? undefined : DEFAULT_LINES
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
