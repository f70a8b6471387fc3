// Ports on this machine, for accessory-tunnel: whether one is free on 127.0.0.1 (a probe listener: a holder on
// 127.0.0.1, 0.0.0.0 or [::] makes it fail alike), and who holds one, from /proc (Linux; elsewhere, or for
// another user's process, only that it is taken). The parsing of /proc/net/tcp is pure and unit-tested.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createServer } from 'node:net'

/** Whether `port` can be listened on at 127.0.0.1 now (a port below 1024 without the right to bind counts as taken). */
export function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)))
  })
}

/** The states of /proc/net/tcp's `st` column: 0A is LISTEN. */
const LISTEN = '0A'

/**
 * The socket inodes listening on `port` for connections to 127.0.0.1 (or any address), from the text of
 * /proc/net/tcp or /proc/net/tcp6: each row's local address is `HEXADDR:HEXPORT`, its state column 4, its inode 10.
 */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0')
  return procNetTcp
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((columns) => columns.length > 9 && columns[3] === LISTEN)
    .filter((columns) => {
      const [address, rowPort] = columns[1]!.split(':')
      return rowPort === hexPort && reachesLoopback(address ?? '')
    })
    .map((columns) => columns[9]!)
    .filter((inode) => inode !== '0')
}

/** An IPv4 or IPv6 listening address that takes connections to 127.0.0.1: loopback, any, or v4-mapped of those. */
function reachesLoopback(hexAddress: string): boolean {
  return [
    '0100007F',
    '00000000',
    '00000000000000000000000000000000',
    '0000000000000000FFFF00000100007F',
    '0000000000000000FFFF000000000000',
  ].includes(hexAddress.toUpperCase())
}

/** `/proc/PID/cmdline` (NUL-separated) as one line to show, at most 80 characters. */
export function commandLineText(cmdline: string): string {
  const text = cmdline
    .replace(/\0+$/, '')
    .replaceAll('\0', ' ')
    .replace(/[^\x20-\x7e]/g, '?')
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

const readText = (file: string) => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** The process whose socket has one of `inodes`, looked for among the processes this user can read. */
function processWithSocket(inodes: readonly string[]): number | undefined {
  const wanted = new Set(inodes.map((inode) => `socket:[${inode}]`))
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${pid}/fd`)
    } catch {
      continue
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return Number(pid)
      } catch {
        // the descriptor closed meanwhile
      }
    }
  }
  return undefined
}

/**
 * Who holds `port` on this machine, as a phrase: "pid 123 (node server.js)", or what can be told; undefined when
 * no listener is seen (a port below 1024 without root, or a system without /proc).
 */
export function holderOf(port: number): string | undefined {
  const inodes = [
    ...listeningInodes(readText('/proc/net/tcp'), port),
    ...listeningInodes(readText('/proc/net/tcp6'), port),
  ]
  if (!inodes.length) return undefined
  const pid = processWithSocket(inodes)
  if (pid === undefined) return 'a process of another user'
  const command = commandLineText(readText(`/proc/${pid}/cmdline`))
  return `pid ${pid}${command ? ` (${command})` : ''}`
}
