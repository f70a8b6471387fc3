// Command-line flags, parsed strictly: an unknown flag or a missing value is a usage error (exit 64).
// Every verb shares the common flags and adds its own; help text is generated from the same table.
import { parseArgs } from 'node:util'
import { destinationProblem, show } from '../config/values.ts'
import { shellJoin } from '../remote/quote.ts'
import { MAX_REMOTE_COMMAND_BYTES } from '../remote/ssh.ts'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  /** Shown in --help; a string option's value name comes first, e.g. 'SECONDS  wait for the lock'. */
  description: string
}

export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c', description: 'FILE  config file (default: deploy.config.mjs, else config/deploy.yml)' },
  destination: { type: 'string', short: 'd', description: 'NAME  merge deploy.<NAME>.yml / deploy.config.<NAME>.mjs and .kamal/secrets.<NAME>' },
  hosts: { type: 'string', description: 'H1,H2  only these hosts (wildcards * and ? allowed)' },
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
  dryRun: boolean
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

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export function parseVerbArgs(argv: string[], verbOptions: Record<string, OptionSpec> = {}): ParsedArgs {
  // a process never receives one (C strings end there); a caller in JavaScript could pass one
  if (argv.some((arg) => arg.includes('\0'))) throw new UsageError('An argument contains a NUL byte, which no command line can carry; remove it.')
  const dashDash = argv.indexOf('--')
  const own = dashDash >= 0 ? argv.slice(0, dashDash) : argv
  const command = dashDash >= 0 ? argv.slice(dashDash + 1) : []
  const options = Object.fromEntries(
    Object.entries<OptionSpec>({ ...COMMON_OPTIONS, ...verbOptions }).map(([name, spec]) => [name, { type: spec.type, ...(spec.short ? { short: spec.short } : {}) }]),
  )
  let parsed
  try {
    parsed = parseArgs({ args: own, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify .*$/s, '')}.`)
  }
  const values = parsed.values as Record<string, string | boolean | undefined>
  const { positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`Expected one accessory name or \`all\`, got ${positionals.length}: ${positionals.join(' ')}.`)
  if (values.quiet && values.verbose) throw new UsageError('Use either -q/--quiet or -v/--verbose, not both.')
  const hostsValue = values.hosts as string | undefined
  const hosts = hostsValue?.split(',').map((h) => h.trim()).filter(Boolean)
  if (hostsValue !== undefined && !hosts?.length) throw new UsageError('--hosts needs at least one host, e.g. --hosts 10.0.0.5,10.0.0.6.')
  const badPattern = hosts?.find((h) => !HOST_PATTERN.test(h))
  if (badPattern !== undefined) {
    throw new UsageError(`--hosts ${show(badPattern)} is not a host or a pattern: hosts are letters, digits, ".", "-", "_", ":" and "@", with * and ? as wildcards.`)
  }
  const destination = values.destination as string | undefined
  const badDestination = destination === undefined ? undefined : destinationProblem(destination)
  if (badDestination) throw new UsageError(`${badDestination} Pass -d with a destination such as staging.`)
  if (command.length) {
    const bytes = Buffer.byteLength(shellJoin(command))
    // the command is quoted into one remote command line (verbs.ts checks the whole line per accessory)
    if (bytes > MAX_REMOTE_COMMAND_BYTES) throw new UsageError(`The command after \`--\` is ${bytes} bytes once quoted, more than the ${MAX_REMOTE_COMMAND_BYTES} one remote command line carries; put it in a script in the container instead.`)
  }
  const flags = Object.fromEntries(Object.keys(verbOptions).map((name) => [name, values[name]]))
  return {
    target: positionals[0],
    config: values.config as string | undefined,
    destination,
    hosts,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    quiet: values.quiet === true,
    verbose: values.verbose === true,
    help: values.help === true,
    version: values.version === true,
    flags,
    command,
  }
}

/** A non-negative number of seconds from a string flag, or a usage error naming the flag. */
export function secondsFlag(value: string | boolean | undefined, flag: string, fallback: number): number {
  if (value === undefined || value === false) return fallback
  const seconds = Number(value)
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
    throw new UsageError(`--${flag} takes a number of seconds, got ${argText(String(value))}.`)
  }
  return seconds
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
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`)
  return regex.test(host)
}
