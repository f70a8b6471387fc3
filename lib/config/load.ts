// Loads and validates the deploy config: `deploy.config.mjs` or `config/deploy.yml` (Kamal's own
// format), plus the destination file, plus the secrets files. Every problem found is collected and
// reported at once, as `file:line:col: /json/pointer: message` (YAML) or `file: /json/pointer: message`.
import { existsSync, statSync } from 'node:fs'
import { isAbsolute, relative, resolve } from 'node:path'
import { shellRunner, type CommandRunner } from './local-commands.ts'
import { loadSecrets, SecretsError } from './secrets.ts'
import type { DeployConfig } from './types.ts'
import { show } from './value-rules.ts'
import { deepMerge, destinationFile } from './destination.ts'
import { locate, type Anchor, type KeyPath, type SourceFile } from './positions.ts'
import { sourceKind } from './source-files.ts'
import { readYamlFile, type YamlReadOptions } from './yaml-file.ts'
import { readModuleFile } from './module-file.ts'
import { validateConfig } from './validation.ts'
import { kamalRefusal, TRAEFIK_REBOOT_HOOKS, traefikHooksRefusal } from './kamal-refusals.ts'

export interface LoadedConfig {
  /** Validated, destination-merged, ERB-expanded. */
  config: DeployConfig
  /** Main config file path as given, or as found (relative to cwd) by default. */
  file: string
  /** Every config file read (main + destination). */
  files: string[]
  destination?: string
  /** Said on stderr before the run: what Kamal takes without a word but may not mean (a key written twice). */
  warnings: string[]
  /** Merged secrets files (later files win). */
  secrets: Record<string, string>
  /** The secrets files considered (existing or not), for messages. */
  secretFiles: string[]
  /**
   * Where a value is defined: `config/deploy.yml:12:5` (in the destination file if it set that
   * value), or the .mjs file name. Falls back to the nearest ancestor that exists.
   */
  locate(path: KeyPath): string
  /**
   * A YAML config that Kamal 2.12 refuses in the app's own sections (berth does not use them): where, Kamal's
   * message word for word, and the fix. berth warns and keeps working.
   */
  kamalRefuses?: { at: string; kamal: string; fix: string }
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
  /** The Ruby for ERB beyond berth's subset; `ruby` on PATH by default. */
  ruby?: string
}

const DEFAULT_MJS = 'deploy.config.mjs'
const DEFAULT_YML = 'config/deploy.yml'

/** A file name for a message: as given when plain, JSON-quoted when it holds control characters or quotes. */
function plainName(file: string): string {
  return /^[^\x00-\x1f\x7f"'`]{1,200}$/.test(file) ? file : show(file)
}

function isFile(path: string): boolean {
  return existsSync(path) && !statSync(path).isDirectory()
}

export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const { cwd, destination } = options
  const file = findConfigFile(options)
  const kind = sourceKind(file)
  if (!kind) throw new ConfigError([`${plainName(file)}: unsupported config file type (use .yml, .yaml, .mjs or .js)`])

  // Kamal sets KAMAL_DESTINATION (or clears it) before rendering the config
  const env: Record<string, string | undefined> = { ...options.env }
  if (destination) env.KAMAL_DESTINATION = destination
  else delete env.KAMAL_DESTINATION

  const problems: string[] = []
  const warnings: string[] = []
  const run = options.run ?? shellRunner(cwd, env)
  const sources =
    kind === 'yaml'
      ? await readYamlSources(file, { env, run, cwd, ruby: options.ruby }, destination, problems, warnings)
      : await readModuleSources(file, { destination, env }, cwd, problems)
  if (problems.length) throw new ConfigError(problems)

  const merged = sources.reduce<unknown>((config, source) => deepMerge(config, source.data ?? {}), {})
  const locateIn = (path: KeyPath, at: Anchor) => locate(sources, path, at)
  const validation = validateConfig(merged, locateIn)
  if (validation.length) throw new ConfigError(validation)

  const config = merged as DeployConfig
  const { secrets, files: secretFiles } = readSecrets(config, destination, cwd, env, run)
  const loaded: LoadedConfig = {
    config,
    file,
    files: sources.map((source) => source.file),
    warnings,
    secrets,
    secretFiles,
    locate: (path) => locateIn(path, 'value'),
  }
  if (destination) loaded.destination = destination
  const refuses = kamalRefuses(kind, config, cwd, locateIn)
  if (refuses) loaded.kamalRefuses = refuses
  return loaded
}

