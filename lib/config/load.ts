// Loads and validates the deploy config: `deploy.config.mjs` or `config/deploy.yml` (Kamal's own
// format), plus the destination file, plus the secrets files. Every problem found is collected and
// reported at once, as `file:line:col: /json/pointer: message` (YAML) or `file: /json/pointer: message`.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, parse as parsePath, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { ErrorObject } from 'ajv'
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Pair } from 'yaml'
import { expandErb, lineColOf } from './erb.ts'
import { shellRunner, type CommandRunner } from './commands.ts'
import { psychTags, settleTimestamps } from './psych.ts'
import { loadSecrets, SecretsError } from './secrets.ts'
import { ACCESSORY_HOST_KEYS } from './schema.ts'
import { validator } from './validator.ts'
import type { DeployConfig } from './types.ts'
import { errorText, isPlainObject, plainData, pointer } from './plain.ts'
import { show, valueProblems, type Problem } from './values.ts'

export { isPlainObject }

export interface LoadedConfig {
  /** Validated, destination-merged, ERB-expanded. */
  config: DeployConfig
  /** Main config file path as given, or as found (relative to cwd) by default. */
  file: string
  /** Every config file read (main + destination). */
  files: string[]
  destination?: string
  /** Merged secrets files (later files win). */
  secrets: Record<string, string>
  /** The secrets files considered (existing or not), for messages. */
  secretFiles: string[]
  /**
   * Where a value is defined: `config/deploy.yml:12:5` (in the destination file if it set that
   * value), or the .mjs file name. Falls back to the nearest ancestor that exists.
   */
  locate(path: Array<string | number>): string
}

