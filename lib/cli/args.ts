// Command-line flags, parsed strictly: an unknown flag or a missing value is a usage error (exit 64).
// Every verb shares the common flags and adds its own; help text is generated from the same table.
import { parseArgs } from 'node:util'
import { destinationProblem, show } from '../config/value-rules.ts'
import type { Shard } from '../flows/shard.ts'
import { shellJoin } from '../remote/quote.ts'
import { MAX_REMOTE_COMMAND_BYTES } from '../remote/ssh.ts'

/** A flag's raw value as node:util's parseArgs gives it (undefined: not given). */
type RawValue = string | boolean | undefined

export interface OptionSpec<T = unknown> {
  type: 'string' | 'boolean'
  short?: string
  /** Shown in --help; a string option's value name comes first, e.g. 'SECONDS  wait for the lock'. */
  description: string
  /** The flag's typed value from what was given; a bad value is a UsageError naming the flag. */
  parse(raw: RawValue, flag: string): T
}

export type Options = Record<string, OptionSpec>

/** Each flag's typed value, by long name. */
export type FlagValues<O extends Options> = { -readonly [K in keyof O]: ReturnType<O[K]['parse']> }

/** A switch: true when given. */
export function booleanOption(description: string, short?: string): OptionSpec<boolean> {
  return { type: 'boolean', ...(short ? { short } : {}), description, parse: (raw) => raw === true }
}

/** Seconds (0 up to MAX_SECONDS, fractions allowed), `fallback` when not given. */
export function secondsOption(description: string, fallback: number): OptionSpec<number> {
  return { type: 'string', description, parse: (raw, flag) => secondsFlag(raw, flag, fallback) }
}

/** A positive whole number; undefined when not given. */
export function countOption(description: string, short?: string): OptionSpec<number | undefined> {
  return { type: 'string', ...(short ? { short } : {}), description, parse: (raw, flag) => countFlag(raw, flag) }
}

/** `K/N`: shard K of N (plain decimals, 1 ≤ K ≤ N); undefined when not given. */
export function shardOption(description: string): OptionSpec<Shard | undefined> {
  return { type: 'string', description, parse: (raw, flag) => shardFlag(raw, flag) }
}

/** A flag this verb refuses, with the sentence that says why: taken by the parser only to say so. */
export function refusedOption(description: string, why: string): OptionSpec<undefined> {
  return {
    type: 'string',
    description,
    parse: (raw) => {
      if (raw !== undefined) throw new UsageError(why)
      return undefined
    },
  }
}

/** Text as given; `check` throws a UsageError for a value that cannot be used. */
export function textOption(
  description: string,
  short?: string,
  check?: (value: string, flag: string) => void,
): OptionSpec<string | undefined> {
  return {
    type: 'string',
    ...(short ? { short } : {}),
    description,
    parse: (raw, flag) => {
      if (typeof raw !== 'string') return undefined
      check?.(raw, flag)
      return raw
    },
  }
}

/** One forward asked for with --ports: this local port to that port of the container. */
export interface PortPair {
  local: number
  remote: number
}

/** A TCP port as typed: plain decimal digits, 1 to 65535. */
function tcpPort(text: string): number | undefined {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN
  return port >= 1 && port <= 65535 ? port : undefined
}

/** `LOCAL:REMOTE,…`: each a pair of TCP ports, no local port twice; undefined when not given. */
export function portPairsOption(description: string): OptionSpec<PortPair[] | undefined> {
  return {
    type: 'string',
    description,
    parse: (raw, flag) => {
      const items = listFlag(raw, flag, 'LOCAL:REMOTE pair', '15432:5432')
      const pairs = items?.map((item) => portPair(item, flag))
      const local = pairs?.map((pair) => pair.local) ?? []
      const twice = local.find((port, i) => local.indexOf(port) !== i)
      if (twice !== undefined)
        throw new UsageError(`--${flag} names local port ${twice} twice; give each forward its own local port.`)
      return pairs
    },
  }
}

