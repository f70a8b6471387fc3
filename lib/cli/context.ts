// What a script's run hands to its verb (the runner fills it in; lib/cli/verbs.ts reads it). Types only, in a
// module of their own so the runner and the verb table never import each other.
import type { Deployment } from '../config/deployment.ts'
import type { JudgeContext } from '../drift/verdicts.ts'
import type { StepEngine } from '../flows/engine.ts'
import type { Selection } from '../flows/selection.ts'
import type { CommandObserver } from '../remote/ssh.ts'
import type { Transport } from '../remote/transport.ts'
import type { InvocationContext, Report, ReportEntry } from '../report/model.ts'
import type { OptionSpec, ParsedArgs } from './args.ts'

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

export interface VerbContext {
  verb: Verb
  args: ParsedArgs
  /** The main config file, as given or found. */
  configFile: string
  deployment: Deployment
  selection: Selection[]
  transport: Transport
  /** Runs every remote command of the flows; stops starting new ones after SIGINT/SIGTERM. */
  engine: StepEngine
  /** What verdicts are judged with: the deployment's logging flags, and the registry's answers with --registry. */
  judging: JudgeContext
  io: ScriptIO
  invocation: InvocationContext
  /** Runs `work` under the deploy lock (Kamal's, on the config's lock host). */
  withLock<T>(work: () => Promise<T>): Promise<T>
  /** Prints a report as text or JSON and returns its exit code. */
  printReport(report: Report): number
  /** Hands a run's entries to CI: annotations and the job summary under GitHub Actions. */
  publish(verb: string, entries: readonly ReportEntry[]): void
  /** Text output may use colour. */
  colour: boolean
}

export interface Verb {
  /** The script's file name without `.mjs`. */
  script: string
  usage: string
  summary: string
  options: Record<string, OptionSpec>
  /** Stops or removes containers: asks first, and refuses without a terminal unless -y. */
  asks?: boolean
  /** false for verbs whose positional is not an accessory (lock status|release). */
  selectsAccessories?: boolean
  /** Changes hosts: what it does is said on stderr as it happens (unless -q). */
  changesHosts?: boolean
  /** false when this run reaches no host (config; exec --dry-run): no ssh-agent, no connection ahead of the flow. */
  contactsHosts?(args: ParsedArgs): boolean
  /** The usage error when no positional is given (default: name an accessory, or `all`). */
  noTarget?: string
  /** The positional when none is given (config: all). */
  defaultTarget?: string
  /** Uploads the accessories' `files:` (boot, reboot): a missing local file is a config error (78) for it. */
  uploadsFiles?: boolean
  /** Read-only: a secret that cannot be resolved here is reported as not compared, not a config error. */
  toleratesUnresolvedSecrets?: boolean
  validate?(args: ParsedArgs): void
  validateSelection?(args: ParsedArgs, selection: Selection[]): void | Promise<void>
  /** `--json` for `all` on a config without accessories (default: the report of a run with no entries). */
  nothingJson?(invocation: InvocationContext): Promise<string>
  run(context: VerbContext): Promise<number>
}
