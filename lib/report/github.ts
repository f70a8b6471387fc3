// GitHub Actions (GITHUB_ACTIONS=true): an `::error`/`::warning` annotation per failure or per pair that needs
// attention, and a Markdown table for the job summary ($GITHUB_STEP_SUMMARY). Pure: entries in, text out.
import { describeEntries } from './render.ts'
import { SETTLED_OUTCOMES, type InvocationContext, type ReportEntry } from './model.ts'

/** GitHub's escaping for a workflow command's message, and (more) for its properties. */
const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C')

export function githubAnnotations(verb: string, entries: readonly ReportEntry[], context: InvocationContext): string {
  const lines = describeEntries({ verb, dryRun: false, entries: [...entries] }, context).flatMap((entry) => {
    if (SETTLED_OUTCOMES.has(entry.outcome) && !entry.leftovers?.length) return []
    const level = entry.outcome === 'failed' ? 'error' : 'warning'
    return [
      `::${level} title=${escapeProperty(`berth ${verb}: ${entry.accessory} on ${entry.host}`)}::${escapeData(entry.message)}`,
    ]
  })
  return lines.length ? `${lines.join('\n')}\n` : ''
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ')

/** How the run ended: the process's exit code, the signal that interrupted it, the error that ended it early. */
export interface RunEnd {
  exitCode: number
  interrupted?: string
  error?: string
}

export function githubStepSummary(
  verb: string,
  entries: readonly ReportEntry[],
  context: InvocationContext,
  end: RunEnd,
): string {
  const described = describeEntries({ verb, dryRun: false, entries: [...entries] }, context)
  const rows = described.map(
    (e) => `| ${cell(e.accessory)} | ${cell(e.host)} | ${cell(e.outcome)} | ${cell(e.message)} |`,
  )
  const heading = `### berth ${verb}: exit ${end.exitCode}${end.interrupted ? ` (interrupted by ${end.interrupted})` : ''}`
  const notes = [
    ...(end.interrupted
      ? [`Interrupted by ${end.interrupted}: no new step was started after it; every host was left as the table says.`]
      : []),
    ...(end.error ? [cell(end.error)] : []),
  ]
  const table = rows.length ? ['| Accessory | Host | Outcome | What to do |', '|---|---|---|---|', ...rows, ''] : []
  return [heading, '', ...notes.flatMap((n) => [n, '']), ...table].join('\n') + '\n'
}
