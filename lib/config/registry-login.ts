// An accessory's `registry:` (or the root one) → the `docker login` it needs: server, user name, password,
// and the secrets they come from. Pure.
import type { RegistryConfig, SecretOrString } from './types.ts'
import { MAX_NAME, show } from './value-rules.ts'

export interface RegistryLogin {
  server?: string
  username: string
  password: string
  /** The secrets they come from (`[NAME]`), for what may be shown: a secret's value never is. */
  usernameSecret?: string
  passwordSecret?: string
}

type At = Array<string | number>

export function resolveRegistryLogin(
  registry: RegistryConfig | undefined,
  secret: (key: string, at: At) => string,
  invalid: (at: At, message: string) => void,
): RegistryLogin | undefined {
  if (!registry || registry.username === undefined || registry.password === undefined) return undefined
  // Kamal does not log in to local registries.
  if (registry.server?.startsWith('localhost')) return undefined
  const lookup = (value: SecretOrString, key: string) => (Array.isArray(value) ? secret(value[0], [key]) : value)
  const username = lookup(registry.username, 'username')
  if (Array.isArray(registry.username) && (/[\x00-\x1f\x7f]/.test(username) || username.length > MAX_NAME)) {
    // the secret's value is never shown
    invalid(
      ['username'],
      `The secret ${show(registry.username[0])} holds a control character (a newline...) ` +
        `or more than ${MAX_NAME} characters, which docker login cannot take as a user name; fix the secret.`,
    )
  }
  return {
    server: registry.server,
    username,
    password: lookup(registry.password, 'password'),
    ...(Array.isArray(registry.username) ? { usernameSecret: registry.username[0] } : {}),
    ...(Array.isArray(registry.password) ? { passwordSecret: registry.password[0] } : {}),
  }
}
