// Command-line flags, parsed strictly: an unknown flag or a missing value is a usage error (exit 64).
// Every verb shares the common flags and adds its own; help text is generated from the same table.
import { parseArgs } from 'node:util'
import { destinationProblem, show } from '../config/value-rules.ts'
import { shellJoin } from '../remote/quote.ts'
import { MAX_REMOTE_COMMAND_BYTES } from '../remote/ssh.ts'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  /** Shown in --help; a string option's value name comes first, e.g. 'SECONDS  wait for the lock'. */
  description: string
}

export const COMMON_OPTIONS = {
  config: {
    type: 'string',
    short: 'c',
    description:
      "FILE  config file (default: deploy.config.mjs, else config/deploy.yml); Kamal's --config-file works too",
  },
  destination: {
    type: 'string',
    short: 'd',
    description: 'NAME  merge deploy.<NAME>.yml / deploy.config.<NAME>.mjs and .kamal/secrets.<NAME>',
  },
  hosts: { type: 'string', description: "H1,H2  only these hosts (wildcards * and ? allowed; Kamal's -h HOSTS)" },
  roles: {
    type: 'string',
    short: 'r',
    description: "R1,R2  only the hosts of these roles under servers (wildcards allowed), as Kamal's -r",
  },
  primary: {
    type: 'boolean',
    short: 'p',
    description: "only the primary host (the primary role's first), as Kamal's -p",
  },
  'skip-hooks': { type: 'boolean', short: 'H', description: "don't run the pre-connect hook (Kamal's -H)" },
  'dry-run': { type: 'boolean', description: 'inspect only; print the commands that would run' },
  json: { type: 'boolean', description: 'print the report as one JSON document' },
  quiet: { type: 'boolean', short: 'q', description: 'print only what needs attention' },
  verbose: { type: 'boolean', short: 'v', description: 'print every remote command (secrets are never in commands)' },
  help: { type: 'boolean', short: 'h', description: 'this help' },
  version: { type: 'boolean', description: "berth's version" },
} as const satisfies Record<string, OptionSpec>

export interface ParsedArgs {
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
  json: boolean
  quiet: boolean
  verbose: boolean
  help: boolean
  version: boolean
  /** The verb's own flags, by long name. */
  flags: Record<string, string | boolean | undefined>
  /** Words after `--` (a command for accessory-exec). */
  command: string[]
}

/** What --hosts takes: host names with `*` and `?` (the config's hosts never start with "-"). */
const HOST_PATTERN = /^[a-zA-Z0-9_.:@*?][a-zA-Z0-9_.:@*?-]{0,254}$/

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
function kamalSpellings(own: string[], verbOptions: Record<string, OptionSpec>): string[] {
  const out: string[] = []
  for (let i = 0; i < own.length; i++) {
    const arg = own[i] as string
    const next = own[i + 1]
    if (arg === '--config-file' || arg.startsWith('--config-file=')) {
      out.push(arg.replace(/^--config-file/, '--config'))
      continue
    }
    if (arg === '--confirmed' && 'yes' in verbOptions) {
      out.push('--yes')
      continue
    }
    if (arg === '-h' && next !== undefined && !next.startsWith('-')) {
      throw new UsageError(
        `-h ${argText(next)}: berth's -h is --help, while Kamal's -h takes hosts. ` +
          `For hosts write --hosts ${argText(next)}; for help, -h or --help alone.`,
      )
    }
    if (/^-h./.test(arg)) {
      throw new UsageError(
        `${argText(arg)}: berth's -h is --help, while Kamal's -h takes hosts. ` +
          `For hosts write --hosts ${argText(arg.slice(2).replace(/^=/, ''))}; for help, -h or --help alone.`,
      )
    }
    if ('lock-wait' in verbOptions) {
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
      const value =
        arg === '--lock-wait' ? next : arg.startsWith('--lock-wait=') ? arg.slice('--lock-wait='.length) : undefined
      if (
        (arg === '--lock-wait' || arg.startsWith('--lock-wait=')) &&
        (value === undefined || !NUMBER.test(value.trim()))
      ) {
        const given = value === undefined || value.startsWith('-') ? ' without seconds' : ` ${argText(value)}`
        throw new UsageError(
          `--lock-wait${given}: berth's --lock-wait takes SECONDS to wait for the deploy lock, ` +
            "while Kamal's --lock-wait is a switch (with --lock-wait-timeout, 900 s by default). " +
            'Write --lock-wait SECONDS, for example --lock-wait 900.',
        )
      }
    }
    out.push(arg)
  }
  return out
}