export class ConfigError extends Error {
  readonly problems: string[]
  constructor(problems: string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export interface LoadOptions {
  /** `-c`: a path relative to cwd, or absolute. */
  file?: string
  /** `-d` */
  destination?: string
  cwd: string
  env: Record<string, string | undefined>
  /** Runs ERB backticks and `$(...)` in secrets files; defaults to /bin/sh in `cwd` with the terminal's stdin and stderr. */
  run?: CommandRunner
}

/** A file name for a message: as given when plain, JSON-quoted when it holds control characters or quotes. */
function plainName(file: string): string {
  return /^[^\x00-\x1f\x7f"'`]{1,200}$/.test(file) ? file : show(file)
}

const DEFAULT_MJS = 'deploy.config.mjs'
const DEFAULT_YML = 'config/deploy.yml'

type Path = Array<string | number>
type Plain = Record<string, unknown>

// ---------------------------------------------------------------------------------------------
// Pure helpers

/** ActiveSupport `deep_merge`: hashes merge recursively; arrays and scalars are replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over
  const out: Plain = { ...base }
  for (const [k, v] of Object.entries(over)) {
    out[k] = k in out && isPlainObject(out[k]) && isPlainObject(v) ? deepMerge(out[k], v) : v
  }
  return out
}

/** `config/deploy.yml` + `staging` -> `config/deploy.staging.yml` */
export function destinationFile(file: string, destination: string): string {
  const p = parsePath(file)
  const name = `${p.name}.${destination}${p.ext}`
  return p.dir ? join(p.dir, name) : name
}

function parsePointer(ptr: string): string[] {
  if (ptr === '') return []
  return ptr
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

// ---------------------------------------------------------------------------------------------
// Positions

/** One parsed source: a YAML document with its line counter, or a JS object from an .mjs file. */
interface Source {
  file: string
  doc?: Document
  /** Line and column in the file (before ERB) of an offset in the parsed (rendered) text. */
  pos?: (offset: number) => { line: number; col: number }
  obj?: unknown
}

interface Found {
  key?: Node
  value?: Node | null
}

function resolveAlias(node: unknown, doc: Document): unknown {
  let n = node
  for (let i = 0; i < 32 && isAlias(n); i++) n = n.resolve(doc)
  return n
}

function scalarKey(pair: Pair): string | undefined {
  const k = pair.key
  if (isScalar(k)) {
    if (typeof k.value === 'symbol') return '<<' // yaml marks merge keys with Symbol(<<)
    return k.value === null ? '' : String(k.value)
  }
  if (typeof k === 'string' || typeof k === 'number') return String(k)
  return undefined
}

function findPair(map: unknown, key: string, doc: Document, depth = 0): Pair | undefined {
  if (!isMap(map) || depth > 16) return undefined
  for (const pair of map.items) if (scalarKey(pair) === key) return pair
  // YAML merge keys (`<<: *base`, `<<: [*a, *b]`); earlier sources win
  for (const pair of map.items) {
    if (scalarKey(pair) !== '<<') continue
    const v = resolveAlias(pair.value, doc)
    const sources = isSeq(v) ? v.items.map((i) => resolveAlias(i, doc)) : [v]
    for (const s of sources) {
      const found = findPair(s, key, doc, depth + 1)
      if (found) return found
    }
  }
  return undefined
}

function findYaml(doc: Document, path: Path): Found | undefined {
  let node: unknown = doc.contents
  let key: Node | undefined
  for (const seg of path) {
    node = resolveAlias(node, doc)
    if (isMap(node)) {
      const pair = findPair(node, String(seg), doc)
      if (!pair) return undefined
      key = pair.key as Node
      node = pair.value
    } else if (isSeq(node)) {
      const i = typeof seg === 'number' ? seg : Number(seg)
      if (!Number.isInteger(i) || i < 0 || i >= node.items.length) return undefined
      key = undefined
      node = node.items[i]
    } else {
      return undefined
    }
  }
  return { key, value: (node ?? null) as Node | null }
}

function hasPathInObject(obj: unknown, path: Path): boolean {
  let cur = obj
  for (const seg of path) {
    if (Array.isArray(cur)) {
      const i = Number(seg)
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) return false
      cur = cur[i]
    } else if (isPlainObject(cur)) {
      if (!Object.prototype.hasOwnProperty.call(cur, String(seg))) return false
      cur = cur[String(seg)]
    } else {
      return false
    }
  }
  return true
}

function nodePos(src: Source, node: Node | null | undefined): string | undefined {
  if (!node || !src.pos || !node.range) return undefined
  const { line, col } = src.pos(node.range[0])
  return `${src.file}:${line}:${col}`
}

function isEmptyValue(node: Node | null | undefined): boolean {
  return !node || !node.range || (isScalar(node) && node.value === null && node.range[0] === node.range[1])
}

/**
 * Position of `path` (`at: 'key'` prefers the map key, `at: 'value'` the value) in the last source
 * that defines it; walks up to the nearest defined ancestor when no source defines it.
 */
function locateIn(sources: Source[], path: Path, at: 'key' | 'value'): string {
  for (let len = path.length; len >= 0; len--) {
    const p = path.slice(0, len)
    for (let i = sources.length - 1; i >= 0; i--) {
      const src = sources[i] as Source
      if (src.doc) {
        const found = findYaml(src.doc, p)
        if (!found) continue
        const preferKey = at === 'key' || isEmptyValue(found.value)
        const pos = preferKey
          ? (nodePos(src, found.key) ?? nodePos(src, found.value))
          : (nodePos(src, found.value) ?? nodePos(src, found.key))
        if (pos) return pos
        return `${src.file}:1:1`
      } else if (hasPathInObject(src.obj, p)) {
        return src.file
      }
    }
  }
  return (sources[0] as Source).file
}

// ---------------------------------------------------------------------------------------------
// Validation

function typeMessage(types: unknown): string {
  const list = Array.isArray(types) ? types : String(types).split(',')
  const words = list.map((t) => (t === 'object' ? 'object' : String(t)))
  if (words.length <= 1) return `must be ${words[0] ?? 'valid'}`
  return `must be ${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`
}

function ajvProblems(errors: ErrorObject[]): Problem[] {
  const out: Problem[] = []
  for (const e of errors) {
    // `if` only says "must match then/else schema"; the errors that explain why come separately
    if (e.keyword === 'if') continue
    const path = parsePointer(e.instancePath)
    const custom = (e.parentSchema as Plain | undefined)?.['x-messages'] as Record<string, string> | undefined
    const override = custom?.[e.keyword]
    if (e.keyword === 'additionalProperties') {
      const key = String((e.params as { additionalProperty: string }).additionalProperty)
      out.push({ path: [...path, key], at: 'key', ptr: path, message: override ?? `unknown key "${key}"` })
      continue
    }
    if (e.keyword === 'required') {
      const key = String((e.params as { missingProperty: string }).missingProperty)
      out.push({ path, at: 'value', message: override ?? `missing required key "${key}"` })
      continue
    }
    let message = override
    if (!message) {
      if (e.keyword === 'type') message = typeMessage((e.params as { type: unknown }).type)
      else if (e.keyword === 'enum')
        message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`
      else message = e.message ?? `failed ${e.keyword}`
    }
    out.push({ path, at: 'value', message })
  }
  return out
}

const RESTART_POLICY = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/
const RESERVED_LABELS = ['destination', 'role', 'service']

function labelAndOptionProblems(base: Path, section: Plain, out: Problem[]): void {
  const labels = section.labels
  if (isPlainObject(labels)) {
    for (const key of Object.keys(labels)) {
      if (RESERVED_LABELS.includes(key)) {
        out.push({
          path: [...base, 'labels', key],
          at: 'key',
          message: 'invalid label. destination, role, and service are reserved labels',
        })
      }
    }
  }
  const options = section.options
  if (isPlainObject(options) && Object.prototype.hasOwnProperty.call(options, 'restart')) {
    const restart = options.restart
    const path = [...base, 'options', 'restart']
    if (typeof restart !== 'string') {
      out.push({ path, at: 'value', message: 'should be a string. Use "no" to disable restarts' })
    } else if (!RESTART_POLICY.test(restart)) {
      out.push({ path, at: 'value', message: 'should be no, always, unless-stopped, on-failure, or on-failure:N' })
    }
  }
}

/** The Kamal rules the schema does not express (validator/accessory.rb, role.rb, env.rb). */
function kamalRuleProblems(config: unknown): Problem[] {
  const out: Problem[] = []
  if (!isPlainObject(config)) return out
  const accessories = config.accessories
  // configuration.rb ensure_required_keys_present: servers may be left out only for accessories
  const noAccessories = !isPlainObject(accessories) || Object.keys(accessories).length === 0
  if (config.servers === undefined && noAccessories) {
    out.push({ path: [], at: 'value', message: 'no servers or accessories specified' })
  }
  const servers = config.servers
  const roleNames = Array.isArray(servers) ? ['web'] : isPlainObject(servers) ? Object.keys(servers) : []
  if (isPlainObject(accessories)) {
    for (const [name, acc] of Object.entries(accessories)) {
      if (!isPlainObject(acc)) continue
      const base = ['accessories', name]
      const hostKeys = ACCESSORY_HOST_KEYS.filter((k) => Object.prototype.hasOwnProperty.call(acc, k))
      if (hostKeys.length !== 1) {
        out.push({
          // point at the second host key when there are several, else at the accessory
          path: hostKeys.length > 1 ? [...base, hostKeys[1] as string] : base,
          at: hostKeys.length > 1 ? 'key' : 'value',
          ptr: base,
          message: 'specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`',
        })
      }
      labelAndOptionProblems(base, acc, out)
      // accessory.rb ensure_valid_roles
      // (only once the host keys are right, so one mistake gives one message)
      const hostsOk = hostKeys.length === 1
      const wanted = !hostsOk
        ? []
        : typeof acc.role === 'string'
          ? [acc.role]
          : Array.isArray(acc.roles)
            ? acc.roles
            : []
      const unknown = wanted.filter((r): r is string => typeof r === 'string' && !roleNames.includes(r))
      if (unknown.length) {
        out.push({
          path: [...base, typeof acc.role === 'string' ? 'role' : 'roles'],
          at: 'value',
          ptr: base,
          message: unknown.length === 1 ? `unknown role ${unknown[0]}` : `unknown roles ${unknown.join(', ')}`,
        })
      }
      const env = acc.env
      if (isPlainObject(env) && Object.prototype.hasOwnProperty.call(env, 'tags')) {
        out.push({ path: [...base, 'env', 'tags'], at: 'key', message: 'tags are only allowed in the root env' })
      }
    }
  }
  if (isPlainObject(servers)) {
    for (const [name, role] of Object.entries(servers)) {
      if (isPlainObject(role)) labelAndOptionProblems(['servers', name], role, out)
    }
  }
  return out
}

