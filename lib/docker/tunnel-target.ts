// What accessory-tunnel needs of an accessory's container, in one read-only `docker inspect`: its state, the
// image it runs, its address on its network and its TCP ports. `Config.ExposedPorts` holds what the image
// exposes, `--expose`, and the container side of every `-p` (the config's `port:`), so it alone names the
// ports. The networks come as `[name, IPv4, IPv6, …, null]`, so no template text is built from a network name.
import type { CommandResult, RemoteCommand } from '../remote/transport.ts'
import { containerState, type ContainerState } from './inspect.ts'

const TUNNEL_FORMAT =
  '{"State":{{json .State.Status}},"Image":{{json .Config.Image}},"NetworkMode":{{json .HostConfig.NetworkMode}},' +
  '"Networks":[{{range $n, $e := .NetworkSettings.Networks}}{{json $n}},{{json $e.IPAddress}},' +
  '{{json $e.GlobalIPv6Address}},{{end}}null],"ExposedPorts":{{json .Config.ExposedPorts}}}'

/** The container named `container` (only a container: never an image or network of that name). */
export function inspectTunnelTarget(container: string): RemoteCommand {
  return { argv: ['docker', 'inspect', '--type', 'container', '--format', TUNNEL_FORMAT, container], readOnly: true }
}

/** A container a tunnel can reach, or why not. */
export type TunnelTarget =
  | { kind: 'missing' }
  | {
      kind: 'container'
      state: ContainerState
      image: string
      /** Its address on the host: on its network, or the host's own loopback with `network: host`; none when stopped. */
      address?: string
      /** Its TCP ports, ascending. */
      tcpPorts: number[]
    }

/** The answer of inspectTunnelTarget; a failure other than "no such container" is an Error with docker's words. */
export function parseTunnelTarget(result: CommandResult, network: string): TunnelTarget {
  if (result.exitCode !== 0) {
    if (/No such container/i.test(result.stderr)) return { kind: 'missing' }
    throw new Error(`docker inspect failed (exit ${result.exitCode}): ${result.stderr.trim() || result.stdout.trim()}`)
  }
  let raw: Record<string, unknown>
  try {
    raw = JSON.parse(result.stdout.trim()) as Record<string, unknown>
  } catch {
    throw new Error(`docker inspect answered what is not JSON: ${JSON.stringify(result.stdout.slice(0, 200))}`)
  }
  const state = containerState(typeof raw.State === 'string' ? raw.State : '')
  const address = state === 'running' ? addressOf(raw, network) : undefined
  return {
    kind: 'container',
    state,
    image: typeof raw.Image === 'string' ? raw.Image : '',
    ...(address ? { address } : {}),
    tcpPorts: tcpPorts(raw.ExposedPorts),
  }
}

/** The address on the accessory's network, else on the container's network mode, else the first one it has. */
function addressOf(raw: Record<string, unknown>, network: string): string | undefined {
  const mode = typeof raw.NetworkMode === 'string' ? raw.NetworkMode : ''
  if (mode === 'host') return '127.0.0.1'
  const flat = Array.isArray(raw.Networks) ? raw.Networks : []
  const networks: Array<{ name: string; address: string }> = []
  for (let i = 0; i + 2 < flat.length; i += 3) {
    const [name, ipv4, ipv6] = flat.slice(i, i + 3) as unknown[]
    const address = (typeof ipv4 === 'string' && ipv4) || (typeof ipv6 === 'string' && ipv6) || ''
    if (typeof name === 'string' && address) networks.push({ name, address })
  }
  const named = (wanted: string) => networks.find((n) => n.name === wanted)?.address
  return named(network) ?? named(mode === 'default' ? 'bridge' : mode) ?? networks[0]?.address
}

/** `{"5432/tcp":{},"53/udp":{}}` → [5432]. */
function tcpPorts(exposed: unknown): number[] {
  if (!exposed || typeof exposed !== 'object') return []
  const ports = Object.keys(exposed)
    .map((key) => /^(\d{1,5})\/tcp$/.exec(key))
    .map((match) => (match ? Number(match[1]) : 0))
    .filter((port) => port >= 1 && port <= 65535)
  return [...new Set(ports)].sort((a, b) => a - b)
}
