// Kamal secrets files: `<secrets_path>-common`, then `<secrets_path>` (no destination) or
// `<secrets_path>.<destination>`; missing files are skipped, later files win. Each file is parsed as Kamal
// parses it: `Dotenv.parse(file, overwrite: true)` with the dotenv gem Kamal requires (`~> 3.1`, which
// installs 3.2.0: bkeepers/dotenv lib/dotenv/parser.rb and substitutions/), with Kamal's own command
// substitution (lib/kamal/secrets/dotenv/inline_command_substitution.rb): `$(cmd)` runs locally through
// /bin/sh, and `$(kamal secrets …)` runs in-process (lib/config/kamal-secrets.ts).
//
// Where berth deliberately differs (README "Secrets"): a `$(...)` that fails is an error naming the file and
// line, never an empty value; and what a command prints is kept literally, while dotenv 3.2 then expands
// `$WORD` inside it (so Kamal turns a printed `pa$1word` into `pa`; basecamp/kamal#1911).
import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { chomp, shellRunner, type CommandRunner, type Env } from './local-commands.ts'
import { kamalSecretsCommand } from './kamal-secrets.ts'

export { shellRunner, type CommandRunner }

const DEFAULT_SECRETS_PATH = '.kamal/secrets'

export class SecretsError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(problems.join('\n'))
    this.name = 'SecretsError'
    this.problems = problems
  }
}

