// accessory-config: the config berth acts on, resolved (as `kamal config` prints Kamal's): per accessory its
// container name, image, hosts, env, files, directories, options and the `docker run` it boots with; the ssh
// settings and the lock host. Secret values are never printed: each is `[REDACTED]` (Kamal's word), or
// `[not set here]` when this machine cannot resolve it. Pure.
import type { Accessory } from '../config/accessory.ts'
import type { Deployment } from '../config/deployment.ts'
import { SSH_LOG_LEVELS } from '../config/ssh-settings.ts'
import { runAccessory } from '../docker/accessory-commands.ts'
import { lockHostOf } from '../lock/deploy-lock.ts'
import { displayJoin } from '../remote/quote.ts'
/** An accessory and the hosts a run touches for it (lib/flows/selection.ts has the same shape). */
type Selection = { accessory: Accessory; hosts: string[] }

const REDACTED = '[REDACTED]'
const NOT_SET = '[not set here]'

export interface ConfigDocument {
  verb: 'config'
  exitCode: 0
  file: string
  destination: string | null
  service: string
  lock: { host: string; why: string } | null
  ssh: {
    user: string
    port: number | null
    proxy: string | null
    proxyCommand: string | null
    keys: string[]
    keysOnly: boolean
    keyData: Record<string, string>
    config: boolean | string[]
    forwardAgent: boolean | null
    logLevel: string | null
  }
  accessories: Array<{
    name: string
    service: string
    image: string
    hosts: string[]
    network: string
    restart: string
    port: string | null
    cmd: string | null
    labels: Record<string, string>
    env: { clear: Record<string, string>; secret: Record<string, string> }
    envFile: string
    volumes: string[]
    files: Array<{ local: string; hostPath: string; mode: string; owner: string | null; missing: boolean }>
    directories: Array<{ hostPath: string; mode: string | null; owner: string | null }>
    options: string[]
    registry: { server: string | null; username: string; password: string } | null
    dockerRun: Record<string, string>
  }>
}

function accessoryDocument(
  accessory: Accessory,
  hosts: string[],
  loggingArgs: string[],
): ConfigDocument['accessories'][number] {
  const unresolved = new Set(accessory.unresolvedSecrets ?? [])
  const login = accessory.registryLogin
  return {
    name: accessory.name,
    service: accessory.serviceName,
    image: accessory.image,
    hosts,
    network: accessory.network,
    restart: accessory.restartPolicy,
    port: accessory.port ?? null,
    cmd: accessory.cmd ?? null,
    labels: Object.fromEntries(accessory.labels),
    env: {
      clear: Object.fromEntries(accessory.envClear),
      secret: Object.fromEntries(accessory.envSecret.map(([key]) => [key, unresolved.has(key) ? NOT_SET : REDACTED])),
    },
    envFile: accessory.envFile,
    volumes: accessory.volumes,
    files: accessory.files.map((f) => ({
      local: f.source,
      hostPath: f.remotePath,
      mode: f.mode,
      owner: f.owner ?? null,
      missing: f.content === undefined,
    })),
    directories: accessory.directories.map((d) => ({ hostPath: d.path, mode: d.mode ?? null, owner: d.owner ?? null })),
    options: accessory.options.flatMap(([flag, value]) => [`--${flag}`, ...(value === undefined ? [] : [value])]),
    registry: login
      ? {
          server: login.server ?? null,
          username: login.usernameSecret ? (login.username ? REDACTED : NOT_SET) : login.username,
          password: login.password ? REDACTED : NOT_SET,
        }
      : null,
    // the env file's path is in it, never its content; KAMAL_HOST differs per host
    dockerRun: Object.fromEntries(
      hosts.map((host) => [host, displayJoin(runAccessory(accessory, host, loggingArgs).argv)]),
    ),
  }
}

export function configDocument(deployment: Deployment, selection: readonly Selection[], file: string): ConfigDocument {
  const { ssh } = deployment
  const lock = lockHostOf(deployment)
  const logLevel = ssh.logLevel
    ? (Object.entries(SSH_LOG_LEVELS).find(([, v]) => v === ssh.logLevel)?.[0] ?? ssh.logLevel)
    : null
  return {
    verb: 'config',
    exitCode: 0,
    file,
    destination: deployment.destination ?? null,
    service: deployment.service,
    lock: lock ? { host: lock.host, why: lock.why } : null,
    ssh: {
      user: ssh.user,
      port: ssh.port ?? null,
      proxy: ssh.proxy ?? null,
      proxyCommand: ssh.proxyCommand ?? null,
      keys: ssh.keys,
      keysOnly: ssh.keysOnly,
      keyData: Object.fromEntries([
        ...deployment.sshKeyData.map((k) => [k.name, REDACTED]),
        ...deployment.unresolvedKeyData.map((name) => [name, NOT_SET]),
      ]),
      config: ssh.configFiles,
      forwardAgent: ssh.forwardAgent ?? null,
      logLevel,
    },
    accessories: selection.map((s) => accessoryDocument(s.accessory, s.hosts, deployment.loggingArgs)),
  }
}

