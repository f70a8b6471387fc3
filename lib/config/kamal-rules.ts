// The Kamal rules the schema does not express (validator/accessory.rb, role.rb, env.rb, configuration.rb).
import { ACCESSORY_HOST_KEYS } from './schema.ts'
import { isPlainObject } from './plain.ts'
import type { Problem } from './value-collector.ts'
import type { KeyPath } from './positions.ts'

const RESTART_POLICY = /^(?:no|always|unless-stopped|on-failure(?::\d+)?)$/
const RESERVED_LABELS = ['destination', 'role', 'service']

function hasOwn(object: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key)
}

function labelAndOptionProblems(base: KeyPath, section: Record<string, unknown>, problems: Problem[]): void {
  const labels = section.labels
  if (isPlainObject(labels)) {
    for (const key of Object.keys(labels)) {
      if (RESERVED_LABELS.includes(key)) {
        problems.push({
          path: [...base, 'labels', key],
          at: 'key',
          message: 'invalid label. destination, role, and service are reserved labels',
        })
      }
    }
  }
  const options = section.options
  // docker takes the last --label service=… and --name: the container would be lost to every look-up
  if (isPlainObject(options) && hasOwn(options, 'label')) {
    const label = options.label
    const items = Array.isArray(label) ? label.map((item, i) => [item, i] as const) : [[label, undefined] as const]
    for (const [item, i] of items) {
      if (typeof item === 'string' && item.split('=')[0] === 'service') {
        problems.push({
          path: [...base, 'options', 'label', ...(i === undefined ? [] : [i])],
          at: 'value',
          message: 'the service label is the one berth and Kamal find the container by; remove it from options',
        })
      }
    }
  }
  if (isPlainObject(options) && hasOwn(options, 'name')) {
    problems.push({
      path: [...base, 'options', 'name'],
      at: 'key',
      message: 'the container is named by Kamal (service-accessory); remove name from options',
    })
  }
  if (isPlainObject(options) && hasOwn(options, 'restart')) {
    const restart = options.restart
    const path = [...base, 'options', 'restart']
    if (typeof restart !== 'string') {
      problems.push({ path, at: 'value', message: 'should be a string. Use "no" to disable restarts' })
    } else if (!RESTART_POLICY.test(restart)) {
      problems.push({ path, at: 'value', message: 'should be no, always, unless-stopped, on-failure, or on-failure:N' })
    }
  }
}

/** docs/proxy.yml: the keys Kamal knows in an accessory's `proxy:`. */
const PROXY_KEYS = [
  'host',
  'hosts',
  'app_port',
  'ssl',
  'ssl_redirect',
  'forward_headers',
  'response_timeout',
  'path_prefix',
  'path_prefixes',
  'strip_path_prefix',
  'healthcheck',
  'buffering',
  'logging',
  'run',
]

/**
 * An accessory's `proxy:` as Kamal 2.12 validates it (validator.rb's unknown keys, validator/proxy.rb): Kamal
 * refuses the whole config, and berth uses this section (it registers the accessory with kamal-proxy), so
 * berth refuses it too, with Kamal's words.
 */
function proxyProblems(base: KeyPath, proxy: unknown, problems: Problem[]): void {
  if (!isPlainObject(proxy) || Object.keys(proxy).length === 0) return
  const unknown = Object.keys(proxy).filter((key) => !PROXY_KEYS.includes(key))
  if (unknown.length) {
    problems.push({
      path: [...base, unknown[0] as string],
      at: 'key',
      pointer: base,
      message:
        `unknown key${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')} (Kamal 2.12 refuses it); ` +
        `the keys here are ${PROXY_KEYS.join(', ')}`,
    })
  }
  const blank = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)
  if (blank(proxy.host) && blank(proxy.hosts) && proxy.ssl !== undefined && proxy.ssl !== null && proxy.ssl !== false) {
    problems.push({
      path: [...base, 'ssl'],
      at: 'key',
      pointer: base,
      message: 'Must set a host to enable automatic SSL (Kamal 2.12 refuses it); add `host: <name>` or remove `ssl`',
    })
  }
  if (hasOwn(proxy, 'host') && hasOwn(proxy, 'hosts')) {
    problems.push({
      path: [...base, 'hosts'],
      at: 'key',
      pointer: base,
      message: "Specify one of 'host' or 'hosts', not both (Kamal 2.12 refuses it)",
    })
  }
}

export function kamalRuleProblems(config: unknown): Problem[] {
  const problems: Problem[] = []
  if (!isPlainObject(config)) return problems
  const accessories = config.accessories
  // configuration.rb ensure_required_keys_present: servers may be left out only for accessories
  const noAccessories = !isPlainObject(accessories) || Object.keys(accessories).length === 0
  if (config.servers === undefined && noAccessories) {
    problems.push({ path: [], at: 'value', message: 'no servers or accessories specified' })
  }
  const servers = config.servers
  if (isPlainObject(accessories)) {
    for (const [name, accessory] of Object.entries(accessories)) {
      if (!isPlainObject(accessory)) continue
      const base = ['accessories', name]
      const hostKeys = ACCESSORY_HOST_KEYS.filter((key) => hasOwn(accessory, key))
      if (hostKeys.length !== 1) {
        problems.push({
          // point at the second host key when there are several, else at the accessory
          path: hostKeys.length > 1 ? [...base, hostKeys[1] as string] : base,
          at: hostKeys.length > 1 ? 'key' : 'value',
          pointer: base,
          message: 'specify one of `host`, `hosts`, `role`, `roles`, `tag` or `tags`',
        })
      }
      labelAndOptionProblems(base, accessory, problems)
      proxyProblems([...base, 'proxy'], accessory.proxy, problems)
      // accessory.rb ensure_valid_roles is checked where the hosts are resolved (hosts-and-roles.ts resolveHosts)
      const env = accessory.env
      if (isPlainObject(env) && hasOwn(env, 'tags')) {
        problems.push({ path: [...base, 'env', 'tags'], at: 'key', message: 'tags are only allowed in the root env' })
      }
    }
  }
  if (isPlainObject(servers)) {
    for (const [name, role] of Object.entries(servers)) {
      if (isPlainObject(role)) labelAndOptionProblems(['servers', name], role, problems)
    }
  }
  return problems
}
