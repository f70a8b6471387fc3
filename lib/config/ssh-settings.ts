// The config's `ssh:` and `sshkit:` → how berth's ssh connects: user, port, proxy, keys, ssh config files,
// log level, the private keys of `key_data` (from the secrets) and the handshakes in flight at once. Pure.
import type { DeployConfig } from './types.ts'
import type { SshSettings } from '../remote/ssh.ts'
import type { KeyData } from '../remote/ssh-agent.ts'
import type { ConfigSource, ResolveOptions } from './config-source.ts'
import { show } from './value-rules.ts'

const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10

/** Kamal's `ssh.log_level` (a Ruby Logger level for net-ssh) as the system ssh's LogLevel. */
export const SSH_LOG_LEVELS: Record<string, string> = {
  debug: 'DEBUG',
  info: 'VERBOSE',
  warn: 'INFO',
  error: 'ERROR',
  fatal: 'FATAL',
  unknown: 'QUIET',
}
const LOGGER_NUMBERS = ['debug', 'info', 'warn', 'error', 'fatal', 'unknown']

function sshLogLevel(level: string | number | undefined): string | undefined {
  if (level === undefined) return undefined
  const name = typeof level === 'number' ? LOGGER_NUMBERS[level] : level.toLowerCase()
  return name === undefined ? undefined : SSH_LOG_LEVELS[name]
}

export function resolveSsh(config: DeployConfig): SshSettings {
  const ssh = config.ssh ?? {}
  const proxy = ssh.proxy === undefined ? undefined : ssh.proxy.includes('@') ? ssh.proxy : `root@${ssh.proxy}`
  const configFiles =
    ssh.config === undefined || ssh.config === true ? true : ssh.config === false ? false : [ssh.config].flat()
  return {
    user: ssh.user ?? 'root',
    port: ssh.port === undefined ? undefined : Number(ssh.port),
    proxy,
    proxyCommand: ssh.proxy_command,
    keys: ssh.keys ?? [],
    keysOnly: ssh.keys_only ?? false,
    configFiles,
    connectTimeoutSeconds: DEFAULT_CONNECT_TIMEOUT_SECONDS,
    ...(ssh.forward_agent !== undefined ? { forwardAgent: ssh.forward_agent } : {}),
    ...(sshLogLevel(ssh.log_level) ? { logLevel: sshLogLevel(ssh.log_level) } : {}),
  }
}

/**
 * Kamal's `key_data`: each entry names a secret holding a private key; an entry that is no secret is taken as
 * the key itself (Kamal's deprecated inline form, with its warning).
 */
export function resolveKeyData(
  source: ConfigSource,
  options: ResolveOptions,
  problems: string[],
  warnings: string[],
  unresolved: string[],
): KeyData[] {
  const keys: KeyData[] = []
  ;(source.config.ssh?.key_data ?? []).forEach((entry, i) => {
    const value = source.secrets[entry]
    if (value !== undefined && value.trim() !== '') keys.push({ name: entry, key: value })
    else if (/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(entry.trim())) {
      warnings.push(
        `${source.locate(['ssh', 'key_data', i])}: an inline private key in key_data is deprecated by Kamal ` +
          '(it will be removed in Kamal 3); put it in a secret and name the secret here.',
      )
      keys.push({ name: `inline key ${i}`, key: entry })
    } else if (options.contactsHosts === false) {
      unresolved.push(entry)
    } else {
      problems.push(
        `${source.locate(['ssh', 'key_data', i])}: /ssh/key_data/${i}: ${keyDataMissing(entry, value, source.secretFiles)}`,
      )
    }
  })
  return keys
}

/**
 * A key_data secret with no key in it: without it no host can be logged into (the CI set-up whose repository
 * secret is missing: `SSH_KEY=$SSH_KEY` in .kamal/secrets expands to nothing), so no verb that contacts hosts
 * runs.
 */
function keyDataMissing(key: string, value: string | undefined, files: string[]): string {
  const where = files.join(' or ')
  const what =
    value === undefined
      ? `is not set in ${where}`
      : `is empty (in ${where}, a \`$VARIABLE\` that is not set expands to nothing)`
  const assignment = /^\w+$/.test(key) ? `\`${key}=...\`` : 'it'
  return (
    `The secret ${show(key)} named by key_data ${what}, so no host could be logged into; set ${assignment} to the ` +
    "private key there (in GitHub Actions: add the repository secret and pass it in the step's `env`)."
  )
}

/** Kamal validates `sshkit.max_concurrent_starts` as an integer (the schema); berth needs at least one handshake. */
export function resolveMaxConcurrentStarts(source: ConfigSource, problems: string[]): number | undefined {
  const value = source.config.sshkit?.max_concurrent_starts
  if (value === undefined) return undefined
  if (Number.isInteger(value) && value >= 1) return value
  problems.push(
    `${source.locate(['sshkit', 'max_concurrent_starts'])}: /sshkit/max_concurrent_starts: must be a positive integer`,
  )
  return undefined
}
