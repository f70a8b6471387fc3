// accessory-exec: a command in the accessories' containers (docker exec), or in a fresh one (docker run --rm),
// on each selected host. Its act is its output: passed through as it comes (lib/cli/exec-output.ts), or
// collected for --json. The flow is lib/flows/exec.ts.
import { booleanOption, UsageError } from '../args.ts'
import type { Verb } from '../context.ts'

const options = { new: booleanOption('run in a new container instead of the running one') }

export const execVerb: Verb<typeof options> = {
  script: 'accessory-exec',
  usage: 'NAME|all [--new] [options] -- COMMAND [ARG...]',
  summary:
    'Runs a command in the running container of accessories (docker exec), or with --new in a fresh\n' +
    'container of the configured image (docker run --rm), on each selected host. Takes no lock, as Kamal.',
  options,
  noShard:
    'accessory-exec runs whatever command you give, which may change hosts, and its output is for a person ' +
    '(narrow it with --hosts instead)',
  emptyResult: () => ({ kind: 'exec', results: [] }),
  contactsHosts: (args) => !args.dryRun,
  validate(args) {
    if (args.command.length === 0)
      throw new UsageError("Give the command after `--`, e.g. `accessory-exec.mjs db -- psql -c 'select 1'`.")
  },
  async validateSelection(args, selection) {
    const [{ planExec }, { shellJoin }, { MAX_REMOTE_COMMAND_BYTES }] = await Promise.all([
      import('../../flows/exec.ts'),
      import('../../remote/quote.ts'),
      import('../../remote/ssh.ts'),
    ])
    for (const { accessory } of selection) {
      const last = planExec(accessory, args.command, args.flags.new).at(-1)!
      const bytes = Buffer.byteLength(shellJoin(last.command.argv))
      if (bytes > MAX_REMOTE_COMMAND_BYTES) {
        throw new UsageError(
          `\`${last.description}\` with this command would be ${bytes} bytes, ` +
            `more than the ${MAX_REMOTE_COMMAND_BYTES} one remote command line carries; ` +
            'put the command in a script in the container instead.',
        )
      }
    }
  },
  async run({ selection, engine, args, json, output }) {
    const [{ execOnHosts, planExecReport }, { collected, passThrough, sections }] = await Promise.all([
      import('../../flows/exec.ts'),
      import('../exec-output.ts'),
    ])
    const { command, dryRun, quiet, flags } = args
    if (dryRun) return { kind: 'report', report: planExecReport(selection, command, flags.new) }
    if (json) {
      const collecting = collected()
      await execOnHosts(selection, engine, command, flags.new, collecting)
      return { kind: 'exec', results: collecting.results }
    }
    const one = selection.length === 1 && selection[0]!.hosts.length === 1
    const results = await execOnHosts(
      selection,
      engine,
      command,
      flags.new,
      one ? passThrough(output) : sections(output, quiet),
    )
    return { kind: 'exec', results }
  },
}