function portPair(item: string, flag: string): PortPair {
  const [local, remote, ...rest] = item.split(':')
  const pair = { local: tcpPort(local ?? ''), remote: tcpPort(remote ?? '') }
  if (rest.length || pair.local === undefined || pair.remote === undefined)
    throw new UsageError(
      `--${flag} takes LOCAL:REMOTE pairs of TCP ports (1 to 65535), comma-separated, such as ` +
        `--${flag} 15432:5432, got ${argText(item)}.`,
    )
  return { local: pair.local, remote: pair.remote }
}

/** A comma-separated list of names or patterns, each matching `pattern`, else the usage error `problem` gives. */
function listOption(
  description: string,
  short: string | undefined,
  item: { name: string; example: string; pattern: RegExp; problem: (value: string) => string },
): OptionSpec<string[] | undefined> {
  return {
    type: 'string',
    ...(short ? { short } : {}),
    description,
    parse: (raw, flag) => {
      const items = listFlag(raw, flag, item.name, item.example)
      const bad = items?.find((value) => !item.pattern.test(value))
      if (bad !== undefined) throw new UsageError(item.problem(bad))
      return items
    },
  }
}

/** What --hosts takes: host names with `*` and `?` (the config's hosts never start with "-"). */
const HOST_PATTERN = /^[a-zA-Z0-9_.:@*?][a-zA-Z0-9_.:@*?-]{0,254}$/

export const COMMON_OPTIONS = {
  config: textOption(
    "FILE  config file (default: deploy.config.mjs, else config/deploy.yml); Kamal's --config-file works too",
    'c',
  ),
  destination: textOption(
    'NAME  merge deploy.<NAME>.yml / deploy.config.<NAME>.mjs and .kamal/secrets.<NAME>',
    'd',
    (value) => {
      const problem = destinationProblem(value)
      if (problem) throw new UsageError(`${problem} Pass -d with a destination such as staging.`)
    },
  ),
  hosts: listOption("H1,H2  only these hosts (wildcards * and ? allowed; Kamal's -h HOSTS)", undefined, {
    name: 'host',
    example: '10.0.0.5,10.0.0.6',
    pattern: HOST_PATTERN,
    problem: (value) =>
      `--hosts ${show(value)} is not a host or a pattern: ` +
      'hosts are letters, digits, ".", "-", "_", ":" and "@", with * and ? as wildcards.',
  }),
  roles: listOption("R1,R2  only the hosts of these roles under servers (wildcards allowed), as Kamal's -r", 'r', {
    name: 'role',
    example: 'web,db',
    pattern: /^[a-zA-Z0-9_*?][a-zA-Z0-9_.*?-]{0,254}$/,
    problem: (value) =>
      `--roles ${show(value)} is not a role name or a pattern: roles are letters, digits, "_", "." and "-", with * and ? as wildcards.`,
  }),
  primary: booleanOption("only the primary host (the primary role's first), as Kamal's -p", 'p'),
  'skip-hooks': booleanOption("don't run the pre-connect hook (Kamal's -H)", 'H'),
  'dry-run': booleanOption('inspect only; print the commands that would run'),
  json: booleanOption('print the report as one JSON document'),
  quiet: booleanOption('print only what needs attention', 'q'),
  verbose: booleanOption('print every remote command (secrets are never in commands)', 'v'),
  help: booleanOption('this help', 'h'),
  version: booleanOption("berth's version"),
} satisfies Options

export interface ParsedArgs<F = Record<string, unknown>> {
  target?: string
  config?: string
  destination?: string
  hosts?: string[]
  /** `-r/--roles`: role names or patterns. */
  roles?: string[]
  /** `-p/--primary` */
  primary: boolean
  dryRun: boolean
  /** `-H/--skip-hooks`: no pre-connect hook. */
  skipHooks: boolean
  quiet: boolean
  verbose: boolean
  help: boolean
  version: boolean
  /** The verb's own flags, by long name, as typed values. */
  flags: F
  /** Words after `--` (a command for accessory-exec). */
  command: string[]
}

