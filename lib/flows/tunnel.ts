// accessory-tunnel: one connection to the accessory's host (lib/remote/tunnel-connection.ts), its container
// looked up over it (lib/docker/tunnel-target.ts), one forward per port bound to 127.0.0.1 here, said as
// each listens (or once, as one JSON document), then a wait until a signal (exit 0) or the connection ends
// (exit 1, with ssh's words). No lock; nothing on the host changes. The connection is closed on every way out.
import type { Accessory } from '../config/accessory.ts'
import { inspectTunnelTarget, parseTunnelTarget } from '../docker/tunnel-target.ts'
import type { Tunnel } from '../remote/transport.ts'
import type { InvocationContext } from '../report/model.ts'
import type { VerbResult } from '../report/output.ts'
import {
  forwardLine,
  forwardsJson,
  lostMessage,
  notRunningMessage,
  takenPortMessage,
  type OpenForward,
  type TunnelErrorKind,
  type TunnelTargetView,
} from '../report/tunnel-lines.ts'
import { nextFreePort, planForwards, wantedForwards, type IsFree } from './tunnel-plan.ts'

export interface TunnelRequest {
  accessory: Accessory
  host: string
  /** --ports, as parsed. */
  requested?: ReadonlyArray<{ local: number; remote: number }>
  json: boolean
  invocation: InvocationContext
}

/** What the flow is handed: the connection, this machine's ports, the run's signal, and where lines go. */
export interface TunnelDeps {
  tunnel: Tunnel
  isFree: IsFree
  /** Who holds a local port, when that can be told. */
  holderOf(port: number): string | undefined
  signal: AbortSignal
  stdout(text: string): void | Promise<void>
}

type TunnelResult = Extract<VerbResult, { kind: 'tunnel' }>

const CLOSED_BY_SIGNAL: TunnelResult = { kind: 'tunnel', exitCode: 0, forwarded: false }
const EXIT_CODE: Record<TunnelErrorKind, number> = { not_running: 2, usage: 64, error: 1 }
const failed = (kind: TunnelErrorKind, message: string, forwarded = false): TunnelResult => ({
  kind: 'tunnel',
  exitCode: EXIT_CODE[kind],
  error: { kind, message },
  forwarded,
})

/** Opens the tunnel, waits, and closes it, whatever happens. */
export async function runTunnel(request: TunnelRequest, deps: TunnelDeps): Promise<TunnelResult> {
  try {
    return await tunnelSteps(request, deps)
  } finally {
    await deps.tunnel.close()
  }
}

async function tunnelSteps(request: TunnelRequest, deps: TunnelDeps): Promise<TunnelResult> {
  const { host } = request
  // 1. connect
  const opened = await deps.tunnel.open(deps.signal)
  if (!opened.ok)
    return opened.interrupted ? CLOSED_BY_SIGNAL : failed('error', `could not connect to ${host}: ${opened.message}`)
  // 2. the container: running, its address and ports
  const found = await lookUp(request, deps)
  if ('exitCode' in found) return found
  // 3. one forward per port, each said as it listens
  const forwards = await openForwards(request, deps, found)
  if ('exitCode' in forwards) return forwards
  if (request.json) await deps.stdout(forwardsJson(found.view, forwards))
  // 4. until a signal, or the connection ends
  return waitForEnd(request, deps)
}

interface Found {
  view: TunnelTargetView
  address: string
  tcpPorts: number[]
}

async function lookUp(request: TunnelRequest, deps: TunnelDeps): Promise<Found | TunnelResult> {
  const { accessory, host } = request
  let target
  try {
    const answer = await deps.tunnel.run(inspectTunnelTarget(accessory.serviceName), deps.signal)
    if (deps.signal.aborted) return CLOSED_BY_SIGNAL
    target = parseTunnelTarget(answer, accessory.network)
  } catch (error) {
    return failed('error', `looking up ${accessory.serviceName} on ${host} failed: ${(error as Error).message}`)
  }
  const where = { accessory: accessory.name, host, hosts: accessory.hosts.length }
  if (target.kind === 'missing') return failed('not_running', notRunningMessage(where, undefined, request.invocation))
  if (target.state !== 'running')
    return failed('not_running', notRunningMessage(where, target.state, request.invocation))
  if (!target.address)
    return failed(
      'error',
      `${accessory.serviceName} on ${host} has no address on a network (network \`${accessory.network}\`), ` +
        'so nothing can be forwarded to it; check its `network:` in the config.',
    )
  if (!request.requested && !target.tcpPorts.length)
    return failed(
      'error',
      `${accessory.serviceName} on ${host} exposes no TCP port (its image has no EXPOSE and the config no \`port:\`); ` +
        'name the ports with --ports LOCAL:REMOTE, e.g. --ports 15432:5432.',
    )
  return {
    view: { accessory: accessory.name, host, image: target.image },
    address: target.address,
    tcpPorts: target.tcpPorts,
  }
}

/** Forwards every planned port; a port taken meanwhile moves to the next free one, unless --ports asked for it. */
async function openForwards(
  request: TunnelRequest,
  deps: TunnelDeps,
  found: Found,
): Promise<OpenForward[] | TunnelResult> {
  const wanted = wantedForwards(request.requested, found.tcpPorts)
  const planned = await planForwards(wanted, found.address, deps.isFree)
  const opened: OpenForward[] = []
  for (const [i, plan] of planned.entries()) {
    const forward = await forwardOne(plan, wanted[i]!.local !== undefined, deps, new Set(planned.map((p) => p.local)))
    if ('exitCode' in forward) return forward
    if (deps.signal.aborted) return CLOSED_BY_SIGNAL
    opened.push(forward)
    if (!request.json) await deps.stdout(forwardLine(found.view, forward))
  }
  return opened
}

/** Tries a few times: another process may take a free port between the probe and ssh's bind. */
const ATTEMPTS = 5

async function forwardOne(
  plan: OpenForward,
  asked: boolean,
  deps: TunnelDeps,
  avoid: Set<number>,
): Promise<OpenForward | TunnelResult> {
  let forward = plan
  for (let attempt = 1; ; attempt++) {
    const result = await deps.tunnel.forward(forward)
    if (result.ok) return forward
    const taken = !(await deps.isFree(forward.local))
    if (asked && taken) {
      const suggestion = (await nextFreePort(forward.local + 1, deps.isFree, avoid)) ?? forward.local
      return failed('usage', takenPortMessage(forward.local, forward.port, deps.holderOf(forward.local), suggestion))
    }
    const next = taken ? await nextFreePort(forward.local + 1, deps.isFree, avoid) : undefined
    if (asked || next === undefined || attempt >= ATTEMPTS)
      return failed('error', `forwarding localhost:${forward.local} to port ${forward.port} failed: ${result.message}`)
    avoid.add(next)
    forward = { ...forward, local: next }
  }
}

async function waitForEnd(request: TunnelRequest, deps: TunnelDeps): Promise<TunnelResult> {
  const { signal, tunnel } = deps
  const aborted = new Promise<'signal'>((resolve) => {
    if (signal.aborted) resolve('signal')
    else signal.addEventListener('abort', () => resolve('signal'), { once: true })
  })
  const ended = await Promise.race([tunnel.closed, aborted])
  if (ended === 'signal') return { ...CLOSED_BY_SIGNAL, forwarded: true }
  return failed('error', lostMessage(request.host, ended.stderr), true)
}
