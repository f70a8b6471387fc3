// What a reboot does first where an earlier reboot was interrupted (SIGKILL, a lost connection) and left
// berth's temporary containers beside the accessory. Pure: verdict in, steps out.
// - The accessory has a container of its own: the temporary containers are stale and go (a reboot that
//   completed would have removed them too). A running container under the accessory's name is never removed here.
// - It has none (or only one under its name that does not run, left by an interrupted swap) and an old container
//   was set aside: the newest old one gets the name back and is started again; the other temporary containers go.
// Data lives in the mounted directories and volumes, which no step touches.
import { removeContainer, renameContainer, startContainer } from '../docker/accessory-commands.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import type { Leftover, Verdict } from '../drift/verdicts.ts'
import type { Step } from './engine.ts'

export interface RecoveryPlan {
  steps: Step[]
  /** What the plan does, in a few words for the report. */
  summary: string
  /** The ids of the containers it removes, and of the one it renames back and starts. */
  removes: string[]
  restores?: string
}

/** The containers of a host as they will be once a recovery plan ran (what a dry run judges the reboot by). */
export function afterRecovery(
  containers: readonly ObservedContainer[],
  plan: RecoveryPlan,
  serviceName: string,
): ObservedContainer[] {
  return containers
    .filter((c) => !plan.removes.includes(c.id))
    .map((c) => (c.id === plan.restores ? { ...c, name: serviceName, state: 'running' as const } : c))
}

const newestFirst = (a: Leftover, b: Leftover) => stampOf(b) - stampOf(a)
const stampOf = (l: Leftover) => Number.parseInt(l.container.name.slice(l.container.name.lastIndexOf('-') + 1), 36) || 0
const short = (l: Leftover) => l.container.id.slice(0, 12)

export function planRecovery(verdict: Verdict): RecoveryPlan | undefined {
  if (verdict.kind === 'unreachable' || verdict.leftovers.length === 0) return undefined
  const serviceName = verdict.accessory.serviceName
  const removal = (l: Leftover): Step => ({
    description: `remove ${l.container.name}`,
    command: removeContainer(short(l)),
  })
  const removeAll = (list: readonly Leftover[]): RecoveryPlan => ({
    steps: list.map(removal),
    summary: `removed ${list.map((l) => l.container.name).join(', ')}`,
    removes: list.map((l) => l.container.id),
  })
  const olds = verdict.leftovers.filter((l) => l.role === 'old').sort(newestFirst)
  // A reboot interrupted after its swap (and before removing the old container) leaves the new container under
  // the name: one that does not run now (never started, exited, crash-looping) was never shown to work, so the
  // old one, which did, takes its place again. Data lives in the mounts, which both share.
  const neverStarted =
    verdict.kind !== 'missing' && verdict.container.name === serviceName && verdict.container.state !== 'running'
      ? verdict.container
      : undefined
  if ((verdict.kind !== 'missing' && !neverStarted) || olds.length === 0) return removeAll(verdict.leftovers)
  const [restore, ...staleOlds] = olds as [Leftover, ...Leftover[]]
  const stale = [...staleOlds, ...verdict.leftovers.filter((l) => l.role === 'new')]
  const steps: Step[] = [
    ...(neverStarted
      ? [
          {
            description: `remove the unverified ${serviceName}`,
            command: removeContainer(neverStarted.id.slice(0, 12)),
          },
        ]
      : []),
    {
      description: `rename ${restore.container.name} back to ${serviceName}`,
      command: renameContainer(short(restore), serviceName),
    },
    { description: `start ${serviceName}`, command: startContainer(short(restore)) },
    ...stale.map(removal),
  ]
  const words = [
    ...(neverStarted ? [`removed the unverified ${serviceName} (${neverStarted.image}, ${neverStarted.state})`] : []),
    `renamed ${restore.container.name} (${restore.container.image}) back to ${serviceName} and started it`,
  ]
  if (stale.length) words.push(`removed ${stale.map((l) => l.container.name).join(', ')}`)
  return {
    steps,
    summary: words.join('; '),
    removes: [...(neverStarted ? [neverStarted.id] : []), ...stale.map((l) => l.container.id)],
    restores: restore.container.id,
  }
}
