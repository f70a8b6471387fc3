// What a verb found and did (its result), how a run ended, and the one module that turns that into what the
// user sees: text or one JSON document on stdout/stderr, GitHub's annotations and job summary, and the exit code.
// The runner (lib/cli/run-output.ts) writes what this returns; nothing else prints a report or decides a code.
import { renderCheckJson, renderCheckText } from './check.ts'
import type { ConfigDocument } from './config.ts'
import { EXIT_ERROR, EXIT_OK, exitCodeOf, exitCodeOfEntries, exitCodeOfRun } from './exit-codes.ts'
import { renderFailureJson } from './failure.ts'
import { githubAnnotations, githubStepSummary } from './github.ts'
import type { InvocationContext, Report, ReportEntry, RunFailureKind } from './model.ts'
import { renderJson, renderText } from './render.ts'
import { tunnelFailureJson, type TunnelErrorKind } from './tunnel-lines.ts'
import { execOutcome, renderLogs, renderSectionsJson, type Chunk, type ExecResult, type HostLogs } from './sections.ts'

/** What a verb's run found and did: the one value it returns to the runner. */
export type VerbResult =
  /** boot, reboot, start, stop, restart, remove, exec --dry-run */
  | { kind: 'report'; report: Report }
  | { kind: 'check' | 'details'; entries: ReportEntry[] }
  /** logs: each accessory × host's lines, read in full */
  | { kind: 'logs'; logs: HostLogs[] }
  /** exec: each run's end; with --json each one's output too (without, it went through as it came) */
  | { kind: 'exec'; results: ExecResult[] }
  /** accessory-tunnel: its forwards were printed as they listened; how it ended (a signal: 0, no error) */
  | { kind: 'tunnel'; exitCode: number; error?: { kind: TunnelErrorKind; message: string }; forwarded: boolean }
  /** logs --follow: its output went through as it came; only how it ended is left (the sentence, if it failed) */
  | { kind: 'streamed'; failure?: string }
  | { kind: 'lock'; action: 'status' | 'release'; dryRun: boolean; lines: string[]; exitCode: number }
  | { kind: 'config'; document: ConfigDocument }
  /** a "no" at the confirmation question: nothing was changed */
  | { kind: 'aborted'; verb: string }
  /**
   * `all` on a config without accessories, or a `--shard` that holds no host: nothing to do (`empty`: the verb's
   * result with nothing in it, for --json; `sentence`: what the text says when it is not the config's lack of accessories)
   */
  | { kind: 'nothing'; configFile: string; empty: VerbResult; sentence?: string }

/** How a run ended: with its verb's result, with a failure before or instead of one, or by a signal during the hook. */
export type RunEnding =
  | { result: VerbResult; interrupted?: string; releaseErrors: readonly string[] }
  | {
      failure: { kind: RunFailureKind; message: string; problems?: string[] }
      /** What stderr says about it, as it is. */
      stderr: string
      interrupted?: string
      /** false: no job summary (a failed hook, a file to upload that is missing). */
      summary: boolean
    }
  | { hookInterrupted: string }

/** How the output is shown: the one --json decision, -q, colour, and who ran it (for fix commands). */
export interface OutputView {
  verb: string
  json: boolean
  quiet: boolean
  colour: boolean
  invocation: InvocationContext
  /** Under GitHub Actions: annotations and the job summary are rendered too. */
  actions: boolean
}

/** Everything a run prints at its end, in order, and the code it exits with. */
export interface RunOutput {
  /** berth's own workflow commands (written before the rest). */
  annotations: string
  chunks: Chunk[]
  /** Markdown for $GITHUB_STEP_SUMMARY, when the run has one. */
  summary?: string
  exitCode: number
}

export async function renderRun(ending: RunEnding, view: OutputView): Promise<RunOutput> {
  if ('hookInterrupted' in ending)
    return { annotations: '', chunks: [], exitCode: exitCodeOfRun({ interrupted: ending.hookInterrupted }) }
  if ('failure' in ending) return renderFailure(ending, view)
  const { result, interrupted, releaseErrors } = ending
  const exitCode = exitCodeOfRun({
    result: resultExitCode(result, interrupted),
    interrupted,
    releaseFailed: releaseErrors.length > 0,
  })
  const published = publishedEntries(result)
  const error = releaseErrors.join(' ') || undefined
  return {
    annotations: view.actions && published ? githubAnnotations(published.verb, published.entries, view.invocation) : '',
    chunks: [
      ...(await renderResult(result, view, interrupted)),
      ...releaseErrors.map((message) => ({ stream: 'stderr' as const, text: `berth: ${message}\n` })),
    ],
    summary:
      view.actions && (published || exitCode !== 0)
        ? githubStepSummary(published?.verb ?? view.verb, published?.entries ?? [], view.invocation, {
            exitCode,
            interrupted,
            error,
          })
        : undefined,
    exitCode,
  }
}

function renderFailure(ending: Extract<RunEnding, { failure: unknown }>, view: OutputView): RunOutput {
  const { failure, interrupted } = ending
  const exitCode = exitCodeOfRun({ failure: failure.kind, interrupted })
  const json = renderFailureJson({ verb: view.verb, exitCode, ...failure })
  const end = { exitCode, interrupted, error: failure.message }
  return {
    annotations: '',
    chunks: [
      { stream: 'stderr', text: ending.stderr },
      ...(view.json ? [{ stream: 'stdout' as const, text: json }] : []),
    ],
    summary: view.actions && ending.summary ? githubStepSummary(view.verb, [], view.invocation, end) : undefined,
    exitCode,
  }
}

