// YAML as Kamal reads it. Kamal loads deploy.yml with Ruby's Psych (`YAML.unsafe_load`, YAML 1.1), whose
// plain scalars follow Psych::ScalarScanner#tokenize, not the `yaml` package's 1.1 schema: `y` and `n` stay
// strings, `12:30` is 45000 (Psych's base 60), `1e3` is a string, `1,000` is 1000, `:name` is a symbol.
// `psychTags` gives the `yaml` package that reading for plain (unquoted, untagged) scalars; quoted scalars
// and explicit tags (`!!str`, `!!int`) are read as before. What Ruby would hand on as text is handed on as
// Kamal's text: a float is a string spelled as Ruby's Float#to_s (`1.0` stays "1.0", never 1), a symbol is
// its name, an integer beyond 2^53 its exact digits. Dates and times become `PsychTimestamp` values, which
// load.ts accepts only where Kamal accepts a Date (sections berth does not read). Pure.
import type { ScalarTag, Tags } from 'yaml'

/** A plain scalar Psych reads as a Date or a Time (`2024-01-31`, `2024-01-31 12:00:00`). */
export class PsychTimestamp {
  readonly text: string
  readonly kind: 'date' | 'time'
  constructor(text: string, kind: 'date' | 'time') {
    this.text = text
    this.kind = kind
  }
  toString(): string {
    return this.text
  }
}

export type PsychValue = null | boolean | number | string | PsychTimestamp

type Kind = 'null' | 'bool' | 'int' | 'float' | 'symbol' | 'timestamp' | 'string'

// Psych::ScalarScanner's patterns (psych 5, ruby/psych lib/psych/scalar_scanner.rb); Ruby's `\s` and `\d`
// are ASCII, `[[:alpha:]]` is Unicode.
const S = '[ \\t\\r\\n\\f\\v]'
const STRINGISH = new RegExp(`^[^0-9.:-]?[\\p{Alphabetic}_ \\t\\r\\n\\f\\v!@#$%^&*(){}<>|/\\\\~;=]+`, 'u')
const TIME = new RegExp(
  `^-?[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|${S}+)[0-9]{1,2}:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:${S}*(?:Z|[-+][0-9]{1,2}:?(?:[0-9][0-9])?))?$`,
)
const DATE = /^([0-9]{4})-(1[012]|0[0-9]|[0-9])-([12][0-9]|3[01]|0[0-9]|[0-9])$/
const BASE60_INT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}$/
const BASE60_FLOAT = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9]){1,2}\.[0-9_]*$/
const FLOAT = /^(?:[-+]?(?:[0-9][0-9_,]*)?\.[0-9]*(?:[eE][-+][0-9]+)?)$/
// INTEGER_LEGACY: Kamal's unsafe_load keeps strict_integer off, so commas are allowed
const INTEGER =
  /^(?:[-+]?0b[_,]*[0-1][0-1_,]*|[-+]?0[_,]*[0-7][0-7_,]*|[-+]?(?:0|[1-9](?:[0-9]|,[0-9]|_[0-9])*)|[-+]?0x[_,]*[0-9a-fA-F][0-9a-fA-F_,]*)$/

