// accessory-reboot: replace accessory containers with ones from the configured image, with the least
// downtime and nothing lost. Per host: pull first (on every target host, before anything stops), create
// the new container beside the old one, then rename old aside → rename new → stop old → start new in one
// remote command, verify, and roll back to the old container if the new one does not stay up (reboot-pair.ts,
// rollback.ts: the new one is kept if the old one is gone). After a signal no new step starts; a host mid-swap goes
// back to its old container unless the new one was verified. The steps come from one plan per pair
// (reboot-plan.ts planReboot), which the run executes and `--dry-run` lists.
//
// Reading order: executeReboot (the run, phase by phase), dryRunReboot (the same plans, listed), then the phases.
import type { Deployment } from '../config/deployment.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import { rebootStamp } from '../docker/names.ts'
import { judgeAll, type HostObservation, type JudgeContext, type Verdict } from '../drift/verdicts.ts'
import { describeCommand } from '../remote/transport.ts'
import type { Report } from '../report/model.ts'
import type { StepEngine } from './engine.ts'
import { entriesFor, pairKey, type PairResult } from './entries.ts'
import { observeSelection } from './observe.ts'
import { isProxied } from './proxy-steps.ts'
import { interrupted, rebootOne, type UpCheck } from './reboot-pair.ts'
import { plannedCommands, planReboot, STAMP, type RebootPlan } from './reboot-plan.ts'
import { afterRecovery, planRecovery, type RecoveryPlan } from './recovery.ts'
import { routeAfterRollback } from './rollback.ts'
import type { Selection } from './selection.ts'

export interface RebootOptions extends UpCheck {
  dryRun: boolean
  /** Only accessory × host pairs whose verdict is drift. */
  drifted: boolean
  /** One host at a time, stopping at the first failure. */
  rolling: boolean
  judging: JudgeContext
}

type RebootTarget = Verdict & { kind: 'missing' | 'in_sync' | 'drift' }

/** What the phases of one run share: the plans, the once-per-host steps done on each host, the results so far. */
interface RebootRun {
  engine: StepEngine
  options: RebootOptions
  plans: ReadonlyMap<RebootTarget, RebootPlan>
  /** Steps that run once per host (a login, a network) are done once across both phases. */
  doneOn: ReadonlyMap<string, Set<string>>
  results: Map<string, PairResult>
}

const keyOf = (v: Verdict) => pairKey(v.accessory.name, v.host)
const hostsOf = (list: readonly Verdict[]) => [...new Set(list.map((v) => v.host))]

/** Verdicts → the pairs a reboot touches. Unobserved hosts are never touched; with --drifted, only drift. */
function rebootTargets(verdicts: readonly Verdict[], drifted: boolean): RebootTarget[] {
  return verdicts.filter((v): v is RebootTarget => v.kind !== 'unreachable' && (!drifted || v.kind === 'drift'))
}

const containerOf = (target: RebootTarget): ObservedContainer | undefined =>
  target.kind === 'missing' ? undefined : target.container

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

