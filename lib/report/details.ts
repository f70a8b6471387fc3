// accessory-details as a table (people) or one JSON document (machines). Pure: report entries in, text
// out. The VERDICT column is what was found, in the table's words (labels.ts); the exit code and the
// "what to do" sentences are the ones every other verb uses.
import { exitCodeOfEntries } from './exit-codes.ts'
import { describeEntries } from './render.ts'
import { DETAILS_VERDICT_LABELS, detailsVerdict, needsPerson, type DetailsVerdict } from './labels.ts'
import { shardJson, skippedJson, type InvocationContext, type ReportEntry } from './model.ts'

const DETAILS_COLUMNS = ['ACCESSORY', 'HOST', 'STATE', 'RUNNING-IMAGE', 'CONFIGURED-IMAGE', 'VERDICT'] as const

/** Columns padded to their widest cell, two spaces apart, like `docker ps`. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}

/**
 * The table, then one sentence (with the command that fixes it) per row that needs attention, then
 * the exit code. `quiet` keeps only the rows that need attention, and prints nothing when none does.
 */
export function renderDetailsText(
  entries: readonly ReportEntry[],
  context: InvocationContext,
  options: { quiet: boolean; interrupted?: string },
): string {
  const shown = options.quiet ? entries.filter(needsPerson) : entries
  const code = exitCodeOfEntries(entries, options.interrupted)
  if (shown.length === 0 && options.quiet) return ''
  const table = renderTable(
    DETAILS_COLUMNS,
    shown.map((e) => [
      e.accessory,
      e.host,
      e.state ?? '-',
      e.runningImage ?? '-',
      e.configuredImage,
      DETAILS_VERDICT_LABELS[detailsVerdict(e)],
    ]),
  )
  const notes = describeEntries({ verb: 'details', dryRun: false, entries: [...entries] }, context)
    .filter(needsPerson)
    .map((e) => e.message)
  const counts = (Object.keys(DETAILS_VERDICT_LABELS) as DetailsVerdict[])
    .map((verdict) => [verdict, entries.filter((e) => detailsVerdict(e) === verdict).length] as const)
    .filter(([, n]) => n > 0)
    .map(([verdict, n]) => `${n} ${DETAILS_VERDICT_LABELS[verdict]}`)
  const interrupted = options.interrupted ? `Interrupted by ${options.interrupted}: ` : ''
  const summary = `${interrupted}${counts.length ? counts.join(', ') : 'no accessories selected'} (exit ${code}).`
  return `${table}${notes.length ? `\n${notes.join('\n')}\n` : ''}${summary}\n`
}

/** `{ verb, exitCode, rows }`; absent cells are null so every row has the same keys. */
export function renderDetailsJson(
  entries: readonly ReportEntry[],
  context: InvocationContext,
  interrupted?: string,
): string {
  const described = describeEntries({ verb: 'details', dryRun: false, entries: [...entries] }, context)
  const document = {
    verb: 'details',
    exitCode: exitCodeOfEntries(entries, interrupted),
    ...(interrupted ? { interrupted } : {}),
    ...shardJson(context),
    rows: described.map((entry) => ({
      accessory: entry.accessory,
      service: entry.service,
      host: entry.host,
      state: entry.state ?? null,
      runningImage: entry.runningImage ?? null,
      configuredImage: entry.configuredImage,
      containerId: entry.containerId ?? null,
      verdict: detailsVerdict(entry),
      error: entry.error ?? null,
      leftovers: entry.leftovers ?? [],
      message: entry.message,
      fix: entry.fix ?? null,
    })),
    ...skippedJson(context),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}
