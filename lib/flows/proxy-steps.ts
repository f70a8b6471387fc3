// The kamal-proxy steps of an accessory with `proxy:`, as Kamal's accessory CLI runs them: a deploy (route to
// the container) after boot and start, a remove (stop routing) after stop. Pure.
import type { Accessory } from '../config/accessory.ts'
import type { AccessoryProxy } from '../config/accessory-proxy.ts'
import { proxyDeploy, proxyRemove, SERVICE_NOT_FOUND } from '../docker/proxy-commands.ts'
import type { Step } from './engine.ts'

export type Proxied = Accessory & { proxy: AccessoryProxy }

export const isProxied = (accessory: Accessory): accessory is Proxied => accessory.proxy !== undefined

/** `kamal-proxy deploy`: kamal-proxy waits for the container's health check, then routes the accessory to it. */
export function routeStep(accessory: Proxied, container: string): Step {
  return {
    description: `route ${accessory.serviceName} to ${container} in kamal-proxy`,
    command: proxyDeploy(accessory, container),
  }
}

/**
 * `kamal-proxy remove`: the accessory is no longer routed. Kamal fails when kamal-proxy does not know the
 * service; berth counts that as done, since nothing routes to the accessory either way.
 */
export function unrouteStep(accessory: Accessory): Step {
  return {
    description: `stop routing ${accessory.serviceName} in kamal-proxy`,
    command: proxyRemove(accessory),
    tolerate: (result) => SERVICE_NOT_FOUND.test(result.stderr),
  }
}
