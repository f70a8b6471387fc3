// accessory-reboot: replace accessory containers with ones from the configured image, with the least
// downtime and nothing lost. Per host: pull first (on every target host, before anything stops), create
// the new container beside the old one, then rename old aside → rename new → stop old → start new in one
// remote command, verify, and roll back to the old container if the new one does not stay up. After a
// signal no new step starts; a host mid-swap goes back to its old container unless the new one was verified.
import { AUDIT } from '../audit/commands.ts'
import type { Accessory, Deployment } from '../config/model.ts'
import { containerHealth, containerLogs, createAccessory, pullImage, removeContainer } from '../docker/commands.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import { rebootStamp, temporaryName } from '../docker/names.ts'
import type { JudgeContext, Verdict } from '../drift/verdicts.ts'
import type { ShellWord } from '../remote/quote.ts'
import { describeCommand, describeFailure, type RemoteCommand } from '../remote/transport.ts'
import type { Report } from '../report/model.ts'
import { Interrupted, type StepEngine } from './engine.ts'
import { entriesFor, pairKey, type PairResult } from './entries.ts'
import { observeSelection } from './observe.ts'
import { loginStep, prepareSteps, runPrepareSteps } from './prepare.ts'
import { planRecovery } from './recovery.ts'
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

export type RebootTarget = Verdict & { kind: 'missing' | 'in_sync' | 'drift' }

