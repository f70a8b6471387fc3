// A config is plain data: strings, numbers, booleans, null, lists and plain objects. A JavaScript config
// (or a YAML document with self-referencing aliases) can hold more than that: circular references,
// getters that throw, functions, class instances. `plainData` copies what is data and names, by key path,
// everything that is not, so such a config ends in a config error (exit 78) and never in a stack trace.

type Path = Array<string | number>
type Plain = Record<string, unknown>

export function isPlainObject(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

export interface DataProblem {
  path: Path
  message: string
}

/** Deeper than any real config; deep enough to stop before the stack runs out. */
export const MAX_DEPTH = 64

/** The end of every sentence about a config nested past MAX_DEPTH (YAML, ERB and JavaScript configs alike). */
export function nestingLimit(): string {
  return `more than ${MAX_DEPTH} levels deep, berth's limit; no real config is that deep, so flatten it.`
}

/** A JSON pointer for messages: `/accessories/db/env`, or `(root)`; control characters escaped, long keys cut. */
export function pointer(path: Path): string {
  if (path.length === 0) return '(root)'
  const segment = (s: string | number) => {
    const text = String(s)
      .replace(/~/g, '~0')
      .replace(/\//g, '~1')
      .replace(/[\x00-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    return text.length > 60 ? `${text.slice(0, 50)}…` : text
  }
  return '/' + path.map(segment).join('/')
}

/** An error's message, even for thrown values whose `message` or `toString` throws. */
export function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return 'an error that cannot be shown'
  }
}

function kindOf(value: object): string {
  try {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name
    return typeof name === 'string' && name ? `a ${name} object` : 'an object of another kind'
  } catch {
    return 'an object of another kind'
  }
}

function isPlainPrototype(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/**
 * A copy of `input` holding only plain data. In objects, a key set to `undefined` means "not set" (as
 * in JSON) and is left out. Never throws: whatever cannot be copied is a problem with its key path.
 */
export function plainData(input: unknown): { value: unknown; problems: DataProblem[] } {
  const copier = new PlainCopier()
  return { value: copier.copy(input, []), problems: copier.problems }
}

/** One copy in progress: the problems found, and the objects being copied (to find circular references). */
class PlainCopier {
  readonly problems: DataProblem[] = []
  private readonly ancestors: Array<{ value: object; path: Path }> = []

  copy(value: unknown, path: Path): unknown {
    switch (typeof value) {
      case 'string':
      case 'boolean':
      case 'undefined':
        return value
      case 'number':
        if (!Number.isFinite(value))
          this.problems.push({ path, message: `is ${value}, which no config value can be; write a finite number.` })
        return value
      case 'bigint':
        this.problems.push({ path, message: 'is a BigInt; write a number or a string.' })
        return undefined
      case 'function':
      case 'symbol':
        this.problems.push({ path, message: `is a ${typeof value}, not data; write the value it stands for.` })
        return undefined
    }
    if (value === null) return null
    return this.copyObject(value as object, path)
  }

  /** A list or a plain object, unless it is circular, too deep, of another kind, or cannot be read. */
  private copyObject(object: object, path: Path): unknown {
    const loop = this.ancestors.find((a) => a.value === object)
    if (loop) {
      this.problems.push({
        path,
        message: `refers back to ${pointer(loop.path)} (a circular reference), so it has no end; write the value out instead.`,
      })
      return undefined
    }
    if (this.ancestors.length >= MAX_DEPTH) {
      this.problems.push({
        path,
        message: `is nested ${nestingLimit()}`,
      })
      return undefined
    }
    let isArray: boolean
    let keys: string[]
    try {
      isArray = Array.isArray(object)
      if (!isArray && !isPlainPrototype(object)) {
        this.problems.push({
          path,
          message: `is ${kindOf(object)}, not plain data; write a string, number, list or plain object.`,
        })
        return undefined
      }
      keys = isArray ? [] : Object.keys(object)
    } catch (error) {
      this.problems.push({ path, message: `could not be read (${errorText(error)}); write plain data.` })
      return undefined
    }
    this.ancestors.push({ value: object, path })
    try {
      return isArray ? this.copyList(object as unknown[], path) : this.copyEntries(object as Plain, keys, path)
    } finally {
      this.ancestors.pop()
    }
  }

  private copyList(list: unknown[], path: Path): unknown[] | undefined {
    const out: unknown[] = []
    let length: number
    try {
      length = list.length
    } catch (error) {
      this.problems.push({ path, message: `could not be read (${errorText(error)}); write plain data.` })
      return undefined
    }
    for (let i = 0; i < length; i++) out.push(this.read(list, i, [...path, i]))
    return out
  }

  private copyEntries(object: Plain, keys: string[], path: Path): Plain {
    const out: Plain = {}
    for (const key of keys) {
      if (key === '__proto__') {
        // assigning it would set the copy's prototype instead of adding a key
        this.problems.push({
          path: [...path, key],
          message: 'is a key named __proto__, which no config key can be; remove it.',
        })
        continue
      }
      const item = this.read(object, key, [...path, key])
      if (item !== undefined) out[key] = item
    }
    return out
  }

  /** One item read from its container (a getter may throw) and copied. */
  private read(container: Plain | unknown[], key: string | number, path: Path): unknown {
    let item: unknown
    try {
      item = (container as Record<string | number, unknown>)[key]
    } catch (error) {
      this.problems.push({
        path,
        message: `threw an error when read (${errorText(error)}); fix the getter, or write the value itself.`,
      })
      return undefined
    }
    return this.copy(item, path)
  }
}
