// The options several verbs share (how hosts are reached, the deploy lock's wait, -y, --registry) and each
// verb's --help, generated from its option table (lib/cli/help.generated.mjs is written from it).
import { DEFAULT_HOST_TIMEOUT_SECONDS, DEFAULT_MAX_CONCURRENT_STARTS } from '../remote/connections.ts'
import {
  booleanOption,
  COMMON_OPTIONS,
  countOption,
  optionsHelp,
  refusedOption,
  secondsOption,
  shardOption,
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

/** Read-only verbs that report a verdict per host (check, details) take `--shard`; every other verb refuses it. */
export const SHARD_OPTION = shardOption(
  'K/N  only shard K of N of the selected hosts (a stable split by host name), for N parallel CI jobs',
)

/** Why a verb without SHARD_OPTION refuses `--shard`: its own `noShard`, or, for one that changes hosts, the lock. */
function shardRefusal(verb: Verb): string {
  const why = verb.changesHosts
    ? `${verb.script} changes hosts under Kamal's deploy lock, which one run per config takes`
    : (verb.noShard ?? `${verb.script} has no per-host verdict to split`)
  return (
    '--shard splits the read-only accessory-check and accessory-details across parallel CI jobs; ' +
    `${why}: run it once, without --shard.`
  )
}

/** The options every verb parses beside its own: the connection flags, and `--shard` (taken or refused). */
type RunOptions = typeof CONNECTION_OPTIONS & { shard: typeof SHARD_OPTION }

/** A run's parsed command line: any verb's flags, the connection flags and --shard every verb parses. */
export type RunArgs = ParsedArgs<FlagValues<Options & RunOptions>>

/** The verb's own options, the connection options and --shard (the common ones are added by parseVerbArgs). */
export function verbOptions<O extends Options>(verb: Verb<O>): O & RunOptions {
  const shard = 'shard' in verb.options ? SHARD_OPTION : refusedOption('', shardRefusal(verb as Verb))
  return { ...verb.options, ...CONNECTION_OPTIONS, shard }
}

export function helpText(verb: Verb): string {
  // a refused --shard is parsed (to say why) but not offered
  const options = optionsHelp({ ...verb.options, ...CONNECTION_OPTIONS, ...COMMON_OPTIONS })
  return (
    `Usage: npx zx scripts/${verb.script}.mjs ${verb.usage}\n\n${verb.summary}\n\nOptions:\n${options}\n\n` +
    'Exit codes: 0 in sync or done, 1 error on any host, 2 drift (and nothing failed), 64 usage, 78 invalid config.\n'
  )
}
