// Report → text for people, or one JSON document for machines.
import { paint } from './colour.ts'
import { exitCodeOf } from './exit-codes.ts'
import { entryMessage, fixCommand } from './messages.ts'
import { OUTCOME_LABELS, OUTCOMES, needsPerson, outcomeOf, type Outcome } from './labels.ts'
import { skippedJson, type InvocationContext, type Report, type ReportEntry } from './model.ts'

/** An entry with its sentence and the command that fixes it. */
type DescribedEntry = ReportEntry & { message: string; fix?: string }

function hostsWithSameOutcome(report: Report, entry: ReportEntry): string[] {
  const outcome = outcomeOf(entry)
  return report.entries.filter((e) => e.accessory === entry.accessory && outcomeOf(e) === outcome).map((e) => e.host)
}

export function describeEntries(report: Report, context: InvocationContext): DescribedEntry[] {
  return report.entries.map((entry) => {
    const fix = fixCommand(entry, context, hostsWithSameOutcome(report, entry))
    return { ...entry, message: entryMessage(entry, fix), ...(fix ? { fix } : {}) }
  })
}

function summarize(report: Report): Record<Outcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>
  for (const entry of report.entries) counts[outcomeOf(entry)]++
  return counts
}

/**
 * An entry as the report JSON publishes it: one `outcome` derived from what was found and what was done, the
 * keys in this order (the contract's since it was first published); absent fields stay out (JSON drops undefined).
 */
function publishedEntry(e: DescribedEntry) {
  return {
    accessory: e.accessory,
    service: e.service,
    host: e.host,
    configuredImage: e.configuredImage,
    runningImage: e.runningImage,
    containerId: e.containerId,
    state: e.state,
    runningImageId: e.runningImageId,
    outcome: outcomeOf(e),
    drift: e.drift,
    notCompared: e.notCompared,
    repoDigests: e.repoDigests,
    leftovers: e.leftovers,
    error: e.error,
    detail: e.detail,
    plannedCommands: e.plannedCommands,
    message: e.message,
    fix: e.fix,
  }
}

export function renderText(
  report: Report,
  context: InvocationContext,
  options: { quiet: boolean; colour?: boolean },
): string {
  const lines: string[] = []
  for (const entry of describeEntries(report, context)) {
    if (options.quiet && !needsPerson(entry)) continue
    lines.push(options.colour ? paint(outcomeOf(entry), entry.message, needsPerson(entry)) : entry.message)
    for (const command of entry.plannedCommands ?? []) lines.push(`    ${command}`)
  }
  const counts = summarize(report)
  const parts = OUTCOMES.filter((o) => counts[o] > 0).map((o) => `${counts[o]} ${OUTCOME_LABELS[o].summary}`)
  const code = exitCodeOf(report)
  if (report.interrupted) {
    lines.push(
      `Interrupted by ${report.interrupted}: no new step was started after it, and every host was left as the lines above say.`,
    )
  }
  if (!options.quiet || code !== 0) {
    lines.push(
      `${report.dryRun ? 'Dry run: ' : ''}${parts.length ? parts.join(', ') : 'no accessories selected'} (exit ${code}).`,
    )
  }
  return lines.length ? `${lines.join('\n')}\n` : ''
}

export function renderJson(report: Report, context: InvocationContext): string {
  const document = {
    verb: report.verb,
    dryRun: report.dryRun,
    exitCode: exitCodeOf(report),
    ...(report.interrupted ? { interrupted: report.interrupted } : {}),
    summary: summarize(report),
    entries: describeEntries(report, context).map(publishedEntry),
    ...skippedJson(context),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}
