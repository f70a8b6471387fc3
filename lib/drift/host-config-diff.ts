// The network, restart policy and logging docker recorded in the container's HostConfig, against the config.
import type { Accessory } from '../config/accessory.ts'
import type { ContainerSettings } from '../docker/inspect.ts'

export function compareNetwork(accessory: Accessory, settings: ContainerSettings): string[] {
  return settings.networkMode === accessory.network
    ? []
    : [`network ${settings.networkMode || 'default'} → ${accessory.network}`]
}

/** `restart_policy` (`on-failure:5`) against HostConfig.RestartPolicy. */
export function compareRestart(accessory: Accessory, settings: ContainerSettings): string[] {
  const [policy = '', retries = '0'] = accessory.restartPolicy.split(':')
  const observedRetries = settings.restartPolicy.maximumRetryCount
  const observedPolicy = `${settings.restartPolicy.name || 'no'}${observedRetries ? `:${observedRetries}` : ''}`
  if (settings.restartPolicy.name !== policy || settings.restartPolicy.maximumRetryCount !== Number(retries))
    return [`restart ${observedPolicy} → ${accessory.restartPolicy}`]
  return []
}

/** `--log-driver D --log-opt k=v …` → what docker records in HostConfig.LogConfig. */
export function compareLogging(loggingArgs: readonly string[], settings: ContainerSettings): string[] {
  let driver: string | undefined
  const options: Record<string, string> = {}
  for (let i = 0; i < loggingArgs.length; i += 2) {
    const value = loggingArgs[i + 1] ?? ''
    if (loggingArgs[i] === '--log-driver') driver = value
    else if (loggingArgs[i] === '--log-opt')
      options[value.slice(0, value.indexOf('='))] = value.slice(value.indexOf('=') + 1)
  }
  const reasons: string[] = []
  const observed = settings.logConfig
  if (driver && observed.type !== driver) reasons.push(`log driver ${observed.type || 'default'} → ${driver}`)
  // Only the configured options: docker merges the daemon's own log-opts defaults into every container.
  for (const key of Object.keys(options)) {
    if (observed.config[key] !== options[key])
      reasons.push(`log option ${key} ${observed.config[key] ?? 'unset'} → ${options[key] ?? 'unset'}`)
  }
  return reasons
}
