// accessory-reboot: replace accessory containers with ones from the configured image, with the least
// downtime and nothing lost. Per host: pull first (on every target host, before anything stops), create
// the new container beside the old one, then rename old aside → rename new → stop old → start new in one
// remote command, verify, and roll back to the old container if the new one does not stay up (rollback.ts:
// the new one is kept if the old one is gone). After a signal no new step starts; a host mid-swap goes back to
// its old container unless the new one was verified. The steps come from one plan per pair (reboot-plan.ts),
// which `--dry-run` prints.
import { AUDIT } from '../audit/audit-log.ts'
import type { Deployment } from '../config/model.ts'
import { containerHealth, containerLogs } from '../docker/accessory-commands.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import { rebootStamp } from '../docker/names.ts'
import { judgeAll, type HostObservation, type JudgeContext, type Verdict } from '../drift/verdicts.ts'
import { describeCommand, describeFailure, type CommandResult } from '../remote/transport.ts'
import type { Report } from '../report/model.ts'
import { Interrupted, type StepEngine } from './engine.ts'
import { entriesFor, pairKey, type PairResult } from './entries.ts'
import { observeSelection } from './observe.ts'
import { plannedCommands, planReboot, STAMP, type RebootPlan } from './reboot-plan.ts'
import { afterRecovery, planRecovery } from './recovery.ts'
import { isProxied } from './proxy-steps.ts'
import { rollBack, routeAfterRollback } from './rollback.ts'
import type { Selection } from './selection.ts'

export interface RebootOptions {
  dryRun: boolean
  /** Only accessory × host pairs whose verdict is drift. */
  drifted: boolean
  /** One host at a time, stopping at the first failure. */
  rolling: boolean
  /** How long a new container with a health check may take to become healthy. */
  healthTimeoutSeconds: number
  /** How long a new container must stay running; SETTLE_MS unless a test shortens it. */
  settleMs?: number
  judging: JudgeContext
}

type RebootTarget = Verdict & { kind: 'missing' | 'in_sync' | 'drift' }

/** Verdicts → the pairs a reboot touches. Unobserved hosts are never touched; with --drifted, only drift. */
function rebootTargets(verdicts: readonly Verdict[], drifted: boolean): RebootTarget[] {
  return verdicts.filter((v): v is RebootTarget => v.kind !== 'unreachable' && (!drifted || v.kind === 'drift'))
}

/** What a reboot would touch now (for the confirmation question): pairs to replace, and pairs to recover. */
export async function previewReboot(
  engine: StepEngine,
  judging: JudgeContext,
  selection: Selection[],
  drifted: boolean,
): Promise<{ verdicts: Verdict[]; targets: Verdict[] }> {
  const { verdicts } = await observeSelection(engine, selection, judging)
  const replaced = new Set<Verdict>(rebootTargets(verdicts, drifted))
  return { verdicts, targets: verdicts.filter((v) => replaced.has(v) || planRecovery(v) !== undefined) }
}

/**
 * First, where an interrupted reboot left temporary containers: restore or clean up (see recovery.ts).
 * Returns the results of pairs whose recovery failed or was interrupted, and what each recovery did.
 */
async function recoverInterrupted(
  engine: StepEngine,
  verdicts: readonly Verdict[],
): Promise<{ failed: Map<string, PairResult>; done: Map<string, string> }> {
  const plans = verdicts.flatMap((verdict) => {
    const plan = planRecovery(verdict)
    return plan ? [{ verdict, plan }] : []
  })
  const failed = new Map<string, PairResult>()
  const done = new Map<string, string>()
  await engine.onHosts([...new Set(plans.map((p) => p.verdict.host))], async (host) => {
    for (const { verdict, plan } of plans.filter((p) => p.verdict.host === host)) {
      const key = pairKey(verdict.accessory.name, host)
      const result = await engine.steps(host, plan.steps)
      // kamal-proxy may still route to a container the interrupted reboot made: route to the one that holds the name
      if (result.ok && isProxied(verdict.accessory))
        done.set(key, `${plan.summary}; ${await routeAfterRollback(engine, verdict.accessory, host)}`)
      else if (result.ok) done.set(key, plan.summary)
      else if (result.interrupted)
        failed.set(key, interrupted(result.signal, 'before the leftovers of an interrupted reboot were cleaned up'))
      else
        failed.set(key, {
          outcome: 'failed',
          error: `while recovering from an interrupted reboot (nothing holding data was removed), ${result.error}`,
        })
    }
  })
  return { failed, done }
}

const containerOf = (target: Exclude<Verdict, { kind: 'unreachable' }>): ObservedContainer | undefined =>
  target.kind === 'missing' ? undefined : target.container

