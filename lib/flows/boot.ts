// accessory-boot: observe every host, judge every accessory × host, boot only what is missing, and
// leave drifted containers untouched for the report to name.
import { AUDIT } from '../audit/audit-log.ts'
import type { Accessory } from '../config/accessory.ts'
import type { Deployment } from '../config/deployment.ts'
import { removeLabelledContainers, runAccessory } from '../docker/accessory-commands.ts'
import { judge, type JudgeContext, type Verdict } from '../drift/verdicts.ts'
import { describeFailure } from '../remote/command-failure.ts'
import { describeCommand, type CommandResult } from '../remote/transport.ts'
import { scriptCommand } from '../report/messages.ts'
import type { InvocationContext, Report } from '../report/model.ts'
import { Interrupted, type StepEngine, type Step } from './engine.ts'
import { entriesFor, pairKey, type PairResult } from './entries.ts'
import { accessoriesOn, observeHosts, observeSelection, proxiedOn } from './observe.ts'
import { prepareSteps } from './prepare.ts'
import { isProxied, routeStep, type Proxied } from './proxy-steps.ts'
import { NEW_ID, stepsToRun } from './reboot-plan.ts'
import type { Selection } from './selection.ts'

/** Kamal's boot order for one accessory on one host: network, login, directories, files, env file, run. */
function planBoot(accessory: Accessory, host: string, loggingArgs: string[]): Step[] {
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
  /** How the user ran berth, for the fix commands in messages. */
  invocation?: InvocationContext
}

/** accessory-boot: boot what is missing (under the lock, after looking again), or with --dry-run list its commands. */
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
  if (options.dryRun)
    return { verb: 'boot', dryRun: true, entries: entriesFor(verdicts, plannedBoots(deployment, toBoot)) }
  if (toBoot.length === 0) return { verb: 'boot', dryRun: false, entries: entriesFor(verdicts, new Map()) }
  const bootHosts = [...new Set(toBoot.map((v) => v.host))]
  return options.withLock(async () => {
    // Look again under the lock: another run may have booted some of these while we waited for it.
    const fresh = await judgeAgain(engine, selection, bootHosts, verdicts, toBoot, judging)
    const results = await bootOnHosts(engine, deployment, bootHosts, fresh.filter(bootable), options)
    return { verb: 'boot', dryRun: false, entries: entriesFor(fresh, results) }
  })
}

/** The dry run: each pair's commands as the run sends them (a host's network and login once, for its first). */
function plannedBoots(deployment: Deployment, toBoot: readonly Verdict[]): Map<string, PairResult> {
  const doneOn = new Map<string, Set<string>>()
  return new Map<string, PairResult>(
    toBoot.map((v) => {
      const done = doneOn.get(v.host) ?? doneOn.set(v.host, new Set()).get(v.host)!
      const steps = stepsToRun(planBoot(v.accessory, v.host, deployment.loggingArgs), done)
      const plannedCommands = [
        ...steps.map((s) => describeCommand(s.command)),
        ...(isProxied(v.accessory)
          ? [`${describeCommand(routeStep(v.accessory, NEW_ID).command)}  # ${NEW_ID}: the id docker run prints`]
          : []),
      ]
      return [pairKey(v.accessory.name, v.host), { done: 'would_boot', plannedCommands }]
    }),
  )
}

/** The verdicts with the pairs to boot judged again from a fresh look at their hosts. */
async function judgeAgain(
  engine: StepEngine,
  selection: Selection[],
  bootHosts: readonly string[],
  verdicts: readonly Verdict[],
  toBoot: readonly Verdict[],
  judging: JudgeContext,
): Promise<Verdict[]> {
  const now = await observeHosts(
    engine,
    bootHosts,
    (host) => accessoriesOn(selection, host),
    (host) => proxiedOn(selection, host),
  )
  return verdicts.map((v) =>
    toBoot.includes(v)
      ? judge(v.accessory, v.host, now.get(v.host) ?? { ok: false, error: 'host was not observed' }, judging)
      : v,
  )
}

/** Hosts boot in parallel; on one host, accessories boot one after another in config order. */
async function bootOnHosts(
  engine: StepEngine,
  deployment: Deployment,
  bootHosts: readonly string[],
  stillMissing: readonly Verdict[],
  options: BootOptions,
): Promise<Map<string, PairResult>> {
  const results = new Map<string, PairResult>()
  const outcomes = await engine.onHosts(bootHosts, async (host) => {
    const done = new Set<string>()
    for (const verdict of stillMissing.filter((v) => v.host === host)) {
      results.set(pairKey(verdict.accessory.name, host), await bootOne(engine, deployment, verdict, done, options))
    }
  })
  for (const outcome of outcomes) {
    if (outcome.ok) continue
    for (const v of stillMissing.filter(
      (v) => v.host === outcome.host && !results.has(pairKey(v.accessory.name, v.host)),
    )) {
      results.set(pairKey(v.accessory.name, v.host), { done: 'failed', error: outcome.error.message })
    }
  }
  return results
}

async function bootOne(
  engine: StepEngine,
  deployment: Deployment,
  verdict: Verdict,
  done: Set<string>,
  options: BootOptions,
): Promise<PairResult> {
  const steps = planBoot(verdict.accessory, verdict.host, deployment.loggingArgs)
  const result = await engine.steps(verdict.host, steps, done)
  if (result.ok) {
    await engine.audit(verdict.host, [AUDIT.booted(verdict.accessory.name)])
    return isProxied(verdict.accessory)
      ? route(engine, verdict.accessory, verdict.host, result.results.at(-1), options)
      : { done: 'booted' }
  }
  if (result.interrupted) {
    const ran = steps.slice(0, result.completed).filter((_, i) => result.results[i] !== undefined)
    if (ran.length === 0)
      return {
        done: 'skipped',
        error: `the run was interrupted by ${result.signal} before it was booted; run the boot again.`,
      }
    return {
      done: 'failed',
      error:
        `the run was interrupted by ${result.signal} before its \`docker run\`, ` +
        `after: ${ran.map((s) => s.description).join(', ')}; run the boot again to finish.`,
    }
  }
  return { done: 'failed', error: result.error }
}

/** describeFailure's closing advice, replaced by the fix for a route. */
const RUN_AGAIN = /(; fix the cause on \S+ and run again)?\.$/

/** Kamal's boot of an accessory with `proxy:`: once `docker run` printed the container's id, route to it. */
async function route(
  engine: StepEngine,
  accessory: Proxied,
  host: string,
  run: CommandResult | undefined,
  options: BootOptions,
): Promise<PairResult> {
  const id = run?.stdout.trim().slice(0, 12) ?? ''
  const start = scriptCommand('accessory-start', accessory.name, options.invocation ?? { accessoryHosts: new Map() }, [
    '--hosts',
    host,
  ])
  const then = `fix the cause, then run \`${start}\` to route it`
  if (!/^[0-9a-f]{12}$/.test(id))
    return {
      done: 'failed',
      error: `docker run printed no container id, so kamal-proxy was not told to route it; ${then}.`,
    }
  let why: string
  try {
    engine.progress(host, routeStep(accessory, id).description)
    const routed = await engine.run(host, routeStep(accessory, id).command)
    if (routed.exitCode === 0) return { done: 'booted' }
    why = describeFailure(host, 'kamal-proxy deploy', routed)
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    why = `the run was interrupted by ${error.signal}`
  }
  return {
    done: 'failed',
    error: `the container was started, but kamal-proxy does not route to it: ${why.replace(RUN_AGAIN, '')}; ${then}.`,
  }
}
