// The ERB that real Kamal configs use, as a documented subset (README "ERB in config files"). Kamal renders
// deploy.yml with `ERB.new(src, trim_mode: "-").result` before YAML parsing, comments included; berth
// evaluates these forms itself, the same on every machine (no Ruby needed):
//
//   <%= "my-user" %>  <%= 'x' %>                 string literals ("…#{expr}…" interpolates)
//   <%= ENV["X"] %>  <%= ENV['X'] %>             missing -> nil ("" in output)
//   <%= ENV.fetch("X") %>                        missing -> error (Ruby's KeyError)
//   <%= ENV.fetch("X", "d") %>  ENV.fetch("X") { "d" }  ENV.fetch("X", 6390)   (integers: decimal, no leading 0)
//   <%= File.read(".ruby-version").strip %>     a file's text, the path relative to the project directory
//   <% require "dotenv"; Dotenv.load(".env.production") %>   dotenv's load: missing files skipped, ENV wins
//   <%= ENV["A"] || ENV["B"] || "lit" %>         first that is not nil (Ruby's ||; "" counts as set)
//   <%= ENV["HOSTS"].split(",") %>               a list, printed as Ruby prints it: ["a", "b"] (a YAML list)
//   .strip  .chomp  .to_s                        on strings
//   <%= `cmd` %>  <%= %x(cmd) %>                 runs locally through /bin/sh, stdout as printed
//   <% if C %> … <% elsif C %> … <% else %> … <% end %>, <% unless C %>; C may use == != && || ! ( )
//   <%# comment %>   <%% (a literal <%)   -%> and <%- (trim mode "-")
//
// Anything else (found whether or not its branch is taken) makes `needsRuby` true: the caller hands the whole
// file to Ruby's own ERB (ruby-erb.ts), or reports the tag and its position where there is no Ruby. In a
// YAML file, a tag inside a YAML comment is left out and never evaluated, so it can never make a config
// invalid (Kamal evaluates it, and its output lands in the comment). The output is exactly what ERB would
// print; `sourceOffset` maps an output position back to the template, so YAML messages name the right line.
import { Parser } from 'yaml'
import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CommandRunner, Env } from './local-commands.ts'
import { RUBY_ESCAPES } from './env-file.ts'
import { parseDotenv, SecretsError } from './secrets.ts'

interface ErbProblem {
  line: number // 1-based
  col: number // 1-based
  message: string
}

export interface ErbResult {
  output: string
  problems: ErbProblem[]
  /**
   * Some tag is beyond the subset: nothing was evaluated, `output` is empty and `problems` name those tags.
   * Kamal would run them as Ruby; so does ruby-erb.ts, where Ruby is installed.
   */
  needsRuby: boolean
  /** ENV after rendering (Dotenv.load adds to it, as it does to Kamal's process). */
  env: Env
  /** The template offset an output offset came from (a tag's output maps to the tag). */
  sourceOffset(outputOffset: number): number
}

export interface ErbOptions {
  /** The template is YAML: tags inside YAML comments are left out. */
  yaml?: boolean
  /** Runs backticks and %x(...); without it they are problems. */
  run?: CommandRunner
  /** The project directory File.read and Dotenv.load resolve against; without it they are problems. */
  cwd?: string
}

export const ERB_SUBSET =
  'berth evaluates string and integer literals, ENV["X"], ENV.fetch("X"[, default]) and ENV.fetch("X") { default }, ' +
  '||, File.read("path"), .split/.strip/.chomp/.to_s, `command` and %x(command), <% require "dotenv"; ' +
  'Dotenv.load("file", …) %>, and <% if/elsif/else/unless/end %> with == != && || !'

/** 1-based line and column of an offset in `text`. */
export function lineColOf(text: string): (offset: number) => { line: number; col: number } {
  const starts = [0]
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1)
  return (offset) => {
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= offset) lo = mid
      else hi = mid - 1
    }
    return { line: lo + 1, col: offset - (starts[lo] as number) + 1 }
  }
}

// ---------------------------------------------------------------------------------------------
// Ruby values and expressions (the subset)

type Value = string | number | null | boolean | string[]

type Expr =
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

class Unsupported extends Error {}

/** Features `require` may name: dotenv is the subset's own (Kamal requires it too); json and yaml change nothing here. */
const REQUIRABLE = ['dotenv', 'json', 'yaml']
class EvalError extends Error {}

