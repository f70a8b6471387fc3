// accessory-start / -stop / -restart / -remove: observe every host, act on the container Kamal's label
// finds, and report one entry per accessory × host. Planning is pure (tested); execution goes through
// the step engine under the deploy lock; --dry-run observes only and reports `planned` with the commands.
// The dry run and the run share each pair's plan (planAction; planRemove in remove-plan.ts), so their verdicts are the same.
import { AUDIT } from '../audit/audit-log.ts'
import { restartContainer, startContainer, stopContainer, unpauseContainer } from '../docker/accessory-commands.ts'
import { isUp, type ObservedContainer } from '../docker/inspect.ts'
import type { JudgeContext, Verdict } from '../drift/verdicts.ts'
import { describeCommand, type CommandResult, type RemoteCommand } from '../remote/transport.ts'
import { scriptCommand } from '../report/messages.ts'
import type { Done } from '../report/labels.ts'
import type { InvocationContext, Report } from '../report/model.ts'
import type { Step, StepEngine } from './engine.ts'
import { entriesFor, pairKey, type PairResult } from './entries.ts'
import { observeSelection } from './observe.ts'
import { isProxied, routeStep, unrouteStep } from './proxy-steps.ts'
import { namedVolumes, planRemove, removedBy, type RemoveOptions, type RemovePlan } from './remove-plan.ts'
import type { Selection } from './selection.ts'

export type LifecycleAction = 'start' | 'stop' | 'restart'

export interface FlowOptions {
  dryRun: boolean
  /** What judging drift needs from the deployment. */
  judging: JudgeContext
  withLock: <T>(work: () => Promise<T>) => Promise<T>
  invocation: InvocationContext
}

const DONE: Record<LifecycleAction, Done> = { start: 'started', stop: 'stopped', restart: 'restarted' }
const AUDIT_OF: Record<LifecycleAction, (name: string) => string[]> = {
  start: (name) => [AUDIT.started(name)],
  stop: (name) => [AUDIT.stopped(name)],
  restart: (name) => [AUDIT.stopped(name), AUDIT.started(name)],
}

/** The one remote command for an action on the container the label found (addressed by its name). */
export function actionCommand(action: LifecycleAction, container: ObservedContainer): RemoteCommand {
  switch (action) {
    case 'start':
      return container.state === 'paused' ? unpauseContainer(container.name) : startContainer(container.name)
    case 'stop':
      return stopContainer(container.name)
    case 'restart':
      return restartContainer(container.name)
  }
}

/**
 * What an action does to the container the label found, decided once for the dry run and the run, so the
 * two cannot disagree: a start of a running container, or a stop of one that is not up, sends nothing.
 */
export type ActionPlan = { change: true; command: RemoteCommand } | { change: false; detail: string }

export function planAction(action: LifecycleAction, container: ObservedContainer): ActionPlan {
  if (action === 'start' && container.state === 'running') return { change: false, detail: 'it is already running' }
  if (action === 'stop' && !isUp(container.state))
    return {
      change: false,
      detail: `it is already ${container.state === 'created' ? 'created, never started' : container.state}`,
    }
  return { change: true, command: actionCommand(action, container) }
}

/**
 * The steps of an action on a found container: the docker command, and for an accessory with `proxy:` Kamal's
 * kamal-proxy step after it (start and restart route to the container, stop stops routing). A start of a
 * running container whose route has drifted only routes it again.
 */
export function actionSteps(
  action: LifecycleAction,
  verdict: Verdict & { kind: 'in_sync' | 'drift' },
  plan: ActionPlan,
): Step[] {
  const { accessory, container } = verdict
  const docker: Step[] = plan.change ? [{ description: `${action} ${container.name}`, command: plan.command }] : []
  if (!isProxied(accessory)) return docker
  if (action === 'stop') return plan.change ? [...docker, unrouteStep(accessory)] : []
  const routeDrifted = verdict.kind === 'drift' && verdict.findings.some((f) => f.kind === 'proxy')
  if (!plan.change && !routeDrifted) return []
  return [...docker, routeStep(accessory, container.id.slice(0, 12))]
}

function noContainerError(
  action: string,
  verdict: Verdict & { kind: 'missing' },
  invocation: InvocationContext,
): string {
  const { accessory, host } = verdict
  // An old container set aside by an interrupted reboot is restored by a reboot (the report's sentence about the
  // leftovers names it); booting anew would put a second container beside it.
  if (verdict.leftovers.some((l) => l.role === 'old'))
    return `it has no container named ${accessory.serviceName} there, so there is nothing to ${action}.`
  const boot = scriptCommand('accessory-boot', accessory.name, invocation, ['--hosts', host])
  return `it has no container there, so there is nothing to ${action}; run \`${boot}\` to boot it.`
}

/** One host's work for one accessory: steps, then what the result says once every step succeeded. */
interface Work {
  key: string
  host: string
  steps: Step[]
  done: (results: Array<CommandResult | undefined>) => PairResult
  /** Kamal's audit messages once the work succeeded. */
  audit: (results: Array<CommandResult | undefined>) => string[]
}

