// GitHub Actions (GITHUB_ACTIONS=true): an `::error`/`::warning` annotation per failure or per pair that needs
// attention, and a Markdown table for the job summary ($GITHUB_STEP_SUMMARY). Pure: entries in, text out.
import { exitCodeFor } from './exit-codes.ts'
import { describeEntries } from './render.ts'
import type { InvocationContext, ReportEntry } from './model.ts'

/** GitHub's escaping for a workflow command's message, and (more) for its properties. */
const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C')

const FINE = new Set(['running', 'booted', 'rebooted', 'restored', 'started', 'halted', 'restarted', 'removed'])

export function githubAnnotations(verb: string, entries: readonly ReportEntry[], context: InvocationContext): string {
  const lines = describeEntries({ verb, dryRun: false, entries: [...entries] }, context).flatMap((entry) => {
    if (FINE.has(entry.outcome) && !entry.leftovers?.length) return []
    const level = entry.outcome === 'failed' ? 'error' : 'warning'
    return [
      `::${level} title=${escapeProperty(`berth ${verb}: ${entry.accessory} on ${entry.host}`)}::${escapeData(entry.message)}`,
    ]
  })
  return lines.length ? `${lines.join('\n')}\n` : ''
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ')

export function githubStepSummary(verb: string, entries: readonly ReportEntry[], context: InvocationContext): string {
  const described = describeEntries({ verb, dryRun: false, entries: [...entries] }, context)
  const rows = described.map(
    (e) => `| ${cell(e.accessory)} | ${cell(e.host)} | ${cell(e.outcome)} | ${cell(e.message)} |`,
  )
  return (
    [
      `### berth ${verb}: exit ${exitCodeFor(entries)}`,
      '',
      '| Accessory | Host | Outcome | What to do |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n') + '\n'
  )
}
