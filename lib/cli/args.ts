// Command-line flags, parsed strictly: an unknown flag or a missing value is a usage error (exit 64).
import { parseArgs } from 'node:util'

export interface CommonOptions {
  target?: string
  config?: string
  destination?: string
  hosts?: string[]
  dryRun: boolean
  json: boolean
  quiet: boolean
  verbose: boolean
  help: boolean
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  destination: { type: 'string', short: 'd' },
  hosts: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const

export function parseCommonArgs(argv: string[]): CommonOptions {
  let parsed
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify .*$/s, '')}.`)
  }
  const { values, positionals } = parsed
  if (positionals.length > 1) throw new UsageError(`Expected one accessory name or \`all\`, got ${positionals.length}: ${positionals.join(' ')}.`)
  if (values.quiet && values.verbose) throw new UsageError('Use either -q/--quiet or -v/--verbose, not both.')
  const hosts = values.hosts?.split(',').map((h) => h.trim()).filter(Boolean)
  if (values.hosts !== undefined && !hosts?.length) throw new UsageError('--hosts needs at least one host, e.g. --hosts 10.0.0.5,10.0.0.6.')
  return {
    target: positionals[0],
    config: values.config,
    destination: values.destination,
    hosts,
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
    quiet: values.quiet ?? false,
    verbose: values.verbose ?? false,
    help: values.help ?? false,
  }
}

/** `File.fnmatch`-style host patterns: `*` and `?`. */
export function hostMatches(pattern: string, host: string): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')}$`)
  return regex.test(host)
}