function sentence(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** A new container must stay running this long (and not restart) to count as up. */
const SETTLE_MS = 1000
const POLL_MS = 250

/**
 * Waits until the container has been running SETTLE_MS without restarting, and is healthy if it has a check.
 * Throws `Interrupted` at a signal: a health check is never waited for after one.
 */
async function verifyUp(
  engine: StepEngine,
  host: string,
  id: string,
  healthTimeoutSeconds: number,
  settleMs: number,
): Promise<void> {
  const started = Date.now()
  const healthy = healthTimeoutSeconds
    ? ` (and becomes healthy if it has a health check, up to ${healthTimeoutSeconds}s)`
    : ''
  engine.progress(host, `checking that the new container stays up${healthy}`)
  const pollMs = Math.min(POLL_MS, settleMs)
  const deadline = started + Math.max(healthTimeoutSeconds * 1000, settleMs + pollMs)
  for (;;) {
    const elapsed = Date.now() - started
    const result = await engine.run(host, containerHealth(id))
    if (result.exitCode === 1 && /No such (container|object)/i.test(result.stderr))
      throw new Error('the new container is gone (removed while the reboot ran)')
    if (result.exitCode !== 0) throw new Error(describeFailure(host, 'docker inspect', result))
    const [status, restarts, health] = result.stdout.trim().split(' ')
    if (status === 'removing') throw new Error('the new container is being removed (by hand, while the reboot ran)')
    if (status !== 'running' || restarts !== '0') {
      const logs = await engine.run(host, containerLogs(id, { lines: 5, timestamps: false }))
      // (`docker logs … 2>&1`: a failed read prints docker's error, which is no output of the container's)
      const tail = logs.exitCode ? '' : logs.stdout.trim().split('\n').filter(Boolean).slice(-3).join(' | ')
      const restarted = restarts !== '0' ? `, restarted ${restarts}×` : ''
      const output = tail ? `; its last output: ${tail}` : ''
      throw new Error(`the new container did not stay up (${status}${restarted})${output}`)
    }
    if (health === 'unhealthy') throw new Error('the new container reported unhealthy')
    // Settled when this look began at least settleMs after the start: running, and never restarted, all along.
    const settled = elapsed >= settleMs
    if (settled && (health === 'none' || health === 'healthy')) return
    if (Date.now() > deadline)
      throw new Error(`the new container was not healthy within ${healthTimeoutSeconds}s (health: ${health})`)
    // The last look of the settle window starts right at its end.
    await engine.sleep(settled ? pollMs : Math.max(0, Math.min(pollMs, started + settleMs - Date.now())))
  }
}

const interrupted = (signal: string, what: string): PairResult => ({
  outcome: 'skipped',
  error: `the run was interrupted by ${signal} ${what}; run the reboot again.`,
})

/** One accessory on one host: prepare, create beside, swap, verify; roll back on failure or signal. */
async function rebootOne(
  engine: StepEngine,
  plan: RebootPlan,
  options: RebootOptions,
  done: Set<string>,
): Promise<PairResult> {
  const { accessory, host, old } = plan
  const prepared = await engine.steps(host, plan.prepare, done)
  if (!prepared.ok) {
    if (prepared.interrupted)
      return interrupted(prepared.signal, 'before anything was replaced here (the old container still runs)')
    return { outcome: 'failed', error: `${prepared.error} Nothing was replaced: the old container was not touched.` }
  }

  let created
  try {
    engine.progress(host, `creating the new ${accessory.serviceName} container beside the old one`)
    created = await engine.run(host, plan.create.command)
  } catch (error) {
    if (error instanceof Interrupted)
      return interrupted(error.signal, 'before anything was replaced here (the old container still runs)')
    throw error
  }
  if (created.exitCode !== 0) {
    return {
      outcome: 'failed',
      error: `could not create the new container: ${describeFailure(host, 'docker create', created)} The old container was not touched.`,
    }
  }
  const newId = created.stdout.trim().slice(0, 12)

  let failure: string | undefined
  try {
    engine.progress(host, `swapping ${accessory.serviceName} for the new container`)
    const swapped = await engine.run(host, plan.swap(newId))
    if (swapped.exitCode !== 0)
      failure = `could not swap the containers: ${describeFailure(host, 'docker stop/rename/start', swapped)}`
    else {
      // kamal-proxy first (it waits for the new container's health check, then drains the old one), then berth's check
      const routed = plan.route ? await engine.run(host, plan.route(newId)) : undefined
      if (routed && routed.exitCode !== 0)
        failure = `kamal-proxy could not route to the new container: ${describeFailure(host, 'kamal-proxy deploy', routed)}`
      else await verifyUp(engine, host, newId, options.healthTimeoutSeconds, options.settleMs ?? SETTLE_MS)
    }
  } catch (error) {
    failure =
      error instanceof Interrupted
        ? `the run was interrupted by ${error.signal} before the new container was verified`
        : sentence(error)
  }
  if (failure) {
    const rolledBack = await rollBack(
      engine,
      { accessory, host, next: { id: newId, temporaryName: plan.newName }, ...(old ? { old } : {}) },
      options.settleMs ?? SETTLE_MS,
    )
    const rerouted = isProxied(accessory) ? `; ${await routeAfterRollback(engine, accessory, host)}` : ''
    return { outcome: 'failed', error: `${failure.replace(/\.$/, '')}; ${rolledBack}${rerouted}.` }
  }
  // Kamal's audit lines for a reboot: pull, stop, remove (when the old container went), boot.
  const name = accessory.name
  const audited = (oldRemoved: boolean) => [
    AUDIT.pulled(name),
    ...(old ? [AUDIT.stopped(name)] : []),
    ...(oldRemoved ? [AUDIT.removedContainer(name)] : []),
    AUDIT.booted(name),
  ]
  if (!old || !plan.removeOld) {
    await engine.audit(host, audited(false))
    return { outcome: 'rebooted' }
  }
  const keptOld = `the old container is kept, stopped, as ${old.asideName}; remove it with \`docker rm ${old.asideName}\` on ${host}`
  let result: PairResult
  let removed: CommandResult | undefined
  try {
    removed = await engine.run(host, plan.removeOld)
    result =
      removed.exitCode === 0
        ? { outcome: 'rebooted' }
        : /No such container/i.test(removed.stderr)
          ? { outcome: 'rebooted', detail: 'the old container was already gone: it was removed while the reboot ran' }
          : { outcome: 'rebooted', detail: `${keptOld} (it could not be removed)` }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    result = { outcome: 'rebooted', detail: `${keptOld} (the run was interrupted by ${error.signal})` }
  }
  await engine.audit(host, audited(removed?.exitCode === 0))
  return result
}

/** Login and pull of every plan on one host (a login once); returns the failures by pair key. */
async function pullOnHost(
  engine: StepEngine,
  host: string,
  plans: readonly RebootPlan[],
  done: Set<string>,
): Promise<Map<string, PairResult>> {
  const failures = new Map<string, PairResult>()
  for (const plan of plans) {
    const key = pairKey(plan.accessory.name, host)
    const result = await engine.steps(host, plan.pull, done)
    if (result.ok) continue
    if (result.interrupted)
      failures.set(key, interrupted(result.signal, 'before its image was pulled; nothing was stopped'))
    else
      failures.set(key, {
        outcome: 'failed',
        error: `${result.error} Nothing was stopped: the old container still runs.`,
      })
  }
  return failures
}

/**
 * The dry run: the verdicts as they will be once the leftovers of an interrupted reboot are dealt with (judged
 * again, as the run does after its recovery), then the same plans the run executes, listed.
 */
function dryRunReboot(
  deployment: Deployment,
  selection: Selection[],
  found: { verdicts: Verdict[]; observations: Map<string, HostObservation> },
  options: RebootOptions,
): Report {
  const results = new Map<string, PairResult>()
  const recoveries = found.verdicts.flatMap((v) => {
    const plan = planRecovery(v)
    return plan ? [{ verdict: v, plan }] : []
  })
  const recovered = new Map(
    [...found.observations].map(([host, observation]): [string, HostObservation] => {
      if (!observation.ok) return [host, observation]
      let containers = observation.containers
      for (const { verdict, plan } of recoveries.filter((r) => r.verdict.host === host))
        containers = afterRecovery(containers, plan, verdict.accessory.serviceName)
      return [host, { ...observation, containers }]
    }),
  )
  const targets = rebootTargets(
    recoveries.length ? judgeAll(selection, recovered, options.judging) : found.verdicts,
    options.drifted,
  )
  const plans = targets.map((t) => planReboot(t.accessory, t.host, deployment.loggingArgs, containerOf(t), STAMP))
  const listed = plannedCommands(plans)
  const recoveryOf = (v: Verdict) =>
    recoveries.find((r) => r.verdict === v)?.plan.steps.map((s) => describeCommand(s.command)) ?? []
  for (const v of found.verdicts) {
    const key = pairKey(v.accessory.name, v.host)
    const plan = plans.find((p) => pairKey(p.accessory.name, p.host) === key)
    if (plan) results.set(key, { outcome: 'would_reboot', plannedCommands: [...recoveryOf(v), ...listed.get(plan)!] })
    else if (recoveryOf(v).length)
      results.set(key, {
        outcome: 'planned',
        detail: 'clean up after an interrupted reboot of',
        plannedCommands: recoveryOf(v),
      })
  }
  return { verb: 'reboot', dryRun: true, entries: entriesFor(found.verdicts, results) }
}

/** Under the lock: re-check, pull everywhere, then replace host by host (all at once, or rolling). */
export async function executeReboot(
  deployment: Deployment,
  selection: Selection[],
  engine: StepEngine,
  options: RebootOptions,
): Promise<Report> {
  const { judging } = options
  const observed = await observeSelection(engine, selection, judging)
  if (options.dryRun) return dryRunReboot(deployment, selection, observed, options)
  let { verdicts } = observed
  const results = new Map<string, PairResult>()
  const keyOf = (t: Verdict) => pairKey(t.accessory.name, t.host)

  // 0. Leftovers of an interrupted reboot first; then look again, so the rest works on what is there now.
  const recovery = await recoverInterrupted(engine, verdicts)
  if (recovery.done.size || recovery.failed.size)
    verdicts = (await observeSelection(engine, selection, judging)).verdicts
  for (const [key, result] of recovery.failed) results.set(key, result)
  const targets = rebootTargets(verdicts, options.drifted).filter((t) => !recovery.failed.has(keyOf(t)))
  for (const v of verdicts) {
    const summary = recovery.done.get(keyOf(v))
    const replaced = targets.some((t) => keyOf(t) === keyOf(v))
    if (summary && !replaced && v.kind === 'in_sync' && v.container.state === 'running')
      results.set(keyOf(v), { outcome: 'restored', detail: summary })
  }

  // 1. Pull on every target host before anything is stopped. An accessory whose pull failed anywhere is
  //    rebooted nowhere, so its hosts never end up on different images. The plans are what a dry run lists.
  const stamp = rebootStamp()
  const plans = new Map(
    targets.map((t) => [t, planReboot(t.accessory, t.host, deployment.loggingArgs, containerOf(t), stamp)]),
  )
  const hostsOf = (list: readonly RebootTarget[]) => [...new Set(list.map((t) => t.host))]
  const plansOn = (host: string, list: readonly RebootTarget[]) =>
    list.filter((t) => t.host === host).map((t) => plans.get(t)!)
  // Steps that run once per host (a login, a network) are done once across both phases.
  const doneOn = new Map(hostsOf(targets).map((host) => [host, new Set<string>()]))
  const pulls = await engine.onHosts(hostsOf(targets), (host) =>
    pullOnHost(engine, host, plansOn(host, targets), doneOn.get(host)!),
  )
  for (const outcome of pulls) {
    if (outcome.ok) for (const [key, result] of outcome.value) results.set(key, result)
    else
      for (const t of targets.filter((t) => t.host === outcome.host))
        results.set(keyOf(t), { outcome: 'failed', error: outcome.error.message })
  }
  const pullFailedOn = new Map<string, string>() // accessory name → first host whose pull failed
  for (const t of targets)
    if (results.has(keyOf(t)) && !pullFailedOn.has(t.accessory.name)) pullFailedOn.set(t.accessory.name, t.host)
  const ready: RebootTarget[] = []
  for (const t of targets) {
    const failedOn = pullFailedOn.get(t.accessory.name)
    if (failedOn === undefined) ready.push(t)
    else if (!results.has(keyOf(t))) {
      results.set(keyOf(t), {
        outcome: 'skipped',
        error: `the image could not be pulled on ${failedOn}, so no host of \`${t.accessory.name}\` was rebooted.`,
      })
    }
  }

  // 2. Replace. On one host, accessories go one after another in config order.
  const hosts = hostsOf(ready)
  const rebootHost = async (host: string): Promise<boolean> => {
    let ok = true
    for (const target of ready.filter((t) => t.host === host)) {
      let result: PairResult
      try {
        result = await rebootOne(engine, plans.get(target)!, options, doneOn.get(host)!)
      } catch (error) {
        result = { outcome: 'failed', error: sentence(error) }
      }
      results.set(keyOf(target), result)
      ok &&= result.outcome === 'rebooted'
    }
    return ok
  }
  if (options.rolling) {
    for (const [index, host] of hosts.entries()) {
      if (await rebootHost(host)) continue
      const signal = engine.interruptedBy
      for (const t of ready.filter((t) => hosts.indexOf(t.host) > index)) {
        results.set(
          keyOf(t),
          signal
            ? interrupted(signal, 'before this host was reached (the old container still runs)')
            : {
                outcome: 'skipped',
                error: `--rolling stopped at the first failed host (${host}); fix it and run the reboot again.`,
              },
        )
      }
      break
    }
  } else {
    await engine.onHosts(hosts, rebootHost)
  }
  return { verb: 'reboot', dryRun: false, entries: entriesFor(verdicts, results) }
}