/** Verdicts → the pairs a reboot touches. Unobserved hosts are never touched; with --drifted, only drift. */
export function rebootTargets(verdicts: readonly Verdict[], drifted: boolean): RebootTarget[] {
  return verdicts.filter((v): v is RebootTarget => v.kind !== 'unobserved' && (!drifted || v.kind === 'drift'))
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
      if (result.ok) done.set(key, plan.summary)
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

const containerOf = (target: Exclude<Verdict, { kind: 'unobserved' }>): ObservedContainer | undefined =>
  target.kind === 'missing' ? undefined : target.container

/**
 * Old container out, new one in, as one remote command. The renames come first (a running container can be
 * renamed), so the downtime is `docker stop` then `docker start` alone, as close to `docker restart` as two
 * containers allow.
 */
export function swapCommand(
  serviceName: string,
  newId: string,
  old: { id: string; asideName: string } | undefined,
): RemoteCommand {
  const and: ShellWord = { raw: '&&' }
  const argv: ShellWord[] = old ? ['docker', 'rename', old.id, old.asideName, and] : []
  argv.push('docker', 'rename', newId, serviceName, and)
  if (old) argv.push('docker', 'stop', old.id, and)
  argv.push('docker', 'start', newId)
  return { argv }
}

/** Puts the old container back under its name and, if it was running, starts it again. */
export function rollbackCommand(
  serviceName: string,
  newId: string,
  old: { id: string; wasRunning: boolean } | undefined,
): RemoteCommand {
  const then: ShellWord = { raw: ';' }
  const argv: ShellWord[] = ['docker', 'rm', '--force', newId, then]
  if (old) {
    argv.push('docker', 'rename', old.id, serviceName, { raw: '2>/dev/null' }, then)
    if (old.wasRunning) argv.push('docker', 'start', old.id)
    else argv.push('true')
  } else {
    argv.push('true')
  }
  return { argv }
}

function sentence(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export function rebootCommands(
  accessory: Accessory,
  host: string,
  loggingArgs: string[],
  container: ObservedContainer | undefined,
): string[] {
  const next = temporaryName(accessory.serviceName, 'new', 'STAMP')
  return [
    ...(accessory.registryLogin ? [loginStep(accessory.registryLogin).command] : []),
    pullImage(accessory.image),
    ...prepareSteps(accessory).map((s) => s.command),
    createAccessory(accessory, host, loggingArgs, next),
    swapCommand(
      accessory.serviceName,
      next,
      container
        ? { id: container.id.slice(0, 12), asideName: temporaryName(accessory.serviceName, 'old', 'STAMP') }
        : undefined,
    ),
    ...(container ? [removeContainer(container.id.slice(0, 12))] : []),
  ].map(describeCommand)
}

/** A new container must stay running this long (and not restart) to count as up. */
export const SETTLE_MS = 1000
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
  engine.progress(
    host,
    `checking that the new container stays up${healthTimeoutSeconds ? ` (and becomes healthy if it has a health check, up to ${healthTimeoutSeconds}s)` : ''}`,
  )
  const pollMs = Math.min(POLL_MS, settleMs)
  const deadline = started + Math.max(healthTimeoutSeconds * 1000, settleMs + pollMs)
  for (;;) {
    const elapsed = Date.now() - started
    const result = await engine.run(host, containerHealth(id))
    if (result.exitCode !== 0) throw new Error(describeFailure(host, 'docker inspect', result))
    const [status, restarts, health] = result.stdout.trim().split(' ')
    if (status !== 'running' || restarts !== '0') {
      const logs = await engine.run(host, containerLogs(id, { lines: 5, timestamps: false }))
      const tail = logs.stdout.trim().split('\n').filter(Boolean).slice(-3).join(' | ')
      throw new Error(
        `the new container did not stay up (${status}${restarts !== '0' ? `, restarted ${restarts}×` : ''})${tail ? `; its last output: ${tail}` : ''}`,
      )
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
  deployment: Deployment,
  target: RebootTarget,
  options: RebootOptions,
  done: Set<string>,
): Promise<PairResult> {
  const { accessory, host } = target
  const old = containerOf(target)
  const stamp = rebootStamp()
  const prepared = await runPrepareSteps(engine, host, accessory, done)
  if (!prepared.ok) {
    if (prepared.interrupted)
      return interrupted(prepared.signal, 'before anything was replaced here (the old container still runs)')
    return { outcome: 'failed', error: `${prepared.error} Nothing was replaced: the old container was not touched.` }
  }

  let created
  try {
    engine.progress(host, `creating the new ${accessory.serviceName} container beside the old one`)
    created = await engine.run(
      host,
      createAccessory(accessory, host, deployment.loggingArgs, temporaryName(accessory.serviceName, 'new', stamp)),
    )
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
  const oldRef = old && {
    id: old.id.slice(0, 12),
    asideName: temporaryName(accessory.serviceName, 'old', stamp),
    wasRunning: old.state === 'running',
  }

  let failure: string | undefined
  try {
    engine.progress(host, `swapping ${accessory.serviceName} for the new container`)
    const swapped = await engine.run(host, swapCommand(accessory.serviceName, newId, oldRef))
    if (swapped.exitCode !== 0)
      failure = `could not swap the containers: ${describeFailure(host, 'docker stop/rename/start', swapped)}`
    else await verifyUp(engine, host, newId, options.healthTimeoutSeconds, options.settleMs ?? SETTLE_MS)
  } catch (error) {
    failure =
      error instanceof Interrupted
        ? `the run was interrupted by ${error.signal} before the new container was verified`
        : sentence(error)
  }
  if (failure) {
    const rolledBack = await engine.restore(host, rollbackCommand(accessory.serviceName, newId, oldRef))
    let restored = !oldRef
      ? 'the new container was removed'
      : rolledBack.exitCode === 0
        ? `rolled back: the old container (${old!.image}) ${oldRef.wasRunning ? 'runs again' : 'is back, stopped as it was'}`
        : `the rollback failed too (${describeFailure(host, 'rollback', rolledBack)}); check \`docker ps -a --filter label=service=${accessory.serviceName}\` on ${host}`
    // The old container mounts what this reboot already rewrote (uploaded files, the env file is only read at
    // creation): say what runs now, rather than assume it. Never waited for after a signal.
    if (oldRef?.wasRunning && rolledBack.exitCode === 0 && !engine.interruptedBy) {
      await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? SETTLE_MS))
      const now = await engine.restore(host, containerHealth(oldRef.id))
      const [status, , health] = now.stdout.trim().split(' ')
      if (now.exitCode !== 0 || status !== 'running' || health === 'unhealthy') {
        const files = accessory.files.map((f) => f.remotePath)
        restored = `rolled back, but the old container (${old!.image}) is ${status || 'not readable'}${health === 'unhealthy' ? ', unhealthy' : ''} now${files.length ? ` (this reboot had already rewritten the files it mounts: ${files.join(', ')})` : ''}; the accessory is down on ${host}: read its logs and fix the cause`
      }
    }
    return { outcome: 'failed', error: `${failure}; ${restored}.` }
  }
  // Kamal's audit lines for a reboot: pull, stop, remove (when the old container went), boot.
  const name = accessory.name
  const audited = (oldRemoved: boolean) => [
    AUDIT.pulled(name),
    ...(oldRef ? [AUDIT.stopped(name)] : []),
    ...(oldRemoved ? [AUDIT.removedContainer(name)] : []),
    AUDIT.booted(name),
  ]
  if (!oldRef) {
    await engine.audit(host, audited(false))
    return { outcome: 'rebooted' }
  }
  const keptOld = `the old container is kept, stopped, as ${oldRef.asideName}; remove it with \`docker rm ${oldRef.asideName}\` on ${host}`
  let result: PairResult
  try {
    const removed = await engine.run(host, removeContainer(oldRef.id))
    result =
      removed.exitCode === 0
        ? { outcome: 'rebooted' }
        : { outcome: 'rebooted', detail: `${keptOld} (it could not be removed)` }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    result = { outcome: 'rebooted', detail: `${keptOld} (the run was interrupted by ${error.signal})` }
  }
  await engine.audit(host, audited(result.detail === undefined))
  return result
}

/** Login and pull of every target on one host; returns the failures by pair key. */
async function pullOnHost(
  engine: StepEngine,
  host: string,
  targets: readonly RebootTarget[],
): Promise<Map<string, PairResult>> {
  const failures = new Map<string, PairResult>()
  const done = new Set<string>()
  for (const target of targets) {
    const { accessory } = target
    const key = pairKey(accessory.name, host)
    const login = accessory.registryLogin ? [loginStep(accessory.registryLogin)] : []
    const result = await engine.steps(
      host,
      [...login, { description: `pull ${accessory.image}`, command: pullImage(accessory.image) }],
      done,
    )
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

/** Under the lock: re-check, pull everywhere, then replace host by host (all at once, or rolling). */
export async function executeReboot(
  deployment: Deployment,
  selection: Selection[],
  engine: StepEngine,
  options: RebootOptions,
): Promise<Report> {
  const { judging } = options
  let { verdicts } = await observeSelection(engine, selection, judging)
  const results = new Map<string, PairResult>()
  const keyOf = (t: Verdict) => pairKey(t.accessory.name, t.host)
  if (options.dryRun) {
    const targets = new Set<Verdict>(rebootTargets(verdicts, options.drifted))
    for (const v of verdicts) {
      const recovery = planRecovery(v)?.steps.map((s) => describeCommand(s.command)) ?? []
      if (targets.has(v) && v.kind !== 'unobserved') {
        results.set(keyOf(v), {
          outcome: 'would_reboot',
          plannedCommands: [
            ...recovery,
            ...rebootCommands(v.accessory, v.host, deployment.loggingArgs, containerOf(v)),
          ],
        })
      } else if (recovery.length) {
        results.set(keyOf(v), {
          outcome: 'planned',
          detail: 'clean up after an interrupted reboot of',
          plannedCommands: recovery,
        })
      }
    }
    return { verb: 'reboot', dryRun: true, entries: entriesFor(verdicts, results) }
  }

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
  //    rebooted nowhere, so its hosts never end up on different images.
  const hostsOf = (list: readonly RebootTarget[]) => [...new Set(list.map((t) => t.host))]
  const pulls = await engine.onHosts(hostsOf(targets), (host) =>
    pullOnHost(
      engine,
      host,
      targets.filter((t) => t.host === host),
    ),
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
    // Logins already ran in the pull phase; network steps run once per host.
    const done = new Set(
      ready.flatMap((t) =>
        t.host === host && t.accessory.registryLogin ? [loginStep(t.accessory.registryLogin).oncePerHost!] : [],
      ),
    )
    let ok = true
    for (const target of ready.filter((t) => t.host === host)) {
      let result: PairResult
      try {
        result = await rebootOne(engine, deployment, target, options, done)
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
