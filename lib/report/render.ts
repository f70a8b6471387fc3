// Report → text for people, or one JSON document for machines.
import { paint } from './colour.ts'
import { exitCodeOf } from './exit-codes.ts'
import { entryMessage, fixCommand } from './messages.ts'
import {
  SETTLED_OUTCOMES,
  skippedJson,
  type InvocationContext,
  type Outcome,
  type Report,
  type ReportEntry,
} from './model.ts'

/** Each outcome's words in the summary line, in the order the summary counts them. */
const SUMMARY_WORDS: Record<Outcome, string> = {
  booted: 'booted',
  rebooted: 'rebooted',
  restored: 'restored',
  started: 'started',
  stopped_on_request: 'stopped on request',
  restarted: 'restarted',
  removed: 'removed',
  unchanged: 'already as asked',
  would_boot: 'to boot',
  would_reboot: 'to reboot',
  planned: 'to change',
  running: 'running',
  stopped: 'stopped',
  created: 'created, never started',
  paused: 'paused',
  restarting: 'crash-looping',
  dead: 'dead',
  missing: 'missing',
  drift: 'drifted',
  skipped: 'not attempted',
  failed: 'failed',
}
const SUMMARY_ORDER = Object.keys(SUMMARY_WORDS) as Outcome[]
/** Lines that still show under -q: what needs a person (everything but the settled outcomes, and leftovers). */
const needsPerson = (entry: ReportEntry) => !SETTLED_OUTCOMES.has(entry.outcome) || (entry.leftovers?.length ?? 0) > 0

function hostsWithSameOutcome(report: Report, entry: ReportEntry): string[] {
  return report.entries.filter((e) => e.accessory === entry.accessory && e.outcome === entry.outcome).map((e) => e.host)
}

export function describeEntries(
  report: Report,
  context: InvocationContext,
): Array<ReportEntry & { message: string; fix?: string }> {
  return report.entries.map((entry) => {
    const fix = fixCommand(entry, context, hostsWithSameOutcome(report, entry))
    return { ...entry, message: entryMessage(entry, fix), ...(fix ? { fix } : {}) }
  })
}

function summarize(report: Report): Record<Outcome, number> {
  const counts = Object.fromEntries(SUMMARY_ORDER.map((o) => [o, 0])) as Record<Outcome, number>
  for (const entry of report.entries) counts[entry.outcome]++
  return counts
}

export function renderText(
  report: Report,
  context: InvocationContext,
  options: { quiet: boolean; colour?: boolean },
): string {
  const lines: string[] = []
  for (const entry of describeEntries(report, context)) {
    if (options.quiet && !needsPerson(entry)) continue
    lines.push(options.colour ? paint(entry.outcome, entry.message, needsPerson(entry)) : entry.message)
    for (const command of entry.plannedCommands ?? []) lines.push(`    ${command}`)
  }
  const counts = summarize(report)
  const parts = SUMMARY_ORDER.filter((o) => counts[o] > 0).map((o) => `${counts[o]} ${SUMMARY_WORDS[o]}`)
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
    entries: describeEntries(report, context),
    ...skippedJson(context),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}