// Ruby's \s, explicitly (JavaScript's \s also takes Unicode spaces).
const WS = '[ \\t\\r\\n\\f\\v]'
// Dotenv::Parser::LINE (3.x): the separator and the value are optional, so a bare `KEY` line sets "".
const LINE = new RegExp(
  `^${WS}*(export${WS}+)?([\\w.]+)` +
    `(?:(?:${WS}*=${WS}*?|:${WS}+?)(${WS}*'(?:\\\\'|[^'])*'|${WS}*"(?:\\\\"|[^"])*"|[^#\\n]+)?)?` +
    `${WS}*(?:#[^\\n]*)?$`,
  'gm',
)
const QUOTED_STRING = /^(['"])([\s\S]*)\1$/

// Dotenv::Substitutions::Variable
const VARIABLE = /(\\)?(\$)(?!\()\{?([A-Z0-9_]+)?\}?/gi

export interface ParseOptions {
  /** For messages: the file name as shown to the user. */
  file: string
  /** The environment `$VAR` falls back to, and commands run with. */
  env: Env
  /** Runs `$(cmd)`. */
  run: CommandRunner
  /**
   * dotenv's `load` (overwrite: false): a variable already in `env` is not parsed (no command runs for it); it
   * keeps its value, which later lines see (Dotenv::Parser#existing?).
   */
  keepExisting?: boolean
}

/** Line numbers of offsets that only grow: each call counts from where the last one stopped. */
function lineCounter(src: string): (offset: number) => number {
  let line = 1
  let at = 0
  return (offset) => {
    for (; at < offset; at++) if (src.charCodeAt(at) === 10) line++
    return line
  }
}

class CommandFailed extends Error {
  readonly command: string
  readonly detail: string
  constructor(command: string, detail: string) {
    super(detail)
    this.command = command
    this.detail = detail
  }
}

/** Parse one dotenv file's text. Throws SecretsError naming every line that failed. */
export function parseDotenv(text: string, opts: ParseOptions): Record<string, string> {
  const src = text.replace(/\r\n?/g, '\n')
  const hash: Record<string, string> = {}
  const problems: string[] = []
  const lineOf = lineCounter(src)
  LINE.lastIndex = 0
  for (let m = LINE.exec(src); m; m = LINE.exec(src)) {
    const [whole, exported, key, value] = m as unknown as [string, string | undefined, string, string | undefined]
    const line = lineOf(m.index + whole.search(/[^ \t\r\n\f\v]/))
    if (exported && value === undefined) {
      // dotenv: `export KEY` must name a variable set above
      if (!(key in hash))
        problems.push(
          `${opts.file}:${line}: line ${JSON.stringify(whole.trim())} exports ${key}, ` +
            'which is not set above it (dotenv refuses it); set it first or remove the line',
        )
      continue
    }
    const existing = opts.keepExisting && key !== 'DOTENV_LINEBREAK_MODE' ? opts.env[key] : undefined
    if (existing !== undefined) {
      hash[key] = existing
      continue
    }
    try {
      hash[key] = parseValue(value ?? '', hash, opts)
    } catch (e) {
      if (e instanceof CommandFailed)
        problems.push(`${opts.file}:${line}: ${key}: command failed: $(${e.command}): ${e.detail}`)
      else if (e instanceof ValueTooLong)
        problems.push(
          `${opts.file}:${line}: ${key}: its $VARIABLES expand to more than ${MAX_SUBSTITUTED_CHARS} characters, ` +
            'which no secret holds; check the variables this line and the lines above it refer to',
        )
      else throw e
    }
  }
  if (problems.length) throw new SecretsError(problems)
  return hash
}

function parseValue(raw: string, hash: Record<string, string>, opts: ParseOptions): string {
  let value = raw.replace(/^[\0\t\n\v\f\r ]+|[\0\t\n\v\f\r ]+$/g, '') // Ruby's strip
  const quoted = QUOTED_STRING.exec(value)
  const quote = quoted?.[1]
  if (quoted) value = quoted[2] as string
  if (quote === "'") return value // single quotes: literal
  if (quote === '"') value = expandNewlines(value, hash, opts.env)
  value = value.replace(/\\([^$])/g, '$1') // unescape_characters
  // dotenv 3.2 order: commands, then variables (berth keeps what a command printed as it is)
  return substituteCommands(value, hash, opts)
    .map((part) => (part.printed ? part.text : substituteVariables(part.text, hash, opts.env)))
    .join('')
}

// dotenv 3 keeps `\n` in double quotes as a literal backslash-n unless DOTENV_LINEBREAK_MODE=legacy
function expandNewlines(value: string, hash: Record<string, string>, env: Env): string {
  if ((hash.DOTENV_LINEBREAK_MODE ?? env.DOTENV_LINEBREAK_MODE) === 'legacy') {
    return value.replace(/\\n/g, '\n').replace(/\\r/g, '\r')
  }
  // Ruby: gsub('\n', "\\\\\\n") -> `\\n`, which unescape_characters turns back into `\n`
  return value.replace(/\\n/g, '\\\\n').replace(/\\r/g, '\\\\r')
}

/** What `$VARIABLE`s may add to one value: far beyond any secret (an environment variable holds at most 128 KiB). */
const MAX_SUBSTITUTED_CHARS = 1 << 20

class ValueTooLong extends Error {}

function substituteVariables(value: string, hash: Record<string, string>, env: Env): string {
  let added = 0
  return value.replace(VARIABLE, (whole, backslash: string | undefined, _dollar: string, name: string | undefined) => {
    if (backslash) return whole.slice(1)
    if (name === undefined) return whole
    const got = hash[name] ?? env[name] ?? ''
    // lines that each double the one above would reach gigabytes, and then V8's limit on a string
    if ((added += got.length) > MAX_SUBSTITUTED_CHARS) throw new ValueTooLong()
    return got
  })
}

/**
 * The end (exclusive) of Kamal's `\((?:\\.|[^()\\]|\g<cmd>)+\)` starting at `open` (a `(`), or -1: parentheses
 * balance, a backslash escapes the next character (not a line break), and no group is empty.
 */
function commandEnd(value: string, open: number, known: Map<number, number>): number {
  const seen = known.get(open)
  if (seen !== undefined) return seen
  // The groups still open, innermost last: where each began and its items so far (a loop, not a call per
  // level: a line may nest deeply). Every group met is recorded in `known`, as a scan from it would end, so
  // no later `$(` scans it again (many unclosed `$(` would otherwise cost time quadratic in the line).
  const starts = [open]
  const items = [0]
  const fail = () => {
    for (const start of starts) known.set(start, -1)
    return -1
  }
  let i = open + 1
  while (i < value.length) {
    const c = value[i]
    if (c === ')') {
      if (items.pop() === 0) return fail()
      known.set(starts.pop()!, i + 1)
      i++
      if (starts.length === 0) return i
    } else if (c === '\\') {
      if (i + 1 >= value.length || value[i + 1] === '\n') return fail()
      i += 2
    } else if (c === '(') {
      starts.push(i)
      items.push(0)
      i++
      continue
    } else {
      i++
    }
    items[items.length - 1]!++
  }
  return fail()
}

/** Kamal's InlineCommandSubstitution: `$(cmd)` → its output (chomped), `\$(cmd)` → `$(cmd)` as text. */
function substituteCommands(
  value: string,
  hash: Record<string, string>,
  opts: ParseOptions,
): Array<{ text: string; printed: boolean }> {
  const parts: Array<{ text: string; printed: boolean }> = []
  const known = new Map<number, number>()
  let text = ''
  let i = 0
  while (i < value.length) {
    const at = value.indexOf('$(', i)
    if (at === -1) break
    const end = commandEnd(value, at + 1, known)
    if (end === -1) {
      text += value.slice(i, at + 1)
      i = at + 1
      continue
    }
    const escaped = at > i && value[at - 1] === '\\'
    if (escaped) {
      text += value.slice(i, at - 1) + value.slice(at, end)
    } else {
      text += value.slice(i, at)
      // messages name the command as written: what `$VAR` holds may be a secret
      const written = value.slice(at + 2, end - 1)
      parts.push(
        { text, printed: false },
        { text: runCommand(written, substituteVariables(written, hash, opts.env), opts), printed: true },
      )
      text = ''
    }
    i = end
  }
  parts.push({ text: text + value.slice(i), printed: false })
  return parts
}

function runCommand(written: string, command: string, opts: ParseOptions): string {
  const r = /^\s*kamal\s*secrets\s+/.test(command) ? kamalSecretsCommand(command) : opts.run(command)
  if (!r.ok) throw new CommandFailed(written, r.detail)
  return chomp('value' in r ? r.value : r.stdout)
}

function secretsFiles(secretsPath: string | undefined, destination: string | undefined): string[] {
  const base = secretsPath ?? DEFAULT_SECRETS_PATH
  return [`${base}-common`, destination ? `${base}.${destination}` : base]
}

export interface LoadSecretsOptions {
  secretsPath?: string
  destination?: string
  cwd: string
  env: Env
  /** Defaults to /bin/sh in `cwd` with `env`, the terminal's stdin and stderr. */
  run?: CommandRunner
}

/** Read and merge the secrets files. Missing files are skipped. Throws SecretsError. */
export function loadSecrets(opts: LoadSecretsOptions): { secrets: Record<string, string>; files: string[] } {
  const files = secretsFiles(opts.secretsPath, opts.destination)
  const run = opts.run ?? shellRunner(opts.cwd, opts.env)
  const secrets: Record<string, string> = {}
  const problems: string[] = []
  for (const file of files) {
    const abs = resolve(opts.cwd, file)
    if (!existsSync(abs) || statSync(abs).isDirectory()) continue
    try {
      Object.assign(secrets, parseDotenv(readFileSync(abs, 'utf8'), { file, env: opts.env, run }))
    } catch (e) {
      if (e instanceof SecretsError) problems.push(...e.problems)
      else throw e
    }
  }
  if (problems.length) throw new SecretsError(problems)
  return { secrets, files }
}