export function parseVerbArgs(argv: string[], verbOptions: Record<string, OptionSpec> = {}): ParsedArgs {
  // a process never receives one (C strings end there); a caller in JavaScript could pass one
  if (argv.some((arg) => arg.includes('\0')))
    throw new UsageError('An argument contains a NUL byte, which no command line can carry; remove it.')
  const dashDash = argv.indexOf('--')
  const own = kamalSpellings(dashDash >= 0 ? argv.slice(0, dashDash) : argv, verbOptions)
  const command = dashDash >= 0 ? argv.slice(dashDash + 1) : []
  const options = Object.fromEntries(
    Object.entries<OptionSpec>({ ...COMMON_OPTIONS, ...verbOptions }).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
    ]),
  )
  let parsed
  try {
    parsed = parseArgs({ args: own, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify .*$/s, '')}.`)
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  const { positionals } = parsed
  if (positionals.length > 1)
    throw new UsageError(`Expected one accessory name or \`all\`, got ${positionals.length}: ${positionals.join(' ')}.`)
  if (values.quiet && values.verbose) throw new UsageError('Use either -q/--quiet or -v/--verbose, not both.')
  const hosts = listFlag(values.hosts, 'hosts', 'host', '10.0.0.5,10.0.0.6')
  const badPattern = hosts?.find((h) => !HOST_PATTERN.test(h))
  if (badPattern !== undefined) {
    throw new UsageError(
      `--hosts ${show(badPattern)} is not a host or a pattern: ` +
        'hosts are letters, digits, ".", "-", "_", ":" and "@", with * and ? as wildcards.',
    )
  }
  const roles = listFlag(values.roles, 'roles', 'role', 'web,db')
  const badRole = roles?.find((r) => !/^[a-zA-Z0-9_*?][a-zA-Z0-9_.*?-]{0,254}$/.test(r))
  if (badRole !== undefined)
    throw new UsageError(
      `--roles ${show(badRole)} is not a role name or a pattern: roles are letters, digits, "_", "." and "-", with * and ? as wildcards.`,
    )
  const destination = values.destination as string | undefined
  const badDestination = destination === undefined ? undefined : destinationProblem(destination)
  if (badDestination) throw new UsageError(`${badDestination} Pass -d with a destination such as staging.`)
  if (command.length) {
    const bytes = Buffer.byteLength(shellJoin(command))
    // the command is quoted into one remote command line (verbs.ts checks the whole line per accessory)
    if (bytes > MAX_REMOTE_COMMAND_BYTES)
      throw new UsageError(
        `The command after \`--\` is ${bytes} bytes once quoted, ` +
          `more than the ${MAX_REMOTE_COMMAND_BYTES} one remote command line carries; ` +
          'put it in a script in the container instead.',
      )
  }
  const flags = Object.fromEntries(Object.keys(verbOptions).map((name) => [name, values[name]]))
  return {
    target: positionals[0],
    config: values.config as string | undefined,
    destination,
    hosts,
    ...(roles ? { roles } : {}),
    primary: values.primary === true,
    dryRun: values['dry-run'] === true,
    skipHooks: values['skip-hooks'] === true,
    json: values.json === true,
    quiet: values.quiet === true,
    verbose: values.verbose === true,
    help: values.help === true,
    version: values.version === true,
    flags,
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
