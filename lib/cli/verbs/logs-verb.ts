// accessory-logs: each container's log per accessory and host, or one followed on one host. Read-only. The flow
// is lib/flows/logs.ts; the flags are lib/cli/logs-flags.ts's.
import { UsageError } from '../args.ts'
import type { Verb } from '../context.ts'
import { followTarget, LOGS_OPTIONS, logsOptions } from '../logs-flags.ts'

export const logsVerb: Verb<typeof LOGS_OPTIONS> = {
  script: 'accessory-logs',
  usage: 'NAME|all [--since D] [--lines N] [--grep TEXT] [--follow] [options]',
  summary:
    "Prints the containers' logs, per accessory and host (100 lines unless --since or --grep), or follows\n" +
    "one container's log on one host. Read-only.",
  options: LOGS_OPTIONS,
  noShard:
    'accessory-logs prints lines for a person to read, not a verdict CI can merge (narrow it with --hosts instead)',
  validate(args, json) {
    if (args.flags.follow && json)
      throw new UsageError('--follow prints lines as they come; it cannot be combined with --json.')
  },
  validateSelection: (args, selection) => void (args.flags.follow && followTarget(selection)),
  emptyResult: () => ({ kind: 'logs', logs: [] }),
  async run({ selection, engine, args, output }) {
    const { followLogs, readLogs } = await import('../../flows/logs.ts')
    const options = logsOptions(args.flags)
    if (options.follow)
      return { kind: 'streamed', ...(await followLogs(followTarget(selection), engine, options, output)) }
    return { kind: 'logs', logs: await readLogs(selection, engine, options) }
  },
}