/** The positional: what it is when none is given, or the usage error that says to give one. */
export interface TargetRule {
  defaultTarget?: string
  missing?: string
}

/** A command-line value in a message: as typed when it is plain, JSON-quoted when not. */
export function argText(value: string): string {
  return /^[a-zA-Z0-9_.,:@*?/-]{1,80}$/.test(value) ? `'${value}'` : show(value)
}

/** `--json` among berth's own flags (before `--`), read even when the flags themselves cannot be parsed. */
export function asksForJson(argv: readonly string[]): boolean {
  return (argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv).includes('--json')
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

const NUMBER = /^\d+(?:\.\d+)?$/

/**
 * Kamal's spellings, before parsing: `--config-file` is `--config` and `--confirmed` is `--yes` (same
 * meaning). Where Kamal's flag means something else than berth's, never guess: `-h HOSTS` (berth's -h is
 * help) and Kamal's switch `--lock-wait` with `--lock-wait-timeout` (berth's --lock-wait takes seconds) are
 * usage errors naming both meanings and the spelling to use.
 */
function kamalSpellings(own: string[], verbOptions: Options): string[] {
  return own.map((arg, i) => {
    const next = own[i + 1]
    if (arg === '--config-file' || arg.startsWith('--config-file=')) return arg.replace(/^--config-file/, '--config')
    if (arg === '--confirmed' && 'yes' in verbOptions) return '--yes'
    refuseKamalHosts(arg, next)
    if ('lock-wait' in verbOptions) refuseKamalLockWait(arg, next)
    return arg
  })
}

/** Kamal's `-h HOSTS`: berth's -h is help. */
function refuseKamalHosts(arg: string, next: string | undefined): void {
  const separate = arg === '-h' && next !== undefined && !next.startsWith('-')
  if (!separate && !/^-h./.test(arg)) return
  const [given, hosts] = separate ? [`-h ${argText(next)}`, next] : [argText(arg), arg.slice(2).replace(/^=/, '')]
  throw new UsageError(
    `${given}: berth's -h is --help, while Kamal's -h takes hosts. ` +
      `For hosts write --hosts ${argText(hosts)}; for help, -h or --help alone.`,
  )
}

/** Kamal's `--lock-wait` (a switch) and `--lock-wait-timeout`/`--lock-wait-interval`: berth's takes seconds. */
function refuseKamalLockWait(arg: string, next: string | undefined): void {
  const kamalTimeout = /^--lock-wait-(timeout|interval)(?:=|$)/.exec(arg)
  if (kamalTimeout) {
    const seconds =
      kamalTimeout[1] === 'timeout'
        ? argText(arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (next ?? 'SECONDS'))
        : 'SECONDS'
    throw new UsageError(
      `${arg.split('=')[0]} is Kamal's (with its switch --lock-wait); berth has one flag, --lock-wait SECONDS, ` +
        `that waits that long for the lock: write --lock-wait ${seconds}.`,
    )
  }
  if (arg !== '--lock-wait' && !arg.startsWith('--lock-wait=')) return
  const value = arg === '--lock-wait' ? next : arg.slice('--lock-wait='.length)
  if (value !== undefined && NUMBER.test(value.trim())) return
  const given = value === undefined || value.startsWith('-') ? ' without seconds' : ` ${argText(value)}`
  throw new UsageError(
    `--lock-wait${given}: berth's --lock-wait takes SECONDS to wait for the deploy lock, ` +
      "while Kamal's --lock-wait is a switch (with --lock-wait-timeout, 900 s by default). " +
      'Write --lock-wait SECONDS, for example --lock-wait 900.',
  )
}

/** node:util's strict parse of berth's own words (before `--`), its errors as usage errors. */
function strictParse(own: string[], specs: Options): { values: Record<string, RawValue>; positionals: string[] } {
  const options = Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
    ]),
  )
  try {
    const parsed = parseArgs({ args: own, options, allowPositionals: true, strict: true })
    return { values: parsed.values as Record<string, RawValue>, positionals: parsed.positionals }
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify .*$/s, '')}.`)
  }
}

/** Each flag of `specs` parsed into its typed value, in the table's order. */
function typedValues<O extends Options>(specs: O, values: Record<string, RawValue>): FlagValues<O> {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [name, spec.parse(values[name], name)]),
  ) as FlagValues<O>
}

/** The command after `--` is quoted into one remote command line (each verb checks the whole line too). */
function checkCommandSize(command: string[]): void {
  if (!command.length) return
  const bytes = Buffer.byteLength(shellJoin(command))
  if (bytes > MAX_REMOTE_COMMAND_BYTES)
    throw new UsageError(
      `The command after \`--\` is ${bytes} bytes once quoted, ` +
        `more than the ${MAX_REMOTE_COMMAND_BYTES} one remote command line carries; ` +
        'put it in a script in the container instead.',
    )
}

