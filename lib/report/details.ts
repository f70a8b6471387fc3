// accessory-details as a table (people) or one JSON document (machines). Pure: rows in, text out.
// Rows are mapped onto the shared report outcomes, so the exit code and the "what to do" sentences are
// the same ones every other verb uses.
import type { ContainerState } from '../docker/inspect.ts'
import { exitCodeFor } from './exit-codes.ts'
import { describeEntries } from './render.ts'
import type { InvocationContext, Report, ReportEntry } from './model.ts'

export type DetailsVerdict = 'in sync' | 'drift' | 'missing' | 'unreachable'

export interface DetailsRow {
  accessory: string
  service: string
  host: string
  /** The container's state; absent when there is no container or the host could not be read. */
  state?: ContainerState
  runningImage?: string
  configuredImage: string
  containerId?: string
  verdict: DetailsVerdict
  /** Why the host could not be read (`unreachable`). */
  error?: string
}

export const DETAILS_COLUMNS = ['ACCESSORY', 'HOST', 'STATE', 'RUNNING-IMAGE', 'CONFIGURED-IMAGE', 'VERDICT'] as const

/** Each row as the report entry other verbs would show for it (running/stopped/drift/missing/failed). */
export function detailsEntries(rows: readonly DetailsRow[]): ReportEntry[] {
  return rows.map((row) => {
    const base = {
      accessory: row.accessory,
      service: row.service,
      host: row.host,
      configuredImage: row.configuredImage,
      ...(row.runningImage !== undefined ? { runningImage: row.runningImage } : {}),
      ...(row.containerId !== undefined ? { containerId: row.containerId } : {}),
      ...(row.state !== undefined ? { state: row.state } : {}),
    }
    switch (row.verdict) {
      case 'in sync':
        return { ...base, outcome: row.state === 'running' ? 'running' : 'stopped' }
      case 'drift':
        return { ...base, outcome: 'drift' }
      case 'missing':
        return { ...base, outcome: 'missing' }
      case 'unreachable':
        return { ...base, outcome: 'failed', error: row.error ?? 'the host could not be read' }
    }
  })
}

export function detailsExitCode(rows: readonly DetailsRow[]): number {
  return exitCodeFor(detailsEntries(rows))
}

const needsAttention = (row: DetailsRow) => row.verdict !== 'in sync' || row.state !== 'running'

/** Columns padded to their widest cell, two spaces apart, like `docker ps`. */
export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}

/**
 * The table, then one sentence (with the command that fixes it) per row that needs attention, then
 * the exit code. `quiet` keeps only the rows that need attention, and prints nothing when none does.
 */
export function renderDetailsText(rows: readonly DetailsRow[], context: InvocationContext, options: { quiet: boolean }): string {
  const shown = options.quiet ? rows.filter(needsAttention) : rows
  const code = detailsExitCode(rows)
  if (shown.length === 0 && options.quiet) return ''
  const table = renderTable(
    DETAILS_COLUMNS,
    shown.map((r) => [r.accessory, r.host, r.state ?? '-', r.runningImage ?? '-', r.configuredImage, r.verdict]),
  )
  const report: Report = { verb: 'details', dryRun: false, entries: detailsEntries(rows) }
  const notes = describeEntries(report, context)
    .filter((_, i) => needsAttention(rows[i]!))
    .map((e) => e.message)
  const counts = (['in sync', 'drift', 'missing', 'unreachable'] as const)
    .map((verdict) => [verdict, rows.filter((r) => r.verdict === verdict).length] as const)
    .filter(([, n]) => n > 0)
    .map(([verdict, n]) => `${n} ${verdict}`)
  const summary = `${counts.length ? counts.join(', ') : 'no accessories selected'} (exit ${code}).`
  return `${table}${notes.length ? `\n${notes.join('\n')}\n` : ''}${summary}\n`
}

/** `{ verb, exitCode, rows }`; absent cells are null so every row has the same keys. */
export function renderDetailsJson(rows: readonly DetailsRow[], context: InvocationContext): string {
  const described = describeEntries({ verb: 'details', dryRun: false, entries: detailsEntries(rows) }, context)
  const document = {
    verb: 'details',
    exitCode: detailsExitCode(rows),
    rows: rows.map((row, i) => ({
      accessory: row.accessory,
      service: row.service,
      host: row.host,
      state: row.state ?? null,
      runningImage: row.runningImage ?? null,
      configuredImage: row.configuredImage,
      containerId: row.containerId ?? null,
      verdict: row.verdict,
      error: row.error ?? null,
      message: described[i]!.message,
      fix: described[i]!.fix ?? null,
    })),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}
