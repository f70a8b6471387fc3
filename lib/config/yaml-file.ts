// Reading one YAML config file into plain data, as Kamal reads deploy.yml: its ERB rendered (berth's subset,
// erb.ts, else Ruby's own ERB, ruby-erb.ts), then YAML 1.1 as Psych reads it. Not pure: the ERB may read files
// and run local commands, and Dotenv.load in it adds to the environment it is given. Problems are collected,
// not thrown, so that every one is reported at once.
import { readFileSync } from 'node:fs'
import { Composer, Parser, YAMLParseError, type CST, type Document } from 'yaml'
import { ERB_SUBSET, expandErb } from './erb.ts'
import { lineColOf } from './erb-scanner.ts'
import { renderWithRuby } from './ruby-erb.ts'
import type { CommandRunner, Env } from './local-commands.ts'
import { psychTags, settleTimestamps } from './psych.ts'
import { tooDeepNode, tooDeepOffset } from './depth.ts'
import { errorText, isPlainObject, nestingLimit, pointer } from './plain.ts'
import { show } from './value-rules.ts'
import { locate, type SourceFile } from './positions.ts'
import { duplicateKeys, duplicateKeyWarning } from './duplicate-keys.ts'
import { plainCopy } from './source-files.ts'

/** A generous limit on YAML alias expansion (merge keys included); real configs stay far below it. */
const MAX_YAML_ALIASES = 1000

function yamlErrorMessage(message: string): string {
  const firstLine = message.split('\n')[0] ?? message
  return firstLine.replace(/ at line \d+, column \d+:?$/, '')
}

export interface YamlReadOptions {
  /** The environment the ERB sees; what it adds (Dotenv.load) is added here, as Kamal's process ENV. */
  env: Env
  run: CommandRunner
  /** The project directory: File.read and Dotenv.load in the subset, and Ruby's ERB, run there. */
  cwd: string
  /** The Ruby for ERB beyond the subset (`ruby` on PATH). */
  ruby?: string
}

/** Ruby's message, with the fix for a library Ruby cannot load (Kamal's own install brings dotenv). */
function rubyHint(message: string): string {
  const library = /^LoadError: cannot load such file -- (\S+)$/.exec(message)?.[1]
  if (!library) return message
  const debian = library === 'dotenv' ? ' (Debian: apt-get install ruby-dotenv)' : ''
  return `${message}; install the gem that provides it: gem install ${library}${debian}, as a Kamal install has it`
}

/** A template rendered by the subset, or by Ruby's ERB where it needs more (then positions are the output's lines). */
async function renderErb(
  file: string,
  path: string,
  raw: string,
  options: YamlReadOptions,
  problems: string[],
): Promise<{ output: string; sourceOffset(offset: number): number }> {
  const erb = expandErb(raw, options.env, { yaml: true, run: options.run, cwd: options.cwd })
  let result: { output: string; sourceOffset(offset: number): number; env: Env } = erb
  if (erb.needsRuby) {
    const ruby = await renderWithRuby(path, { cwd: options.cwd, env: options.env, ruby: options.ruby })
    if (!ruby.ok) {
      if (ruby.missing)
        for (const p of erb.problems)
          problems.push(
            `${file}:${p.line}:${p.col}: ERB ${p.message} needs Ruby: ${ERB_SUBSET} itself, and hands a file with any other ` +
              "ERB to Ruby's own ERB as Kamal does, but there is no `ruby` on PATH; install Ruby (apt-get install ruby), " +
              'or write the tag in the subset.',
          )
      else
        problems.push(
          `${file}${ruby.line ? `:${ruby.line}` : ''}: Ruby's ERB failed on this file: ${rubyHint(ruby.message)}`,
        )
      return { output: '', sourceOffset: () => 0 }
    }
    const outputPosition = lineColOf(ruby.output)
    const rawLines = raw.split('\n')
    const lineStart = (line: number) => rawLines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0)
    result = {
      output: ruby.output,
      env: ruby.env,
      // the rendered text's line and column, as far as the template has them
      sourceOffset(offset) {
        const at = outputPosition(offset)
        const line = Math.min(at.line, rawLines.length)
        return lineStart(line) + Math.min(at.col - 1, (rawLines[line - 1] ?? '').length)
      },
    }
  } else {
    for (const p of erb.problems) problems.push(`${file}:${p.line}:${p.col}: ${p.message}`)
  }
  for (const key of Object.keys(options.env)) if (!(key in result.env)) delete options.env[key]
  Object.assign(options.env, result.env)
  return result
}

