// What a script's run hands to its verb (the runner fills it in; each module under lib/cli/verbs/ reads it), and
// what a verb is. Types only, in a module of their own so the runner and the verbs never import each other.
import type { Deployment } from '../config/deployment.ts'
import type { JudgeContext } from '../drift/verdicts.ts'
import type { StepEngine } from '../flows/engine.ts'
import type { Selection } from '../flows/selection.ts'
import type { CommandObserver } from '../remote/ssh.ts'
import type { Transport } from '../remote/transport.ts'
import type { InvocationContext } from '../report/model.ts'
import type { VerbResult } from '../report/output.ts'
import type { FlagValues, Options, ParsedArgs } from './args.ts'

export interface ScriptIO {
  cwd: string
  env: Record<string, string | undefined>
  /**
   * Text, or bytes as they are (exec); a returned promise settles once the stream has room again (backpressure).
   * It never rejects. Async code awaits it; synchronous callbacks (progress, -v, the report printer, signals,
   * hook output) write with `void`: a slow reader must not hold a host's command or the lock, and main() flushes
   * stdout before the process exits.
   */
  stdout: (chunk: string | Uint8Array) => void | Promise<void>
  stderr: (chunk: string | Uint8Array) => void | Promise<void>
  /** Aborted once stdout's reader has gone (`| head -1`): output that never ends (logs --follow) ends then. */
  stdoutClosed?: AbortSignal
  /** berth's own GitHub workflow commands (annotations), written as they are; in Actions stdout and stderr escape any. */
  annotate?: (text: string) => void
  /** Orchestration tests hand in a fake transport here; scripts reach hosts with the system ssh. */
  transport?: (deployment: Deployment, observe: CommandObserver | undefined) => Transport
  /** How long a rebooted container must stay up; tests shorten it. */
  settleMs?: number
  /** stdout is a terminal (colour, unless NO_COLOR; FORCE_COLOR forces it). */
  isTTY?: boolean
}

/** Where a streaming verb's output goes as it comes (exec's pass-through and sections, logs --follow). */
type StreamSink = Pick<ScriptIO, 'stdout' | 'stderr' | 'stdoutClosed'>

/** What a verb needs to act; nothing about printing (it returns what it found and did, the runner prints it). */
export interface VerbContext<F = Record<string, unknown>> {
  args: ParsedArgs<F>
  /** The one --json decision, made from argv before parsing (exec and logs collect their output for it). */
  json: boolean
  /** The main config file, as given or found. */
  configFile: string
  deployment: Deployment
  selection: Selection[]
  transport: Transport
  /** Runs every remote command of the flows; stops starting new ones after SIGINT/SIGTERM. */
  engine: StepEngine
  /** What verdicts are judged with: the deployment's logging flags, and the registry's answers with --registry. */
  judging: JudgeContext
  invocation: InvocationContext
  /** The deploy lock (Kamal's, on the config's lock host): `around(work)` runs `work` holding it. */
  lock: { around: <T>(work: () => Promise<T>) => Promise<T> }
  /** Asks on the terminal; true at once when `yes`. */
  confirm(question: string, yes: boolean): Promise<boolean>
  /** For exec and logs --follow, whose act is passing output on as it comes. */
  output: StreamSink
  /** How long a rebooted container must stay up; tests shorten it. */
  settleMs?: number
}

export interface Verb<O extends Options = Options> {
  /** The script's file name without `.mjs`. */
  script: string
  usage: string
  summary: string
  options: O
  /** Stops or removes containers: asks first, and refuses without a terminal unless -y. */
  asks?: boolean
  /** false for verbs whose positional is not an accessory (lock status|release). */
  selectsAccessories?: boolean
  /** Changes hosts: what it does is said on stderr as it happens (unless -q). */
  changesHosts?: boolean
  /** Opens a connection of its own (tunnel): no shared connection is started ahead of the flow. */
  opensOwnConnection?: boolean
  /**
   * Sends each host exactly one command (check, details: the read-only round trip): its ssh connects and runs
   * it at once, with no shared connection beside it.
   */
  oneCommandPerHost?: boolean
  /** Runs until a signal (tunnel): the signal is its normal end, exit 0 and said as such, not 128 + its number. */
  endsOnSignal?: boolean
  /** false when this run reaches no host (config; exec --dry-run): no ssh-agent, no connection ahead of the flow. */
  contactsHosts?(args: ParsedArgs<FlagValues<O>>): boolean
  /** The usage error when no positional is given (default: name an accessory, or `all`). */
  noTarget?: string
  /** The positional when none is given (config: all). */
  defaultTarget?: string
  /** Uploads the accessories' `files:` (boot, reboot): a missing local file is a config error (78) for it. */
  uploadsFiles?: boolean
  /** Read-only: a secret that cannot be resolved here is reported as not compared, not a config error. */
  toleratesUnresolvedSecrets?: boolean
  /** Why it refuses `--shard` (a verb that changes hosts needs none: the deploy lock is why). */
  noShard?: string
  /** Checks that need more than one flag (each flag's own value was checked when it was parsed). */
  validate?(args: ParsedArgs<FlagValues<O>>, json: boolean): void
  validateSelection?(args: ParsedArgs<FlagValues<O>>, selection: Selection[]): void | Promise<void>
  /** Its result with nothing in it, for `all` on a config without accessories (default: a report with no entries). */
  emptyResult?(): VerbResult
  run(context: VerbContext<FlagValues<O>>): Promise<VerbResult>
}