/** The entries CI is told about (annotations, the summary's table): those of a report, a check or details. */
function publishedEntries(result: VerbResult): { verb: string; entries: readonly ReportEntry[] } | undefined {
  if (result.kind === 'report') return { verb: result.report.verb, entries: result.report.entries }
  if (result.kind === 'check' || result.kind === 'details') return { verb: result.kind, entries: result.entries }
  return undefined
}

/** A result's own exit code (the run's end may override it: a signal, a lock that was not released). */
function resultExitCode(result: VerbResult, interrupted: string | undefined): number {
  switch (result.kind) {
    case 'report':
      return exitCodeOf({ ...result.report, interrupted })
    case 'check':
    case 'details':
      return exitCodeOfEntries(result.entries, interrupted)
    case 'logs':
      return renderLogs(result.logs, { quiet: true, interrupted }).exitCode
    case 'exec':
      return execOutcome(result.results, interrupted).exitCode
    case 'streamed':
      return result.failure === undefined ? EXIT_OK : EXIT_ERROR
    case 'tunnel':
    case 'lock':
      return result.exitCode
    case 'aborted':
      return EXIT_ERROR
    case 'config':
    case 'nothing':
      return EXIT_OK
  }
}

const out = (text: string): Chunk[] => [{ stream: 'stdout', text }]

/** A result as text, or as one JSON document on stdout. */
async function renderResult(result: VerbResult, view: OutputView, interrupted: string | undefined): Promise<Chunk[]> {
  const { json, quiet, colour, invocation } = view
  switch (result.kind) {
    case 'report': {
      const report = interrupted ? { ...result.report, interrupted } : result.report
      return out(json ? renderJson(report, invocation) : renderText(report, invocation, { quiet, colour }))
    }
    case 'check':
      return out(
        json
          ? renderCheckJson(result.entries, invocation, interrupted)
          : renderCheckText(result.entries, invocation, { quiet, colour, interrupted }),
      )
    case 'details': {
      const { renderDetailsJson, renderDetailsText } = await import('./details.ts')
      return out(
        json
          ? renderDetailsJson(result.entries, invocation, interrupted)
          : renderDetailsText(result.entries, invocation, { quiet, interrupted }),
      )
    }
    case 'config': {
      const { renderConfigJson, renderConfigText } = await import('./config.ts')
      return out(json ? renderConfigJson(result.document) : renderConfigText(result.document))
    }
    default:
      return renderRunOutput(result, view, interrupted)
  }
}

/** The results that are not a table of entries: per-host output, the lock, an aborted or empty run. */
async function renderRunOutput(
  result: VerbResult,
  view: OutputView,
  interrupted: string | undefined,
): Promise<Chunk[]> {
  switch (result.kind) {
    case 'logs': {
      const rendered = renderLogs(result.logs, { quiet: view.quiet, interrupted })
      return view.json ? out(renderSectionsJson('logs', 'logs', result.logs, rendered.exitCode)) : rendered.chunks
    }
    case 'exec': {
      const { exitCode, summary } = execOutcome(result.results, interrupted)
      if (view.json) return out(renderSectionsJson('exec', 'results', result.results, exitCode))
      return summary ? [{ stream: 'stderr', text: summary }] : []
    }
    case 'tunnel':
      return tunnelEnd(result, view.json)
    case 'lock': {
      const { action, dryRun, exitCode, lines } = result
      const document = { verb: 'lock', action, dryRun, exitCode, lines }
      return out(view.json ? `${JSON.stringify(document, null, 2)}\n` : `${lines.join('\n')}\n`)
    }
    case 'streamed':
      return result.failure === undefined ? [] : [{ stream: 'stderr', text: `${result.failure}\n` }]
    case 'aborted':
      return [
        { stream: 'stderr', text: 'Aborted; nothing was changed.\n' },
        ...(view.json ? abortedJson(result.verb) : []),
      ]
    case 'nothing':
      return view.json
        ? renderResult(result.empty, view, undefined)
        : out(result.sentence ?? `${result.configFile} has no accessories, so there is nothing to do.\n`)
    default:
      return []
  }
}

/** With --json an aborted run is still one document. */
function abortedJson(verb: string): Chunk[] {
  const message = 'Aborted at the confirmation question; nothing was changed.'
  return out(
    `${JSON.stringify({ verb, exitCode: EXIT_ERROR, error: { kind: 'aborted', message }, entries: [] }, null, 2)}\n`,
  )
}

/** How a tunnel ended: its sentence on stderr; with --json, one document when none was printed yet. */
function tunnelEnd(result: Extract<VerbResult, { kind: 'tunnel' }>, json: boolean): Chunk[] {
  const { error, exitCode, forwarded } = result
  if (!error) return []
  const text = error.kind === 'error' ? `berth: ${error.message}\n` : `${error.message}\n`
  return [
    { stream: 'stderr', text },
    ...(json && !forwarded ? out(tunnelFailureJson(exitCode, error.kind, error.message)) : []),
  ]
}
