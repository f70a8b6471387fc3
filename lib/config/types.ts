// The raw configuration, in Kamal's own deploy.yml shape. berth reads the keys below; every other key
// Kamal knows (builder, proxy, hooks, ...) is accepted by the schema and ignored.

/** A Kamal secret reference: a literal string, or a one-element array naming a secret (`[KEY]`). */
export type SecretOrString = string | [string]

export interface RegistryConfig {
  server?: string
  username?: SecretOrString
  password?: SecretOrString
  [key: string]: unknown
}

interface SshConfig {
  user?: string
  port?: number | string
  proxy?: string
  proxy_command?: string
  keys?: string[]
  keys_only?: boolean
  key_data?: string[]
  /** true: the standard OpenSSH files; false: none; a path or paths: those files. */
  config?: boolean | string | string[]
  /** A Ruby Logger level: debug, info, warn, error, fatal, unknown (or 0–5). */
  log_level?: string | number
  forward_agent?: boolean
  [key: string]: unknown
}

interface EnvConfig {
  clear?: Record<string, string | number | boolean>
  secret?: string[]
  tags?: Record<string, unknown>
}

/** `local:remote[:options]`, or the hash form. */
export type PathConfig = string | { local: string; remote: string; mode?: string; owner?: string; options?: string }

interface LoggingConfig {
  driver?: string
  options?: Record<string, string | number | boolean>
}

export interface AccessoryConfig {
  image: string
  service?: string
  registry?: RegistryConfig
  host?: string
  hosts?: string[]
  role?: string
  roles?: string[]
  tag?: string
  tags?: string[]
  cmd?: string
  port?: string | number
  labels?: Record<string, string | number | boolean>
  options?: Record<string, string | number | boolean | Array<string | number>>
  /** Either a plain hash of clear values, or `{clear, secret}`. */
  env?: EnvConfig | Record<string, string | number | boolean>
  files?: PathConfig[]
  directories?: PathConfig[]
  volumes?: string[]
  network?: string
  proxy?: Record<string, unknown>
}

/** A host entry under a role: a name, or `{name: tags}`. */
export type ServerEntry = string | Record<string, string | string[]>
type RoleConfig = ServerEntry[] | { hosts: ServerEntry[]; [key: string]: unknown }

export interface DeployConfig {
  service: string
  image: string
  servers?: ServerEntry[] | Record<string, RoleConfig>
  registry?: RegistryConfig
  ssh?: SshConfig
  logging?: LoggingConfig
  /** Kamal's sshkit.yml: integers (the schema checks them). */
  sshkit?: { max_concurrent_starts?: number; pool_idle_timeout?: number; dns_retries?: number }
  accessories?: Record<string, AccessoryConfig>
  primary_role?: string
  secrets_path?: string
  [key: string]: unknown
}
