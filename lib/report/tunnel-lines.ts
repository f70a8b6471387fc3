// What accessory-tunnel says: one line per forward as it listens (or, with --json, one document once every
// forward listens), and the sentences of how it ended, each with its fix.
import { scriptCommand } from './messages.ts'
import type { InvocationContext } from './model.ts'

/** One open forward: 127.0.0.1:local here to address:port as the host sees it. */
export interface OpenForward {
  local: number
  address: string
  port: number
}

/** What a tunnel reaches: the accessory, its host, and the image its container runs. */
export interface TunnelTargetView {
  accessory: string
  host: string
  image: string
}

/** `host:port`, an IPv6 address in brackets. */
function hostPort(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`
}

/** ``db on 10.0.0.5 (postgres:16): localhost:5432 → 172.18.0.2:5432; Ctrl-C closes`` */
export function forwardLine(target: TunnelTargetView, forward: OpenForward): string {
  const image = target.image ? ` (${target.image})` : ''
  return (
    `${target.accessory} on ${target.host}${image}: localhost:${forward.local} → ` +
    `${hostPort(forward.address, forward.port)}; Ctrl-C closes\n`
  )
}

/** The one --json document, printed once every forward listens. */
export function forwardsJson(target: TunnelTargetView, forwards: readonly OpenForward[]): string {
  const document = {
    verb: 'tunnel',
    accessory: target.accessory,
    host: target.host,
    image: target.image,
    forwards: forwards.map((f) => ({
      local: { address: '127.0.0.1', port: f.local },
      remote: { address: f.address, port: f.port },
    })),
  }
  return `${JSON.stringify(document)}\n`
}

/** Why a tunnel ended with an error: no running container (2), a local port asked for is taken (64), else 1. */
export type TunnelErrorKind = 'not_running' | 'usage' | 'error'

/** With --json, a tunnel that ended before its forwards listened is one document too. */
export function tunnelFailureJson(exitCode: number, kind: TunnelErrorKind, message: string): string {
  return `${JSON.stringify({ verb: 'tunnel', exitCode, error: { kind, message }, forwards: [] }, null, 2)}\n`
}

/** No container, or one not running: exit 2, with the command that boots or starts it. */
export function notRunningMessage(
  target: { accessory: string; host: string; hosts: number },
  state: string | undefined,
  invocation: InvocationContext,
): string {
  const name = `\`${target.accessory}\``
  if (state === undefined) {
    const hosts = target.hosts > 1 ? ['--hosts', target.host] : []
    const boot = scriptCommand('accessory-boot', target.accessory, invocation, hosts)
    return `Accessory ${name} has no container on ${target.host}, so there is nothing to tunnel to; run \`${boot}\` to boot it.`
  }
  const start = scriptCommand('accessory-start', target.accessory, invocation, ['--hosts', target.host])
  return `Accessory ${name} is ${state} on ${target.host}, so there is nothing to tunnel to; run \`${start}\` to start it.`
}

/** A local port asked for with --ports that cannot be listened on (64): who holds it, when that can be told. */
export function takenPortMessage(
  local: number,
  remote: number,
  holder: string | undefined,
  suggestion: number,
): string {
  const why = holder
    ? `is taken, by ${holder}`
    : 'cannot be listened on here (a port below 1024 needs root; else a process this machine does not name holds it)'
  return `Local port ${local} (--ports ${local}:${remote}) ${why}; free it, or pick another, e.g. --ports ${suggestion}:${remote}.`
}

/** The connection ended under the tunnel: exit 1, with ssh's words. */
export function lostMessage(host: string, sshWords: string): string {
  const cause = sshWords.trim().split('\n').filter(Boolean).at(-1)?.replace(/\.$/, '')
  return `the tunnel to ${host} closed: ${cause ?? 'the ssh connection ended without saying why'}; run it again once ${host} answers.`
}
