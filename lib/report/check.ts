// accessory-check's output: the report's sentences for people, or the published JSON contract
// (schemas/check.schema.json, schemaVersion 2) for machines. Pure: entries in, text out.
import { exitCodeOfEntries } from './exit-codes.ts'
import { describeEntries, renderText } from './render.ts'
import { CHECK_VERDICTS, checkVerdict, type CheckVerdict } from './labels.ts'
import { failureError, shardJson, type InvocationContext, type ReportEntry, type RunFailure } from './model.ts'

/** 2: `error` (a run that ended without a report: usage 64, config 78, …) and exit codes 64 and 78 added. */
const CHECK_SCHEMA_VERSION = 2

export function renderCheckText(
  entries: readonly ReportEntry[],
  context: InvocationContext,
  options: { quiet: boolean; colour?: boolean; interrupted?: string },
): string {
  const text = renderText(
    {
      verb: 'check',
      dryRun: false,
      entries: [...entries],
      ...(options.interrupted ? { interrupted: options.interrupted } : {}),
    },
    context,
    options,
  )
  const notes = entries
    .filter((e) => e.notCompared?.length && !options.quiet)
    .map((e) => `Not compared for \`${e.accessory}\` on ${e.host}: ${e.notCompared!.join('; ')}.`)
  return notes.length ? `${notes.join('\n')}\n${text}` : text
}

export function renderCheckJson(
  entries: readonly ReportEntry[],
  context: InvocationContext,
  interrupted?: string,
): string {
  const described = describeEntries({ verb: 'check', dryRun: false, entries: [...entries] }, context)
  const summary = emptySummary()
  for (const entry of entries) {
    summary[checkVerdict(entry)]++
    if (entry.leftovers?.length) summary.leftovers++
  }
  const document = {
    schemaVersion: CHECK_SCHEMA_VERSION,
    verb: 'check',
    exitCode: exitCodeOfEntries(entries, interrupted),
    ...(interrupted ? { interrupted } : {}),
    ...shardJson(context),
    summary,
    results: described.map((entry) => ({
      accessory: entry.accessory,
      service: entry.service,
      host: entry.host,
      verdict: checkVerdict(entry),
      drift: entry.drift ?? [],
      notCompared: entry.notCompared ?? [],
      leftovers: entry.leftovers ?? [],
      running: entry.state
        ? {
            image: entry.runningImage ?? '',
            imageId: entry.runningImageId ?? null,
            repoDigests: entry.repoDigests ?? [],
            state: entry.state,
            containerId: entry.containerId ?? '',
          }
        : null,
      desired: { image: entry.configuredImage },
      error: entry.error ?? null,
      message: entry.message,
      fix: entry.fix ?? null,
    })),
  }
  return `${JSON.stringify(document, null, 2)}\n`
}

const emptySummary = (): Record<CheckVerdict | 'leftovers', number> => ({
  ...(Object.fromEntries(CHECK_VERDICTS.map((v) => [v, 0])) as Record<CheckVerdict, number>),
  leftovers: 0,
})

/** A check that ended without a report (usage, config, anything else): the same contract, with `error`. */
export function renderCheckFailureJson(failure: RunFailure): string {
  const document = {
    schemaVersion: CHECK_SCHEMA_VERSION,
    verb: 'check',
    exitCode: failure.exitCode,
    error: failureError(failure),
    summary: emptySummary(),
    results: [],
  }
  return `${JSON.stringify(document, null, 2)}\n`
}
