// accessory-boot: observe every host, judge every accessory × host, boot only what is missing, and
// leave drifted containers untouched for the report to name.
import type { Accessory, Deployment } from '../config/model.ts'
import {
  createNetwork,
  envFileContent,
  makeDirectory,
  networkNeedsCreating,
  registryLogin,
  removeLabelledContainers,
  runAccessory,
  writeFile,
} from '../docker/commands.ts'
import { judge, type Verdict } from '../drift/verdicts.ts'
import { onHosts } from '../remote/fleet.ts'
import { shellJoin } from '../remote/quote.ts'
import type { CommandResult, RemoteCommand, Transport } from '../remote/transport.ts'
import type { Report, ReportEntry } from '../report/model.ts'
import type { Selection } from './selection.ts'
import { describeFailure, observeHosts, observeSelection } from './observe.ts'


export interface BootStep {
  description: string
  command: RemoteCommand
  /** Steps with the same key run once per host (network, login) however many accessories need them. */
  oncePerHost?: string
  /** A non-zero exit that still counts as success (the network already exists). */
  tolerate?: (result: CommandResult) => boolean
  /** Run when this step fails, so nothing half-made is left behind. */
  cleanup?: RemoteCommand
}

const alreadyExists = (result: CommandResult) => /already exists/i.test(result.stderr)

/** Kamal's boot order for one accessory on one host: network, login, directories, files, env file, run. */
export function planBoot(accessory: Accessory, host: string, loggingArgs: string[]): BootStep[] {
  return [
    ...prepareSteps(accessory),
    {
      description: `docker run ${accessory.serviceName}`,
      command: runAccessory(accessory, host, loggingArgs),
      cleanup: removeLabelledContainers(accessory.serviceName),
    },
  ]
}

/** Everything a container needs on the host before it is created; the env file is always rewritten. */
export function prepareSteps(accessory: Accessory): BootStep[] {
  const steps: BootStep[] = []
  if (networkNeedsCreating(accessory.network)) {
    steps.push({ description: `create network ${accessory.network}`, command: createNetwork(accessory.network), oncePerHost: `network:${accessory.network}`, tolerate: alreadyExists })
  }
  const login = accessory.registryLogin
  if (login) {
    steps.push({ description: `log in to ${login.server ?? 'Docker Hub'}`, command: registryLogin(login), oncePerHost: loginStepKey(login) })
  }
  for (const directory of accessory.directories) {
    steps.push({ description: `create directory ${directory.path}`, command: makeDirectory(directory) })
  }
  for (const file of accessory.files) {
    steps.push({ description: `upload ${file.source} to ${file.remotePath}`, command: writeFile(file.remotePath, file.content, file.mode, file.owner) })
  }
  steps.push({ description: `write env file ${accessory.envFile}`, command: writeFile(accessory.envFile, envFileContent(accessory.envSecret), '600') })
  return steps
}

/** Marks a registry login as done on a host, so later steps on that host skip it. */
export function loginStepKey(login: { server?: string; username: string }): string {
  return `login:${login.server ?? ''}:${login.username}`
}

export function describeCommand(command: RemoteCommand): string {
  const line = shellJoin(command.argv)
  return command.input === undefined ? line : `${line}  # stdin: ${Buffer.byteLength(command.input)} bytes, not shown`
}

export function verdictEntry(verdict: Verdict): ReportEntry {
  const base = { accessory: verdict.accessory.name, service: verdict.accessory.serviceName, host: verdict.host, configuredImage: verdict.accessory.image }
  switch (verdict.kind) {
    case 'missing':
      return { ...base, outcome: 'missing' }
    case 'unobserved':
      return { ...base, outcome: 'failed', error: verdict.error }
    case 'in_sync':
    case 'drift': {
      const c = verdict.container
      const observed = { runningImage: c.image, containerId: c.id.slice(0, 12), state: c.state }
      if (verdict.kind === 'drift') return { ...base, ...observed, outcome: 'drift' }
      return { ...base, ...observed, outcome: c.state === 'running' ? 'running' : 'stopped' }
    }
  }
}

export async function runSteps(transport: Transport, host: string, steps: BootStep[], done: Set<string>): Promise<void> {
  for (const step of steps) {
    if (step.oncePerHost && done.has(step.oncePerHost)) continue
    const result = await transport.run(host, step.command)
    if (result.exitCode !== 0 && !step.tolerate?.(result)) {
      if (step.cleanup) await transport.run(host, step.cleanup)
      throw new Error(`could not ${step.description}: ${describeFailure(host, step.description, result)}`)
    }
    if (step.oncePerHost) done.add(step.oncePerHost)
  }
}

export async function bootAccessories(
  deployment: Deployment,
  selection: Selection[],
  transport: Transport,
  options: { dryRun: boolean; withLock: <T>(work: () => Promise<T>) => Promise<T> },
): Promise<Report> {
  const { verdicts } = await observeSelection(transport, selection)
  const entries = verdicts.map(verdictEntry)
  const toBoot = verdicts.map((v, i) => ({ verdict: v, entry: entries[i]! })).filter(({ verdict }) => verdict.kind === 'missing')

  if (options.dryRun) {
    for (const { verdict, entry } of toBoot) {
      entry.outcome = 'would_boot'
      entry.plannedCommands = planBoot(verdict.accessory, verdict.host, deployment.loggingArgs).map((s) => describeCommand(s.command))
    }
    return { verb: 'boot', dryRun: true, entries }
  }

  if (toBoot.length === 0) return { verb: 'boot', dryRun: false, entries }
  const bootHosts = [...new Set(toBoot.map(({ verdict }) => verdict.host))]
  await options.withLock(async () => {
    // Look again under the lock: another run may have booted some of these while we waited for it.
    const now = await observeHosts(transport, bootHosts)
    const stillMissing = toBoot.filter((item) => {
      const fresh = judge(item.verdict.accessory, item.verdict.host, now.get(item.verdict.host) ?? { ok: false, error: 'host was not observed' })
      if (fresh.kind !== 'missing') Object.assign(item.entry, verdictEntry(fresh))
      return fresh.kind === 'missing'
    })
    // Hosts boot in parallel; on one host, accessories boot one after another in config order.
    await onHosts(bootHosts, (host) => bootHost(transport, deployment, host, stillMissing.filter(({ verdict }) => verdict.host === host)))
  })
  return { verb: 'boot', dryRun: false, entries }
}

async function bootHost(transport: Transport, deployment: Deployment, host: string, items: Array<{ verdict: Verdict; entry: ReportEntry }>): Promise<void> {
  const done = new Set<string>()
  for (const { verdict, entry } of items) {
    try {
      await runSteps(transport, host, planBoot(verdict.accessory, host, deployment.loggingArgs), done)
      entry.outcome = 'booted'
    } catch (error) {
      entry.outcome = 'failed'
      entry.error = error instanceof Error ? error.message : String(error)
    }
  }
}
