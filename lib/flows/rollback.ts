// A reboot's rollback: put the old container back under the accessory's name, look at what holds the name,
// and only then remove the new container. When the old container is gone (removed by hand while the reboot
// ran), the new one is kept under the name and started: a rollback never leaves the accessory without a
// container it had. Every sentence it returns says what berth saw on the host afterwards, not what it meant to do.
import type { Accessory } from '../config/accessory.ts'
import { containerHealth, removeContainer } from '../docker/accessory-commands.ts'
import { proxyDeploy, proxyRemove, SERVICE_NOT_FOUND } from '../docker/proxy-commands.ts'
import { keepNewCommand, nameHolder, putBackCommand } from '../docker/reboot-commands.ts'
import { describeFailure } from '../remote/command-failure.ts'
import { type CommandResult } from '../remote/transport.ts'
import type { StepEngine } from './engine.ts'
import type { Proxied } from './proxy-steps.ts'

export interface RollbackSubject {
  accessory: Accessory
  host: string
  /** The new container: its id and the temporary name it was created with. */
  next: { id: string; temporaryName: string }
  /** The container the reboot replaces, if there was one. */
  old?: { id: string; image: string; wasRunning: boolean }
}

/** What holds a name, as `nameHolder` reports it; `none` when no container does; `unknown` when berth could not look. */
type Holder =
  | { kind: 'container'; id: string; status: string; image: string }
  | { kind: 'none' }
  | { kind: 'unknown'; error: string }

function parseHolder(host: string, result: CommandResult): Holder {
  if (result.exitCode === 0) {
    const [id = '', status = '', ...image] = result.stdout.trim().split(' ')
    if (id) return { kind: 'container', id, status, image: image.join(' ') }
  }
  if (result.exitCode === 1 && /No such (container|object)/i.test(result.stderr)) return { kind: 'none' }
  return { kind: 'unknown', error: describeFailure(host, 'docker inspect', result) }
}

const holds = (holder: Holder, id: string): boolean => holder.kind === 'container' && holder.id.startsWith(id)

/**
 * Rolls a failed reboot back and says what the host shows afterwards (a clause: `rolled back: …`). Runs after a
 * signal too (it only puts things back); only the wait to see the old container stay up is skipped then.
 */
export async function rollBack(engine: StepEngine, subject: RollbackSubject, settleMs: number): Promise<string> {
  const { accessory, host, next, old } = subject
  const name = accessory.serviceName
  const lookAgain = `check \`docker ps -a --filter label=service=${name}\` on ${host}`
  if (!old) {
    const removed = await engine.restore(host, removeContainer(next.id))
    return removed.exitCode === 0 || /No such container/i.test(removed.stderr)
      ? 'the new container was removed'
      : `the new container could not be removed (${describeFailure(host, 'docker rm', removed)}); ${lookAgain}`
  }
  await engine.restore(host, putBackCommand(name, next, old))
  const holder = parseHolder(host, await engine.restore(host, nameHolder(name)))
  if (holder.kind === 'unknown')
    return `berth could not look at ${host} after rolling back (${holder.error}); ${lookAgain}`
  if (holder.kind === 'container' && holds(holder, old.id))
    return oldIsBack(engine, { ...subject, old }, holder, settleMs)
  if (holder.kind === 'container' && !holds(holder, next.id))
    return (
      `another container (${holder.id.slice(0, 12)}, ${holder.image}, ${holder.status}) took the name ${name} on ` +
      `${host} while the reboot ran; berth left every container as it is: ${lookAgain}`
    )
  // The old container could not be put back: it is gone, or the new one kept the name. The new one is all that
  // can serve: keep it under the name, and start it.
  const why =
    holder.kind === 'none'
      ? `the old container (${old.image}) is gone (removed while the reboot ran)`
      : `the old container (${old.image}) could not get its name back (the new one could not be moved aside) and ` +
        `was left as it is`
  await engine.restore(host, keepNewCommand(name, next.id))
  const kept = parseHolder(host, await engine.restore(host, nameHolder(name)))
  if (kept.kind === 'unknown') return `${why}; berth could not look at ${host} afterwards (${kept.error}); ${lookAgain}`
  if (kept.kind !== 'container' || !holds(kept, next.id))
    return (
      `${why}${holder.kind === 'none' ? ', and so is the new one' : '; the new one is gone too'}: ` +
      `no container is named ${name} on ${host} now; run the reboot again to create it`
    )
  return kept.status === 'running'
    ? `${why}, so the new container (${kept.image}) was kept under the name ${name} and started: it runs`
    : `${why}, so the new container (${kept.image}) was kept under the name ${name}, but it is ${kept.status}: ` +
        `read \`docker logs ${name}\` on ${host} and fix the cause`
}

