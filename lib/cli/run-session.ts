// The runner's phases once a run is prepared (flags parsed, config loaded, accessories selected): start the
// ssh-agent, the transport, the step engine and the signal trap; run the pre-connect hook; run the verb; and
// hand how it ended to `finish`, which prints it and returns the exit code (lib/cli/run.ts).
import type { Deployment } from '../config/deployment.ts'
import { skippedWithoutHosts } from '../config/preflight.ts'
import { StepEngine, type ProgressSink } from '../flows/engine.ts'
import { selectionHosts, type Selection } from '../flows/selection.ts'
import type { DeployLock } from '../lock/deploy-lock.ts'
import { setMaxListeners } from 'node:events'
import { printable } from '../remote/quote.ts'
import { SshTransport, type CommandObserver } from '../remote/ssh.ts'
import { AgentError, startAgent, type SshAgent } from '../remote/ssh-agent.ts'
import type { Transport } from '../remote/transport.ts'
import { githubConfigWarnings } from '../report/github.ts'
import { scriptCommand } from '../report/messages.ts'
import type { InvocationContext } from '../report/model.ts'
import type { RunEnding } from '../report/output.ts'
import { UsageError } from './args.ts'
import { confirm } from './confirm.ts'
import type { ScriptIO, Verb, VerbContext } from './context.ts'
import { hookFile } from './hook-env.ts'
import { hookExists } from './hooks.ts'
import { trapSignals } from './interrupt.ts'
import { auditPerformer, preConnectHook, type HookConfig } from './pre-connect.ts'
import type { RunArgs } from './verb-options.ts'

/** A run ready to contact hosts. */
export interface PreparedRun {
  verb: Verb
  args: RunArgs
  json: boolean
  configFile: string
  deployment: Deployment
  selection: Selection[]
  connections: ConnectionSettings
  hookConfig: HookConfig
}

/** How hosts are reached in this run: `--concurrency` or `sshkit.max_concurrent_starts`, and `--host-timeout`. */
interface ConnectionSettings {
  /** Unset: the transport's default (Kamal's 30). */
  maxConcurrentStarts: number | undefined
  hostTimeoutSeconds: number
}

type Finish = (ending: RunEnding, invocation?: InvocationContext) => Promise<number>

export async function runSession(run: PreparedRun, io: ScriptIO, finish: Finish): Promise<number> {
  warnAboutConfig(run, io)
  let agent: SshAgent | undefined
  try {
    agent = await keyDataAgent(run, io)
  } catch (error) {
    if (!(error instanceof AgentError)) throw error
    const summary = 'Invalid config (1 problem); fix it and run again. No host was contacted.'
    const failure = { kind: 'config' as const, message: summary, problems: [error.message] }
    return finish({ failure, stderr: `${error.message}\n${summary}\n`, summary: true })
  }
  try {
    return await contactHosts(run, io, agent, finish)
  } finally {
    agent?.stop()
  }
}

/** The config's warnings, and the accessories `all` skips, on stderr (and as annotations under GitHub Actions). */
function warnAboutConfig({ verb, args, deployment }: PreparedRun, io: ScriptIO): void {
  for (const warning of deployment.warnings) void io.stderr(`berth: ${warning}\n`)
  const skipped = verb.selectsAccessories === false ? [] : skippedWithoutHosts(deployment, args.target ?? '')
  for (const { reason } of skipped) void io.stderr(`berth: ${reason}\n`)
  if (io.env.GITHUB_ACTIONS === 'true') (io.annotate ?? io.stderr)(githubConfigWarnings(deployment.warnings))
}

const contacts = (run: PreparedRun) => run.verb.contactsHosts?.(run.args) !== false
/**
 * Hosts whose shared connections are started ahead of the verb: none for a verb with a connection of its own (a
 * transport that shares none, for a verb that sends each host one command, starts nothing for them).
 */
const sharedHosts = (run: PreparedRun) => (run.verb.opensOwnConnection ? [] : selectionHosts(run.selection))