function sortKey(s: string): [string, number, number] {
  const m = /^(.*?):(\d+):(\d+): /.exec(s)
  return m ? [m[1] as string, Number(m[2]), Number(m[3])] : [s, 0, 0]
}

/** Validate a merged raw config. Returns formatted problems (empty when valid). Pure. */
export function validateConfig(config: unknown, locate: (path: Path, at: 'key' | 'value') => string): string[] {
  const problems: Problem[] = []
  const validate = validator()
  if (!validate(config)) problems.push(...ajvProblems(validate.errors ?? []))
  problems.push(...kamalRuleProblems(config))
  problems.push(...valueProblems(config))
  const lines: string[] = []
  const seen = new Set<string>()
  for (const p of problems) {
    const where = locate(p.path, p.at)
    const line = `${where}: ${pointer(p.ptr ?? p.path)}: ${p.message}`
    if (!seen.has(line)) {
      seen.add(line)
      lines.push(line)
    }
  }
  // stable sort by file position so messages read top to bottom
  return lines
    .map((l, i) => ({ l, i, k: sortKey(l) }))
    .sort((a, b) => (a.k[0] === b.k[0] ? a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i : a.i - b.i))
    .map((x) => x.l)
}

// ---------------------------------------------------------------------------------------------
// Reading files

