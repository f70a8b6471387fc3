// One accessory on one host, once its image is pulled everywhere: prepare, create the new container beside the
// old one, swap them, verify the new one; roll back to the old one on a failure or a signal (rollback.ts), else
// remove the old one and record Kamal's audit lines. Every step comes from the pair's RebootPlan.
import { AUDIT } from '../audit/audit-log.ts'
import { describeFailure } from '../remote/command-failure.ts'
import { type CommandResult } from '../remote/transport.ts'
import { Interrupted, type StepEngine } from './engine.ts'
import type { PairResult } from './entries.ts'
import { isProxied } from './proxy-steps.ts'
import type { RebootPlan } from './reboot-plan.ts'
import { rollBack, routeAfterRollback } from './rollback.ts'
import { SETTLE_MS, verifyUp } from './verify-up.ts'

/** How long a new container gets to show that it stays up. */
export interface UpCheck {
  /** How long a new container with a health check may take to become healthy. */
  healthTimeoutSeconds: number
  /** How long a new container must stay running; SETTLE_MS unless a test shortens it. */
  settleMs?: number
}

/** A pair a signal stopped `what` ("before its image was pulled"): skipped, for the next reboot to do. */
export const interrupted = (signal: string, what: string): PairResult => ({
  done: 'skipped',
  error: `the run was interrupted by ${signal} ${what}; run the reboot again.`,
})

function sentence(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The pair's result; an unexpected error fails this pair only. */
export async function rebootOne(
  engine: StepEngine,
  plan: RebootPlan,
  upCheck: UpCheck,
  done: Set<string>,
): Promise<PairResult> {
  try {
    return await replaceContainer(engine, plan, upCheck, done)
  } catch (error) {
    return { done: 'failed', error: sentence(error) }
  }
}

async function replaceContainer(
  engine: StepEngine,
  plan: RebootPlan,
  upCheck: UpCheck,
  done: Set<string>,
): Promise<PairResult> {
  const prepared = await prepareAndCreate(engine, plan, done)
  if (!prepared.ok) return prepared.result
  const failure = await swapAndVerify(engine, plan, prepared.newId, upCheck)
  if (failure) return rollBackPair(engine, plan, prepared.newId, failure, upCheck.settleMs ?? SETTLE_MS)
  return removeOldAndAudit(engine, plan)
}

/** The host prepared and the new container created beside the old one (its id), or why nothing was replaced. */
async function prepareAndCreate(
  engine: StepEngine,
  plan: RebootPlan,
  done: Set<string>,
): Promise<{ ok: true; newId: string } | { ok: false; result: PairResult }> {
  const { accessory, host } = plan
  const prepared = await engine.steps(host, plan.prepare, done)
  if (!prepared.ok) {
    if (prepared.interrupted)
      return {
        ok: false,
        result: interrupted(prepared.signal, 'before anything was replaced here (the old container still runs)'),
      }
    return {
      ok: false,
      result: {
        done: 'failed',
        error: `${prepared.error} Nothing was replaced: the old container was not touched.`,
      },
    }
  }
  let created
  try {
    engine.progress(host, `creating the new ${accessory.serviceName} container beside the old one`)
    created = await engine.run(host, plan.create.command)
  } catch (error) {
    if (error instanceof Interrupted)
      return {
        ok: false,
        result: interrupted(error.signal, 'before anything was replaced here (the old container still runs)'),
      }
    throw error
  }
  if (created.exitCode !== 0) {
    return {
      ok: false,
      result: {
        done: 'failed',
        error: `could not create the new container: ${describeFailure(host, 'docker create', created)} The old container was not touched.`,
      },
    }
  }
  return { ok: true, newId: created.stdout.trim().slice(0, 12) }
}

/** Old aside, new in, routed, verified: undefined when all went well, else what failed (the run rolls back). */
async function swapAndVerify(
  engine: StepEngine,
  plan: RebootPlan,
  newId: string,
  upCheck: UpCheck,
): Promise<string | undefined> {
  const { accessory, host } = plan
  try {
    engine.progress(host, `swapping ${accessory.serviceName} for the new container`)
    const swapped = await engine.run(host, plan.swap(newId))
    if (swapped.exitCode !== 0)
      return `could not swap the containers: ${describeFailure(host, 'docker stop/rename/start', swapped)}`
    // kamal-proxy first (it waits for the new container's health check, then drains the old one), then berth's check
    const routed = plan.route ? await engine.run(host, plan.route(newId)) : undefined
    if (routed && routed.exitCode !== 0)
      return `kamal-proxy could not route to the new container: ${describeFailure(host, 'kamal-proxy deploy', routed)}`
    await verifyUp(engine, host, newId, upCheck.healthTimeoutSeconds, upCheck.settleMs ?? SETTLE_MS)
    return undefined
  } catch (error) {
    return error instanceof Interrupted
      ? `the run was interrupted by ${error.signal} before the new container was verified`
      : sentence(error)
  }
}

/** Back to the old container (kamal-proxy too); the pair failed with `failure`, and says how the host is now. */
async function rollBackPair(
  engine: StepEngine,
  plan: RebootPlan,
  newId: string,
  failure: string,
  settleMs: number,
): Promise<PairResult> {
  const { accessory, host, old } = plan
  const rolledBack = await rollBack(
    engine,
    { accessory, host, next: { id: newId, temporaryName: plan.newName }, ...(old ? { old } : {}) },
    settleMs,
  )
  const rerouted = isProxied(accessory) ? `; ${await routeAfterRollback(engine, accessory, host)}` : ''
  return { done: 'failed', error: `${failure.replace(/\.$/, '')}; ${rolledBack}${rerouted}.` }
}

/** The new container is verified: remove the old one, and record Kamal's audit lines for a reboot. */
async function removeOldAndAudit(engine: StepEngine, plan: RebootPlan): Promise<PairResult> {
  const { accessory, host, old } = plan
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
    return { done: 'rebooted' }
  }
  const keptOld = `the old container is kept, stopped, as ${old.asideName}; remove it with \`docker rm ${old.asideName}\` on ${host}`
  let result: PairResult
  let removed: CommandResult | undefined
  try {
    removed = await engine.run(host, plan.removeOld)
    result =
      removed.exitCode === 0
        ? { done: 'rebooted' }
        : /No such container/i.test(removed.stderr)
          ? { done: 'rebooted', detail: 'the old container was already gone: it was removed while the reboot ran' }
          : { done: 'rebooted', detail: `${keptOld} (it could not be removed)` }
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    result = { done: 'rebooted', detail: `${keptOld} (the run was interrupted by ${error.signal})` }
  }
  await engine.audit(host, audited(removed?.exitCode === 0))
  return result
}
