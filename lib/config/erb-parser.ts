// The Ruby that ERB tags may hold in berth's subset (erb.ts), parsed: expressions (`<%= %>`, conditions) and
// statements (`require`, `Dotenv.load`, if/elsif/else/unless/end). Anything else throws Unsupported, which
// sends the file to Ruby's own ERB. Pure.

export type Expr =
  | { t: 'str'; parts: Array<string | Expr> }
  | { t: 'cmd'; parts: Array<string | Expr> }
  | { t: 'env'; name: Expr }
  | { t: 'fetch'; name: Expr; fallback?: Expr }
  | { t: 'lit'; value: null | boolean | number }
  | { t: 'file'; path: Expr }
  | { t: 'or' | 'and'; a: Expr; b: Expr }
  | { t: 'not'; a: Expr }
  | { t: 'eq'; a: Expr; b: Expr; negate: boolean }
  | { t: 'call'; receiver: Expr; name: string; args: Expr[] }

/** Code beyond the subset: the file needs Ruby's own ERB. */
export class Unsupported extends Error {}

/** Features `require` may name: dotenv is the subset's own (Kamal requires it too); json and yaml change nothing here. */
const REQUIRABLE = ['dotenv', 'json', 'yaml']

const METHODS: Record<string, number[]> = { split: [0, 1], strip: [0], chomp: [0], to_s: [0] }

/**
 * Operators, calls, parentheses and interpolations one tag may hold: far more than any config writes, few
 * enough that parsing and evaluating (both recursive) never run out of stack (`((((…` 5000 times, `!!!!…`,
 * `.strip.strip…`).
 */
const MAX_TAG_STEPS = 256

/** What a `<% %>` tag that is no if/else/end runs: `require "dotenv"` and `Dotenv.load(…)`. */
export type RubyStatements = Array<{ load: Expr[] } | { require: string }>

/** A recursive-descent parser over one tag's Ruby code. */
export class RubyParser {
  private pos = 0
  private steps = 0
  private readonly src: string
  constructor(src: string) {
    this.src = src
  }

  static expression(src: string): Expr {
    const p = new RubyParser(src)
    const e = p.or()
    p.space()
    if (p.pos < p.src.length)
      throw new Unsupported(`${JSON.stringify(p.src.slice(p.pos, p.pos + 20))} is not part of the subset`)
    return e
  }

