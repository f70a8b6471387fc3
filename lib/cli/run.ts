// The one runner every script calls: parse flags, load config, pick accessories, run the verb, print
// its report, and turn every outcome into the documented exit code.
import { loadConfig, ConfigError } from '../config/load.ts'
import { resolveDeployment, type Deployment } from '../config/model.ts'
import type { Selection } from '../flows/selection.ts'
import { DeployLock } from '../lock/deploy-lock.ts'
import { SshTransport } from '../remote/ssh.ts'
import type { Transport } from '../remote/transport.ts'
import { EXIT_CONFIG, EXIT_ERROR, EXIT_USAGE, exitCodeFor } from '../report/exit-codes.ts'
import { scriptCommand } from '../report/messages.ts'
import type { InvocationContext, Report } from '../report/model.ts'
import { renderJson, renderText } from '../report/render.ts'
import { COMMON_OPTIONS, optionsHelp, parseVerbArgs, secondsFlag, UsageError, type ParsedArgs } from './args.ts'
import { requireAnswerable } from './confirm.ts'
import { selectAccessories } from './select.ts'
import { VERBS, type Verb } from './verbs.ts'

export interface ScriptIO {
  cwd: string
  env: Record<string, string | undefined>
  stdout: (text: string) => void
  stderr: (text: string) => void
}

export interface VerbContext {
  verb: Verb
  args: ParsedArgs
  deployment: Deployment
  selection: Selection[]
  transport: Transport
  io: ScriptIO
  invocation: InvocationContext
  /** Runs `work` under the deploy lock (Kamal's, on the primary host). */
  withLock<T>(work: () => Promise<T>): Promise<T>
  /** Prints a report as text or JSON and returns its exit code. */
  printReport(report: Report): number
}

export function helpText(verb: Verb): string {
  return `Usage: npx zx scripts/${verb.script}.mjs ${verb.usage}\n\n${verb.summary}\n\nOptions:\n${optionsHelp({ ...verb.options, ...COMMON_OPTIONS })}\n\n` +
    'Exit codes: 0 in sync or done, 1 error on any host, 2 drift (and nothing failed), 64 usage, 78 invalid config.\n'
}

/** Kamal's primary host: the primary role's first host; for accessory-only configs, the first host of the run. */
export function lockHost(deployment: Deployment, selection: Selection[]): string | undefined {
  return deployment.primaryHost ?? selection[0]?.accessory.hosts[0]
}

export async function runScript(verbName: string, argv: string[], io: ScriptIO): Promise<number> {
  const verb = VERBS[verbName]
  if (!verb) throw new Error(`unknown verb ${verbName}`)
  let args: ParsedArgs
  let deployment: Deployment
  let selection: Selection[]
  try {
    args = parseVerbArgs(argv, verb.options)
    if (args.help) {
      io.stdout(helpText(verb))
      return 0
    }
    if (!args.target) throw new UsageError(`Name an accessory, or \`all\`.`)
    // checked before any host is contacted, not when the lock is first taken
    if ('lock-wait' in verb.options) secondsFlag(args.flags['lock-wait'], 'lock-wait', 0)
    verb.validate?.(args)
    try {
      const loaded = await loadConfig({ file: args.config, destination: args.destination, cwd: io.cwd, env: io.env })
      deployment = resolveDeployment(loaded, { cwd: io.cwd, env: io.env })
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      io.stderr(`${error.problems.join('\n')}\n`)
      io.stderr(`Invalid config (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}); fix it and run again. No host was contacted.\n`)
      return EXIT_CONFIG
    }
    selection = verb.selectsAccessories === false ? [] : selectAccessories(deployment, args.target, args.hosts)
    verb.validateSelection?.(args, selection)
    // Before any host is contacted: nobody could answer the question, so nothing may change.
    if (verb.asks && !args.dryRun) requireAnswerable(args.flags.yes === true, `scripts/${verb.script}.mjs`)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.stderr(`${error.message}\nRun \`npx zx scripts/${verb.script}.mjs --help\` for usage.\n`)
    return EXIT_USAGE
  }

  const transport = new SshTransport(deployment.ssh, {
    observe: args.verbose
      ? (host, line, stdinBytes) => io.stderr(`[${host}] ${line}${stdinBytes ? `  # stdin: ${stdinBytes} bytes, not shown` : ''}\n`)
      : undefined,
  })
  const invocation: InvocationContext = {
    configFlag: args.config,
    destination: args.destination,
    accessoryHosts: new Map(deployment.accessories.map((a) => [a.name, a.hosts])),
  }
  const host = lockHost(deployment, selection)
  const locks: DeployLock[] = []
  const context: VerbContext = {
    verb,
    args,
    deployment,
    selection,
    transport,
    io,
    invocation,
    withLock: (work) => {
      if (!host) return work()
      const lock = new DeployLock({
        transport,
        host,
        service: deployment.service,
        destination: deployment.destination,
        message: `${verb.script} ${args.target}`,
        waitSeconds: secondsFlag(args.flags['lock-wait'], 'lock-wait', 0),
        releaseCommand: scriptCommand('lock', 'release', invocation),
      })
      locks.push(lock)
      return lock.around(work)
    },
    printReport: (report) => {
      io.stdout(args.json ? renderJson(report, invocation) : renderText(report, invocation, { quiet: args.quiet }))
      return exitCodeFor(report.entries)
    },
  }
  try {
    const code = await verb.run(context)
    const releaseErrors = locks.flatMap((lock) => (lock.releaseError ? [lock.releaseError] : []))
    for (const error of releaseErrors) io.stderr(`berth: ${error.message}\n`)
    return releaseErrors.length ? EXIT_ERROR : code
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n`)
      return EXIT_USAGE
    }
    io.stderr(`berth: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT_ERROR
  }
}
