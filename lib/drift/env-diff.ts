// The container's environment against the config: KAMAL_HOST and clear values are shown, secrets only named,
// and what the image brings itself is not drift.
import type { Accessory } from '../config/accessory.ts'
import { dumpEnvValue } from '../config/env-file.ts'
import type { ContainerSettings, ObservedImage } from '../docker/inspect.ts'
import { EXPANDED, kamalShellValue } from './kamal-forms.ts'
import { keyValue } from './options.ts'

const envMap = (env: readonly string[]) =>
  new Map(
    env.map((e) => [
      e.slice(0, e.includes('=') ? e.indexOf('=') : e.length),
      e.includes('=') ? e.slice(e.indexOf('=') + 1) : '',
    ]),
  )

/** The env with clear values: KAMAL_HOST, `env: clear` and `options: env` (no value: the host's environment's). */
function clearEnv(
  accessory: Accessory,
  host: string,
  options: ReadonlyMap<string, string[]>,
): Array<[string, string | undefined]> {
  return [['KAMAL_HOST', host], ...accessory.envClear, ...(options.get('env') ?? []).map(keyValue)]
}

/** Config and secrets reasons for the container's env; what cannot be compared goes to `notCompared`. */
export function compareEnv(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  settings: ContainerSettings,
  image: ObservedImage | undefined,
  context: { host: string; unresolvedSecrets?: readonly string[] },
  notCompared: string[],
): { config: string[]; secrets: string[] } {
  const env = envMap(settings.env)
  const clear = clearEnv(accessory, context.host, options)
  const config = compareClearEnv(clear, env, notCompared)
  const secrets = compareSecretEnv(accessory.envSecret, env, new Set(context.unresolvedSecrets ?? []), notCompared)
  const configured = new Set([...clear.map(([k]) => k), ...accessory.envSecret.map(([k]) => k)])
  const extra = [...env.keys()].filter((k) => !configured.has(k))
  config.push(...compareUnconfiguredEnv(extra, env, options, image, notCompared))
  return { config, secrets }
}

function compareClearEnv(
  clear: ReadonlyArray<[string, string | undefined]>,
  env: ReadonlyMap<string, string>,
  notCompared: string[],
): string[] {
  const config: string[] = []
  for (const [key, value] of new Map(clear)) {
    if (value === undefined) {
      notCompared.push(`env ${key} (options: env takes its value from the host's environment)`)
      continue
    }
    // Kamal hands values to the remote shell in Ruby's `dump` form: `${...}` expands there and `\n` stays two
    // characters; berth passes them literally. Either is what the config means; `${...}` cannot be known here.
    if (EXPANDED.test(value)) {
      notCompared.push(`env ${key} (its \${...} is expanded by the remote shell when Kamal boots it)`)
      continue
    }
    const running = env.get(key)
    // The running value is never shown: the key may have held a secret before.
    if (running !== value && running !== kamalShellValue(value))
      config.push(`env ${key} ${env.has(key) ? 'changed' : 'is not set'} (configured ${JSON.stringify(value)})`)
  }
  return config
}

function compareSecretEnv(
  envSecret: ReadonlyArray<[string, string]>,
  env: ReadonlyMap<string, string>,
  unresolved: ReadonlySet<string>,
  notCompared: string[],
): string[] {
  const secrets: string[] = []
  for (const [key, value] of envSecret) {
    if (unresolved.has(key)) notCompared.push(`secret ${key} (not resolved here)`)
    else if (!env.has(key)) secrets.push(`${key} not set`)
    // The env file holds Kamal's escaped form, which docker reads literally: both forms are the same secret.
    else if (env.get(key) !== value && env.get(key) !== dumpEnvValue(value)) secrets.push(`${key} changed`)
  }
  return secrets
}

/** Keys the container has that nothing configures: drift unless the image set them, or an env-file may have. */
function compareUnconfiguredEnv(
  extra: readonly string[],
  env: ReadonlyMap<string, string>,
  options: ReadonlyMap<string, string[]>,
  image: ObservedImage | undefined,
  notCompared: string[],
): string[] {
  if (options.has('env-file')) {
    if (extra.length) notCompared.push(`env ${extra.join(', ')} (options: env-file may set them)`)
    return []
  }
  if (!image) {
    if (extra.length)
      notCompared.push(`env ${extra.join(', ')} (the container's image is not on the host to tell its own env apart)`)
    return []
  }
  const imageEnv = envMap(image.env)
  return extra.filter((key) => imageEnv.get(key) !== env.get(key)).map((key) => `env ${key} is set but not configured`)
}