function exists(abs: string): boolean {
  return existsSync(abs) && !statSync(abs).isDirectory()
}

function yamlErrorMessage(message: string): string {
  const first = message.split('\n')[0] ?? message
  return first.replace(/ at line \d+, column \d+:?$/, '')
}

function readYaml(
  file: string,
  abs: string,
  env: Record<string, string | undefined>,
  run: CommandRunner,
  problems: string[],
): Source {
  const raw = readFileSync(abs, 'utf8')
  const erb = expandErb(raw, env, { yaml: true, run })
  for (const p of erb.problems) problems.push(`${file}:${p.line}:${p.col}: ${p.message}`)
  const rawPos = lineColOf(raw)
  const pos = (offset: number) => rawPos(erb.sourceOffset(offset))
  // YAML 1.1 as Psych reads it (Kamal's parser): yes/no/on/off booleans, 0755 octal, `y`/`n` strings
  const doc = parseDocument(erb.output, {
    version: '1.1',
    customTags: psychTags,
    prettyErrors: false,
    merge: true,
    uniqueKeys: true,
  })
  for (const err of doc.errors) {
    const at = pos(err.pos[0])
    problems.push(`${file}:${at.line}:${at.col}: (root): ${err.code}: ${yamlErrorMessage(err.message)}`)
  }
  const src: Source = { file, doc, pos }
  if (doc.errors.length === 0) {
    let value: unknown
    try {
      value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES })
    } catch (e) {
      // yaml refuses alias expansion past the limit ("billion laughs")
      problems.push(
        `${locateIn([src], [], 'value')}: (root): its aliases expand to more than ${MAX_YAML_ALIASES} copies (${errorText(e)}); write the values out, or use fewer aliases.`,
      )
      value = {}
    }
    src.obj = value === null || value === undefined ? {} : value
    const dates = settleTimestamps(src.obj)
    src.obj = dates.value
    for (const { path, stamp } of dates.refused) {
      problems.push(
        `${locateIn([src], path, 'value')}: ${pointer(path)}: ${show(stamp.text)} is a ${stamp.kind} to Kamal's YAML parser (Psych), and Kamal takes no ${stamp.kind} here; quote it to mean the text.`,
      )
    }
    if (!isPlainObject(src.obj)) {
      problems.push(`${locateIn([src], [], 'value')}: (root): must be object`)
      src.obj = {}
    }
    src.obj = plainSource(src, src.obj, problems)
  }
  return src
}

/** A generous limit on YAML alias expansion (merge keys included); real configs stay far below it. */
const MAX_YAML_ALIASES = 1000

/** The source's data as plain data; what is not (circular aliases, getters that throw...) becomes a problem. */
function plainSource(src: Source, value: unknown, problems: string[]): Plain {
  const copy = plainData(value)
  for (const p of copy.problems) problems.push(`${locateIn([src], p.path, 'value')}: ${pointer(p.path)}: ${p.message}`)
  return isPlainObject(copy.value) ? copy.value : {}
}

let importCounter = 0

async function importModule(abs: string): Promise<unknown> {
  const url = pathToFileURL(abs)
  // cache-busting: a changed file is re-read within one process
  url.search = `?berth=${Date.now()}-${++importCounter}`
  const mod = (await import(url.href)) as { default?: unknown }
  return mod.default
}

