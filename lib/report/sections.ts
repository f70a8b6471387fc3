// Per-host output of accessory-logs and accessory-exec: a header line per accessory × host, then what
// the host printed. Pure, so the exact shape is unit-tested.
import { exitCodeForSignal } from './exit-codes.ts'

export function sectionHeader(accessory: string, host: string): string {
  return `== ${accessory} on ${host} ==`
}

/** Text split into lines without the empty line a trailing newline would add. */
export function splitLines(text: string): string[] {
  if (text === '') return []
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
}

/** Header (unless quiet) and body; the body always ends with a newline when it has any text. */
export function renderSection(accessory: string, host: string, body: string, options: { quiet: boolean }): string {
  const header = options.quiet ? '' : `${sectionHeader(accessory, host)}\n`
  return `${header}${body === '' || body.endsWith('\n') ? body : `${body}\n`}`
}

/** One accessory × host's log lines, as the logs flow read them. */
export interface HostLogs {
  accessory: string
  host: string
  ok: boolean
  lines: string[]
  error?: string
}

/** One accessory × host's exec result, as the exec flow ran it (its output went through as it came). */
export interface ExecResult {
  accessory: string
  host: string
  /** The command's exit code; absent when it never ran (login or ssh failed). */
  exitCode?: number
  /** Why it did not run, or that it failed. */
  error?: string
}

/** Text for one output stream, in the order it must be written. */
export type Chunk = { stream: 'stdout' | 'stderr'; text: string }

/** What the logs flow hands over, per accessory × host. */
type LogsSection = HostLogs

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/**
 * accessory-logs: header + lines per accessory × host; a failed host says why on stderr; exit 1 if any failed,
 * or the signal's code (143, 130) when one interrupted the run.
 */
export function renderLogs(
  sections: readonly LogsSection[],
  options: { quiet: boolean; interrupted?: string },
): { chunks: Chunk[]; exitCode: number } {
  const chunks: Chunk[] = []
  for (const s of sections) {
    chunks.push({
      stream: 'stdout',
      text: renderSection(s.accessory, s.host, s.lines.map((l) => `${l}\n`).join(''), options),
    })
    if (!s.ok)
      chunks.push({
        stream: 'stderr',
        text: `Could not read the log of accessory \`${s.accessory}\` on ${s.host}: ${s.error}\n`,
      })
  }
  const failed = sections.filter((s) => !s.ok).length
  const exitCode = options.interrupted ? exitCodeForSignal(options.interrupted) : failed ? 1 : 0
  if (failed)
    chunks.push({
      stream: 'stderr',
      text: `${interruptedBy(options.interrupted)}${failed} of ${plural(sections.length, 'log')} could not be read (exit ${exitCode}).\n`,
    })
  return { chunks, exitCode }
}

/** accessory-exec: what stderr says after one accessory × host's section when it failed or never ran. */
export function execFailureLine(result: ExecResult): string {
  return result.error === undefined ? '' : `Accessory \`${result.accessory}\` on ${result.host}: ${result.error}\n`
}

const interruptedBy = (signal: string | undefined) => (signal ? `Interrupted by ${signal}: ` : '')

/**
 * accessory-exec's exit code. One accessory × host: the command's own (1 when it never ran). Several: 1 if any
 * failed or never ran, else 0, with a closing line for stderr. Interrupted by a signal: the signal's code.
 */
export function execOutcome(
  results: readonly ExecResult[],
  interrupted?: string,
): { exitCode: number; summary: string } {
  const signalled = interrupted ? exitCodeForSignal(interrupted) : undefined
  if (results.length === 1) return { exitCode: signalled ?? results[0]!.exitCode ?? 1, summary: '' }
  const failed = results.filter((r) => r.error !== undefined).length
  const exitCode = signalled ?? (failed ? 1 : 0)
  if (!failed) return { exitCode, summary: '' }
  return {
    exitCode,
    summary: `${interruptedBy(interrupted)}${failed} of ${plural(results.length, 'run')} failed (exit ${exitCode}).\n`,
  }
}

/** `{ verb, exitCode, <key>: [...] }` for logs and exec. */
export function renderSectionsJson(verb: string, key: string, sections: readonly object[], exitCode: number): string {
  return `${JSON.stringify({ verb, exitCode, [key]: sections }, null, 2)}\n`
}
