// Kamal secrets files: `<secrets_path>-common`, then `<secrets_path>` (no destination) or
// `<secrets_path>.<destination>`; missing files are skipped, later files win. Each file is parsed
// like Ruby dotenv 3 (`Dotenv.parse(file, overwrite: true)`) with Kamal's inline command
// substitution: `$(cmd)` runs locally through /bin/sh.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'

export const DEFAULT_SECRETS_PATH = '.kamal/secrets'

export class SecretsError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(problems.join('\n'))
    this.name = 'SecretsError'
    this.problems = problems
  }
}

export type Env = Record<string, string | undefined>

/** Runs `$(command)`; returns stdout with one trailing newline removed (Ruby's `chomp`). */
export type CommandRunner = (command: string) => { ok: true; stdout: string } | { ok: false; detail: string }

export function shellRunner(cwd: string, env: Env): CommandRunner {
  const cleanEnv: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) cleanEnv[k] = v
  return (command) => {
    const r = spawnSync('/bin/sh', ['-c', command], { cwd, env: cleanEnv, encoding: 'utf8' })
    if (r.error) return { ok: false, detail: r.error.message }
    if (r.status !== 0) {
      const why = r.status === null ? `killed by ${r.signal}` : `exit ${r.status}`
      const stderr = (r.stderr ?? '').trim()
      return { ok: false, detail: stderr ? `${why}: ${stderr}` : why }
    }
    return { ok: true, stdout: chomp(r.stdout ?? '') }
  }
}

function chomp(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2)
  if (s.endsWith('\n') || s.endsWith('\r')) return s.slice(0, -1)
  return s
}

// Dotenv::Parser::LINE, translated (Ruby's ^/$ are always line anchors; JS needs the m flag).
const LINE =
  /^\s*(export\s+)?([\w.]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|[^#\r\n]+)?\s*(?:#.*)?$/gm

// Dotenv::Substitutions::Variable
const VARIABLE = /(\\)?(\$)(?!\()\{?([A-Z0-9_]+)?\}?/gi

export interface ParseOptions {
  /** For messages: the file name as shown to the user. */
  file: string
  /** The environment `$VAR` falls back to. */
  env: Env
  /** Runs `$(cmd)`. */
  run: CommandRunner
}

function lineOf(src: string, offset: number): number {
  let n = 1
  for (let i = 0; i < offset; i++) if (src.charCodeAt(i) === 10) n++
  return n
}

/** Parse one dotenv file's text. Throws SecretsError when a `$(command)` fails. */
export function parseDotenv(text: string, opts: ParseOptions): Record<string, string> {
  const src = text.replace(/\r\n?/g, '\n')
  const hash: Record<string, string> = {}
  const problems: string[] = []
  LINE.lastIndex = 0
  for (let m = LINE.exec(src); m; m = LINE.exec(src)) {
    if (m[0] === '') {
      LINE.lastIndex++
      continue
    }
    const key = m[2] as string
    const keyOffset = m.index + m[0].indexOf(key, m[1] ? m[0].indexOf(m[1]) + m[1].length : 0)
    try {
      hash[key] = parseValue(m[3] ?? '', hash, opts)
    } catch (e) {
      if (!(e instanceof CommandFailed)) throw e
      problems.push(`${opts.file}:${lineOf(src, keyOffset)}: ${key}: command failed: $(${e.command}): ${e.detail}`)
    }
  }
  // Dotenv: a bare `export A B` line must name variables set above
  for (const line of src.replace(LINE, '').split(/\n+/)) {
    const words = line.trim().split(/\s+/)
    if (words[0] === 'export' && words.length > 1) {
      const unset = words.slice(1).filter((w) => !(w in hash))
      if (unset.length) problems.push(`${opts.file}: line ${JSON.stringify(line.trim())} has an unset variable`)
    }
  }
  if (problems.length) throw new SecretsError(problems)
  return hash
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

function parseValue(raw: string, hash: Record<string, string>, opts: ParseOptions): string {
  let value = raw.trim()
  let quote: string | undefined
  const q = /^(['"])([\s\S]*)\1$/.exec(value)
  if (q) {
    quote = q[1]
    value = q[2] as string
  }
  if (quote === "'") return value // single quotes: literal
  if (quote === '"') value = expandNewlines(value, hash, opts.env)
  value = value.replace(/\\([^$])/g, '$1') // unescape_characters
  value = substituteVariables(value, hash, opts.env)
  return substituteCommands(value, opts.run)
}

// dotenv 3 keeps `\n` in double quotes as a literal backslash-n unless DOTENV_LINEBREAK_MODE=legacy
function expandNewlines(value: string, hash: Record<string, string>, env: Env): string {
  if ((hash.DOTENV_LINEBREAK_MODE ?? env.DOTENV_LINEBREAK_MODE) === 'legacy') {
    return value.replace(/\\n/g, '\n').replace(/\\r/g, '\r')
  }
  // Ruby: gsub('\n', "\\\\\\n") -> `\\n`, which unescape_characters turns back into `\n`
  return value.replace(/\\n/g, '\\\\n').replace(/\\r/g, '\\\\r')
}

function substituteVariables(value: string, hash: Record<string, string>, env: Env): string {
  return value.replace(VARIABLE, (whole, backslash: string | undefined, _dollar: string, name: string | undefined) => {
    if (backslash) return whole.slice(1)
    if (name !== undefined) return hash[name] ?? env[name] ?? ''
    return whole
  })
}

// Dotenv::Substitutions::Command / Kamal's InlineCommandSubstitution: `$(...)` with balanced
// parentheses (quotes are not special), `\$(` escapes.
function substituteCommands(value: string, run: CommandRunner): string {
  let out = ''
  let i = 0
  while (i < value.length) {
    const at = value.indexOf('$(', i)
    if (at === -1) break
    const escaped = at > 0 && value[at - 1] === '\\'
    // find the balanced closing paren
    let depth = 0
    let end = -1
    for (let j = at + 1; j < value.length; j++) {
      const c = value[j]
      if (c === '(') depth++
      else if (c === ')') {
        depth--
        if (depth === 0) {
          end = j
          break
        }
      }
    }
    if (end === -1 || end === at + 2) {
      // unbalanced or empty `$()`: not a command (the Ruby regex needs one or more characters)
      out += value.slice(i, at + 2)
      i = at + 2
      continue
    }
    const command = value.slice(at + 2, end)
    if (escaped) {
      out += value.slice(i, at - 1) + value.slice(at, end + 1)
    } else {
      const r = run(command)
      if (!r.ok) throw new CommandFailed(command, r.detail)
      out += value.slice(i, at) + r.stdout
    }
    i = end + 1
  }
  return out + value.slice(i)
}

export function secretsFiles(secretsPath: string | undefined, destination: string | undefined): string[] {
  const base = secretsPath ?? DEFAULT_SECRETS_PATH
  return [`${base}-common`, destination ? `${base}.${destination}` : base]
}

export interface LoadSecretsOptions {
  secretsPath?: string
  destination?: string
  cwd: string
  env: Env
  /** Defaults to /bin/sh in `cwd` with `env`. */
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