/** `-c`, else deploy.config.mjs, else config/deploy.yml in the working directory. */
function findConfigFile(options: LoadOptions): string {
  const pathOf = (file: string) => (isAbsolute(file) ? file : resolve(options.cwd, file))
  if (options.file !== undefined) {
    // a name typed on the command line: shown JSON-quoted when it holds anything unusual
    if (!isFile(pathOf(options.file)))
      throw new ConfigError([
        `${plainName(options.file)}: config file not found; pass -c with an existing .yml or .mjs file`,
      ])
    return options.file
  }
  if (isFile(pathOf(DEFAULT_MJS))) return DEFAULT_MJS
  if (isFile(pathOf(DEFAULT_YML))) return DEFAULT_YML
  throw new ConfigError([
    `no config file found: looked for ${DEFAULT_MJS} and ${DEFAULT_YML} in ${options.cwd}; use -c <file> to name another`,
  ])
}

/** The YAML config and its destination file (`config/deploy.<destination>.yml`), which must exist. */
async function readYamlSources(
  file: string,
  reading: YamlReadOptions,
  destination: string | undefined,
  problems: string[],
  warnings: string[],
): Promise<SourceFile[]> {
  const pathOf = (name: string) => (isAbsolute(name) ? name : resolve(reading.cwd, name))
  const sources = [await readYamlFile(file, pathOf(file), reading, problems, warnings)]
  const destinationName = destination ? destinationFile(file, destination) : undefined
  if (destinationName) {
    if (!isFile(pathOf(destinationName))) {
      problems.push(`${destinationName}: configuration file for destination "${destination}" not found`)
    } else {
      sources.push(await readYamlFile(destinationName, pathOf(destinationName), reading, problems, warnings))
    }
  }
  return sources
}

/** The .mjs config and its destination file, which may be left out when the config exports a function. */
async function readModuleSources(
  file: string,
  args: { destination?: string; env: Record<string, string | undefined> },
  cwd: string,
  problems: string[],
): Promise<SourceFile[]> {
  const { destination } = args
  const pathOf = (name: string) => (isAbsolute(name) ? name : resolve(cwd, name))
  const main = await readModuleFile(file, pathOf(file), args, problems)
  const sources: SourceFile[] = [main]
  const destinationName = destination ? destinationFile(file, destination) : undefined
  if (destinationName) {
    if (isFile(pathOf(destinationName))) {
      sources.push(await readModuleFile(destinationName, pathOf(destinationName), args, problems))
    } else if (!main.exportsFunction) {
      problems.push(
        `${destinationName}: configuration file for destination "${destination}" not found ` +
          `(${file} exports an object, so a destination needs its own file; or export a function of { destination, env })`,
      )
    }
  }
  return sources
}

/** The secrets files the config names (`secrets_path`), merged; their problems are config errors. */
function readSecrets(
  config: DeployConfig,
  destination: string | undefined,
  cwd: string,
  env: Record<string, string | undefined>,
  run: CommandRunner,
): { secrets: Record<string, string>; files: string[] } {
  const secretsPath = typeof config.secrets_path === 'string' ? config.secrets_path : undefined
  try {
    return loadSecrets({ secretsPath, destination, cwd, env, run })
  } catch (error) {
    if (error instanceof SecretsError) throw new ConfigError(error.problems)
    throw error
  }
}

/** What Kamal 2.12 would refuse in a YAML config (a deploy.config.mjs is berth's own): a section, else a hook. */
function kamalRefuses(
  kind: 'yaml' | 'module',
  config: DeployConfig,
  cwd: string,
  locateIn: (path: KeyPath, at: Anchor) => string,
): LoadedConfig['kamalRefuses'] {
  if (kind !== 'yaml') return undefined
  const refusal = kamalRefusal(config as Record<string, unknown>)
  if (refusal) return { at: locateIn(refusal.path, refusal.at), kamal: refusal.kamal, fix: refusal.fix }
  // Kamal checks the hooks folder after the sections (configuration.rb#initialize)
  const hooks = hooksDirectory(cwd, config.hooks_path)
  const present = TRAEFIK_REBOOT_HOOKS.filter((hook) => existsSync(resolve(hooks, hook)))
  const found = traefikHooksRefusal(present)
  return found ? { at: relative(cwd, resolve(hooks, present[0]!)), ...found } : undefined
}

/** Kamal's `hooks_path`: the config's root `hooks_path`, else `.kamal/hooks`, from the working directory. */
export function hooksDirectory(cwd: string, hooksPath: unknown): string {
  return resolve(cwd, typeof hooksPath === 'string' && hooksPath !== '' ? hooksPath : '.kamal/hooks')
}