/** ssh.key_data: a private agent for this run, before any host is contacted (a bad key is a config error). */
async function keyDataAgent(run: PreparedRun, io: ScriptIO): Promise<SshAgent | undefined> {
  if (!contacts(run) || !run.deployment.sshKeyData.length || io.transport) return undefined
  return startAgent(run.deployment.sshKeyData)
}

function openTransport(run: PreparedRun, io: ScriptIO, agent: SshAgent | undefined): Transport {
  const { deployment, args } = run
  const observe: CommandObserver | undefined = args.verbose
    ? (host, line, stdinBytes) =>
        void io.stderr(`[${host}] ${printable(line)}${stdinBytes ? `  # stdin: ${stdinBytes} bytes, not shown` : ''}\n`)
    : undefined
  if (io.transport) return io.transport(deployment, observe)
  const ssh = agent
    ? {
        ...deployment.ssh,
        agentSocket: agent.socket,
        keys: [...deployment.ssh.keys, ...(deployment.ssh.keysOnly ? agent.publicKeyFiles : [])],
      }
    : deployment.ssh
  return new SshTransport(ssh, { observe, ...run.connections, sharesConnections: !run.verb.oneCommandPerHost })
}

/** Who ran what, for fix commands in messages: the config and destination as given, each accessory's hosts. */
function invocationOf({ verb, args, deployment }: PreparedRun): InvocationContext {
  return {
    configFlag: args.config,
    destination: args.destination,
    accessoryHosts: new Map(deployment.accessories.map((a) => [a.name, a.hosts])),
    skipped: verb.selectsAccessories === false ? [] : skippedWithoutHosts(deployment, args.target ?? ''),
    ...(args.flags.shard ? { shard: args.flags.shard } : {}),
  }
}

/** Everything that lives while hosts are contacted: transport, engine, lock, signal trap. */
interface Session {
  transport: Transport
  engine: StepEngine
  controller: AbortController
  invocation: InvocationContext
  /** Kamal's audit performer (a synchronous `git config`), asked only when an audit line or the hook needs it. */
  performer: () => string
  locks: DeployLock[]
  progress: ProgressSink
  releaseCommand: string
}

async function contactHosts(run: PreparedRun, io: ScriptIO, agent: SshAgent | undefined, finish: Finish) {
  const transport = openTransport(run, io, agent)
  // Kamal's pre-connect hook, if there is one, runs before any host is contacted (below, once signals are trapped)
  const hook =
    contacts(run) && !run.args.skipHooks ? [hookFile(io.cwd, run.hookConfig.hooksPath)].find(hookExists) : undefined
  // The hosts are known: without a hook to run first, their ssh handshakes start now, while the rest of the run
  // is set up and the verb's modules load.
  if (contacts(run) && !hook) transport.prepare?.(sharedHosts(run))
  const session = startSession(run, io, transport)
  const untrap = trapSignals(session.controller, (text) => void io.stderr(text), {
    releaseHint: `release it with \`${session.releaseCommand}\``,
    closing: run.verb.endsOnSignal ? 'closing the tunnel' : undefined,
  })
  try {
    return await finish(await runVerb(run, io, session, hook), session.invocation)
  } finally {
    // After the last command (the lock's release included): every shared connection ends, its socket goes.
    await transport.close?.()
    untrap()
  }
}

function startSession(run: PreparedRun, io: ScriptIO, transport: Transport): Session {
  const { verb, args, deployment } = run
  const invocation = invocationOf(run)
  let asked: string | undefined
  const performer = () => (asked ??= auditPerformer(io.cwd))
  const controller = new AbortController()
  // One abort listener per host and step is normal at 200 hosts: not a leak for Node to warn about.
  setMaxListeners(0, controller.signal)
  const progress: ProgressSink =
    verb.changesHosts && !args.quiet ? (host, doing) => void io.stderr(`berth: ${host}: ${doing}…\n`) : () => {}
  const engine = new StepEngine(transport, {
    signal: controller.signal,
    progress,
    audit: {
      service: deployment.service,
      destination: deployment.destination,
      get performer() {
        return performer()
      },
    },
    warn: (text) => void io.stderr(`berth: ${text}\n`),
  })
  const releaseCommand = scriptCommand('lock', 'release', invocation)
  return { transport, engine, controller, invocation, performer, locks: [], progress, releaseCommand }
}

/** `--lock-wait`'s seconds, for the verbs that have it (parsed with the other flags); 0 for the rest. */
const lockWait = (seconds: unknown) => (typeof seconds === 'number' ? seconds : 0)

/**
 * The deploy lock on the config's lock host, taken around `work` (every lock taken is kept for its release error);
 * its module loads only for verbs that take it.
 */
function deployLock(run: PreparedRun, session: Session): VerbContext['lock'] {
  return {
    around: async (work) => {
      const { DeployLock, lockHostOf } = await import('../lock/deploy-lock.ts')
      const lockHost = lockHostOf(run.deployment)
      if (!lockHost) return work()
      const lock = new DeployLock({
        transport: session.transport,
        lockHost,
        service: run.deployment.service,
        destination: run.deployment.destination,
        message: `${run.verb.script} ${run.args.target}`,
        waitSeconds: lockWait(run.args.flags['lock-wait']),
        releaseCommand: session.releaseCommand,
        signal: session.controller.signal,
        onWait: (message) => session.progress(lockHost.host, message),
      })
      session.locks.push(lock)
      return lock.around(work)
    },
  }
}

/** The hook (if any), the registry's answers (--registry), then the verb: how the run ended. */
async function runVerb(run: PreparedRun, io: ScriptIO, session: Session, hook: string | undefined): Promise<RunEnding> {
  const { engine } = session
  try {
    if (hook) {
      const ended = await runPreConnect(run, io, session, hook)
      if (ended) return ended
    }
    const context = verbContext(run, io, session)
    if (run.args.flags.registry === true) {
      const { askRegistries } = await import('../flows/ask-registries.ts')
      context.judging = { ...context.judging, registry: await askRegistries(run.selection, engine) }
    }
    const result = await run.verb.run(context)
    const releaseErrors = session.locks.flatMap((lock) => (lock.releaseError ? [lock.releaseError.message] : []))
    // a verb that runs until a signal ended as it should (its result says how)
    return { result, interrupted: run.verb.endsOnSignal ? undefined : engine.interruptedBy, releaseErrors }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    const interrupted = engine.interruptedBy
    if (error instanceof UsageError)
      return { failure: { kind: 'usage', message }, stderr: `${message}\n`, interrupted, summary: true }
    const kind =
      (error instanceof Error && error.name === 'LockHeldError') || /deploy lock/.test(message) ? 'lock' : 'error'
    return { failure: { kind, message }, stderr: `berth: ${message}\n`, interrupted, summary: true }
  }
}

/** Runs the pre-connect hook; a failed or interrupted hook ends the run before any host is contacted. */
async function runPreConnect(
  run: PreparedRun,
  io: ScriptIO,
  session: Session,
  hook: string,
): Promise<RunEnding | undefined> {
  const { lockHostOf } = await import('../lock/deploy-lock.ts')
  const lockHost = lockHostOf(run.deployment)
  // lock verbs contact only the lock host
  const hosts =
    run.verb.selectsAccessories === false ? (lockHost ? [lockHost.host] : []) : selectionHosts(run.selection)
  const outcome = await preConnectHook(hook, run, hosts, session.performer(), io, session.controller.signal)
  if (!outcome.ok) {
    if (!outcome.message) return { hookInterrupted: String(session.controller.signal.reason) }
    const message = outcome.message
    return { failure: { kind: 'hook', message }, stderr: `berth: ${message}\n`, summary: false }
  }
  session.transport.prepare?.(sharedHosts(run))
  return undefined
}

function verbContext(run: PreparedRun, io: ScriptIO, session: Session): VerbContext {
  const { args, json, configFile, deployment, selection } = run
  return {
    args,
    json,
    configFile,
    deployment,
    selection,
    transport: session.transport,
    engine: session.engine,
    judging: { loggingArgs: deployment.loggingArgs },
    invocation: session.invocation,
    lock: deployLock(run, session),
    confirm,
    output: io,
    settleMs: io.settleMs,
  }
}
