// How Kamal hands a configured value to the remote shell, which decides what docker records: in Ruby's `dump`
// form (`\n` stays two characters), with any `${...}` left for the remote shell to expand.
import { dumpEnvValue } from '../config/env-file.ts'

/** A `${...}` that Kamal leaves for the remote shell to expand. */
export const EXPANDED = /\$\{[^}]*\}/

/** What the remote shell makes of Kamal's `--env KEY="<dump>"` for a value without `${...}`. */
export function kamalShellValue(value: string): string {
  return dumpEnvValue(value).replaceAll('\\\\', '\\')
}
