// What reading a config file of either kind shares (yaml-file.ts, module-file.ts): which kind a file is, and
// its data copied as plain data. Pure.
import { parse as parsePath } from 'node:path'
import { isPlainObject, plainData, pointer } from './plain.ts'
import { locate, type SourceFile } from './positions.ts'

export function sourceKind(file: string): 'yaml' | 'module' | undefined {
  const extension = parsePath(file).ext.toLowerCase()
  if (extension === '.yml' || extension === '.yaml') return 'yaml'
  if (extension === '.mjs' || extension === '.js') return 'module'
  return undefined
}

/** The source's data as plain data; what is not (circular aliases, getters that throw...) becomes a problem. */
export function plainCopy(source: SourceFile, value: unknown, problems: string[]): Record<string, unknown> {
  const copy = plainData(value)
  for (const problem of copy.problems)
    problems.push(`${locate([source], problem.path, 'value')}: ${pointer(problem.path)}: ${problem.message}`)
  return isPlainObject(copy.value) ? copy.value : {}
}