/** Under the lock: re-check, pull everywhere, then replace host by host (all at once, or rolling). */
export async function executeReboot(
  deployment: Deployment,
  selection: Selection[],
  engine: StepEngine,
  options: RebootOptions,
): Promise<Report> {
  const observed = await observeSelection(engine, selection, options.judging)
  if (options.dryRun) return dryRunReboot(deployment, selection, observed, options)
  const results = new Map<string, PairResult>()
  // 0. Leftovers of an interrupted reboot first; then look again, so the rest works on what is there now.
  const { verdicts, targets } = await recoverFirst(engine, selection, observed.verdicts, options, results)
  // 1. The plans (what a dry run lists), then the pull on every target host before anything is stopped.
  const stamp = rebootStamp()
  const plans = new Map(
    targets.map((t) => [t, planReboot(t.accessory, t.host, deployment.loggingArgs, containerOf(t), stamp)]),
  )
  const doneOn = new Map(hostsOf(targets).map((host) => [host, new Set<string>()]))
  const run: RebootRun = { engine, options, plans, doneOn, results }
  const ready = await pullEverywhere(run, targets)
  // 2. Replace. On one host, accessories go one after another in config order.
  await replaceOnHosts(run, ready)
  return { verb: 'reboot', dryRun: false, entries: entriesFor(verdicts, results) }
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
  const recoveries = recoveryPlans(found.verdicts)
  const targets = rebootTargets(
    recoveries.length
      ? judgeAll(selection, observationsAfter(recoveries, found.observations), options.judging)
      : found.verdicts,
    options.drifted,
  )
  const plans = targets.map((t) => planReboot(t.accessory, t.host, deployment.loggingArgs, containerOf(t), STAMP))
  const listed = plannedCommands(plans)
  const recoveryOf = (v: Verdict) =>
    recoveries.find((r) => r.verdict === v)?.plan.steps.map((s) => describeCommand(s.command)) ?? []
  for (const v of found.verdicts) {
    const key = pairKey(v.accessory.name, v.host)
    const plan = plans.find((p) => pairKey(p.accessory.name, p.host) === key)
    if (plan) results.set(key, { done: 'would_reboot', plannedCommands: [...recoveryOf(v), ...listed.get(plan)!] })
    else if (recoveryOf(v).length)
      results.set(key, {
        done: 'planned',
        detail: 'clean up after an interrupted reboot of',
        plannedCommands: recoveryOf(v),
      })
  }
  return { verb: 'reboot', dryRun: true, entries: entriesFor(found.verdicts, results) }
}

// -- 0. recovery --

/** Where an interrupted reboot left temporary containers, what to do about them (see recovery.ts). */
function recoveryPlans(verdicts: readonly Verdict[]): Array<{ verdict: Verdict; plan: RecoveryPlan }> {
  return verdicts.flatMap((verdict) => {
    const plan = planRecovery(verdict)
    return plan ? [{ verdict, plan }] : []
  })
}

/** The hosts' containers as they will be once the recoveries ran (what the dry run judges the reboot by). */
function observationsAfter(
  recoveries: ReadonlyArray<{ verdict: Verdict; plan: RecoveryPlan }>,
  observations: ReadonlyMap<string, HostObservation>,
): Map<string, HostObservation> {
  return new Map(
    [...observations].map(([host, observation]): [string, HostObservation] => {
      if (!observation.ok) return [host, observation]
      let containers = observation.containers
      for (const { verdict, plan } of recoveries.filter((r) => r.verdict.host === host))
        containers = afterRecovery(containers, plan, verdict.accessory.serviceName)
      return [host, { ...observation, containers }]
    }),
  )
}

/**
 * Recovers what interrupted reboots left, looks again when it did anything, and says what to reboot now: a pair
 * whose recovery failed is not rebooted; one restored and now in sync is reported as restored.
 */
async function recoverFirst(
  engine: StepEngine,
  selection: Selection[],
  observed: Verdict[],
  options: RebootOptions,
  results: Map<string, PairResult>,
): Promise<{ verdicts: Verdict[]; targets: RebootTarget[] }> {
  const recovery = await recoverInterrupted(engine, observed)
  const verdicts =
    recovery.done.size || recovery.failed.size
      ? (await observeSelection(engine, selection, options.judging)).verdicts
      : observed
  for (const [key, result] of recovery.failed) results.set(key, result)
  const targets = rebootTargets(verdicts, options.drifted).filter((t) => !recovery.failed.has(keyOf(t)))
  for (const v of verdicts) {
    const summary = recovery.done.get(keyOf(v))
    const replaced = targets.some((t) => keyOf(t) === keyOf(v))
    if (summary && !replaced && v.kind === 'in_sync' && v.container.state === 'running')
      results.set(keyOf(v), { done: 'restored', detail: summary })
  }
  return { verdicts, targets }
}

