#!/usr/bin/env node
// Merges the `accessory-check --json --shard K/N` documents of N parallel CI jobs into one verdict: one check
// document (schemas/check.schema.json, version 2, no `shard` member: it covers them all) on stdout, a Markdown
// summary appended to $GITHUB_STEP_SUMMARY when it is set, and the exit code the unsharded run would have had
// (1 if any shard failed, else 2 if any drifted, else 0; a usage error or invalid config keeps its 64 or 78).
// A shard whose document is missing, unreadable, duplicated or from another split is a failure (1): a fleet
// half checked is not in sync. Dependency-free: plain Node, so a workflow runs it without installing anything.
// Usage: node scripts/merge-check-shards.mjs [--shards N] check-1.json … check-N.json > check.json
//   --shards N: the N the jobs ran `--shard K/N` with, so that shards whose documents are all lost are still missed.
import { appendFileSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * @typedef {{ accessory: string, host: string, verdict: string, message: string, leftovers: unknown[] }} CheckResult
 * @typedef {{ kind: string, message: string, problems?: string[] }} CheckError
 * @typedef {{
 *   schemaVersion: number, verb: string, exitCode: number, interrupted?: string,
 *   shard?: { index: number, count: number }, error?: CheckError,
 *   summary: Record<string, number>, results: CheckResult[]
 * }} CheckDocument
 */

/** Which exit code wins when shards end differently: no host read (64, 78), a signal, a failure, drift, in sync. */
const PRECEDENCE = [78, 64, 143, 130, 1, 2, 0]
const SUMMARY_KEYS = ['in_sync', 'drift', 'missing', 'not_running', 'unreachable', 'leftovers']

/** Code-unit order, the same in every locale. */
const byText = (/** @type {string} */ a, /** @type {string} */ b) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * What is wrong with the set of shards, as sentences: missing, repeated or foreign shards. A document without
 * `shard` but with `error` (a run that failed before it could split, e.g. an invalid config) stands for a shard.
 * @param {ReadonlyArray<CheckDocument>} documents @param {number} unreadable documents that could not be read
 * @param {number | undefined} expected how many shards the jobs split the hosts into (`--shards N`)
 * @returns {string[]}
 */
function shardProblems(documents, unreadable, expected) {
  const sharded = documents.filter((d) => d.shard)
  const counts = [...new Set([...(expected ? [expected] : []), ...sharded.map((d) => d.shard?.count)])]
  if (counts.length > 1)
    return [
      `The documents come from different splits (--shard …/${counts.join(', …/')}${expected ? ' with --shards' : ''}).`,
    ]
  const plain = documents.filter((d) => !d.shard && !d.error).length
  if (plain) return [`${plain} document(s) have no \`shard\` member: merge only the documents of \`--shard K/N\` runs.`]
  const count = counts[0] ?? documents.length + unreadable
  const seen = sharded.map((d) => d.shard?.index ?? 0)
  const twice = [...new Set(seen.filter((index, i) => seen.indexOf(index) !== i))]
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((index) => !seen.includes(index))
  const failedEarly = documents.length - sharded.length
  return [
    ...twice.map((index) => `Shard ${index}/${count} sent more than one document.`),
    ...(missing.length > failedEarly
      ? [
          `Shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')} sent no check ` +
            'document (a job that failed or was cancelled, or an artifact not downloaded), so not every host was ' +
            'checked; re-run the failed jobs.',
        ]
      : []),
    ...(unreadable ? [`${unreadable} file(s) are not check documents of schemaVersion 2 (see stderr).`] : []),
  ]
}

/**
 * The one document the N shards make together.
 * @param {ReadonlyArray<CheckDocument>} documents
 * @param {{ unreadable?: number, shards?: number }} [options] how many files were no check document; `--shards N`
 * @returns {CheckDocument}
 */
export function mergeCheckShards(documents, options = {}) {
  const problems = shardProblems(documents, options.unreadable ?? 0, options.shards)
  const codes = [...documents.map((d) => d.exitCode), ...(problems.length ? [1] : [])]
  const exitCode = PRECEDENCE.find((code) => codes.includes(code)) ?? Math.max(1, ...codes)
  const failed = documents.find((d) => d.error && d.exitCode === exitCode) ?? documents.find((d) => d.error)
  const interrupted = documents.find((d) => d.interrupted)?.interrupted
  const message = [failed?.error?.message, ...problems].filter(Boolean).join(' ')
  const error = failed?.error ? { ...failed.error, message } : problems.length ? { kind: 'error', message } : undefined
  /** @type {Record<string, number>} */
  const summary = Object.fromEntries(
    SUMMARY_KEYS.map((key) => [key, documents.reduce((sum, d) => sum + (d.summary?.[key] ?? 0), 0)]),
  )
  const results = documents
    .flatMap((d) => d.results ?? [])
    .sort((a, b) => byText(a.accessory, b.accessory) || byText(a.host, b.host))
  return {
    schemaVersion: 2,
    verb: 'check',
    exitCode,
    ...(interrupted ? { interrupted } : {}),
    ...(error ? { error } : {}),
    summary,
    results,
  }
}

/** A Markdown table cell: `|` and a backslash escaped, line ends as spaces (as berth's own job summary). */
const cell = (/** @type {string} */ s) =>
  String(s)
    .replaceAll('\\', '\\\\')
    .replaceAll('|', '\\|')
    .replace(/\r\n?|\n/g, ' ')

/**
 * The job summary of the merge: the verdict, the counts, and one row per result that needs a person.
 * @param {CheckDocument} merged @param {number} shards how many documents were merged
 */
export function mergedSummary(merged, shards) {
  const word = { 0: 'in sync', 1: 'failed', 2: 'drift' }[merged.exitCode] ?? 'failed'
  const counts = SUMMARY_KEYS.filter((key) => merged.summary[key]).map((key) => `${merged.summary[key]} ${key}`)
  const rows = merged.results
    .filter((r) => r.verdict !== 'in_sync' || r.leftovers.length)
    .map((r) => `| ${cell(r.accessory)} | ${cell(r.host)} | ${cell(r.verdict)} | ${cell(r.message)} |`)
  return [
    `### berth check, ${shards} shard${shards === 1 ? '' : 's'} merged: exit ${merged.exitCode} (${word})`,
    '',
    `${counts.join(', ') || 'no accessory × host checked'}.`,
    '',
    ...(merged.error ? [cell(merged.error.message), ''] : []),
    ...(rows.length ? ['| Accessory | Host | Verdict | What to do |', '|---|---|---|---|', ...rows, ''] : []),
  ].join('\n')
}

/**
 * Each file's document, or undefined (said on stderr) when it is not a check document of version 2.
 * @param {string} file @returns {CheckDocument | undefined}
 */
function readDocument(file) {
  try {
    const document = JSON.parse(readFileSync(file, 'utf8'))
    if (document?.verb === 'check' && document.schemaVersion === 2 && Array.isArray(document.results)) return document
    process.stderr.write(`merge-check-shards: ${file} is not an accessory-check --json document of schemaVersion 2.\n`)
  } catch (error) {
    process.stderr.write(
      `merge-check-shards: ${file} cannot be read as JSON: ${/** @type {Error} */ (error).message}\n`,
    )
  }
  return undefined
}

/** `[--shards N] FILE…`, or the usage sentence. @param {string[]} argv */
function parseArgv(argv) {
  const at = argv.indexOf('--shards')
  const shards = at < 0 ? undefined : argv[at + 1]
  const files = at < 0 ? argv : [...argv.slice(0, at), ...argv.slice(at + 2)]
  if (shards !== undefined && !/^[1-9]\d{0,5}$/.test(shards))
    return 'give --shards a whole number from 1, as in --shards 4'
  if (at >= 0 && shards === undefined) return 'give --shards a whole number from 1, as in --shards 4'
  if (!files.length && shards === undefined) return "give the shards' documents (and --shards N to miss lost ones)"
  return { files, shards: shards === undefined ? undefined : Number(shards) }
}

function main() {
  const args = parseArgv(process.argv.slice(2))
  if (typeof args === 'string') {
    process.stderr.write(
      `Usage: node scripts/merge-check-shards.mjs [--shards N] check-1.json … check-N.json: ${args}.\n`,
    )
    return 64
  }
  const read = args.files.map(readDocument)
  const documents = /** @type {CheckDocument[]} */ (read.filter(Boolean))
  const merged = mergeCheckShards(documents, { unreadable: read.length - documents.length, shards: args.shards })
  process.stdout.write(`${JSON.stringify(merged, null, 2)}\n`)
  if (merged.error) process.stderr.write(`merge-check-shards: ${merged.error.message}\n`)
  const summaryFile = process.env.GITHUB_STEP_SUMMARY
  if (summaryFile) appendFileSync(summaryFile, `${mergedSummary(merged, args.shards ?? args.files.length)}\n`)
  return merged.exitCode
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main()
