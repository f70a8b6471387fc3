// accessory-exec: one command per accessory × host, in the running container (`docker exec`) or in a
// fresh one (Kamal's execute_in_new_container). No lock, as Kamal. Every word of the command is quoted
// by the one quoting function, so it arrives as typed (Kamal joins the words for the remote shell instead).
import { AUDIT } from '../audit/audit-log.ts'
import type { Accessory } from '../config/accessory.ts'
import { execInContainer, registryLogin, runInNewContainer } from '../docker/accessory-commands.ts'
import { displayJoin } from '../remote/quote.ts'
import { describeFailure, failureDetail, isConnectionFailure } from '../remote/command-failure.ts'
import { describeCommand, type OutputSink, type RemoteCommand } from '../remote/transport.ts'
import type { Report, ReportEntry } from '../report/model.ts'
import type { ExecResult } from '../report/sections.ts'
import { Interrupted, type StepEngine } from './engine.ts'
import type { Selection } from './selection.ts'

export interface ExecStep {
  description: string
  command: RemoteCommand
  /** The user's command itself: its exit code is reported, not turned into a failure sentence. */
  isCommand?: boolean
}

/** The remote commands for one accessory: `docker exec <svc> ...`, or login (when configured) + `docker run --rm ...`. */
export function planExec(accessory: Accessory, command: string[], fresh: boolean): ExecStep[] {
  if (!fresh)
    return [
      {
        description: `docker exec ${accessory.serviceName}`,
        command: execInContainer(accessory.serviceName, command),
        isCommand: true,
      },
    ]
  const steps: ExecStep[] = []
  const login = accessory.registryLogin
  if (login) steps.push({ description: `log in to ${login.server ?? 'Docker Hub'}`, command: registryLogin(login) })
  steps.push({
    description: `docker run --rm ${accessory.image}`,
    command: runInNewContainer(accessory, command),
    isCommand: true,
  })
  return steps
}

/** Where exec's output goes, per accessory × host, as it arrives. */
export interface ExecOutput {
  /** One accessory × host's run begins; its output goes to the sink returned, byte for byte. */
  begin(accessory: string, host: string): OutputSink
  /** That run has ended (or never started: `error` says why). */
  end(result: ExecResult): void | Promise<void>
}

/**
 * Runs the command on every accessory × host, one after another in config order, each one's output handed to
 * `output` as it arrives and never held, so memory stays flat whatever the size (the hosts' connections were
 * opened together beforehand). A host that cannot be reached, or a failed login, is that run's `error`.
 */
export async function execOnHosts(
  selection: readonly Selection[],
  engine: StepEngine,
  command: string[],
  fresh: boolean,
  output: ExecOutput,
): Promise<ExecResult[]> {
  const results: ExecResult[] = []
  for (const { accessory, hosts } of selection) {
    for (const host of hosts) {
      const sink = output.begin(accessory.name, host)
      const result = await execOne(engine, accessory, host, command, fresh, sink)
      await output.end(result)
      results.push(result)
    }
  }
  return results
}

async function execOne(
  engine: StepEngine,
  accessory: Accessory,
  host: string,
  command: string[],
  fresh: boolean,
  sink: OutputSink,
): Promise<ExecResult> {
  const base = { accessory: accessory.name, host }
  try {
    for (const step of planExec(accessory, command, fresh)) {
      if (!step.isCommand) {
        const result = await engine.run(host, step.command)
        if (result.exitCode !== 0) return { ...base, error: describeFailure(host, step.description, result) }
        continue
      }
      // stdout only: ssh's own complaints come on stderr
      let output = false
      const stdout = (chunk: Uint8Array) => ((output ||= chunk.length > 0), sink.stdout(chunk))
      const result = await engine.stream(host, step.command, { stdout, stderr: sink.stderr })
      if (isConnectionFailure(result) && output) {
        // it ran (its output came): not "could not connect"
        const sshSaid = failureDetail({ ...result, stdout: '' }) || 'ssh exited 255'
        return {
          ...base,
          error:
            `the connection to ${host} was lost while \`${displayJoin(command)}\` ran (${sshSaid}); ` +
            'its output so far was passed on, and whether it ran to its end there is unknown: check on that host before running it again.',
        }
      }
      if (isConnectionFailure(result)) return { ...base, error: describeFailure(host, step.description, result) }
      await engine.audit(host, [AUDIT.executed(accessory.name, command.join(' '))])
      const failed = result.exitCode !== 0
      return {
        ...base,
        exitCode: result.exitCode,
        ...(failed ? { error: `\`${displayJoin(command)}\` exited ${result.exitCode} on ${host}.` } : {}),
      }
    }
    return { ...base, error: 'not run' }
  } catch (error) {
    if (error instanceof Interrupted) return { ...base, error: `not run: the run was interrupted by ${error.signal}.` }
    return { ...base, error: error instanceof Error ? error.message : String(error) }
  }
}

/** --dry-run: the commands per accessory × host, without contacting any host. */
export function planExecReport(selection: readonly Selection[], command: string[], fresh: boolean): Report {
  const entries: ReportEntry[] = selection.flatMap(({ accessory, hosts }) =>
    hosts.map((host): ReportEntry => ({
      accessory: accessory.name,
      service: accessory.serviceName,
      host,
      configuredImage: accessory.image,
      done: 'planned',
      detail: `run \`${displayJoin(command)}\` ${fresh ? 'in a new container of' : 'in'}`,
      plannedCommands: planExec(accessory, command, fresh).map((s) => describeCommand(s.command)),
    })),
  )
  return { verb: 'exec', dryRun: true, entries }
}