async function readModule(
  file: string,
  abs: string,
  args: { destination?: string; env: Record<string, string | undefined> },
  problems: string[],
): Promise<Source & { isFunction: boolean }> {
  let exported: unknown
  try {
    exported = await importModule(abs)
  } catch (e) {
    problems.push(`${file}: failed to load: ${errorText(e)}`)
    return { file, obj: {}, isFunction: false }
  }
  const isFunction = typeof exported === 'function'
  let value: unknown = exported
  if (isFunction) {
    try {
      value = await (exported as (a: typeof args) => unknown)(args)
    } catch (e) {
      problems.push(`${file}: the default export threw: ${errorText(e)}`)
      return { file, obj: {}, isFunction }
    }
  }
  if (!isPlainObject(value)) {
    problems.push(
      `${file}: (root): the default export must be an object, or a function returning one (got ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`,
    )
    return { file, obj: {}, isFunction }
  }
  // In JS, a key set to `undefined` means "not set" (it would not survive JSON either).
  const source: Source = { file }
  return { file, obj: plainSource(source, value, problems), isFunction }
}

function kind(file: string): 'yaml' | 'module' | undefined {
  const ext = parsePath(file).ext.toLowerCase()
  if (ext === '.yml' || ext === '.yaml') return 'yaml'
  if (ext === '.mjs' || ext === '.js') return 'module'
  return undefined
}

// ---------------------------------------------------------------------------------------------

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const { cwd, destination } = options
  const abs = (f: string) => (isAbsolute(f) ? f : resolve(cwd, f))

  let file: string
  if (options.file !== undefined) {
    file = options.file
    // a name typed on the command line: shown JSON-quoted when it holds anything unusual
    if (!exists(abs(file)))
      throw new ConfigError([`${plainName(file)}: config file not found; pass -c with an existing .yml or .mjs file`])
  } else if (exists(abs(DEFAULT_MJS))) {
    file = DEFAULT_MJS
  } else if (exists(abs(DEFAULT_YML))) {
    file = DEFAULT_YML
  } else {
    throw new ConfigError([
      `no config file found: looked for ${DEFAULT_MJS} and ${DEFAULT_YML} in ${cwd}; use -c <file> to name another`,
    ])
  }
  const type = kind(file)
  if (!type) throw new ConfigError([`${plainName(file)}: unsupported config file type (use .yml, .yaml, .mjs or .js)`])

  // Kamal sets KAMAL_DESTINATION (or clears it) before rendering the config
  const env: Record<string, string | undefined> = { ...options.env }
  if (destination) env.KAMAL_DESTINATION = destination
  else delete env.KAMAL_DESTINATION

  const problems: string[] = []
  const sources: Source[] = []
  const run = options.run ?? shellRunner(cwd, env)
  const destFile = destination ? destinationFile(file, destination) : undefined

  if (type === 'yaml') {
    sources.push(readYaml(file, abs(file), env, run, problems))
    if (destFile) {
      if (!exists(abs(destFile))) {
        problems.push(`${destFile}: configuration file for destination "${destination}" not found`)
      } else {
        sources.push(readYaml(destFile, abs(destFile), env, run, problems))
      }
    }
  } else {
    const args = { destination, env }
    const main = await readModule(file, abs(file), args, problems)
    sources.push(main)
    if (destFile) {
      if (exists(abs(destFile))) {
        sources.push(await readModule(destFile, abs(destFile), args, problems))
      } else if (!main.isFunction) {
        problems.push(
          `${destFile}: configuration file for destination "${destination}" not found (${file} exports an object, so a destination needs its own file; or export a function of { destination, env })`,
        )
      }
    }
  }
  if (problems.length) throw new ConfigError(problems)

  const merged = sources.reduce<unknown>((acc, s) => deepMerge(acc, s.obj ?? {}), {})
  const locateAt = (path: Path, at: 'key' | 'value') => locateIn(sources, path, at)
  const validation = validateConfig(merged, locateAt)
  if (validation.length) throw new ConfigError(validation)

  const config = merged as DeployConfig
  const secretsPath = typeof config.secrets_path === 'string' ? config.secrets_path : undefined
  let secrets: Record<string, string>
  let secretFiles: string[]
  try {
    ;({ secrets, files: secretFiles } = loadSecrets({ secretsPath, destination, cwd, env, run }))
  } catch (e) {
    if (e instanceof SecretsError) throw new ConfigError(e.problems)
    throw e
  }

  const loaded: LoadedConfig = {
    config,
    file,
    files: sources.map((s) => s.file),
    secrets,
    secretFiles,
    locate: (path) => locateAt(path, 'value'),
  }
  if (destination) loaded.destination = destination
  return loaded
}