/**
 * The one parse of a command line: every flag into its typed value (a bad one is a UsageError, exit 64), the
 * positional (`target`), and the command after `--`. With --help or --version nothing else is checked.
 */
export function parseVerbArgs<O extends Options = Record<never, OptionSpec>>(
  argv: string[],
  verbOptions: O = {} as O,
  targetRule: TargetRule = {},
): ParsedArgs<FlagValues<O>> {
  // a process never receives one (C strings end there); a caller in JavaScript could pass one
  if (argv.some((arg) => arg.includes('\0')))
    throw new UsageError('An argument contains a NUL byte, which no command line can carry; remove it.')
  const dashDash = argv.indexOf('--')
  const own = kamalSpellings(dashDash >= 0 ? argv.slice(0, dashDash) : argv, verbOptions)
  const command = dashDash >= 0 ? argv.slice(dashDash + 1) : []
  const { values, positionals } = strictParse(own, { ...COMMON_OPTIONS, ...verbOptions })
  if (positionals.length > 1)
    throw new UsageError(`Expected one accessory name or \`all\`, got ${positionals.length}: ${positionals.join(' ')}.`)
  if (values.quiet && values.verbose) throw new UsageError('Use either -q/--quiet or -v/--verbose, not both.')
  const common = typedValues(COMMON_OPTIONS, values)
  checkCommandSize(command)
  const answersAtOnce = common.help || common.version
  const target = positionals[0] ?? targetRule.defaultTarget
  if (!answersAtOnce && target === undefined && targetRule.missing) throw new UsageError(targetRule.missing)
  return {
    target,
    config: common.config,
    destination: common.destination,
    hosts: common.hosts,
    ...(common.roles ? { roles: common.roles } : {}),
    primary: common.primary,
    dryRun: common['dry-run'],
    skipHooks: common['skip-hooks'],
    quiet: common.quiet,
    verbose: common.verbose,
    help: common.help,
    version: common.version,
    // with --help or --version the flags are not read: each is as if not given
    flags: typedValues(verbOptions, answersAtOnce ? {} : values),
    command,
  }
}

/**
 * The most seconds a flag may name: Node's timers hold at most 2^31-1 ms (a longer one fires after 1 ms),
 * so 2147483 s (about 24 days) is the longest wait berth can honour.
 */
export const MAX_SECONDS = Math.floor((2 ** 31 - 1) / 1000)

/** The most a count flag (`--concurrency`, `--lines`) may name. */
const MAX_COUNT = 999_999_999

/**
 * The one parser of numeric flags. Only plain decimal digits are numbers here: `0x10`, `1e3`, `Infinity`,
 * `+5`, `.5` and `5.` are not what a person writes for seconds or a count, so they are usage errors instead
 * of whatever JavaScript's Number() makes of them. Seconds may have a decimal fraction (`1.5`); counts may not.
 */
