// accessory-reboot: replace accessory containers with ones from the configured image, with the least
// downtime and nothing lost. Per host: pull first (on every target host, before anything stops), create
// the new container beside the old one, then stop old → rename it aside → rename new → start new in one
// remote command, verify, and roll back to the old container if the new one does not stay up.
import type { Accessory, Deployment } from '../config/model.ts'
import {
  containerHealth,
  containerLogs,
  createAccessory,
  pullImage,
  registryLogin,
  removeContainer,
} from '../docker/commands.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import type { Verdict } from '../drift/verdicts.ts'
import { onHosts } from '../remote/fleet.ts'
import type { ShellWord } from '../remote/quote.ts'
import type { RemoteCommand, Transport } from '../remote/transport.ts'
import type { Report, ReportEntry } from '../report/model.ts'
import { describeCommand, loginStepKey, prepareSteps, runSteps, verdictEntry, type BootStep } from './boot.ts'
import { describeFailure, observeSelection } from './observe.ts'
import type { Selection } from './selection.ts'

export interface RebootOptions {
  dryRun: boolean
  /** Only accessory × host pairs whose verdict is drift. */
  drifted: boolean
  /** One host at a time, stopping at the first failure. */
  rolling: boolean
  /** How long a new container with a health check may take to become healthy. */
  healthTimeoutSeconds: number
}

/** A new container must stay running this long (and not restart) to count as up. */
export const SETTLE_MS = 1000
const POLL_MS = 200

export interface RebootTarget {
  verdict: Verdict & { kind: 'missing' | 'in_sync' | 'drift' }
  entry: ReportEntry
}

export interface RebootPlan {
  entries: ReportEntry[]
  targets: RebootTarget[]
}

/** Verdicts → which pairs a reboot touches. Unobserved hosts fail; with --drifted, in-sync pairs are left. */
export function planReboot(verdicts: Verdict[], drifted: boolean): RebootPlan {
  const entries: ReportEntry[] = []
  const targets: RebootTarget[] = []
  for (const verdict of verdicts) {
    const entry = verdictEntry(verdict)
    entries.push(entry)
    if (verdict.kind === 'unobserved') continue
    if (drifted && verdict.kind !== 'drift') continue
    targets.push({ verdict, entry })
  }
  return { entries, targets }
}

export async function observeReboot(transport: Transport, selection: Selection[], drifted: boolean): Promise<RebootPlan> {
  return planReboot((await observeSelection(transport, selection)).verdicts, drifted)
}

const containerOf = (target: RebootTarget): ObservedContainer | undefined =>
  target.verdict.kind === 'missing' ? undefined : target.verdict.container

/** Old container out, new one in, as one remote command: the downtime is this command alone. */
export function swapCommand(serviceName: string, newId: string, old: { id: string; asideName: string } | undefined): RemoteCommand {
  const and: ShellWord = { raw: '&&' }
  const argv: ShellWord[] = old ? ['docker', 'stop', old.id, and, 'docker', 'rename', old.id, old.asideName, and] : []
  argv.push('docker', 'rename', newId, serviceName, and, 'docker', 'start', newId)
  return { argv }
}

