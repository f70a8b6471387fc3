// accessory-start / -stop / -restart / -remove: observe every host, act on the container Kamal's label
// finds, and report one entry per accessory × host. Planning is pure (tested); execution goes through
// Transport.run under the deploy lock; --dry-run observes only and reports `planned` with the commands.
import type { Accessory } from '../config/model.ts'
import { removeContainer, removeImage, removeServiceDirectory, removeVolume, startContainer, stopContainer } from '../docker/commands.ts'
import { isUp, type ObservedContainer } from '../docker/inspect.ts'

import { onHosts } from '../remote/fleet.ts'
import type { ShellWord } from '../remote/quote.ts'
import type { CommandResult, RemoteCommand, Transport } from '../remote/transport.ts'
import { scriptCommand } from '../report/messages.ts'
import type { InvocationContext, Outcome, Report, ReportEntry } from '../report/model.ts'
import { describeCommand } from './boot.ts'
import { describeFailure, observeSelection } from './observe.ts'
import type { Selection } from './selection.ts'

export type LifecycleAction = 'start' | 'stop' | 'restart'

export interface FlowOptions {
  dryRun: boolean
  withLock: <T>(work: () => Promise<T>) => Promise<T>
  invocation: InvocationContext
}

const DONE: Record<LifecycleAction, Outcome> = { start: 'started', stop: 'halted', restart: 'restarted' }

/** Several commands as one remote command line, each run only if the previous one succeeded. */
export function chain(...commands: RemoteCommand[]): RemoteCommand {
  const argv: ShellWord[] = []
  for (const command of commands) {
    if (argv.length) argv.push({ raw: '&&' })
    argv.push(...command.argv)
  }
  return { argv }
}

/** The one remote command for an action on the container the label found (addressed by its name). */
export function actionCommand(action: LifecycleAction, container: ObservedContainer): RemoteCommand {
  switch (action) {
    case 'start':
      return startContainer(container.name)
    case 'stop':
      return stopContainer(container.name)
    case 'restart':
      return chain(stopContainer(container.name), startContainer(container.name))
  }
}

/** What the entry says besides "Started/Stopped": a no-op is named as such, not hidden. */
export function actionDetail(action: LifecycleAction, container: ObservedContainer): string | undefined {
  if (action === 'start' && container.state === 'running') return 'it was already running'
  if (action === 'stop' && !isUp(container.state)) return `it was already ${container.state}`
  return undefined
}

function baseEntry(accessory: Accessory, host: string): ReportEntry {
  return { accessory: accessory.name, service: accessory.serviceName, host, configuredImage: accessory.image, outcome: 'failed' }
}

function observedFields(container: ObservedContainer): Pick<ReportEntry, 'runningImage' | 'containerId' | 'state'> {
  return { runningImage: container.image, containerId: container.id.slice(0, 12), state: container.state }
}

function noContainerError(action: string, accessory: Accessory, host: string, invocation: InvocationContext): string {
  const boot = scriptCommand('accessory-boot', accessory.name, invocation, ['--hosts', host])
  return `it has no container there, so there is nothing to ${action}; run \`${boot}\` to boot it.`
}

interface Work {
  entry: ReportEntry
  host: string
  steps: Step[]
  /** Sets the entry's outcome and detail once every step succeeded. */
  done: (results: CommandResult[]) => void
}

interface Step {
  command: RemoteCommand
  /** A non-zero exit that still counts as success. */
  tolerate?: (result: CommandResult) => boolean
}

/** Runs each host's work (hosts in parallel, one host's entries in config order), under the lock. */
async function execute(work: Work[], transport: Transport, withLock: FlowOptions['withLock']): Promise<void> {
  if (work.length === 0) return
  await withLock(() => onHosts([...new Set(work.map((w) => w.host))], async (host) => {
    for (const item of work.filter((w) => w.host === host)) {
      const results: CommandResult[] = []
      let failed = false
      for (const step of item.steps) {
        const result = await transport.run(host, step.command)
        results.push(result)
        if (result.exitCode !== 0 && !step.tolerate?.(result)) {
          item.entry.outcome = 'failed'
          item.entry.error = describeFailure(host, `\`${describeCommand(step.command)}\``, result)
          failed = true
          break
        }
      }
      if (!failed) item.done(results)
    }
  }))
}

/** accessory-start, accessory-stop, accessory-restart. */
export async function changeAccessories(
  action: LifecycleAction,
  selection: Selection[],
  transport: Transport,
  options: FlowOptions,
): Promise<Report> {
  const { verdicts } = await observeSelection(transport, selection)
  const entries: ReportEntry[] = []
  const work: Work[] = []
  for (const verdict of verdicts) {
    const entry = baseEntry(verdict.accessory, verdict.host)
    entries.push(entry)
    if (verdict.kind === 'unobserved') {
      entry.error = verdict.error
      continue
    }
    if (verdict.kind === 'missing') {
      entry.error = noContainerError(action, verdict.accessory, verdict.host, options.invocation)
      continue
    }
    Object.assign(entry, observedFields(verdict.container))
    const command = actionCommand(action, verdict.container)
    if (options.dryRun) {
      Object.assign(entry, { outcome: 'planned', detail: action, plannedCommands: [describeCommand(command)] })
      continue
    }
    const detail = actionDetail(action, verdict.container)
    work.push({
      entry,
      host: verdict.host,
      steps: [{ command }],
      done: () => Object.assign(entry, { outcome: DONE[action], ...(detail ? { detail } : {}) }),
    })
  }
  if (!options.dryRun) await execute(work, transport, options.withLock)
  return { verb: action, dryRun: options.dryRun, entries }
}