  private space(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos] as string)) this.pos++
  }
  private peek(s: string): boolean {
    this.space()
    return this.src.startsWith(s, this.pos)
  }
  private eat(s: string): boolean {
    if (!this.peek(s)) return false
    this.pos += s.length
    return true
  }
  private expect(s: string): void {
    if (!this.eat(s)) throw new Unsupported(`expected ${s}`)
  }
  private word(): string | undefined {
    this.space()
    const m = /^[A-Za-z_][A-Za-z0-9_]*[?!]?/.exec(this.src.slice(this.pos))
    return m?.[0]
  }

  /** Counts one more nesting or chained operation; past MAX_TAG_STEPS the tag is refused. */
  private step(): void {
    if (++this.steps > MAX_TAG_STEPS)
      throw new Unsupported(`more than ${MAX_TAG_STEPS} nested or chained operations in one tag`)
  }

  or(): Expr {
    this.step()
    let a = this.and()
    while (this.eat('||')) {
      this.step()
      a = { t: 'or', a, b: this.and() }
    }
    return a
  }
  private and(): Expr {
    let a = this.not()
    while (this.eat('&&')) {
      this.step()
      a = { t: 'and', a, b: this.not() }
    }
    return a
  }
  private not(): Expr {
    if (this.peek('!=')) throw new Unsupported('a stray !=')
    if (this.eat('!')) {
      this.step()
      return { t: 'not', a: this.not() }
    }
    const a = this.postfix()
    if (this.eat('==')) return { t: 'eq', a, b: this.postfix(), negate: false }
    if (this.eat('!=')) return { t: 'eq', a, b: this.postfix(), negate: true }
    return a
  }
  private postfix(): Expr {
    let e = this.primary()
    while (this.peek('.') && !this.peek('..')) {
      this.step()
      this.pos++
      const name = this.word()
      if (!name || !(name in METHODS))
        throw new Unsupported(`.${name ?? ''} is not one of .${Object.keys(METHODS).join(', .')}`)
      this.pos += name.length
      const args: Expr[] = []
      if (this.eat('(')) {
        if (!this.eat(')')) {
          do args.push(this.or())
          while (this.eat(','))
          this.expect(')')
        }
      }
      if (!(METHODS[name] as number[]).includes(args.length))
        throw new Unsupported(`.${name} takes ${(METHODS[name] as number[]).join(' or ')} arguments here`)
      e = { t: 'call', receiver: e, name, args }
    }
    return e
  }
  private primary(): Expr {
    this.space()
    const c = this.src[this.pos]
    if (c === '"') return { t: 'str', parts: this.quoted('"', '"', true) }
    if (c === "'") return { t: 'str', parts: this.quoted("'", "'", false) }
    if (c === '`') return { t: 'cmd', parts: this.quoted('`', '`', true) }
    if (this.src.startsWith('%x', this.pos)) return this.percentCommand()
    if (this.eat('(')) {
      const e = this.or()
      this.expect(')')
      return e
    }
    return this.integer() ?? this.named()
  }
  /** `%x(…)`, `%x{…}`, `%x[…]`, `%x<…>`, or %x with any other punctuation as both delimiters. */
  private percentCommand(): Expr {
    const open = this.src[this.pos + 2] as string
    const close = { '(': ')', '{': '}', '[': ']', '<': '>' }[open] ?? open
    if (!/[^\sA-Za-z0-9]/.test(open)) throw new Unsupported('%x needs a delimiter')
    this.pos += 2
    return { t: 'cmd', parts: this.quoted(open, close, true) }
  }
  /** A decimal integer (`_` separators, no leading 0), or undefined when none starts here. */
  private integer(): Expr | undefined {
    const integer = /^-?[1-9][0-9]*(?:_[0-9]+)*(?![0-9_.A-Za-z])|^-?0(?![0-9_.A-Za-z])/.exec(this.src.slice(this.pos))
    if (!integer) return undefined
    this.pos += integer[0].length
    const n = Number(integer[0].replaceAll('_', ''))
    if (!Number.isSafeInteger(n)) throw new Unsupported(`${integer[0]} is too large for the subset`)
    return { t: 'lit', value: n }
  }
  /** `File.read(…)`, `nil`, `true`, `false`, `ENV[…]` and `ENV.fetch(…)`: the names the subset knows. */
  private named(): Expr {
    const word = this.word()
    if (word === 'File' && this.src.startsWith('File.read(', this.pos)) {
      this.pos += 'File.read('.length
      const path = this.or()
      this.expect(')')
      return { t: 'file', path }
    }
    if (word === 'nil' || word === 'true' || word === 'false') {
      this.pos += word.length
      return { t: 'lit', value: word === 'nil' ? null : word === 'true' }
    }
    if (word === 'ENV') {
      this.pos += 3
      return this.env()
    }
    throw new Unsupported(
      word
        ? `${word} is not part of the subset`
        : `${JSON.stringify(this.src.slice(this.pos, this.pos + 20))} is not part of the subset`,
    )
  }
  /** After `ENV`: `[name]`, `.fetch(name[, default])` or `.fetch(name) { default }`. */
  private env(): Expr {
    if (this.eat('[')) {
      const name = this.or()
      this.expect(']')
      return { t: 'env', name }
    }
    if (this.eat('.fetch(')) {
      const name = this.or()
      const fallback = this.eat(',') ? this.or() : undefined
      this.expect(')')
      if (fallback === undefined && this.eat('{')) {
        const block = this.or()
        this.expect('}')
        return { t: 'fetch', name, fallback: block }
      }
      return { t: 'fetch', name, fallback }
    }
    throw new Unsupported('ENV is read with ENV["X"] or ENV.fetch("X")')
  }

  /** `require "dotenv"` and `Dotenv.load(…)`, separated by `;` or line breaks. */
  static statements(src: string): RubyStatements {
    const p = new RubyParser(src)
    const steps: RubyStatements = []
    for (;;) {
      p.space()
      if (p.pos >= p.src.length) break
      const word = p.word()
      if (word === 'require') {
        p.pos += word.length
        p.space()
        const c = p.src[p.pos]
        const name = c === '"' || c === "'" ? p.quoted(c, c, false) : []
        const feature = name.length === 1 ? name[0] : undefined
        if (typeof feature !== 'string' || !REQUIRABLE.includes(feature))
          throw new Unsupported(`berth's own require knows ${REQUIRABLE.map((f) => `"${f}"`).join(', ')}`)
        steps.push({ require: feature })
      } else if (
        word === 'Dotenv' &&
        p.src.startsWith('Dotenv.load', p.pos) &&
        !/[\w!?]/.test(p.src[p.pos + 11] ?? '')
      ) {
        p.pos += 'Dotenv.load'.length
        const files: Expr[] = []
        if (p.src[p.pos] === '(' && (p.pos++, !p.eat(')'))) {
          do files.push(p.or())
          while (p.eat(','))
          p.expect(')')
        } else if (/^[ \t]+["']/.test(p.src.slice(p.pos))) {
          do files.push(p.or())
          while (p.eat(','))
        }
        steps.push({ load: files })
      } else {
        throw new Unsupported('berth runs no Ruby statements but if/elsif/else/unless/end, require and Dotenv.load')
      }
      p.step()
      // the statement ends at `;`, a line break, or the end of the tag
      while (p.pos < p.src.length && /[ \t]/.test(p.src[p.pos] as string)) p.pos++
      if (p.pos < p.src.length && !/[;\n]/.test(p.src[p.pos] as string))
        throw new Unsupported(`${JSON.stringify(p.src.slice(p.pos, p.pos + 20))} is not part of the subset`)
      p.pos++
    }
    if (!steps.length) throw new Unsupported('an empty <% %> tag')
    return steps
  }

  /** A Ruby string body up to `close` (nesting `open` when it differs), with escapes and `#{}` when `interpolate`. */
  quoted(open: string, close: string, interpolate: boolean): Array<string | Expr> {
    this.pos++ // the opening delimiter
    const parts: Array<string | Expr> = []
    let text = ''
    let depth = 0
    while (this.pos < this.src.length) {
      const c = this.src[this.pos] as string
      if (c === '\\') {
        const next = this.src[this.pos + 1] ?? ''
        if (!interpolate) text += next === '\\' || next === close ? next : `\\${next}`
        else text += escapeChar(next)
        this.pos += 2
        continue
      }
      if (interpolate && c === '#' && this.src[this.pos + 1] === '{') {
        if (text) parts.push(text)
        text = ''
        this.pos += 2
        parts.push(this.or())
        this.expect('}')
        continue
      }
      if (c === close && depth === 0) {
        this.pos++
        if (text) parts.push(text)
        return parts
      }
      if (open !== close && c === open) depth++
      if (open !== close && c === close) depth--
      text += c
      this.pos++
    }
    throw new Unsupported(`unterminated ${open}…${close}`)
  }
}

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  s: ' ',
  e: '\x1b',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
}
function escapeChar(c: string): string {
  return ESCAPES[c] ?? c
}

export type Statement =
  { s: 'if' | 'unless' | 'elsif'; cond: Expr } | { s: 'else' } | { s: 'end' } | { s: 'run'; steps: RubyStatements }

export function parseStatement(code: string): Statement {
  const text = code.trim()
  const m = /^(if|unless|elsif)\b([\s\S]*?)(?:\s+then)?$/.exec(text)
  if (m) {
    if (!(m[2] as string).trim()) throw new Unsupported(`${m[1]} needs a condition`)
    return { s: m[1] as 'if' | 'unless' | 'elsif', cond: RubyParser.expression(m[2] as string) }
  }
  if (text === 'else') return { s: 'else' }
  if (text === 'end') return { s: 'end' }
  return { s: 'run', steps: RubyParser.statements(code) }
}
