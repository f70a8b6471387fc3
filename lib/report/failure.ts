// With --json, a run that ends without a report (usage 64, config 78, the lock, anything else) still prints
// one JSON document on stdout: accessory-check's in its published schema, every other verb's in the report's shape.
import { renderCheckFailureJson } from './check.ts'
import { failureError, type RunFailure } from './model.ts'

export function renderFailureJson(failure: RunFailure): string {
  if (failure.verb === 'check') return renderCheckFailureJson(failure)
  const document = { verb: failure.verb, exitCode: failure.exitCode, error: failureError(failure), entries: [] }
  return `${JSON.stringify(document, null, 2)}\n`
}
