// Fan-out over hosts. Every host runs to the end and reports its own outcome: one unreachable host must
// never hide what the others found (p-map alone would reject on the first error and lose the rest).
// Every host's work starts at once: the ssh transport itself keeps at most `max_concurrent_starts`
// handshakes in flight (connections.ts), and a connected host's commands never wait for other hosts.
import pMap from 'p-map'

export type HostOutcome<T> = { host: string; ok: true; value: T } | { host: string; ok: false; error: Error }

const DEFAULT_HOST_CONCURRENCY = Number.POSITIVE_INFINITY

export async function onHosts<T>(
  hosts: readonly string[],
  work: (host: string) => Promise<T>,
  concurrency = DEFAULT_HOST_CONCURRENCY,
): Promise<Array<HostOutcome<T>>> {
  return pMap(
    hosts,
    async (host): Promise<HostOutcome<T>> => {
      try {
        return { host, ok: true, value: await work(host) }
      } catch (error) {
        return { host, ok: false, error: error instanceof Error ? error : new Error(String(error)) }
      }
    },
    { concurrency },
  )
}
