// The one runner every script calls: parse flags, load config, pick accessories, run the verb, print
// its report, and turn every outcome into the documented exit code.
import { loadConfig, ConfigError } from '../config/load.ts'
import { resolveDeployment, type Deployment } from '../config/deployment.ts'
import { checkCommandSizes } from '../flows/command-size-check.ts'
import { StepEngine, type ProgressSink } from '../flows/engine.ts'
import { selectionHosts, type Selection } from '../flows/selection.ts'
import { DeployLock, LockHeldError, lockHostOf } from '../lock/deploy-lock.ts'
import { DEFAULT_HOST_TIMEOUT_SECONDS, DEFAULT_MAX_CONCURRENT_STARTS } from '../remote/connections.ts'
import { printable } from '../remote/quote.ts'
import { SshTransport, type CommandObserver } from '../remote/ssh.ts'
import { AgentError, startAgent, type SshAgent } from '../remote/ssh-agent.ts'
import { EXIT_CONFIG, EXIT_ERROR, EXIT_USAGE, exitCodeForSignal, exitCodeOf } from '../report/exit-codes.ts'
import { scriptCommand } from '../report/messages.ts'
import { execFileSync } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { colourWanted } from '../report/colour.ts'
import { githubAnnotations, githubConfigWarning, githubConfigWarnings, githubStepSummary } from '../report/github.ts'
import type { InvocationContext, ReportEntry } from '../report/model.ts'
import { renderFailureJson, type RunFailureKind } from '../report/failure.ts'
import { renderJson, renderText } from '../report/render.ts'
import {
  COMMON_OPTIONS,
  asksForJson,
  countFlag,
  optionsHelp,
  parseVerbArgs,
  secondsFlag,
  UsageError,
  type OptionSpec,
  type ParsedArgs,
} from './args.ts'
import { requireAnswerable } from './confirm.ts'
import { trapSignals } from './interrupt.ts'
import { hookEnv, hookFile, hookOutputShown, kamalCommand, PRE_CONNECT } from './hook-env.ts'
import { hookExists, localVersion, runHook, type HookOutcome } from './hooks.ts'
import { missingFiles, selectAccessories, skippedWithoutHosts } from './select.ts'
import { VERBS, type Verb } from './verbs.ts'

import type { ScriptIO, VerbContext } from './context.ts'

/** How hosts are reached: every verb takes these (README: "Connections"). */
const CONNECTION_OPTIONS = {
  concurrency: {
    type: 'string',
    description:
      "N  at most N ssh handshakes in flight (default: the config's sshkit.max_concurrent_starts, " +
      `else ${DEFAULT_MAX_CONCURRENT_STARTS})`,
  },
  'host-timeout': {
    type: 'string',
    description:
      'SECONDS  per host: connecting, and each read-only round trip, may take this long ' +
      `(default ${DEFAULT_HOST_TIMEOUT_SECONDS}; 0: no limit)`,
  },
} as const satisfies Record<string, OptionSpec>

/** The verb's own options and the connection options (the common ones are added by parseVerbArgs). */
export function verbOptions(verb: Verb): Record<string, OptionSpec> {
  return { ...verb.options, ...CONNECTION_OPTIONS }
}

export function helpText(verb: Verb): string {
  const options = optionsHelp({ ...verbOptions(verb), ...COMMON_OPTIONS })
  return (
    `Usage: npx zx scripts/${verb.script}.mjs ${verb.usage}\n\n${verb.summary}\n\nOptions:\n${options}\n\n` +
    'Exit codes: 0 in sync or done, 1 error on any host, 2 drift (and nothing failed), 64 usage, 78 invalid config.\n'
  )
}

/** The version in berth's own package.json (next to lib/, wherever lib/ was copied with it). */
function berthVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string })
        .version ?? 'unknown'
    )
  } catch {
    return 'unknown (no package.json beside lib/)'
  }
}

