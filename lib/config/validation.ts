// Validating the merged config: the schema's validator (ajv errors put into sentences), Kamal's own rules and
// the value rules, as one sorted list of `file:line:col: /json/pointer: message` lines (or `file: ...` for .mjs).
import type { ErrorObject } from 'ajv'
import { validator } from './validator.ts'
import { kamalRuleProblems } from './kamal-rules.ts'
import { pointer } from './plain.ts'
import type { Problem } from './value-collector.ts'
import { valueProblems } from './value-problems.ts'
import type { Anchor, KeyPath } from './positions.ts'

/** `/accessories/a~1b` -> `['accessories', 'a/b']` */
function pathOf(jsonPointer: string): string[] {
  if (jsonPointer === '') return []
  return jsonPointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function typeMessage(types: unknown): string {
  const words = (Array.isArray(types) ? types : String(types).split(',')).map(String)
  if (words.length <= 1) return `must be ${words[0] ?? 'valid'}`
  return `must be ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`
}

function schemaProblems(errors: ErrorObject[]): Problem[] {
  const problems: Problem[] = []
  for (const error of errors) {
    // `if` only says "must match then/else schema"; the errors that explain why come separately
    if (error.keyword === 'if') continue
    const path = pathOf(error.instancePath)
    // the schema's own sentence for this keyword, where it has one
    const messages = (error.parentSchema as Record<string, unknown> | undefined)?.['x-messages'] as
      Record<string, string> | undefined
    const schemaMessage = messages?.[error.keyword]
    if (error.keyword === 'additionalProperties') {
      const key = String((error.params as { additionalProperty: string }).additionalProperty)
      problems.push({
        path: [...path, key],
        at: 'key',
        pointer: path,
        message: schemaMessage ?? `unknown key "${key}"`,
      })
      continue
    }
    if (error.keyword === 'required') {
      const key = String((error.params as { missingProperty: string }).missingProperty)
      problems.push({ path, at: 'value', message: schemaMessage ?? `missing required key "${key}"` })
      continue
    }
    let message = schemaMessage
    if (!message) {
      if (error.keyword === 'type') message = typeMessage((error.params as { type: unknown }).type)
      else if (error.keyword === 'enum') {
        const allowed = (error.params as { allowedValues: unknown[] }).allowedValues ?? []
        message = `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`
      } else message = error.message ?? `failed ${error.keyword}`
    }
    problems.push({ path, at: 'value', message })
  }
  return problems
}

/** `file:line:col: ...` -> [file, line, col]; lines without a position sort as line 0. */
function positionOf(line: string): [string, number, number] {
  const match = /^(.*?):(\d+):(\d+): /.exec(line)
  return match ? [match[1] as string, Number(match[2]), Number(match[3])] : [line, 0, 0]
}

/** Validate a merged raw config. Returns formatted problems (empty when valid). Pure. */
export function validateConfig(config: unknown, locate: (path: KeyPath, at: Anchor) => string): string[] {
  const problems: Problem[] = []
  const validate = validator()
  if (!validate(config)) problems.push(...schemaProblems(validate.errors ?? []))
  problems.push(...kamalRuleProblems(config))
  problems.push(...valueProblems(config))
  const lines = [
    ...new Set(
      problems.map(
        (problem) =>
          `${locate(problem.path, problem.at)}: ${pointer(problem.pointer ?? problem.path)}: ${problem.message}`,
      ),
    ),
  ]
  // stable sort by file position so messages read top to bottom
  return lines
    .map((line, index) => ({ line, index, position: positionOf(line) }))
    .sort((a, b) =>
      a.position[0] === b.position[0]
        ? a.position[1] - b.position[1] || a.position[2] - b.position[2] || a.index - b.index
        : a.index - b.index,
    )
    .map((entry) => entry.line)
}
