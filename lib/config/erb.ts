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
//
// This file renders: erb-scanner.ts splits the template into text and tags, erb-parser.ts parses each tag's
// Ruby, erb-evaluator.ts evaluates it. Not pure: evaluating reads files (File.read, Dotenv.load) and runs the
// backticks through the CommandRunner it is given.
import type { CommandRunner, Env } from './local-commands.ts'
import { RubyParser, parseStatement, Unsupported, type Expr, type Statement } from './erb-parser.ts'
import { EvalError, Evaluator, toS, truthy } from './erb-evaluator.ts'
import { lineColOf, scan, shorten, yamlComments, type Piece, type Tag } from './erb-scanner.ts'

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
  const { parsed, beyond } = parseTags(src, pieces, inComment, pos)
  if (beyond.length)
    return { output: '', problems: [...problems, ...beyond], needsRuby: true, env: { ...env }, sourceOffset: () => 0 }
  const evaluator = new Evaluator(env, options.run, options.cwd)
  const output = render(pieces, parsed, evaluator, problem)
  return {
    output: output.text(),
    problems: problems.sort((a, b) => a.line - b.line || a.col - b.col),
    needsRuby: false,
    env: evaluator.env,
    sourceOffset: (outputOffset) => output.sourceOffset(outputOffset),
  }
}

/**
 * Every tag parsed first (comment tags and tags in YAML comments left out): one outside the subset needs Ruby
 * whichever branch is taken, so those are all named in `beyond`.
 */
function parseTags(
  src: string,
  pieces: Piece[],
  inComment: (offset: number) => boolean,
  pos: (offset: number) => { line: number; col: number },
): { parsed: Map<Tag, Expr | Statement>; beyond: ErbProblem[] } {
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
  return { parsed, beyond }
}

/** Evaluates the parsed tags in order: text and output where the open branches print, statements run. */
function render(
  pieces: Piece[],
  parsed: Map<Tag, Expr | Statement>,
  evaluator: Evaluator,
  problem: (offset: number, message: string) => void,
): RenderedOutput {
  const output = new RenderedOutput()
  const branches = new Branches()
  // a Ruby error in a tag is a problem at that tag, and rendering goes on
  const attempt = (at: number, evaluate: () => void) => {
    try {
      evaluate()
    } catch (e) {
      if (!(e instanceof EvalError)) throw e
      problem(at, e.message)
    }
  }
  const decide = (cond: Expr, at: number): boolean => {
    let taken = false
    attempt(at, () => (taken = truthy(evaluator.value(cond))))
    return taken
  }
  for (const piece of pieces) {
    if (!('tag' in piece)) {
      if (branches.active()) output.emit(piece.text, piece.at, true)
      continue
    }
    const node = parsed.get(piece.tag)
    if (!node) continue // a comment tag, a tag in a YAML comment, or one already reported
    const at = piece.tag.start
    if (piece.tag.kind === 'output') {
      if (branches.active()) attempt(at, () => output.emit(toS(evaluator.value(node as Expr)), at, false))
      continue
    }
    const statement = node as Statement
    if (statement.s !== 'run') branches.control(statement, at, decide, problem)
    else if (branches.active()) attempt(at, () => evaluator.statements(statement.steps))
  }
  branches.unclosed(problem)
  return output
}

/** The rendered text, and where each stretch of it came from in the template. */
class RenderedOutput {
  private readonly chunks: string[] = []
  private readonly map: Array<{ out: number; src: number; copy: boolean }> = []
  private length = 0

  /** `copy`: text copied from the template (offsets map one to one); else a tag's output (maps to the tag). */
  emit(text: string, at: number, copy: boolean): void {
    if (!text) return
    this.map.push({ out: this.length, src: at, copy })
    this.chunks.push(text)
    this.length += text.length
  }

  text(): string {
    return this.chunks.join('')
  }

  sourceOffset(outputOffset: number): number {
    const map = this.map
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
  }
}

/** The open if/unless frames: `on` while this branch prints, `taken` once a branch was chosen. */
class Branches {
  private readonly frames: Array<{ on: boolean; taken: boolean; outer: boolean; at: number }> = []

  active(): boolean {
    return this.frames.every((f) => f.on)
  }

  /** if, unless, elsif, else or end at `at`; `decide` evaluates a condition (false when it fails). */
  control(
    statement: Exclude<Statement, { s: 'run' }>,
    at: number,
    decide: (cond: Expr, at: number) => boolean,
    problem: (offset: number, message: string) => void,
  ): void {
    const frame = this.frames[this.frames.length - 1]
    if (statement.s === 'if' || statement.s === 'unless') {
      const outer = this.active()
      const on = outer && decide(statement.cond, at) === (statement.s === 'if')
      this.frames.push({ on, taken: on, outer, at })
    } else if (!frame) {
      problem(at, `<% ${statement.s} %> without an open <% if %>`)
    } else if (statement.s === 'elsif') {
      frame.on = frame.outer && !frame.taken && decide(statement.cond, at)
      frame.taken ||= frame.on
    } else if (statement.s === 'else') {
      frame.on = frame.outer && !frame.taken
      frame.taken = true
    } else {
      this.frames.pop()
    }
  }

  /** Each if still open at the end of the template is a problem. */
  unclosed(problem: (offset: number, message: string) => void): void {
    for (const frame of this.frames) problem(frame.at, 'this <% if %> has no <% end %>')
  }
}
