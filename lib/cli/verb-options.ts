// The options several verbs share (how hosts are reached, the deploy lock's wait, -y, --registry) and each
// verb's --help, generated from its option table (lib/cli/help.generated.mjs is written from it).
import { DEFAULT_HOST_TIMEOUT_SECONDS, DEFAULT_MAX_CONCURRENT_STARTS } from '../remote/connections.ts'
import {
  booleanOption,
  COMMON_OPTIONS,
  countOption,
  optionsHelp,
  secondsOption,
  type FlagValues,
  type Options,
  type ParsedArgs,
} from './args.ts'
import type { Verb } from './context.ts'

/** How hosts are reached: every verb takes these (README: "Connections"). */
export const CONNECTION_OPTIONS = {
  concurrency: countOption(
    "N  at most N ssh handshakes in flight (default: the config's sshkit.max_concurrent_starts, " +
      `else ${DEFAULT_MAX_CONCURRENT_STARTS})`,
  ),
  'host-timeout': secondsOption(
    'SECONDS  per host: connecting, and each read-only round trip, may take this long ' +
      `(default ${DEFAULT_HOST_TIMEOUT_SECONDS}; 0: no limit)`,
    DEFAULT_HOST_TIMEOUT_SECONDS,
  ),
} satisfies Options

export const YES_OPTION = booleanOption('do not ask for confirmation', 'y')
export const REGISTRY_OPTION = booleanOption(
  'also ask the registry (once per image, from here) whether the tag now names another image than the running one',
)
export const LOCK_WAIT_OPTION = secondsOption(
  'SECONDS  wait this long for a deploy lock held by another run (default 0)',
  0,
)

/** A run's parsed command line: any verb's flags, and the connection flags every verb has. */
export type RunArgs = ParsedArgs<FlagValues<Options & typeof CONNECTION_OPTIONS>>

/** The verb's own options and the connection options (the common ones are added by parseVerbArgs). */
export function verbOptions<O extends Options>(verb: Verb<O>): O & typeof CONNECTION_OPTIONS {
  return { ...verb.options, ...CONNECTION_OPTIONS }
}

export function helpText(verb: Verb): string {
  const options = optionsHelp({ ...verbOptions(verb), ...COMMON_OPTIONS })
  return (
    `Usage: npx zx scripts/${verb.script}.mjs ${verb.usage}\n\n${verb.summary}\n\nOptions:\n${options}\n\n` +
    'Exit codes: 0 in sync or done, 1 error on any host, 2 drift (and nothing failed), 64 usage, 78 invalid config.\n'
  )
}