/** Puts the old container back under its name and, if it was running, starts it again. */
export function rollbackCommand(serviceName: string, newId: string, old: { id: string; wasRunning: boolean } | undefined): RemoteCommand {
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

export function rebootCommands(accessory: Accessory, host: string, loggingArgs: string[], container: ObservedContainer | undefined): string[] {
  const next = `${accessory.serviceName}-berth-new-STAMP`
  return [
    ...(accessory.registryLogin ? [registryLogin(accessory.registryLogin)] : []),
    pullImage(accessory.image),
    ...prepareSteps(accessory).map((s) => s.command),
    createAccessory(accessory, host, loggingArgs, next),
    swapCommand(accessory.serviceName, next, container ? { id: container.id.slice(0, 12), asideName: `${accessory.serviceName}-berth-old-STAMP` } : undefined),
    ...(container ? [removeContainer(container.id.slice(0, 12))] : []),
  ].map(describeCommand)
}

/** Waits until the container has been running SETTLE_MS without restarting, and is healthy if it has a check. */
async function verifyUp(transport: Transport, host: string, id: string, healthTimeoutSeconds: number): Promise<void> {
  const started = Date.now()
  const deadline = started + Math.max(healthTimeoutSeconds * 1000, SETTLE_MS + POLL_MS)
  for (;;) {
    const result = await transport.run(host, containerHealth(id))
    if (result.exitCode !== 0) throw new Error(describeFailure(host, 'docker inspect', result))
    const [status, restarts, health] = result.stdout.trim().split(' ')
    if (status !== 'running' || restarts !== '0') {
      const logs = await transport.run(host, { argv: [...containerLogs(id, { lines: 5, timestamps: false }).argv] })
      const tail = logs.stdout.trim().split('\n').filter(Boolean).slice(-3).join(' | ')
      throw new Error(`the new container did not stay up (${status}${restarts !== '0' ? `, restarted ${restarts}×` : ''})${tail ? `; its last output: ${tail}` : ''}`)
    }
    if (health === 'unhealthy') throw new Error('the new container reported unhealthy')
    const settled = Date.now() - started >= SETTLE_MS
    if (settled && (health === 'none' || health === 'healthy')) return
    if (Date.now() > deadline) throw new Error(`the new container was not healthy within ${healthTimeoutSeconds}s (health: ${health})`)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}

async function rebootOne(transport: Transport, deployment: Deployment, target: RebootTarget, healthTimeoutSeconds: number, done: Set<string>): Promise<void> {
  const { accessory, host } = target.verdict
  const old = containerOf(target)
  const stamp = Date.now().toString(36)
  const steps: BootStep[] = prepareSteps(accessory)
  await runSteps(transport, host, steps, done)

  const created = await transport.run(host, createAccessory(accessory, host, deployment.loggingArgs, `${accessory.serviceName}-berth-new-${stamp}`))
  if (created.exitCode !== 0) throw new Error(`could not create the new container: ${describeFailure(host, 'docker create', created)} The old container was not touched.`)
  const newId = created.stdout.trim().slice(0, 12)

  const oldRef = old && { id: old.id.slice(0, 12), asideName: `${accessory.serviceName}-berth-old-${stamp}`, wasRunning: old.state === 'running' }
  let failure: string | undefined
  const swapped = await transport.run(host, swapCommand(accessory.serviceName, newId, oldRef))
  if (swapped.exitCode !== 0) failure = `could not swap the containers: ${describeFailure(host, 'docker stop/rename/start', swapped)}`
  else {
    try {
      await verifyUp(transport, host, newId, healthTimeoutSeconds)
    } catch (error) {
      failure = sentence(error)
    }
  }
  if (failure) {
    const rolledBack = await transport.run(host, rollbackCommand(accessory.serviceName, newId, oldRef))
    const restored = !oldRef
      ? 'the new container was removed'
      : rolledBack.exitCode === 0
        ? `rolled back: the old container (${old!.image}) ${oldRef.wasRunning ? 'runs again' : 'is back, stopped as it was'}`
        : `the rollback failed too (${describeFailure(host, 'rollback', rolledBack)}); check \`docker ps -a --filter label=service=${accessory.serviceName}\` on ${host}`
    throw new Error(`${failure}; ${restored}.`)
  }
  if (oldRef) {
    const removed = await transport.run(host, removeContainer(oldRef.id))
    if (removed.exitCode !== 0) target.entry.detail = `the old container ${oldRef.asideName} could not be removed; remove it by hand`
  }
  target.entry.outcome = 'rebooted'
}

function fail(entry: ReportEntry, error: string, outcome: 'failed' | 'skipped' = 'failed'): void {
  entry.outcome = outcome
  entry.error = error
}

/** Under the lock: re-check, pull everywhere, then replace host by host (all at once, or rolling). */
export async function executeReboot(deployment: Deployment, selection: Selection[], transport: Transport, options: RebootOptions): Promise<Report> {
  const plan = await observeReboot(transport, selection, options.drifted)
  if (options.dryRun) {
    for (const target of plan.targets) {
      target.entry.outcome = 'would_reboot'
      target.entry.plannedCommands = rebootCommands(target.verdict.accessory, target.verdict.host, deployment.loggingArgs, containerOf(target))
    }
    return { verb: 'reboot', dryRun: true, entries: plan.entries }
  }

  // 1. Pull on every target host before anything is stopped. An accessory whose pull failed anywhere is
  //    rebooted nowhere, so its hosts never end up on different images.
  const byHost = new Map<string, RebootTarget[]>()
  for (const target of plan.targets) byHost.set(target.verdict.host, [...(byHost.get(target.verdict.host) ?? []), target])
  const pullFailures = new Map<string, string>() // accessory name → first failure
  await onHosts([...byHost.keys()], async (host) => {
    const logins = new Set<string>()
    for (const target of byHost.get(host)!) {
      const { accessory } = target.verdict
      const login = accessory.registryLogin
      if (login && !logins.has(loginStepKey(login))) {
        const result = await transport.run(host, registryLogin(login))
        if (result.exitCode !== 0) {
          fail(target.entry, `could not log in to ${login.server ?? 'Docker Hub'}: ${describeFailure(host, 'docker login', result)} Nothing was stopped.`)
          pullFailures.set(accessory.name, pullFailures.get(accessory.name) ?? host)
          continue
        }
        logins.add(loginStepKey(login))
      }
      const pulled = await transport.run(host, pullImage(accessory.image))
      if (pulled.exitCode !== 0) {
        fail(target.entry, `could not pull ${accessory.image}: ${describeFailure(host, 'docker image pull', pulled)} Nothing was stopped: the old container still runs.`)
        pullFailures.set(accessory.name, pullFailures.get(accessory.name) ?? host)
      }
    }
  })
  const ready: RebootTarget[] = []
  for (const target of plan.targets) {
    const failedOn = pullFailures.get(target.verdict.accessory.name)
    if (failedOn === undefined) ready.push(target)
    else if (target.entry.outcome !== 'failed') {
      fail(target.entry, `the image could not be pulled on ${failedOn}, so no host of \`${target.verdict.accessory.name}\` was rebooted.`, 'skipped')
    }
  }

  // 2. Replace. On one host, accessories go one after another in config order.
  const hosts = [...new Set(ready.map((t) => t.verdict.host))]
  const rebootHost = async (host: string): Promise<boolean> => {
    // Logins already ran in the pull phase; network steps run once per host.
    const done = new Set(ready.flatMap((t) => (t.verdict.host === host && t.verdict.accessory.registryLogin ? [loginStepKey(t.verdict.accessory.registryLogin)] : [])))
    let ok = true
    for (const target of ready.filter((t) => t.verdict.host === host)) {
      try {
        await rebootOne(transport, deployment, target, options.healthTimeoutSeconds, done)
      } catch (error) {
        fail(target.entry, sentence(error))
        ok = false
      }
    }
    return ok
  }
  if (options.rolling) {
    for (const [index, host] of hosts.entries()) {
      if (await rebootHost(host)) continue
      for (const target of ready.filter((t) => hosts.indexOf(t.verdict.host) > index)) {
        fail(target.entry, `--rolling stopped at the first failed host (${host}); fix it and run the reboot again.`, 'skipped')
      }
      break
    }
  } else {
    await onHosts(hosts, rebootHost)
  }
  return { verb: 'reboot', dryRun: false, entries: plan.entries }
}