/** What Psych makes of a plain scalar, and the value berth hands on for it. */
export function psychScalar(text: string): { kind: Kind; value: PsychValue } {
  if (text === '') return { kind: 'null', value: null }
  if (STRINGISH.test(text) || text.includes('\n')) {
    if (text.length > 5 || /^[^ytonf~]/i.test(text)) return { kind: 'string', value: text }
    if (text === '~' || /^null$/i.test(text)) return { kind: 'null', value: null }
    if (/^(?:yes|true|on)$/i.test(text)) return { kind: 'bool', value: true }
    if (/^(?:no|false|off)$/i.test(text)) return { kind: 'bool', value: false }
    return { kind: 'string', value: text }
  }
  if (TIME.test(text)) return { kind: 'timestamp', value: new PsychTimestamp(text, 'time') }
  const date = DATE.exec(text)
  if (date) {
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])]
    const valid = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d // strptime refuses 2024-02-30
    return valid ? { kind: 'timestamp', value: new PsychTimestamp(text, 'date') } : { kind: 'string', value: text }
  }
  if (/^\+?\.inf$/i.test(text)) return { kind: 'float', value: 'Infinity' }
  if (/^-\.inf$/i.test(text)) return { kind: 'float', value: '-Infinity' }
  if (/^\.nan$/i.test(text)) return { kind: 'float', value: 'NaN' }
  if (/^:./.test(text)) {
    const quoted = /^:(["'])(.*)\1/.exec(text)
    return { kind: 'symbol', value: quoted ? (quoted[2] as string).replace(/^:/, '') : text.slice(1) }
  }
  if (BASE60_INT.test(text)) return { kind: 'int', value: integerValue(base60Int(text)) }
  if (BASE60_FLOAT.test(text)) return { kind: 'float', value: rubyFloatToS(base60Float(text)) }
  if (FLOAT.test(text)) {
    if (/^[-+]?\.$/.test(text)) return { kind: 'string', value: text }
    return { kind: 'float', value: rubyFloatToS(Number(text.replace(/[,_]/g, '').replace(/\.([Ee]|$)/, '$1'))) }
  }
  if (INTEGER.test(text)) return { kind: 'int', value: integerValue(rubyInteger(text.replace(/[,_]/g, ''))) }
  return { kind: 'string', value: text }
}

// Psych's base 60: each part times 60 ** |index - 2| (so `12:30` is 12·3600 + 30·60, as Psych computes it).
function base60Int(text: string): bigint {
  return text.split(':').reduce((sum, n, e) => sum + rubyToI(n) * 60n ** BigInt(Math.abs(e - 2)), 0n)
}

function base60Float(text: string): number {
  return text.split(':').reduce((sum, n, e) => sum + rubyToF(n) * 60 ** Math.abs(e - 2), 0)
}

/** Ruby's String#to_i: a leading sign and digits (single underscores between them), the rest ignored. */
function rubyToI(s: string): bigint {
  const m = /^[-+]?[0-9]+(?:_[0-9]+)*/.exec(s)
  return m ? BigInt(m[0].replace(/_/g, '')) : 0n
}

/** Ruby's String#to_f, for the parts of a base-60 float. */
function rubyToF(s: string): number {
  const m = /^[-+]?[0-9]+(?:_[0-9]+)*(?:\.[0-9]+(?:_[0-9]+)*)?/.exec(s)
  return m ? Number(m[0].replace(/_/g, '')) : 0
}

/** Ruby's Integer(): `0b…`, `0x…`, a leading 0 for octal. */
function rubyInteger(s: string): bigint {
  const negative = s.startsWith('-')
  const body = s.replace(/^[-+]/, '')
  const n = /^0[bx]/i.test(body)
    ? BigInt(body)
    : body.length > 1 && body.startsWith('0')
      ? BigInt(`0o${body.slice(1)}`)
      : BigInt(body)
  return negative ? -n : n
}

/** A JS number when exact; beyond 2^53, Ruby's exact digits as a string (Kamal hands on Integer#to_s). */
function integerValue(n: bigint): number | string {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString()
}

/** Ruby's Float#to_s: shortest digits; fixed notation from 1e-4 to below 1e16, else `1.0e+16`; always a `.`. */
export function rubyFloatToS(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return 'Infinity'
  if (x === -Infinity) return '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential())!
  const sign = m[1] as string
  const digits = `${m[2]}${m[3] ?? ''}`
  const decpt = Number(m[4]) + 1
  if (decpt > 0 && decpt <= 16) {
    return decpt >= digits.length
      ? `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`
      : `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`
  }
  if (decpt <= 0 && decpt > -4) return `${sign}0.${'0'.repeat(-decpt)}${digits}`
  const exponent = decpt - 1
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`
}

// One resolved scalar is looked up once per tag test: remember the last one.
let last: { text: string; result: ReturnType<typeof psychScalar> } | undefined
function classify(text: string): ReturnType<typeof psychScalar> {
  if (last?.text !== text) last = { text, result: psychScalar(text) }
  return last.result
}

// Tag names of berth's own, so an explicit `!!int "12"` still finds the 1.1 schema's tags.
function psychTag(kind: Kind): ScalarTag {
  // `yaml` calls `test.test(value)` on each default tag in order; a RegExp whose test asks Psych. `<<` is
  // left to the merge-key tag.
  const test = Object.assign(/(?:)/, { test: (text: string) => text !== '<<' && classify(text).kind === kind })
  return {
    tag: `tag:berth,2025:psych-${kind}`,
    default: true,
    test,
    resolve: (text: string) => classify(text).value as never,
  }
}

/** One tag per kind, the string kind last: every plain scalar is read by Psych's rules, never the 1.1 tags' guesses. */
const PSYCH_TAGS: ScalarTag[] = (['null', 'bool', 'int', 'float', 'symbol', 'timestamp', 'string'] as const).map(
  psychTag,
)

/**
 * `customTags` for `parseDocument(src, { version: '1.1', customTags: psychTags })`: Psych's reading of plain
 * scalars first; the 1.1 schema's tags stay for explicit tags (`!!int 7`) and merge keys.
 */
export function psychTags(tags: Tags): Tags {
  return [...PSYCH_TAGS, ...tags]
}

type Path = Array<string | number>

/** Where Kamal takes a Date as it is: sections it does not type-check and berth does not read. */
function takesDates(path: Path): boolean {
  const [root] = path
  return (
    root === 'builder' ||
    root === 'boot' ||
    (typeof root === 'string' && root.startsWith('x-')) ||
    path.includes('proxy')
  )
}

/**
 * Dates and times in a loaded YAML value: kept as their text where Kamal takes them (app-only sections),
 * named everywhere else (Kamal refuses a Date where it wants a string, a number or a list).
 */
export function settleTimestamps(
  value: unknown,
  path: Path = [],
): { value: unknown; refused: Array<{ path: Path; stamp: PsychTimestamp }> } {
  const refused: Array<{ path: Path; stamp: PsychTimestamp }> = []
  const ancestors = new Set<object>() // a self-containing alias is named by plain.ts, not walked forever
  const walk = (v: unknown, p: Path): unknown => {
    if (v instanceof PsychTimestamp) {
      if (!takesDates(p)) refused.push({ path: p, stamp: v })
      return v.text
    }
    if (typeof v !== 'object' || v === null || ancestors.has(v)) return v
    ancestors.add(v)
    if (Array.isArray(v)) v.forEach((item, i) => (v[i] = walk(item, [...p, i])))
    else if (Object.getPrototypeOf(v) === Object.prototype) {
      for (const [key, item] of Object.entries(v)) (v as Record<string, unknown>)[key] = walk(item, [...p, key])
    }
    ancestors.delete(v)
    return v
  }
  return { value: walk(value, path), refused }
}