export function renderConfigJson(document: ConfigDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`
}

const pairs = (record: Record<string, string>, quote = true) =>
  Object.entries(record)
    .map(([k, v]) => `${k}=${quote ? JSON.stringify(v) : v}`)
    .join(' ')

type AccessoryText = ConfigDocument['accessories'][number]

export function renderConfigText(document: ConfigDocument): string {
  const heading = `Config ${document.file}${document.destination ? ` (destination ${document.destination})` : ''}`
  const lines = [
    `${heading}: service ${document.service}`,
    `ssh: ${sshSettings(document.ssh).join(', ')}`,
    document.lock ? `deploy lock: on ${document.lock.host} (${document.lock.why})` : 'deploy lock: none (no hosts)',
    ...document.accessories.flatMap((a) => ['', ...accessoryLines(a)]),
  ]
  if (document.accessories.length === 0) lines.push('', 'no accessories')
  return `${lines.join('\n')}\n`
}

/** How berth connects, setting by setting; the ones left at ssh's default are not named. */
function sshSettings(ssh: ConfigDocument['ssh']): string[] {
  return [
    `user ${ssh.user}`,
    ssh.port !== null ? `port ${ssh.port}` : '',
    ssh.proxy ? `jump host ${ssh.proxy}` : '',
    ssh.proxyCommand ? `proxy command ${JSON.stringify(ssh.proxyCommand)}` : '',
    ssh.keys.length ? `keys ${ssh.keys.join(', ')}` : '',
    ssh.keysOnly ? 'keys only' : '',
    Object.keys(ssh.keyData).length
      ? `key_data ${pairs(ssh.keyData, false)} (loaded into a private ssh-agent for each run)`
      : '',
    ssh.config === true
      ? "ssh config: ssh's own files"
      : ssh.config === false
        ? 'ssh config: none'
        : `ssh config: ${ssh.config.join(', ')}`,
    ssh.forwardAgent !== null ? `forward_agent ${ssh.forwardAgent}` : '',
    ssh.logLevel ? `log_level ${ssh.logLevel}` : '',
  ].filter(Boolean)
}

/** One accessory: its container and image, then one indented line per setting it has. */
function accessoryLines(a: AccessoryText): string[] {
  const lines = [
    `accessory ${a.name}: container ${a.service}, image ${a.image}`,
    `  hosts: ${a.hosts.join(', ')}`,
    `  network ${a.network}, restart ${a.restart}${a.port ? `, port ${a.port}` : ''}${a.cmd ? `, cmd ${JSON.stringify(a.cmd)}` : ''}`,
  ]
  if (Object.keys(a.env.clear).length) lines.push(`  env: ${pairs(a.env.clear)}`)
  lines.push(
    `  secrets: ${Object.keys(a.env.secret).length ? `${pairs(a.env.secret, false)} ` : ''}(env file ${a.envFile})`,
  )
  if (Object.keys(a.labels).length) lines.push(`  labels: ${pairs(a.labels)}`)
  if (a.volumes.length) lines.push(`  volumes: ${a.volumes.join(', ')}`)
  lines.push(...a.files.map(fileLine), ...a.directories.map(directoryLine))
  if (a.options.length) lines.push(`  options: ${displayJoin(a.options)}`)
  if (a.registry)
    lines.push(
      `  registry login: ${a.registry.server ?? 'Docker Hub'} as ${a.registry.username}, password ${a.registry.password}`,
    )
  for (const [host, run] of Object.entries(a.dockerRun)) lines.push(`  on ${host}: ${run}`)
  return lines
}

function fileLine(f: AccessoryText['files'][number]): string {
  return (
    `  file: ${f.local} → ${f.hostPath} (mode ${f.mode}${f.owner ? `, owner ${f.owner}` : ''})` +
    (f.missing ? '; missing here, so boot and reboot refuse until it exists' : '')
  )
}

function directoryLine(d: AccessoryText['directories'][number]): string {
  const modeAndOwner = d.mode
    ? ` (mode ${d.mode}${d.owner ? `, owner ${d.owner}` : ''})`
    : d.owner
      ? ` (owner ${d.owner})`
      : ''
  return `  directory: ${d.hostPath}${modeAndOwner}`
}
