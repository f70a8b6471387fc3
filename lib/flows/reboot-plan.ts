// One plan per accessory × host for a reboot: what the run executes and what `--dry-run` prints, so the two
// cannot disagree. Pure. The run goes through the plans of a host in two phases (every login and pull first,
// on every target host; then prepare, create, swap and remove one accessory after another), with steps that
// run once per host (a login, a network) done once; `plannedCommands` lists them the same way.
import type { Accessory } from '../config/accessory.ts'
import { createAccessory, pullImage, removeContainer } from '../docker/accessory-commands.ts'
import { proxyDeploy } from '../docker/proxy-commands.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import { temporaryName } from '../docker/names.ts'
import { swapCommand } from '../docker/reboot-commands.ts'
import { describeCommand, type RemoteCommand } from '../remote/transport.ts'
import type { Step } from './engine.ts'
import { loginStep, prepareSteps } from './prepare.ts'
import { isProxied } from './proxy-steps.ts'

/** How the dry run names the new container's id, which only `docker create` can tell. */
export const NEW_ID = 'NEW_ID'
/** How the dry run names the reboot's stamp (base-36 time, chosen when the run starts). */
export const STAMP = 'STAMP'

export interface RebootPlan {
  accessory: Accessory
  host: string
  /** Phase 1, before anything stops anywhere: log in, pull. */
  pull: Step[]
  /** Phase 2: network, directories, files, env file (a login already done in phase 1 is not repeated). */
  prepare: Step[]
  /** The new container, created beside the old one under a temporary name. */
  create: Step
  newName: string
  /** The container being replaced, and the name it is set aside under during the swap. */
  old?: { id: string; asideName: string; wasRunning: boolean; image: string }
  /** Old aside, new in, one remote command; it needs the id `docker create` printed. */
  swap: (newId: string) => RemoteCommand
  /** With `proxy:`, right after the swap: kamal-proxy routes to the new container. */
  route?: (newId: string) => RemoteCommand
  /** Once the new container is verified. */
  removeOld?: RemoteCommand
}

export function planReboot(
  accessory: Accessory,
  host: string,
  loggingArgs: string[],
  container: ObservedContainer | undefined,
  stamp: string,
): RebootPlan {
  const newName = temporaryName(accessory.serviceName, 'new', stamp)
  const old = container && {
    id: container.id.slice(0, 12),
    asideName: temporaryName(accessory.serviceName, 'old', stamp),
    wasRunning: container.state === 'running',
    image: container.image,
  }
  return {
    accessory,
    host,
    pull: [
      ...(accessory.registryLogin ? [loginStep(accessory.registryLogin)] : []),
      { description: `pull ${accessory.image}`, command: pullImage(accessory.image) },
    ],
    prepare: prepareSteps(accessory),
    create: {
      description: `create the new ${accessory.serviceName} container beside the old one`,
      command: createAccessory(accessory, host, loggingArgs, newName),
    },
    newName,
    ...(old ? { old } : {}),
    swap: (newId) => swapCommand(accessory.serviceName, newId, old),
    ...(isProxied(accessory) ? { route: (newId: string) => proxyDeploy(accessory, newId) } : {}),
    ...(old ? { removeOld: removeContainer(old.id) } : {}),
  }
}

/** The steps that still run given the once-per-host steps already `done` on that host (which it then records). */
export function stepsToRun(steps: readonly Step[], done: Set<string>): Step[] {
  return steps.filter((step) => {
    if (!step.oncePerHost) return true
    if (done.has(step.oncePerHost)) return false
    done.add(step.oncePerHost)
    return true
  })
}

/**
 * The commands each plan sends, as the dry run prints them, in the run's order per host (plans of one host in
 * the order given). The new container's id stands as NEW_ID; `docker create` is marked as printing it.
 */
export function plannedCommands(plans: readonly RebootPlan[]): Map<RebootPlan, string[]> {
  const listed = new Map<RebootPlan, string[]>(plans.map((p) => [p, []]))
  for (const host of new Set(plans.map((p) => p.host))) {
    const onHost = plans.filter((p) => p.host === host)
    const done = new Set<string>()
    for (const plan of onHost)
      listed.get(plan)!.push(...stepsToRun(plan.pull, done).map((s) => describeCommand(s.command)))
    for (const plan of onHost)
      listed
        .get(plan)!
        .push(
          ...stepsToRun(plan.prepare, done).map((s) => describeCommand(s.command)),
          `${describeCommand(plan.create.command)}  # prints ${NEW_ID}`,
          describeCommand(plan.swap(NEW_ID)),
          ...(plan.route ? [describeCommand(plan.route(NEW_ID))] : []),
          ...(plan.removeOld ? [describeCommand(plan.removeOld)] : []),
        )
  }
  return listed
}