const METHODS: Record<string, number[]> = { split: [0, 1], strip: [0], chomp: [0], to_s: [0] }

/**
 * Operators, calls, parentheses and interpolations one tag may hold: far more than any config writes, few
 * enough that parsing and evaluating (both recursive) never run out of stack (`((((…` 5000 times, `!!!!…`,
 * `.strip.strip…`).
 */
const MAX_TAG_STEPS = 256

/** A recursive-descent parser over one tag's Ruby code. */
class RubyParser {
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
    if (this.src.startsWith('%x', this.pos)) {
      const open = this.src[this.pos + 2] as string
      const close = { '(': ')', '{': '}', '[': ']', '<': '>' }[open] ?? open
      if (!/[^\sA-Za-z0-9]/.test(open)) throw new Unsupported('%x needs a delimiter')
      this.pos += 2
      return { t: 'cmd', parts: this.quoted(open, close, true) }
    }
    if (this.eat('(')) {
      const e = this.or()
      this.expect(')')
      return e
    }
    const integer = /^-?[1-9][0-9]*(?:_[0-9]+)*(?![0-9_.A-Za-z])|^-?0(?![0-9_.A-Za-z])/.exec(this.src.slice(this.pos))
    if (integer) {
      this.pos += integer[0].length
      const n = Number(integer[0].replaceAll('_', ''))
      if (!Number.isSafeInteger(n)) throw new Unsupported(`${integer[0]} is too large for the subset`)
      return { t: 'lit', value: n }
    }
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
    throw new Unsupported(
      word
        ? `${word} is not part of the subset`
        : `${JSON.stringify(this.src.slice(this.pos, this.pos + 20))} is not part of the subset`,
    )
  }

  /** `require "dotenv"` and `Dotenv.load(…)`, separated by `;` or line breaks. */
  static statements(src: string): Array<{ load: Expr[] } | { require: string }> {
    const p = new RubyParser(src)
    const steps: Array<{ load: Expr[] } | { require: string }> = []
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

type Statement =
  | { s: 'if' | 'unless' | 'elsif'; cond: Expr }
  | { s: 'else' }
  | { s: 'end' }
  | { s: 'run'; steps: Array<{ load: Expr[] } | { require: string }> }

function parseStatement(code: string): Statement {
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

const truthy = (v: Value): boolean => v !== null && v !== false

/** Ruby's String#inspect, for lists printed by `<%= %>`. */
function inspect(s: string): string {
  let out = '"'
  for (const ch of s) {
    const code = ch.codePointAt(0) as number
    if (ch === '"') out += '\\"'
    else if (RUBY_ESCAPES[ch]) out += RUBY_ESCAPES[ch]
    else if (code < 0x20) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
    else if (code === 0x7f) out += '\\x7F'
    else out += ch
  }
  // Ruby escapes "#" before "{", "$" and "@"
  return `${out.replace(/#(?=[{$@])/g, '\\#')}"`
}

function toS(v: Value): string {
  if (v === null) return ''
  if (typeof v === 'boolean' || typeof v === 'number') return String(v)
  if (Array.isArray(v)) return `[${v.map(inspect).join(', ')}]`
  return v
}

function describe(e: Expr): string {
  switch (e.t) {
    case 'env':
      return `ENV[${e.name.t === 'str' ? inspect(e.name.parts.join('')) : '…'}]`
    case 'fetch':
      return `ENV.fetch(${e.name.t === 'str' ? inspect(e.name.parts.join('')) : '…'})`
    default:
      return 'the value'
  }
}

/** Ruby's String#split: with no separator (or " ") on runs of whitespace; trailing empty fields dropped. */
function rubySplit(s: string, sep?: string): string[] {
  const fields = sep === undefined || sep === ' ' ? s.trim().split(/[ \t\n\v\f\r]+/) : s.split(sep)
  while (fields.length && fields[fields.length - 1] === '') fields.pop()
  return fields
}

class Evaluator {
  readonly env: Env
  private readonly run: CommandRunner | undefined
  private readonly cwd: string | undefined
  constructor(env: Env, run: CommandRunner | undefined, cwd: string | undefined) {
    this.env = { ...env }
    this.run = run
    this.cwd = cwd
  }

  /** `require "dotenv"` (nothing to do) and `Dotenv.load`: as dotenv's load, files missing skipped, ENV kept. */
  statements(steps: Array<{ load: Expr[] } | { require: string }>): void {
    for (const step of steps) {
      if (!('load' in step)) continue
      const files = step.load.length ? step.load.map((e) => this.path(e, 'Dotenv.load')) : ['.env']
      for (const file of files) {
        const full = this.resolve(file, 'Dotenv.load')
        let text: string
        try {
          if (statSync(full).isDirectory()) continue
          text = readFileSync(full, 'utf8')
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue
          throw new EvalError(`Dotenv.load(${inspect(file)}): ${(e as Error).message}`)
        }
        if (!this.run)
          throw new EvalError(`Dotenv.load(${inspect(file)}) may run commands, and commands are not run here`)
        let values: Record<string, string>
        try {
          values = parseDotenv(text, { file, env: this.env, run: this.run, keepExisting: true })
        } catch (e) {
          if (!(e instanceof SecretsError)) throw e
          throw new EvalError(`Dotenv.load(${inspect(file)}): ${e.problems.join('; ')}`)
        }
        for (const [key, value] of Object.entries(values)) if (this.env[key] === undefined) this.env[key] = value
      }
    }
  }

  private path(e: Expr, what: string): string {
    const v = this.value(e)
    if (typeof v !== 'string') throw new EvalError(`${what} takes a file name (a string)`)
    return v
  }

  private resolve(file: string, what: string): string {
    if (this.cwd === undefined)
      throw new EvalError(`${what}(${inspect(file)}) reads a file, and files are not read here`)
    return resolve(this.cwd, file)
  }

  value(e: Expr): Value {
    switch (e.t) {
      case 'str':
        return this.text(e.parts)
      case 'lit':
        return e.value
      case 'file': {
        const file = this.path(e.path, 'File.read')
        try {
          return readFileSync(this.resolve(file, 'File.read'), 'utf8')
        } catch (error) {
          if (error instanceof EvalError) throw error
          const code = (error as NodeJS.ErrnoException).code
          if (code !== 'ENOENT' && code !== 'EISDIR')
            throw new EvalError(`File.read(${inspect(file)}) cannot be read: ${(error as Error).message}`)
          const why = code === 'ENOENT' ? 'no such file' : 'a directory'
          throw new EvalError(
            `File.read(${inspect(file)}): ${why} (Kamal fails on it too); create it, or read it with a default`,
          )
        }
      }
      case 'env':
        return this.env[this.key(e.name)] ?? null
      case 'fetch': {
        const key = this.key(e.name)
        const value = this.env[key]
        if (value !== undefined) return value
        if (e.fallback) return this.value(e.fallback)
        throw new EvalError(`ENV.fetch(${inspect(key)}): environment variable ${key} is not set (key not found)`)
      }
      case 'cmd': {
        const command = this.text(e.parts)
        if (!this.run) throw new EvalError(`\`${command}\` is a command, and commands are not run here`)
        const r = this.run(command, this.env)
        if (!r.ok) throw new EvalError(`the command \`${command}\` failed (${r.detail})`)
        return r.stdout
      }
      case 'or': {
        const a = this.value(e.a)
        return truthy(a) ? a : this.value(e.b)
      }
      case 'and': {
        const a = this.value(e.a)
        return truthy(a) ? this.value(e.b) : a
      }
      case 'not':
        return !truthy(this.value(e.a))
      case 'eq': {
        const a = this.value(e.a)
        const b = this.value(e.b)
        const same = Array.isArray(a) || Array.isArray(b) ? JSON.stringify(a) === JSON.stringify(b) : a === b
        return same !== e.negate
      }
      case 'call':
        return this.call(e)
    }
  }

  private key(e: Expr): string {
    const v = this.value(e)
    if (typeof v !== 'string') throw new EvalError('ENV keys are strings')
    return v
  }

  private text(parts: Array<string | Expr>): string {
    return parts.map((p) => (typeof p === 'string' ? p : toS(this.value(p)))).join('')
  }

  private call(e: Extract<Expr, { t: 'call' }>): Value {
    const receiver = this.value(e.receiver)
    if (e.name === 'to_s') return toS(receiver)
    if (typeof receiver !== 'string') {
      const what =
        receiver === null
          ? `nil (${describe(e.receiver)} is not set)`
          : Array.isArray(receiver)
            ? 'a list'
            : typeof receiver === 'number'
              ? `the integer ${receiver}`
              : String(receiver)
      throw new EvalError(
        `.${e.name} needs a string, but ${describe(e.receiver)} is ${what}; give it a default (ENV.fetch("X", "…"))`,
      )
    }
    if (e.name === 'strip') return receiver.replace(/^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g, '')
    if (e.name === 'chomp') return receiver.replace(/(?:\r\n|\n|\r)$/, '')
    const sep = e.args[0] === undefined ? undefined : this.value(e.args[0])
    if (sep !== undefined && typeof sep !== 'string') throw new EvalError('.split takes a string')
    return rubySplit(receiver, sep)
  }
}

// ---------------------------------------------------------------------------------------------
// The template

interface Tag {
  start: number
  end: number
  kind: 'output' | 'code' | 'comment'
  code: string
  /** `-%>` followed by a newline: the newline is dropped. */
  trimNewline: boolean
  /** `<%-` with only blanks before it on its line: those blanks are dropped. */
  trimIndent: number
}

type Piece = { text: string; at: number } | { tag: Tag }

function shorten(tag: string): string {
  const oneLine = tag.replace(/\s+/g, ' ')
  return oneLine.length > 80 ? `${oneLine.slice(0, 76)} ...%>` : oneLine
}

/** Splits a template into text and tags; an unterminated tag is a problem and the rest stays text. */
function scan(src: string, problem: (offset: number, message: string) => void): Piece[] {
  const pieces: Piece[] = []
  let pos = 0
  let text = ''
  let textAt = 0
  const flush = () => {
    if (text) pieces.push({ text, at: textAt })
    text = ''
  }
  while (pos < src.length) {
    const start = src.indexOf('<%', pos)
    if (start === -1) {
      if (!text) textAt = pos
      text += src.slice(pos)
      break
    }
    if (!text) textAt = pos
    text += src.slice(pos, start)
    if (src[start + 2] === '%') {
      // `<%%` is ERB's escape for a literal `<%`
      text += '<%'
      pos = start + 3
      continue
    }
    const close = src.indexOf('%>', start + 2)
    if (close === -1) {
      problem(start, 'unterminated ERB tag (no closing %>)')
      text += src.slice(start)
      break
    }
    let inner = src.slice(start + 2, close)
    let trimIndent = 0
    if (inner.startsWith('-')) {
      inner = inner.slice(1)
      const lineStart = src.lastIndexOf('\n', start - 1) + 1
      if (/^[ \t]*$/.test(src.slice(lineStart, start))) trimIndent = start - lineStart
    }
    let trimNewline = false
    if (inner.endsWith('-') && src[close + 2] === '\n') {
      inner = inner.slice(0, -1)
      trimNewline = true
    } else if (inner.endsWith('-')) {
      inner = inner.slice(0, -1)
    }
    if (trimIndent) text = text.slice(0, text.length - trimIndent)
    flush()
    const kind = inner.startsWith('=') ? 'output' : inner.startsWith('#') ? 'comment' : 'code'
    pieces.push({
      tag: { start, end: close + 2, kind, code: kind === 'code' ? inner : inner.slice(1), trimNewline, trimIndent },
    })
    pos = close + 2 + (trimNewline ? 1 : 0)
  }
  flush()
  return pieces
}

/** Where YAML comments are, lexed with every tag blanked out (output tags as `x`, others as spaces). */
function yamlComments(src: string, pieces: Piece[]): Array<[number, number]> {
  let blank = src
  for (const piece of pieces) {
    if (!('tag' in piece)) continue
    const { start, end, kind } = piece.tag
    const fill = src.slice(start, end).replace(/[^\n]/g, kind === 'output' ? 'x' : ' ')
    blank = blank.slice(0, start) + fill + blank.slice(end)
  }
  const ranges: Array<[number, number]> = []
  // an explicit stack, not recursion: the text may nest 5000 `[` (depth.ts refuses it after ERB)
  const stack: unknown[] = Array.from(new Parser().parse(blank))
  while (stack.length) {
    const node = stack.pop()
    if (Array.isArray(node)) for (const item of node) stack.push(item)
    else if (node && typeof node === 'object') {
      const t = node as { type?: string; offset?: number; source?: string }
      if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string')
        ranges.push([t.offset, t.offset + t.source.length])
      for (const value of Object.values(node)) if (value && typeof value === 'object') stack.push(value)
    }
  }
  return ranges
}

/**
 * Expands the subset in `src`. `env` is the environment the template sees (the caller adds
 * KAMAL_DESTINATION). Problems carry positions in `src`; the caller prefixes the file name.
 */
export function expandErb(src: string, env: Env, options: ErbOptions = {}): ErbResult {
  const pos = lineColOf(src)
  const problems: ErbProblem[] = []
  const problem = (offset: number, message: string) => problems.push({ ...pos(offset), message })
  const pieces = scan(src, problem)
  const comments = options.yaml ? yamlComments(src, pieces) : []
  const inComment = (offset: number) => comments.some(([from, to]) => offset >= from && offset < to)

  // Parse every tag first: one outside the subset needs Ruby whichever branch is taken.
  const parsed = new Map<Tag, Expr | Statement>()
  const beyond: ErbProblem[] = []
  for (const piece of pieces) {
    if (!('tag' in piece) || piece.tag.kind === 'comment' || inComment(piece.tag.start)) continue
    const { tag } = piece
    try {
      parsed.set(tag, tag.kind === 'output' ? RubyParser.expression(tag.code) : parseStatement(tag.code))
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e
      beyond.push({ ...pos(tag.start), message: `${shorten(src.slice(tag.start, tag.end))} (${e.message})` })
    }
  }
  if (beyond.length)
    return { output: '', problems: [...problems, ...beyond], needsRuby: true, env: { ...env }, sourceOffset: () => 0 }

  const evaluator = new Evaluator(env, options.run, options.cwd)
  const chunks: string[] = []
  const map: Array<{ out: number; src: number; copy: boolean }> = []
  let length = 0
  const emit = (text: string, at: number, copy: boolean) => {
    if (!text) return
    map.push({ out: length, src: at, copy })
    chunks.push(text)
    length += text.length
  }
  // if/unless frames: `on` while this branch prints, `taken` once a branch was chosen
  const frames: Array<{ on: boolean; taken: boolean; outer: boolean; at: number }> = []
  const active = () => frames.every((f) => f.on)
  const decide = (cond: Expr, at: number): boolean => {
    try {
      return truthy(evaluator.value(cond))
    } catch (e) {
      if (!(e instanceof EvalError)) throw e
      problem(at, e.message)
      return false
    }
  }

  for (const piece of pieces) {
    if (!('tag' in piece)) {
      if (active()) emit(piece.text, piece.at, true)
      continue
    }
    const node = parsed.get(piece.tag)
    if (!node) continue // a comment tag, a tag in a YAML comment, or one already reported
    const at = piece.tag.start
    if (piece.tag.kind === 'output') {
      if (!active()) continue
      try {
        emit(toS(evaluator.value(node as Expr)), at, false)
      } catch (e) {
        if (!(e instanceof EvalError)) throw e
        problem(at, e.message)
      }
      continue
    }
    const statement = node as Statement
    const frame = frames[frames.length - 1]
    if (statement.s === 'run') {
      if (!active()) continue
      try {
        evaluator.statements(statement.steps)
      } catch (e) {
        if (!(e instanceof EvalError)) throw e
        problem(at, e.message)
      }
    } else if (statement.s === 'if' || statement.s === 'unless') {
      const outer = active()
      const on = outer && decide(statement.cond, at) === (statement.s === 'if')
      frames.push({ on, taken: on, outer, at })
    } else if (!frame) {
      problem(at, `<% ${statement.s} %> without an open <% if %>`)
    } else if (statement.s === 'elsif') {
      frame.on = frame.outer && !frame.taken && decide(statement.cond, at)
      frame.taken ||= frame.on
    } else if (statement.s === 'else') {
      frame.on = frame.outer && !frame.taken
      frame.taken = true
    } else {
      frames.pop()
    }
  }
  for (const frame of frames) problem(frame.at, 'this <% if %> has no <% end %>')

  return {
    output: chunks.join(''),
    problems: problems.sort((a, b) => a.line - b.line || a.col - b.col),
    needsRuby: false,
    env: evaluator.env,
    sourceOffset(outputOffset) {
      let lo = 0
      let hi = map.length - 1
      if (hi < 0) return 0
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if ((map[mid] as { out: number }).out <= outputOffset) lo = mid
        else hi = mid - 1
      }
      const m = map[lo] as { out: number; src: number; copy: boolean }
      return m.copy ? m.src + Math.max(0, outputOffset - m.out) : m.src
    },
  }
}
