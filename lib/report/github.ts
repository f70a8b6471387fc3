// GitHub Actions (GITHUB_ACTIONS=true): an `::error`/`::warning` annotation per failure or per pair that needs
// attention, and a Markdown table for the job summary ($GITHUB_STEP_SUMMARY). Pure: entries in, text out.
import { describeEntries } from './render.ts'
import { needOf, needsPerson, outcomeOf } from './labels.ts'
import type { InvocationContext, ReportEntry } from './model.ts'

/** GitHub's escaping for a workflow command's message, and (more) for its properties. */
const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C')

export function githubAnnotations(verb: string, entries: readonly ReportEntry[], context: InvocationContext): string {
  const lines = describeEntries({ verb, dryRun: false, entries: [...entries] }, context).flatMap((entry) => {
    if (!needsPerson(entry)) return []
    const level = needOf(entry) === 'error' ? 'error' : 'warning'
    return [
      `::${level} title=${escapeProperty(`berth ${verb}: ${entry.accessory} on ${entry.host}`)}::${escapeData(entry.message)}`,
    ]
  })
  return lines.length ? `${lines.join('\n')}\n` : ''
}

/** A `::warning` about the config, pinned to its `file:line:col` (or the file) so GitHub shows it there. */
export function githubConfigWarning(at: string | undefined, title: string, message: string): string {
  const m = at === undefined ? null : /^(.*):(\d+):(\d+)$/.exec(at)
  const where = m
    ? `file=${escapeProperty(m[1] as string)},line=${m[2]},col=${m[3]},`
    : at
      ? `file=${escapeProperty(at)},`
      : ''
  return `::warning ${where}title=${escapeProperty(title)}::${escapeData(message)}\n`
}

/** Config warnings (`file:line:col: message`, or just a message), each a `::warning` on that line of that file. */
export function githubConfigWarnings(warnings: readonly string[]): string {
  return warnings
    .map((warning) => {
      const at = /^([^\n]+?):(\d+):(\d+): /.exec(warning)
      return githubConfigWarning(at ? `${at[1]}:${at[2]}:${at[3]}` : undefined, 'berth: config', warning)
    })
    .join('')
}

/** A table cell: GitHub reads `\\` as an escaped backslash (so one before `|` is doubled) and `\r` as a line end. */
const cell = (s: string) =>
  s
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replace(/\r\n?|\n/g, ' ')

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
    (e) => `| ${cell(e.accessory)} | ${cell(e.host)} | ${cell(outcomeOf(e))} | ${cell(e.message)} |`,
  )
  const shard = context.shard ? ` (shard ${context.shard.index}/${context.shard.count})` : ''
  const heading = `### berth ${verb}${shard}: exit ${end.exitCode}${end.interrupted ? ` (interrupted by ${end.interrupted})` : ''}`
  const notes = [
    ...(end.interrupted
      ? [`Interrupted by ${end.interrupted}: no new step was started after it; every host was left as the table says.`]
      : []),
    ...(end.error ? [cell(end.error)] : []),
  ]
  const table = rows.length ? ['| Accessory | Host | Outcome | What to do |', '|---|---|---|---|', ...rows, ''] : []
  return [heading, '', ...notes.flatMap((n) => [n, '']), ...table].join('\n') + '\n'
}

/**
 * A writer for everything berth prints in GitHub Actions but its own annotations (remote commands, values, logs,
 * remote output): what the runner would read as a workflow command, a line that starts with `::` after blanks
 * (`::add-mask::`, `::stop-commands::`, `::error::`…) or `##[` anywhere in a line (the older form), is escaped as
 * GitHub escapes a command's data (`%3A:`, `##%5B`), so no value can add a mask, an annotation or stop the
 * commands. The runner splits lines at `\n` and `\r`; a line may come in several writes, so its start is held
 * until it is clear, and `flush` writes what is held when the run ends.
 */
export function workflowCommandGuard(write: (text: string) => void): {
  write: (text: string) => void
  flush: () => void
} {
  let held = ''
  let atLineStart = true
  return {
    write(text: string) {
      let rest = held + text
      held = ''
      let out = ''
      while (rest !== '') {
        const end = rest.search(/[\r\n]/)
        let piece = end < 0 ? rest : rest.slice(0, end)
        const lineBreak = end < 0 ? '' : rest[end]!
        rest = end < 0 ? '' : rest.slice(end + 1)
        if (atLineStart) {
          // the runner's TrimStart() (.NET char.IsWhiteSpace) also trims U+0085, which \s does not hold
          const blanks = /^(?:[^\S\r\n]|\u0085)*/.exec(piece)![0]
          const after = piece.slice(blanks.length)
          if (!lineBreak && (after === '' || after === ':')) {
            held = piece
            break
          }
          if (after.startsWith('::')) piece = `${blanks}%3A${after.slice(1)}`
        }
        piece = piece.replaceAll('##[', '##%5B')
        if (!lineBreak) {
          // `#` or `##` at the end may begin a `##[` that the next write completes.
          const hashes = /#{1,2}$/.exec(piece)?.[0] ?? ''
          held = hashes
          piece = piece.slice(0, piece.length - hashes.length)
        }
        out += piece + lineBreak
        atLineStart = lineBreak !== ''
      }
      if (out) write(out)
    },
    flush() {
      if (held) write(held)
      held = ''
    },
  }
}