/** The old container holds the name again: remove the new one, and say how the old one is. */
async function oldIsBack(
  engine: StepEngine,
  { accessory, host, next, old }: RollbackSubject & { old: NonNullable<RollbackSubject['old']> },
  holder: Extract<Holder, { kind: 'container' }>,
  settleMs: number,
): Promise<string> {
  const removed = await engine.restore(host, removeContainer(next.id))
  const newLeft =
    removed.exitCode === 0 || /No such container/i.test(removed.stderr)
      ? ''
      : ` (the new container could not be removed and stays as ${next.temporaryName}; the next reboot removes it)`
  if (!old.wasRunning) {
    const state = holder.status === 'exited' ? 'stopped' : holder.status
    return holder.status === 'running'
      ? `rolled back: the old container (${old.image}) is back under its name, running${newLeft}`
      : `rolled back: the old container (${old.image}) is back, ${state} as it was${newLeft}`
  }
  // The old container mounts what this reboot already rewrote (uploaded files; the env file is only read at
  // creation): say what runs now, rather than assume it. Never waited for after a signal.
  let status = holder.status
  let health = 'none'
  if (status === 'running' && !engine.interruptedBy) {
    await new Promise((resolve) => setTimeout(resolve, settleMs))
    const now = await engine.restore(host, containerHealth(old.id))
    ;[status = '', , health = 'none'] = now.exitCode === 0 ? now.stdout.trim().split(' ') : ['']
  }
  if (status === 'running' && health !== 'unhealthy')
    return `rolled back: the old container (${old.image}) runs again${newLeft}`
  const files = accessory.files.map((f) => f.remotePath)
  const unhealthy = health === 'unhealthy' ? ', unhealthy' : ''
  const rewritten = files.length ? ` (this reboot had already rewritten the files it mounts: ${files.join(', ')})` : ''
  return (
    `rolled back, but the old container (${old.image}) is ${status || 'not readable'}${unhealthy} now${rewritten}; ` +
    `the accessory is down on ${host}: read its logs and fix the cause${newLeft}`
  )
}

/**
 * After a rollback of an accessory with `proxy:`: kamal-proxy routes to the container that holds the name and runs
 * (the old one, or the new one kept), or to none. Runs after a signal too. Says what kamal-proxy was told.
 */
export async function routeAfterRollback(engine: StepEngine, accessory: Proxied, host: string): Promise<string> {
  const holder = parseHolder(host, await engine.restore(host, nameHolder(accessory.serviceName)))
  if (holder.kind === 'unknown') return `kamal-proxy was not told which container to route to (${holder.error})`
  if (holder.kind === 'container' && holder.status === 'running') {
    const id = holder.id.slice(0, 12)
    const routed = await engine.restore(host, proxyDeploy(accessory, id))
    return routed.exitCode === 0
      ? `kamal-proxy routes ${accessory.serviceName} to ${id} again`
      : `kamal-proxy could not be pointed back at ${id} (${describeFailure(host, 'kamal-proxy deploy', routed)})`
  }
  const removed = await engine.restore(host, proxyRemove(accessory))
  return removed.exitCode === 0 || SERVICE_NOT_FOUND.test(removed.stderr)
    ? `no container of it runs, so kamal-proxy no longer routes ${accessory.serviceName}`
    : `kamal-proxy still routes ${accessory.serviceName} (${describeFailure(host, 'kamal-proxy remove', removed)})`
}