/** An interrupted piece of work: untouched when no step ran, else what was done before the signal. */
function interruptedAfter(signal: string, done: readonly Step[]): PairResult {
  if (done.length === 0)
    return {
      done: 'skipped',
      error: `the run was interrupted by ${signal} before this was done; run the command again.`,
    }
  return {
    done: 'failed',
    error:
      `the run was interrupted by ${signal} after it had done: ` +
      `${done.map((s) => s.description).join(', ')}; run the command again to finish.`,
  }
}

/** Runs each host's work (hosts in parallel, one host's pairs in config order) under the lock; returns results by pair. */
async function execute(
  work: Work[],
  engine: StepEngine,
  withLock: FlowOptions['withLock'],
): Promise<Map<string, PairResult>> {
  const results = new Map<string, PairResult>()
  if (work.length === 0) return results
  await withLock(() =>
    engine.onHosts([...new Set(work.map((w) => w.host))], async (host) => {
      for (const item of work.filter((w) => w.host === host)) {
        const result = await engine.steps(host, item.steps)
        if (result.ok) await engine.audit(host, item.audit(result.results))
        results.set(
          item.key,
          result.ok
            ? item.done(result.results)
            : result.interrupted
              ? interruptedAfter(result.signal, item.steps.slice(0, result.completed))
              : { done: 'failed', error: result.error },
        )
      }
    }),
  )
  return results
}

/** accessory-start, accessory-stop, accessory-restart. */
export async function changeAccessories(
  action: LifecycleAction,
  selection: Selection[],
  engine: StepEngine,
  options: FlowOptions,
): Promise<Report> {
  const { verdicts } = await observeSelection(engine, selection, options.judging)
  const found = new Map<string, PairResult>()
  const work: Work[] = []
  for (const verdict of verdicts) {
    const key = pairKey(verdict.accessory.name, verdict.host)
    if (verdict.kind === 'unreachable') continue
    if (verdict.kind === 'missing') {
      found.set(key, {
        done: 'failed',
        error: noContainerError(action, verdict, options.invocation),
      })
      continue
    }
    const plan = planAction(action, verdict.container)
    const steps = actionSteps(action, verdict, plan)
    if (steps.length === 0) {
      found.set(key, { done: 'unchanged', detail: plan.change ? action : plan.detail })
      continue
    }
    if (options.dryRun) {
      found.set(key, {
        done: 'planned',
        detail: action,
        plannedCommands: steps.map((s) => describeCommand(s.command)),
      })
      continue
    }
    work.push({
      key,
      host: verdict.host,
      steps,
      done: () => ({ done: DONE[action] }),
      audit: () => AUDIT_OF[action](verdict.accessory.name),
    })
  }
  const done = await execute(work, engine, options.withLock)
  return { verb: action, dryRun: options.dryRun, entries: entriesFor(verdicts, new Map([...found, ...done])) }
}

// -- remove (its plan: remove-plan.ts) --

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
  engine: StepEngine,
  options: FlowOptions & RemoveOptions,
): Promise<Report> {
  const { observations, verdicts } = await observeSelection(engine, selection, options.judging)
  const found = new Map<string, PairResult>()
  const work: Work[] = []
  for (const verdict of verdicts) {
    const { accessory, host } = verdict
    const key = pairKey(accessory.name, host)
    const observation = observations.get(host)
    if (verdict.kind === 'unreachable' || !observation?.ok) continue
    const plan = planRemove(accessory, observation.containers, options)
    if (plan.steps.length === 0) {
      found.set(key, { done: 'skipped', error: 'it has no container there; nothing to remove.' })
      continue
    }
    if (options.dryRun) {
      found.set(key, {
        done: 'planned',
        detail: 'remove',
        plannedCommands: plan.steps.map((s) => describeCommand(s.command)),
      })
      continue
    }
    work.push(removeWork(key, verdict, plan))
  }
  const done = await execute(work, engine, options.withLock)
  return { verb: 'remove', dryRun: options.dryRun, entries: entriesFor(verdicts, new Map([...found, ...done])) }
}

/** The run's work for one pair's removal: what the result and the audit log say is what each step removed. */
function removeWork(key: string, { accessory, host }: Verdict, plan: RemovePlan): Work {
  return {
    key,
    host,
    steps: plan.steps,
    done: (results) => {
      const removed = plan.steps
        .map((step, i) => removedBy(step, results[i]))
        .filter((r): r is string => r !== undefined)
      const hadContainer = plan.steps.some((s) => s.removes?.startsWith('container '))
      return {
        done: 'removed',
        leftovers: [],
        detail: [
          ...(hadContainer ? [] : ['no container was there']),
          ...(removed.length ? removed : ['nothing else was there']),
        ].join(', '),
      }
    },
    audit: (results) => {
      const removed = plan.steps.map((step, i) => removedBy(step, results[i]))
      // Kamal's `accessory remove` runs its `stop` first, with that verb's audit line.
      const container = removed.some((r) => r?.startsWith('container '))
      return [
        ...(container ? [AUDIT.stopped(accessory.name), AUDIT.removedContainer(accessory.name)] : []),
        ...(removed.some((r) => r?.startsWith('image ')) ? [AUDIT.removedImage(accessory.name)] : []),
      ]
    },
  }
}