function numberFlag(
  value: string | boolean | undefined,
  flag: string,
  spec: { seconds: boolean; min: number; max: number },
): number | undefined {
  if (value === undefined || value === false) return undefined
  const text = typeof value === 'string' ? value.trim() : ''
  const got = typeof value === 'string' ? argText(value) : 'no value'
  const what = spec.seconds
    ? `plain decimal seconds from ${spec.min} to ${spec.max} (such as --${flag} 30 or --${flag} 1.5)`
    : `a whole number from ${spec.min} to ${spec.max} (such as --${flag} 10)`
  if (!(spec.seconds ? /^\d+(?:\.\d+)?$/ : /^\d+$/).test(text))
    throw new UsageError(`--${flag} takes ${what}, got ${got}.`)
  const number = Number(text)
  if (spec.seconds && number > spec.max)
    throw new UsageError(
      `--${flag} takes at most ${spec.max} seconds (about 24 days, the longest wait berth can honour), got ${got}.`,
    )
  if (number < spec.min || number > spec.max) throw new UsageError(`--${flag} takes ${what}, got ${got}.`)
  return number
}

/** A number of seconds (0 up to MAX_SECONDS, fractions allowed) from a string flag, or a usage error naming the flag. */
export function secondsFlag(value: string | boolean | undefined, flag: string, fallback: number): number {
  return numberFlag(value, flag, { seconds: true, min: 0, max: MAX_SECONDS }) ?? fallback
}

/** A positive whole number (1 up to `max`) from a string flag, or a usage error naming the flag. */
export function countFlag(value: string | boolean | undefined, flag: string, max = MAX_COUNT): number | undefined {
  return numberFlag(value, flag, { seconds: false, min: 1, max })
}

/** The most shards `--shard K/N` may name (a CI matrix is far smaller). */
const MAX_SHARDS = 999_999

/** `K/N` with plain decimal K and N, 1 ≤ K ≤ N ≤ MAX_SHARDS, or a usage error naming the flag. */
function shardFlag(value: string | boolean | undefined, flag: string): Shard | undefined {
  if (value === undefined || value === false) return undefined
  const text = typeof value === 'string' ? value.trim() : ''
  const got = typeof value === 'string' ? argText(value) : 'no value'
  const parts = /^(\d{1,6})\/(\d{1,6})$/.exec(text)
  const [index, count] = parts ? [Number(parts[1]), Number(parts[2])] : [NaN, NaN]
  if (!(index >= 1 && index <= count && count <= MAX_SHARDS))
    throw new UsageError(
      `--${flag} takes K/N, shard K of N with 1 ≤ K ≤ N ≤ ${MAX_SHARDS} in plain decimals ` +
        `(such as --${flag} 1/4 in the first of 4 jobs), got ${got}.`,
    )
  return { index, count }
}

export function optionsHelp(options: Record<string, OptionSpec>): string {
  return Object.entries<OptionSpec>(options)
    .map(([name, spec]) => {
      const [valueName, ...rest] = spec.type === 'string' ? spec.description.split('  ') : ['', spec.description]
      const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${valueName ? ` ${valueName}` : ''}`
      return `  ${flag.padEnd(30)} ${spec.type === 'string' ? rest.join('  ') : spec.description}`
    })
    .join('\n')
}

/** `File.fnmatch`-style host patterns: `*` and `?`. */
export function hostMatches(pattern: string, host: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  )
  return regex.test(host)
}

/** A comma-separated flag as its non-empty items; given but empty is a usage error naming an example. */
function listFlag(
  value: string | boolean | undefined,
  flag: string,
  item: string,
  example: string,
): string[] | undefined {
  if (typeof value !== 'string') return undefined
  const items = value
    .split(',')
    .map((word) => word.trim())
    .filter(Boolean)
  if (!items.length) throw new UsageError(`--${flag} needs at least one ${item}, e.g. --${flag} ${example}.`)
  return items
}