/**
 * Restores or cleans up where an interrupted reboot left temporary containers. Returns the results of pairs
 * whose recovery failed or was interrupted, and what each recovery did.
 */
async function recoverInterrupted(
  engine: StepEngine,
  verdicts: readonly Verdict[],
): Promise<{ failed: Map<string, PairResult>; done: Map<string, string> }> {
  const plans = recoveryPlans(verdicts)
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
          done: 'failed',
          error: `while recovering from an interrupted reboot (nothing holding data was removed), ${result.error}`,
        })
    }
  })
  return { failed, done }
}

// -- 1. pull --

/**
 * Logs in and pulls on every target host. An accessory whose pull failed anywhere is rebooted nowhere, so its
 * hosts never end up on different images. Returns the pairs ready to replace.
 */
async function pullEverywhere(run: RebootRun, targets: readonly RebootTarget[]): Promise<RebootTarget[]> {
  const { engine, results } = run
  const pulls = await engine.onHosts(hostsOf(targets), (host) =>
    pullOnHost(
      engine,
      host,
      targets.filter((t) => t.host === host).map((t) => run.plans.get(t)!),
      run.doneOn.get(host)!,
    ),
  )
  for (const outcome of pulls) {
    if (outcome.ok) for (const [key, result] of outcome.value) results.set(key, result)
    else
      for (const t of targets.filter((t) => t.host === outcome.host))
        results.set(keyOf(t), { done: 'failed', error: outcome.error.message })
  }
  return readyToReplace(targets, results)
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
        done: 'failed',
        error: `${result.error} Nothing was stopped: the old container still runs.`,
      })
  }
  return failures
}

/** The targets whose accessory pulled everywhere; the other hosts of an accessory whose pull failed are skipped. */
function readyToReplace(targets: readonly RebootTarget[], results: Map<string, PairResult>): RebootTarget[] {
  const pullFailedOn = new Map<string, string>() // accessory name → first host whose pull failed
  for (const t of targets)
    if (results.has(keyOf(t)) && !pullFailedOn.has(t.accessory.name)) pullFailedOn.set(t.accessory.name, t.host)
  const ready: RebootTarget[] = []
  for (const t of targets) {
    const failedOn = pullFailedOn.get(t.accessory.name)
    if (failedOn === undefined) ready.push(t)
    else if (!results.has(keyOf(t))) {
      results.set(keyOf(t), {
        done: 'skipped',
        error: `the image could not be pulled on ${failedOn}, so no host of \`${t.accessory.name}\` was rebooted.`,
      })
    }
  }
  return ready
}

// -- 2. replace --

/** Every host at once, or with --rolling one after another, stopping at the first host that failed. */
async function replaceOnHosts(run: RebootRun, ready: readonly RebootTarget[]): Promise<void> {
  const hosts = hostsOf(ready)
  if (!run.options.rolling) {
    await run.engine.onHosts(hosts, (host) => replaceOnHost(run, ready, host))
    return
  }
  for (const [index, host] of hosts.entries()) {
    if (await replaceOnHost(run, ready, host)) continue
    const signal = run.engine.interruptedBy
    for (const t of ready.filter((t) => hosts.indexOf(t.host) > index)) {
      run.results.set(
        keyOf(t),
        signal
          ? interrupted(signal, 'before this host was reached (the old container still runs)')
          : {
              done: 'skipped',
              error: `--rolling stopped at the first failed host (${host}); fix it and run the reboot again.`,
            },
      )
    }
    break
  }
}

/** One host's pairs one after another in config order; true when every one was rebooted. */
async function replaceOnHost(run: RebootRun, ready: readonly RebootTarget[], host: string): Promise<boolean> {
  let ok = true
  for (const target of ready.filter((t) => t.host === host)) {
    const result = await rebootOne(run.engine, run.plans.get(target)!, run.options, run.doneOn.get(host)!)
    run.results.set(keyOf(target), result)
    ok &&= result.done === 'rebooted'
  }
  return ok
}
