// kamal-proxy's view of an accessory (`kamal-proxy list`) against its config and its running container. Pure.
import type { Accessory } from '../config/accessory.ts'
import type { ObservedContainer } from '../docker/inspect.ts'
import type { ProxyView } from '../docker/proxy-commands.ts'
import type { DriftFinding } from './drift-finding.ts'

const normalPath = (path: string) => `/${path.replace(/^\/+|\/+$/g, '')}`
const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i])

/**
 * Drift of the accessory's route, judged only while its container runs (a stopped accessory is not routed):
 * not registered, routed to another target than `<container id>:<app_port>`, or other hosts, paths or TLS.
 */
export function compareProxy(
  accessory: Accessory,
  container: ObservedContainer,
  view: ProxyView | undefined,
): DriftFinding | undefined {
  const proxy = accessory.proxy
  if (!proxy || !view?.running || container.state !== 'running') return undefined
  const service = view.services.find((s) => s.service === accessory.serviceName)
  if (!service) return { kind: 'proxy', reasons: [`kamal-proxy does not route ${accessory.serviceName}`] }
  const reasons: string[] = []
  const target = `${container.id.slice(0, 12)}:${proxy.appPort}`
  if (!same(service.targets, [target]))
    reasons.push(
      `kamal-proxy routes ${accessory.serviceName} to ${service.targets.join(',') || 'nothing'}, not ${target}`,
    )
  const hosts = proxy.hosts.filter((h) => h !== '')
  if (!same(service.hosts, hosts))
    reasons.push(`proxy host ${service.hosts.join(',') || '*'} → ${hosts.join(',') || '*'}`)
  const paths = proxy.pathPrefixes.length ? proxy.pathPrefixes.map(normalPath) : ['/']
  if (!same(service.paths, paths)) reasons.push(`proxy path ${service.paths.join(',')} → ${paths.join(',')}`)
  if (service.tls !== proxy.tls) reasons.push(`proxy TLS ${service.tls ? 'on' : 'off'} → ${proxy.tls ? 'on' : 'off'}`)
  return reasons.length ? { kind: 'proxy', reasons } : undefined
}

/** The host cannot serve a proxied accessory: its kamal-proxy does not answer. Nothing is changed there. */
export function proxyDownError(accessory: Accessory, host: string, error: string): string {
  return (
    `\`${accessory.name}\` is served through kamal-proxy, and kamal-proxy does not answer on ${host} (${error}); ` +
    `boot it with \`kamal proxy boot\` (or \`kamal proxy reboot\`), then run this again. Nothing was changed for it there.`
  )
}
