// What resolving a loaded config into a Deployment takes (deployment.ts, accessory.ts): the config with its
// secrets and positions, and how to treat secrets that cannot be resolved. Types only.
import type { DeployConfig } from './types.ts'
import type { CommandRunner } from './local-commands.ts'

/** What model resolution needs from a loaded config (see load.ts). */
export interface ConfigSource {
  config: DeployConfig
  destination?: string
  secrets: Record<string, string>
  secretFiles: string[]
  /** The loader's warnings (a key written twice), said before the model's own. */
  warnings?: string[]
  locate(path: Array<string | number>): string
}

/** `unresolvedSecrets: 'allow'`: a secret that cannot be resolved is recorded, not a config error (read-only checks). */
export interface ResolveOptions {
  cwd: string
  env: Record<string, string | undefined>
  unresolvedSecrets?: 'error' | 'allow'
  /**
   * false: the run reaches no host (accessory-config, exec --dry-run), so a `key_data` secret that holds no key
   * is recorded, not a config error. Every run that contacts hosts needs its keys, read-only or not.
   */
  contactsHosts?: boolean
  /** Runs backticks in `.erb` files; defaults to /bin/sh in `cwd` with the terminal's stdin and stderr. */
  run?: CommandRunner
}
