// accessory-exec: one command per accessory × host, in the running container (`docker exec`) or in a
// fresh one (Kamal's execute_in_new_container). No lock, as Kamal. Every word of the command is quoted
// by the one quoting function, so it arrives as typed (Kamal joins the words for the remote shell instead).
import { AUDIT } from '../audit/commands.ts'
import type { Accessory } from '../config/model.ts'
import { execInContainer, registryLogin, runInNewContainer } from '../docker/commands.ts'
import { displayJoin } from '../remote/quote.ts'
import { describeCommand, describeFailure, isConnectionFailure, type RemoteCommand } from '../remote/transport.ts'
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

export async function execOnHosts(
  selection: readonly Selection[],
  engine: StepEngine,
  command: string[],
  fresh: boolean,
): Promise<ExecResult[]> {
  const pairs = selection.flatMap((s) => s.hosts.map((host) => ({ accessory: s.accessory, host })))
  const results = new Map<string, ExecResult>()
  const key = (accessory: string, host: string) => `${accessory}\0${host}`
  const outcomes = await engine.onHosts([...new Set(pairs.map((p) => p.host))], async (host) => {
    for (const { accessory } of pairs.filter((p) => p.host === host)) {
      results.set(key(accessory.name, host), await execOne(engine, accessory, host, command, fresh))
    }
  })
  return pairs.map(({ accessory, host }) => {
    const found = results.get(key(accessory.name, host))
    if (found) return found
    const failure = outcomes.find((o) => o.host === host && !o.ok)
    return {
      accessory: accessory.name,
      host,
      stdout: '',
      stderr: '',
      error: failure && !failure.ok ? failure.error.message : 'not run',
    }
  })
}

async function execOne(
  engine: StepEngine,
  accessory: Accessory,
  host: string,
  command: string[],
  fresh: boolean,
): Promise<ExecResult> {
  const base = { accessory: accessory.name, host, stdout: '', stderr: '' }
  try {
    for (const step of planExec(accessory, command, fresh)) {
      const result = await engine.run(host, step.command)
      if (step.isCommand && !isConnectionFailure(result)) {
        await engine.audit(host, [AUDIT.executed(accessory.name, command.join(' '))])
        const failed = result.exitCode !== 0
        return {
          ...base,
          exitCode: result.exitCode,
          stdout: result.stdout,
          stderr: result.stderr,
          ...(failed ? { error: `\`${displayJoin(command)}\` exited ${result.exitCode} on ${host}.` } : {}),
        }
      }
      if (result.exitCode !== 0) return { ...base, error: describeFailure(host, step.description, result) }
    }
    return { ...base, error: 'not run' }
  } catch (error) {
    if (error instanceof Interrupted) return { ...base, error: `not run: the run was interrupted by ${error.signal}.` }
    throw error
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
      outcome: 'planned',
      detail: `run \`${displayJoin(command)}\` ${fresh ? 'in a new container of' : 'in'}`,
      plannedCommands: planExec(accessory, command, fresh).map((s) => describeCommand(s.command)),
    })),
  )
  return { verb: 'exec', dryRun: true, entries }
}