/** `file` names the file in messages; `path` is where it is read from. What Kamal takes but may not mean goes to `warnings`. */
export async function readYamlFile(
  file: string,
  path: string,
  options: YamlReadOptions,
  problems: string[],
  warnings: string[] = [],
): Promise<SourceFile> {
  const raw = readFileSync(path, 'utf8')
  const erb = await renderErb(file, path, raw, options, problems)
  const rawPosition = lineColOf(raw)
  const position = (offset: number) => rawPosition(erb.sourceOffset(offset))
  // before anything that recurses through the nesting (yaml's composer and toJS, timestamps, plainData)
  const tooDeep = (offset: number, how: string) => {
    const at = position(offset)
    problems.push(`${file}:${at.line}:${at.col}: (root): ${how} ${nestingLimit()}`)
  }
  // yaml's syntax tree, built without recursion, measured before anything recursive (its composer) reads it
  const tokens = Array.from(new Parser().parse(erb.output))
  const deepAt = tooDeepOffset(tokens)
  if (deepAt !== undefined) {
    tooDeep(deepAt, 'lists and maps are nested here')
    return { file, position, data: {} }
  }
  const document = composeDocument(tokens, erb.output.length)
  for (const error of document.errors) {
    const at = position(error.pos[0])
    problems.push(`${file}:${at.line}:${at.col}: (root): ${error.code}: ${yamlErrorMessage(error.message)}`)
  }
  const source: SourceFile = { file, document, position }
  if (document.errors.length > 0) return source
  const deepNode = tooDeepNode(document)
  if (deepNode) {
    tooDeep(deepNode.range?.[0] ?? 0, 'with its aliases expanded, lists and maps are nested here')
    source.data = {}
    return source
  }
  const at = (offset: number) => {
    const { line, col } = position(offset)
    return `${file}:${line}:${col}`
  }
  for (const duplicate of duplicateKeys(document)) warnings.push(duplicateKeyWarning(duplicate, at))
  source.data = documentData(source, document, problems)
  return source
}

/**
 * YAML 1.1 as Psych reads it (Kamal's parser): yes/no/on/off booleans, 0755 octal, `y`/`n` strings; composed
 * from the tokens as yaml's parseDocument would (one document; a second is an error). A repeated key is
 * Psych's too: the last one wins (said by readYamlFile, once the nesting is known to be bounded).
 */
function composeDocument(tokens: CST.Token[], length: number): Document.Parsed {
  const composer = new Composer({ version: '1.1', customTags: psychTags, merge: true, uniqueKeys: false })
  const [document, second] = Array.from(composer.compose(tokens, true, length)) as Document.Parsed[]
  if (!document) throw new Error('yaml composed no document')
  if (second)
    document.errors.push(
      new YAMLParseError(
        second.range.slice(0, 2) as [number, number],
        'MULTIPLE_DOCS',
        'the file holds more than one YAML document (a second `---`); keep one',
      ),
    )
  return document
}

/** The document's value (aliases expanded within a limit, Psych's timestamps settled), as a plain object. */
function documentData(source: SourceFile, document: Document.Parsed, problems: string[]): Record<string, unknown> {
  let value: unknown
  try {
    value = document.toJS({ maxAliasCount: MAX_YAML_ALIASES })
  } catch (error) {
    // yaml refuses alias expansion past the limit ("billion laughs")
    problems.push(
      `${locate([source], [], 'value')}: (root): its aliases expand to more than ${MAX_YAML_ALIASES} copies ` +
        `(${errorText(error)}); write the values out, or use fewer aliases.`,
    )
    value = {}
  }
  const dates = settleTimestamps(value === null || value === undefined ? {} : value)
  for (const { path: at, stamp } of dates.refused) {
    problems.push(
      `${locate([source], at, 'value')}: ${pointer(at)}: ${show(stamp.text)} is a ${stamp.kind} ` +
        `to Kamal's YAML parser (Psych), and Kamal takes no ${stamp.kind} here; quote it to mean the text.`,
    )
  }
  let data = dates.value
  if (!isPlainObject(data)) {
    problems.push(`${locate([source], [], 'value')}: (root): must be object`)
    data = {}
  }
  return plainCopy(source, data, problems)
}
