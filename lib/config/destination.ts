// A destination (`-d staging`) is a second config file next to the main one, merged over it as Kamal does.
import { join, parse as parsePath } from 'node:path'
import { isPlainObject } from './plain.ts'

/** `config/deploy.yml` + `staging` -> `config/deploy.staging.yml` */
export function destinationFile(file: string, destination: string): string {
  const parts = parsePath(file)
  const name = `${parts.name}.${destination}${parts.ext}`
  return parts.dir ? join(parts.dir, name) : name
}

/** ActiveSupport `deep_merge`: hashes merge recursively; arrays and scalars are replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over
  const merged: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    merged[key] =
      key in merged && isPlainObject(merged[key]) && isPlainObject(value) ? deepMerge(merged[key], value) : value
  }
  return merged
}
