// kamal-proxy, as Kamal 2.12 talks to it for an accessory (lib/kamal/commands/accessory/proxy.rb): `docker exec
// kamal-proxy kamal-proxy deploy|remove …`, and `list` (kamal-proxy's table) read back for `check`. Pure.
import type { Accessory } from '../config/accessory.ts'
import type { AccessoryProxy } from '../config/accessory-proxy.ts'
import type { RemoteCommand } from '../remote/transport.ts'

/** Kamal's proxy container name (configuration/proxy/boot.rb). */
const PROXY_CONTAINER = 'kamal-proxy'

const proxyExec = (...command: string[]): string[] => ['docker', 'exec', PROXY_CONTAINER, 'kamal-proxy', ...command]

/** `kamal-proxy deploy <service> --target=<container>:<app_port> …`: route the accessory to that container. */
export function proxyDeploy(accessory: Accessory & { proxy: AccessoryProxy }, container: string): RemoteCommand {
  const { proxy } = accessory
  return {
    argv: proxyExec('deploy', accessory.serviceName, `--target=${container}:${proxy.appPort}`, ...proxy.deployOptions),
  }
}

/** `kamal-proxy remove <service>`: the accessory is no longer routed. */
export function proxyRemove(accessory: Accessory): RemoteCommand {
  return { argv: proxyExec('remove', accessory.serviceName) }
}

/** kamal-proxy's answer to a `remove` of a service it does not know: the goal (not routed) holds already. */
export const SERVICE_NOT_FOUND = /Error: service not found/

/** `kamal-proxy list`: every service it routes, read-only. */
export function proxyList(): RemoteCommand {
  return { argv: proxyExec('list'), readOnly: true }
}

/** One row of `kamal-proxy list`. */
export interface ProxyService {
  service: string
  /** `*` (every host) is an empty list. */
  hosts: string[]
  paths: string[]
  /** `host:port` as `--target` gave it. */
  targets: string[]
  state: string
  tls: boolean
}

/** What a host's kamal-proxy showed, when it was asked (only for hosts of accessories with `proxy:`). */
export type ProxyView = { running: true; services: ProxyService[] } | { running: false; error: string }

/** The round trip's kamal-proxy part: `exit <status>` of `kamal-proxy list`, then its output or docker's error. */
export function parseProxyView(part: string): ProxyView {
  const [first = '', ...rest] = part.split('\n')
  const output = rest.join('\n')
  if (first === 'exit 0') return { running: true, services: parseProxyList(output) }
  const said = output.trim().split('\n').filter(Boolean).slice(-2).join(' ')
  return {
    running: false,
    error: said || `\`docker exec ${PROXY_CONTAINER} kamal-proxy list\` ${first || 'did not answer'}`,
  }
}

const CELL = /\x1b\[[0-9;]*m(.*?)\x1b\[0m/g

/**
 * kamal-proxy's `list` table (internal/cmd/list.go, formatting.go): a header, then per service `Service Host Path
 * Target State TLS`, each cell in an ANSI style and padded; read with or without the escapes.
 */
export function parseProxyList(stdout: string): ProxyService[] {
  const rows = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const styled = [...line.matchAll(CELL)].map((m) => m[1]!)
      return styled.length ? styled : line.trim().split(/\s+/)
    })
  const at = rows.findIndex((r) => r[0] === 'Service' && r[4] === 'State')
  return rows.slice(at + 1).flatMap((cells): ProxyService[] => {
    const [service, host = '', path = '', target = '', state = '', tls = ''] = cells
    if (!service || at < 0) return []
    const split = (cell: string) => cell.split(',').filter(Boolean)
    return [
      {
        service,
        hosts: host === '*' ? [] : split(host),
        paths: split(path),
        targets: split(target),
        state,
        tls: tls === 'yes',
      },
    ]
  })
}
