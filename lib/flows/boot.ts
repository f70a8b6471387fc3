// accessory-boot: observe every host, judge every accessory × host, boot only what is missing, and
// leave drifted containers untouched for the report to name.
import { AUDIT } from '../audit/commands.ts'
import type { Accessory, Deployment } from '../config/model.ts'
import { removeLabelledContainers, runAccessory } from '../docker/commands.ts'
import { judge, type JudgeContext, type Verdict } from '../drift/verdicts.ts'
import { describeCommand } from '../remote/transport.ts'
import type { Report } from '../report/model.ts'
import type { StepEngine, Step } from './engine.ts'
import { entriesFor, pairKey, type PairResult } from './entries.ts'
import { configuredImagesOn, observeHosts, observeSelection } from './observe.ts'
import { prepareSteps } from './prepare.ts'
import { stepsToRun } from './reboot-plan.ts'
import type { Selection } from './selection.ts'

/** Kamal's boot order for one accessory on one host: network, login, directories, files, env file, run. */
export function planBoot(accessory: Accessory, host: string, loggingArgs: string[]): Step[] {
  return [
    ...prepareSteps(accessory),
    {
      description: `docker run ${accessory.serviceName}`,
      command: runAccessory(accessory, host, loggingArgs),
      cleanup: removeLabelledContainers(accessory.serviceName),
    },
  ]
}

/** Missing, and no old container set aside by an interrupted reboot (a reboot restores that one). */
const bootable = (v: Verdict) => v.kind === 'missing' && !v.leftovers.some((l) => l.role === 'old')

export interface BootOptions {
  dryRun: boolean
  judging: JudgeContext
  withLock: <T>(work: () => Promise<T>) => Promise<T>
}

export async function bootAccessories(
  deployment: Deployment,
  selection: Selection[],
  engine: StepEngine,
  options: BootOptions,
): Promise<Report> {
  const { judging } = options
  const { verdicts } = await observeSelection(engine, selection, judging)
  // An accessory whose container an interrupted reboot set aside is restored by a reboot, never booted anew.
  const toBoot = verdicts.filter(bootable)

  if (options.dryRun) {
    // As the run sends them: a host's network and login once, for its first accessory to boot.
    const doneOn = new Map<string, Set<string>>()
    const planned = new Map<string, PairResult>(
      toBoot.map((v) => {
        const done = doneOn.get(v.host) ?? doneOn.set(v.host, new Set()).get(v.host)!
        const steps = stepsToRun(planBoot(v.accessory, v.host, deployment.loggingArgs), done)
        return [
          pairKey(v.accessory.name, v.host),
          { outcome: 'would_boot', plannedCommands: steps.map((s) => describeCommand(s.command)) },
        ]
      }),
    )
    return { verb: 'boot', dryRun: true, entries: entriesFor(verdicts, planned) }
  }
  if (toBoot.length === 0) return { verb: 'boot', dryRun: false, entries: entriesFor(verdicts, new Map()) }

  const bootHosts = [...new Set(toBoot.map((v) => v.host))]
  return options.withLock(async () => {
    // Look again under the lock: another run may have booted some of these while we waited for it.
    const now = await observeHosts(engine, bootHosts, (host) => configuredImagesOn(selection, host))
    const fresh = verdicts.map((v) =>
      toBoot.includes(v)
        ? judge(v.accessory, v.host, now.get(v.host) ?? { ok: false, error: 'host was not observed' }, judging)
        : v,
    )
    const stillMissing = fresh.filter(bootable)
    const results = new Map<string, PairResult>()
    // Hosts boot in parallel; on one host, accessories boot one after another in config order.
    const outcomes = await engine.onHosts(bootHosts, async (host) => {
      const done = new Set<string>()
      for (const verdict of stillMissing.filter((v) => v.host === host)) {
        results.set(pairKey(verdict.accessory.name, host), await bootOne(engine, deployment, verdict, done))
      }
    })
    for (const outcome of outcomes) {
      if (outcome.ok) continue
      for (const v of stillMissing.filter(
        (v) => v.host === outcome.host && !results.has(pairKey(v.accessory.name, v.host)),
      )) {
        results.set(pairKey(v.accessory.name, v.host), { outcome: 'failed', error: outcome.error.message })
      }
    }
    return { verb: 'boot', dryRun: false, entries: entriesFor(fresh, results) }
  })
}

async function bootOne(
  engine: StepEngine,
  deployment: Deployment,
  verdict: Verdict,
  done: Set<string>,
): Promise<PairResult> {
  const steps = planBoot(verdict.accessory, verdict.host, deployment.loggingArgs)
  const result = await engine.steps(verdict.host, steps, done)
  if (result.ok) {
    await engine.audit(verdict.host, [AUDIT.booted(verdict.accessory.name)])
    return { outcome: 'booted' }
  }
  if (result.interrupted) {
    const ran = steps.slice(0, result.completed).filter((_, i) => result.results[i] !== undefined)
    if (ran.length === 0)
      return {
        outcome: 'skipped',
        error: `the run was interrupted by ${result.signal} before it was booted; run the boot again.`,
      }
    return {
      outcome: 'failed',
      error:
        `the run was interrupted by ${result.signal} before its \`docker run\`, ` +
        `after: ${ran.map((s) => s.description).join(', ')}; run the boot again to finish.`,
    }
  }
  return { outcome: 'failed', error: result.error }
}