// -- remove --

export interface RemoveOptions {
  image: boolean
  directory: boolean
  volumes: boolean
}

/**
 * The named volumes among an accessory's `volumes:` entries: `name:/path[:opts]` whose source is a
 * docker volume name (no `/`, `.` or `~` prefix, so not a host path). A lone `/path` is an anonymous
 * volume and has no name to remove.
 */
export function namedVolumes(volumes: readonly string[]): string[] {
  const names = volumes
    .map((volume) => volume.split(':'))
    .filter((parts) => parts.length >= 2)
    .map((parts) => parts[0]!)
    .filter((source) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source))
  return [...new Set(names)]
}

export interface RemovePlan {
  steps: Array<Step & { removes?: string }>
}

/**
 * Kamal's remove order on one host: stop the container (gracefully, failures ignored), remove every
 * container carrying the label (by id), then only what the flags ask for: image, service directory,
 * named volumes. Nothing is planned when there is nothing to remove.
 */
export function planRemove(accessory: Accessory, containers: readonly ObservedContainer[], options: RemoveOptions): RemovePlan {
  const labelled = containers.filter((c) => c.service === accessory.serviceName)
  const steps: RemovePlan['steps'] = []
  for (const container of labelled) {
    if (isUp(container.state)) {
      steps.push({ command: stopContainer(container.id.slice(0, 12)), tolerate: () => true })
    }
  }
  for (const container of labelled) {
    steps.push({ command: removeContainer(container.id.slice(0, 12)), removes: `container ${container.name} (${container.id.slice(0, 12)})` })
  }
  if (options.image) {
    // `--force` exits 0 for an image that is not there; only an image that was there is reported.
    steps.push({ command: removeImage(accessory.image), removes: `image ${accessory.image}` })
  }
  if (options.directory) steps.push({ command: removeServiceDirectory(accessory.serviceName), removes: `directory ${accessory.serviceName}` })
  if (options.volumes) {
    for (const volume of namedVolumes(accessory.volumes)) {
      steps.push({ command: removeVolume(volume), removes: `volume ${volume}`, tolerate: (r) => /no such volume/i.test(r.stderr) })
    }
  }
  return { steps }
}

/** What a removal step removed, judged from its result (absent images and volumes are not counted). */
function removedBy(step: RemovePlan['steps'][number], result: CommandResult): string | undefined {
  if (!step.removes) return undefined
  if (result.exitCode !== 0) return undefined
  if (/no such (image|volume)/i.test(result.stderr)) return undefined
  return step.removes
}

/** The question accessory-remove asks on a terminal: which accessories, on which hosts, and what else. */
export function removeQuestion(selection: readonly Selection[], options: RemoveOptions): string {
  const what = selection.map((s) => `\`${s.accessory.name}\` on ${s.hosts.join(', ')}`).join('; ')
  const extras = [
    options.image ? 'images' : undefined,
    options.directory ? 'service directories (with their files and data directories)' : undefined,
    options.volumes
      ? `named volumes (${[...new Set(selection.flatMap((s) => namedVolumes(s.accessory.volumes)))].join(', ') || 'none configured'})`
      : undefined,
  ].filter(Boolean)
  const alsoWhat = extras.length ? `, and their ${extras.join(', ')}` : ''
  return `This will remove the containers of accessory ${what}${alsoWhat}. Are you sure?`
}

/** accessory-remove (the confirmation has been given by then). */
export async function removeAccessories(
  selection: Selection[],
  transport: Transport,
  options: FlowOptions & RemoveOptions,
): Promise<Report> {
  const { observations, verdicts } = await observeSelection(transport, selection)
  const entries: ReportEntry[] = []
  const work: Work[] = []
  for (const verdict of verdicts) {
    const { accessory, host } = verdict
    const entry = baseEntry(accessory, host)
    entries.push(entry)
    const observation = observations.get(host)
    if (verdict.kind === 'unobserved' || !observation?.ok) {
      entry.error = verdict.kind === 'unobserved' ? verdict.error : 'host was not observed'
      continue
    }
    if (verdict.kind !== 'missing') Object.assign(entry, observedFields(verdict.container))
    const plan = planRemove(accessory, observation.containers, options)
    if (plan.steps.length === 0) {
      Object.assign(entry, { outcome: 'skipped', error: 'it has no container there; nothing to remove.' })
      continue
    }
    if (options.dryRun) {
      Object.assign(entry, { outcome: 'planned', detail: 'remove', plannedCommands: plan.steps.map((s) => describeCommand(s.command)) })
      continue
    }
    work.push({
      entry,
      host,
      steps: plan.steps,
      done: (results) => {
        const removed = plan.steps.map((step, i) => removedBy(step, results[i]!)).filter((r): r is string => r !== undefined)
        const hadContainer = plan.steps.some((s) => s.removes?.startsWith('container '))
        entry.outcome = 'removed'
        entry.detail = [...(hadContainer ? [] : ['no container was there']), ...(removed.length ? removed : ['nothing else was there'])].join(', ')
      },
    })
  }
  if (!options.dryRun) await execute(work, transport, options.withLock)
  return { verb: 'remove', dryRun: options.dryRun, entries }
}
