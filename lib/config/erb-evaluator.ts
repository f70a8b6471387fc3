// Evaluating the parsed subset (erb-parser.ts) as Ruby would. Not pure: ENV is read, File.read and
// Dotenv.load read files under the project directory, and backticks and %x() run local commands through the
// CommandRunner it is given (local-commands.ts: /bin/sh). Failures throw EvalError with the sentence to show.
import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CommandRunner, Env } from './local-commands.ts'
import { RUBY_ESCAPES } from './env-file.ts'
import { parseDotenv, SecretsError } from './secrets.ts'
import type { Expr, RubyStatements } from './erb-parser.ts'

type Value = string | number | null | boolean | string[]

/** A Ruby error while evaluating a tag: a problem at the tag, in Kamal's words where it has them. */
export class EvalError extends Error {}

export const truthy = (v: Value): boolean => v !== null && v !== false

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

export function toS(v: Value): string {
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

export class Evaluator {
  readonly env: Env
  private readonly run: CommandRunner | undefined
  private readonly cwd: string | undefined
  constructor(env: Env, run: CommandRunner | undefined, cwd: string | undefined) {
    this.env = { ...env }
    this.run = run
    this.cwd = cwd
  }

  /** `require "dotenv"` (nothing to do) and `Dotenv.load`: as dotenv's load, files missing skipped, ENV kept. */
  statements(steps: RubyStatements): void {
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
      case 'file':
        return this.readFile(e.path)
      case 'env':
        return this.env[this.key(e.name)] ?? null
      case 'fetch':
        return this.fetch(e)
      case 'cmd':
        return this.command(e.parts)
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

  /** `File.read(path)`: the file's text; missing (or a directory) fails, as it does for Kamal. */
  private readFile(pathExpr: Expr): string {
    const file = this.path(pathExpr, 'File.read')
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

  /** `ENV.fetch`: the variable, else the default, else Ruby's KeyError. */
  private fetch(e: Extract<Expr, { t: 'fetch' }>): Value {
    const key = this.key(e.name)
    const value = this.env[key]
    if (value !== undefined) return value
    if (e.fallback) return this.value(e.fallback)
    throw new EvalError(`ENV.fetch(${inspect(key)}): environment variable ${key} is not set (key not found)`)
  }

  /** Backticks and %x(): the command's stdout; a command that fails is an error. */
  private command(parts: Array<string | Expr>): string {
    const command = this.text(parts)
    if (!this.run) throw new EvalError(`\`${command}\` is a command, and commands are not run here`)
    const r = this.run(command, this.env)
    if (!r.ok) throw new EvalError(`the command \`${command}\` failed (${r.detail})`)
    return r.stdout
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
