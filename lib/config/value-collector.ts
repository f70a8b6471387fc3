// What the value walkers (value-problems.ts, accessory-values.ts) report through: each problem with the key
// path it points at. Pure.
import { show } from './value-rules.ts'

export type Path = Array<string | number>

export interface Problem {
  /** Where to point (a key or a value). */
  path: Path
  at: 'key' | 'value'
  message: string
  /** The JSON pointer shown; defaults to `path` (its parent for unknown keys). */
  pointer?: Path
}

/** The problems found so far, in the order found. */
export class Collector {
  readonly problems: Problem[] = []
  value(path: Path, message: string): void {
    this.problems.push({ path, at: 'value', message })
  }
  key(path: Path, message: string): void {
    this.problems.push({ path, at: 'key', message })
  }
  /** Applies `check` to a string (strings with NUL are reported once, by `nulProblems`). */
  string(path: Path, value: unknown, check: (v: string) => string | undefined): void {
    if (typeof value !== 'string' || value.includes('\0')) return
    const why = check(value)
    if (why) this.value(path, `${show(value)} ${why}.`)
  }
}