/** Kamal's audit performer: the local git user.email, else the user name. */
function auditPerformer(cwd: string): string {
  try {
    const email = execFileSync('git', ['config', 'user.email'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim()
    if (email) return email
  } catch {
    // no git, or no user.email: the user name, as Kamal's `whoami`
  }
  return os.userInfo().username
}

/** Once per run, before anything else: Kamal 2.12 refuses this config where berth does not look. */
function warnKamalRefuses(refusal: { at: string; kamal: string; fix: string }, io: ScriptIO): void {
  const message =
    `Kamal 2.12 refuses this config ("${refusal.kamal}"), so \`kamal deploy\` fails on it; ` +
    `berth does not use that part of it and carries on. Fix: ${refusal.fix}.`
  void io.stderr(`berth: warning: ${refusal.at}: ${message}\n`)
  if (io.env.GITHUB_ACTIONS === 'true')
    (io.annotate ?? io.stderr)(githubConfigWarning(refusal.at, 'berth: Kamal refuses this config', message))
}

export async function runScript(verbName: string, argv: string[], io: ScriptIO): Promise<number> {
  const verb = VERBS[verbName]
  if (!verb) throw new Error(`unknown verb ${verbName}`)
  let args: ParsedArgs
  let deployment: Deployment
  let selection: Selection[]
  let configFile: string
  let connections: ConnectionSettings
  let hookConfig: HookConfig
  // --json is honoured on every path, even when the flags themselves could not be parsed.
  const wantsJson = asksForJson(argv)
  const failWith = (code: number, kind: RunFailureKind, message: string, problems?: string[]): number => {
    if (wantsJson) void io.stdout(renderFailureJson({ verb: verbName, exitCode: code, kind, message, problems }))
    return code
  }
  /** A run that ends before any host is contacted (64, 78): the job summary says so too, as `finish` does later. */
  const failEarly = (code: number, kind: RunFailureKind, message: string, problems?: string[]): number => {
    const summaryFile = io.env.GITHUB_STEP_SUMMARY
    if (io.env.GITHUB_ACTIONS === 'true' && summaryFile)
      appendFileSync(
        summaryFile,
        githubStepSummary(verbName, [], { accessoryHosts: new Map() }, { exitCode: code, error: message }),
      )
    return failWith(code, kind, message, problems)
  }
  try {
    args = parseVerbArgs(argv, verbOptions(verb))
    if (args.help) {
      await io.stdout(helpText(verb))
      return 0
    }
    if (args.version) {
      await io.stdout(`berth ${berthVersion()}\n`)
      return 0
    }
    args.target ??= verb.defaultTarget
    if (!args.target) throw new UsageError(verb.noTarget ?? 'Name an accessory, or `all`.')
    // checked before any host is contacted, not when the lock is first taken
    if ('lock-wait' in verb.options) secondsFlag(args.flags['lock-wait'], 'lock-wait', 0)
    verb.validate?.(args)
    const concurrencyFlag = countFlag(args.flags.concurrency, 'concurrency')
    const hostTimeoutSeconds = secondsFlag(args.flags['host-timeout'], 'host-timeout', DEFAULT_HOST_TIMEOUT_SECONDS)
    try {
      const loaded = await loadConfig({ file: args.config, destination: args.destination, cwd: io.cwd, env: io.env })
      configFile = loaded.file
      hookConfig = {
        hooksPath: loaded.config.hooks_path,
        hooksOutput: loaded.config.hooks_output,
        secrets: loaded.secrets,
      }
      if (loaded.kamalRefuses) warnKamalRefuses(loaded.kamalRefuses, io)
      deployment = checkCommandSizes(
        loaded,
        resolveDeployment(loaded, {
          cwd: io.cwd,
          env: io.env,
          unresolvedSecrets: verb.toleratesUnresolvedSecrets ? 'allow' : 'error',
          contactsHosts: verb.contactsHosts?.(args) !== false,
        }),
      )
      connections = { maxConcurrentStarts: concurrencyFlag ?? deployment.maxConcurrentStarts, hostTimeoutSeconds }
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      const count = `${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`
      const summary = `Invalid config (${count}); fix it and run again. No host was contacted.`
      await io.stderr(`${error.problems.join('\n')}\n${summary}\n`)
      return failEarly(EXIT_CONFIG, 'config', summary, error.problems)
    }
    if (verb.selectsAccessories !== false && args.target === 'all' && deployment.accessories.length === 0) {
      // an app repository may carry the CI recipe before its first accessory: nothing to do is no failure
      const invocation = {
        configFlag: args.config,
        destination: args.destination,
        accessoryHosts: new Map<string, string[]>(),
      }
      await io.stdout(
        args.json
          ? ((await verb.nothingJson?.(invocation)) ??
              renderJson({ verb: verbName, dryRun: args.dryRun, entries: [] }, invocation))
          : `${configFile} has no accessories, so there is nothing to do.\n`,
      )
      return 0
    }
    selection =
      verb.selectsAccessories === false
        ? []
        : selectAccessories(deployment, args.target, args.hosts, { roles: args.roles, primary: args.primary })
    await verb.validateSelection?.(args, selection)
    const missing = verb.uploadsFiles ? missingFiles(selection) : []
    if (missing.length) {
      const count = `${missing.length} problem${missing.length === 1 ? '' : 's'}`
      const summary = `Invalid config (${count}) for this verb; fix it and run again. No host was contacted.`
      await io.stderr(`${missing.join('\n')}\n${summary}\n`)
      return failWith(EXIT_CONFIG, 'config', summary, missing)
    }
    // Before any host is contacted: nobody could answer the question, so nothing may change.
    if (verb.asks && !args.dryRun) requireAnswerable(args.flags.yes === true, `scripts/${verb.script}.mjs`)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    await io.stderr(`${error.message}\nRun \`npx zx scripts/${verb.script}.mjs --help\` for usage.\n`)
    return failEarly(EXIT_USAGE, 'usage', error.message)
  }

  for (const warning of deployment.warnings) await io.stderr(`berth: ${warning}\n`)
  const skipped = verb.selectsAccessories === false ? [] : skippedWithoutHosts(deployment, args.target)
  for (const { reason } of skipped) await io.stderr(`berth: ${reason}\n`)
  if (io.env.GITHUB_ACTIONS === 'true') (io.annotate ?? io.stderr)(githubConfigWarnings(deployment.warnings))
  // ssh.key_data: a private agent for this run, before any host is contacted (a bad key is a config error)
  let agent: SshAgent | undefined
  if (verb.contactsHosts?.(args) !== false && deployment.sshKeyData.length && !io.transport) {
    try {
      agent = await startAgent(deployment.sshKeyData)
    } catch (error) {
      if (!(error instanceof AgentError)) throw error
      const summary = 'Invalid config (1 problem); fix it and run again. No host was contacted.'
      await io.stderr(`${error.message}\n${summary}\n`)
      return failEarly(EXIT_CONFIG, 'config', summary, [error.message])
    }
  }
  try {
    return await runVerb(
      verbName,
      verb,
      args,
      configFile,
      deployment,
      selection,
      io,
      agent,
      connections,
      hookConfig,
      failWith,
    )
  } finally {
    agent?.stop()
  }
}

async function runVerb(
  verbName: string,
  verb: Verb,
  args: ParsedArgs,
  configFile: string,
  deployment: Deployment,
  selection: Selection[],
  io: ScriptIO,
  agent: SshAgent | undefined,
  connections: ConnectionSettings,
  hookConfig: HookConfig,
  failWith: (code: number, kind: RunFailureKind, message: string, problems?: string[]) => number,
): Promise<number> {
  const observe: CommandObserver | undefined = args.verbose
    ? (host, line, stdinBytes) =>
        void io.stderr(`[${host}] ${printable(line)}${stdinBytes ? `  # stdin: ${stdinBytes} bytes, not shown` : ''}\n`)
    : undefined
  const ssh = agent
    ? {
        ...deployment.ssh,
        agentSocket: agent.socket,
        keys: [...deployment.ssh.keys, ...(deployment.ssh.keysOnly ? agent.publicKeyFiles : [])],
      }
    : deployment.ssh
  const transport = io.transport
    ? io.transport(deployment, observe)
    : new SshTransport(ssh, { observe, ...connections })
  const contactsHosts = verb.contactsHosts?.(args) !== false
  // Kamal's pre-connect hook, if there is one, runs before any host is contacted (below, once signals are trapped)
  const hookToRun =
    contactsHosts && !args.skipHooks ? [hookFile(io.cwd, hookConfig.hooksPath)].find(hookExists) : undefined
  // The hosts are known: without a hook to run first, their ssh handshakes start now, while the rest of the run
  // is set up (the audit performer's `git config`) and the verb's modules load.
  if (contactsHosts && !hookToRun) transport.prepare?.(selectionHosts(selection))
  const invocation: InvocationContext = {
    configFlag: args.config,
    destination: args.destination,
    accessoryHosts: new Map(deployment.accessories.map((a) => [a.name, a.hosts])),
    skipped: verb.selectsAccessories === false ? [] : skippedWithoutHosts(deployment, args.target ?? ''),
  }
  const lockHost = lockHostOf(deployment)
  const performer = auditPerformer(io.cwd)
  const releaseCommand = scriptCommand('lock', 'release', invocation)
  const controller = new AbortController()
  const progress: ProgressSink =
    verb.changesHosts && !args.quiet ? (host, doing) => void io.stderr(`berth: ${host}: ${doing}…\n`) : () => {}
  const engine = new StepEngine(transport, {
    signal: controller.signal,
    progress,
    audit: { service: deployment.service, destination: deployment.destination, performer },
    warn: (text) => void io.stderr(`berth: ${text}\n`),
  })
  const colour = colourWanted(io.env, io.isTTY ?? false)
  const inActions = io.env.GITHUB_ACTIONS === 'true'
  let published: { verb: string; entries: readonly ReportEntry[] } | undefined
  const publish = (reportVerb: string, entries: readonly ReportEntry[]) => {
    if (!inActions) return
    // Workflow commands are read from stderr too, which keeps stdout one JSON document under --json.
    ;(io.annotate ?? io.stderr)(githubAnnotations(reportVerb, entries, invocation))
    published = { verb: reportVerb, entries }
  }
  /** The job summary, written last: it states the exit code the process ends with, and the signal. */
  const finish = (exitCode: number, error?: string): number => {
    const summaryFile = io.env.GITHUB_STEP_SUMMARY
    // Runs that report entries, and any that does not end 0 (a failed `logs`, a held lock, a signal).
    if (inActions && summaryFile && (published || exitCode !== 0)) {
      const end = { exitCode, interrupted: engine.interruptedBy, error }
      appendFileSync(
        summaryFile,
        githubStepSummary(published?.verb ?? verbName, published?.entries ?? [], invocation, end),
      )
    }
    return exitCode
  }
  const locks: DeployLock[] = []
  const context: VerbContext = {
    verb,
    args,
    configFile,
    deployment,
    selection,
    transport,
    engine,
    judging: { loggingArgs: deployment.loggingArgs },
    io,
    invocation,
    withLock: (work) => {
      if (!lockHost) return work()
      const lock = new DeployLock({
        transport,
        lockHost,
        service: deployment.service,
        destination: deployment.destination,
        message: `${verb.script} ${args.target}`,
        waitSeconds: secondsFlag(args.flags['lock-wait'], 'lock-wait', 0),
        releaseCommand,
        signal: controller.signal,
        onWait: (message) => progress(lockHost.host, message),
      })
      locks.push(lock)
      return lock.around(work)
    },
    printReport: (report) => {
      const final = engine.interruptedBy ? { ...report, interrupted: engine.interruptedBy } : report
      publish(report.verb, final.entries)
      void io.stdout(
        args.json ? renderJson(final, invocation) : renderText(final, invocation, { quiet: args.quiet, colour }),
      )
      return exitCodeOf(final)
    },
    publish,
    colour,
  }
  const untrap = trapSignals(controller, (text) => void io.stderr(text), `release it with \`${releaseCommand}\``)
  try {
    if (hookToRun) {
      // lock verbs contact only the lock host
      const hosts = verb.selectsAccessories === false ? (lockHost ? [lockHost.host] : []) : selectionHosts(selection)
      const hook = await preConnectHook(
        hookToRun,
        verb,
        args,
        deployment,
        hosts,
        performer,
        hookConfig,
        io,
        controller.signal,
      )
      if (!hook.ok) {
        if (!hook.message) return hook.exitCode
        await io.stderr(`berth: ${hook.message}\n`)
        return failWith(hook.exitCode, 'hook', hook.message)
      }
      transport.prepare?.(selectionHosts(selection))
    }
    if (args.flags.registry === true) {
      const { askRegistries } = await import('../flows/ask-registries.ts')
      context.judging = { ...context.judging, registry: await askRegistries(selection, engine) }
    }
    const code = await verb.run(context)
    const releaseErrors = locks.flatMap((lock) => (lock.releaseError ? [lock.releaseError] : []))
    for (const error of releaseErrors) await io.stderr(`berth: ${error.message}\n`)
    if (engine.interruptedBy) return finish(exitCodeForSignal(engine.interruptedBy))
    return finish(releaseErrors.length ? EXIT_ERROR : code, releaseErrors.map((e) => e.message).join(' ') || undefined)
  } catch (error) {
    if (error instanceof UsageError) {
      await io.stderr(`${error.message}\n`)
      return finish(failWith(EXIT_USAGE, 'usage', error.message), error.message)
    }
    const message = error instanceof Error ? error.message : String(error)
    await io.stderr(`berth: ${message}\n`)
    const kind: RunFailureKind = error instanceof LockHeldError || /deploy lock/.test(message) ? 'lock' : 'error'
    const code = engine.interruptedBy ? exitCodeForSignal(engine.interruptedBy) : EXIT_ERROR
    return finish(failWith(code, kind, message), message)
  } finally {
    // After the last command (the lock's release included): every shared connection ends, its socket goes.
    await transport.close?.()
    untrap()
  }
}

/** What the pre-connect hook needs from the loaded config: where hooks are, how loud, and the secrets. */
interface HookConfig {
  hooksPath: unknown
  hooksOutput: unknown
  secrets: Record<string, string>
}

/** Runs `<hooks_path>/pre-connect` (`file`) with Kamal's variables for this run. */
async function preConnectHook(
  file: string,
  verb: Verb,
  args: ParsedArgs,
  deployment: Deployment,
  hosts: string[],
  performer: string,
  hookConfig: HookConfig,
  io: ScriptIO,
  signal: AbortSignal,
): Promise<HookOutcome> {
  const env = hookEnv({
    now: new Date(),
    performer,
    service: deployment.service,
    destination: deployment.destination,
    version: localVersion(io.cwd, io.env),
    hosts,
    roles: args.roles,
    knownRoles: deployment.roles.map((r) => r.name),
    // before the first connection no lock can be held yet
    lock: false,
    ...kamalCommand(verb.script, verb.selectsAccessories === false ? args.target : undefined),
    secrets: hookConfig.secrets,
  })
  const showOutput = hookOutputShown(hookConfig.hooksOutput, PRE_CONNECT, args)
  return runHook({ file, cwd: io.cwd, env: { ...io.env, ...env }, showOutput, stderr: io.stderr, signal })
}

/** How hosts are reached in this run: `--concurrency` or `sshkit.max_concurrent_starts`, and `--host-timeout`. */
interface ConnectionSettings {
  /** Unset: the transport's default (Kamal's 30). */
  maxConcurrentStarts: number | undefined
  hostTimeoutSeconds: number
}
