// accessory-tunnel's plan, pure but for the probe it is handed: which local port carries each of the
// container's ports. The same number when it is free, else the next free one above it; or what --ports asks.
import type { OpenForward } from '../report/tunnel-lines.ts'

/** Whether a local port can be listened on now (lib/cli/local-ports.ts probes; tests hand in a set). */
export type IsFree = (port: number) => Promise<boolean>

/** One forward to plan: the container's port, and the local port --ports asks for it, if it does. */
export interface WantedForward {
  remote: number
  local?: number
}

const MAX_PORT = 65535

/** The first port from `from` up that is free and not in `avoid`; undefined when none is left up to 65535. */
export async function nextFreePort(
  from: number,
  isFree: IsFree,
  avoid: ReadonlySet<number>,
): Promise<number | undefined> {
  for (let port = Math.max(1, from); port <= MAX_PORT; port++) if (!avoid.has(port) && (await isFree(port))) return port
  return undefined
}

/**
 * The forwards to open, in order: each asked-for local port as asked (--ports was checked before any host was
 * contacted), each other one on its own number when free, else the next free one no other forward took.
 */
export async function planForwards(
  wanted: readonly WantedForward[],
  address: string,
  isFree: IsFree,
): Promise<OpenForward[]> {
  const chosen = new Set(wanted.flatMap((w) => (w.local === undefined ? [] : [w.local])))
  const forwards: OpenForward[] = []
  for (const { remote, local } of wanted) {
    const port = local ?? (await nextFreePort(remote, isFree, chosen))
    if (port === undefined)
      throw new Error(`no local port from ${remote} up to ${MAX_PORT} is free for the forward to ${remote}`)
    chosen.add(port)
    forwards.push({ local: port, address, port: remote })
  }
  return forwards
}

/** What to forward: the pairs --ports names, else every TCP port of the container. */
export function wantedForwards(
  requested: ReadonlyArray<{ local: number; remote: number }> | undefined,
  tcpPorts: readonly number[],
): WantedForward[] {
  return requested ? requested.map(({ local, remote }) => ({ remote, local })) : tcpPorts.map((remote) => ({ remote }))
}
