// Kamal's `pre-connect` hook, the pure part: where the hook file is, what berth's verbs are called in
// Kamal's terms, and the environment the hook runs with (Kamal::Tags plus the secrets, commands/hook.rb).
import path from 'node:path'
import { hooksDirectory } from '../config/load.ts'
import { hostMatches } from './args.ts'

export const PRE_CONNECT = 'pre-connect'

/** `File.join(hooks_path, hook)`: the config's root `hooks_path`, else `.kamal/hooks`, from the working directory. */
export function hookFile(cwd: string, hooksPath: unknown, hook: string = PRE_CONNECT): string {
  return path.join(hooksDirectory(cwd, hooksPath), hook)
}

/**
 * KAMAL_COMMAND / KAMAL_SUBCOMMAND for a berth script: `accessory-boot` is `accessory` + `boot` (the words of
 * `kamal accessory boot`), `lock status` is `lock` + `status`.
 */
export function kamalCommand(script: string, target: string | undefined): { command: string; subcommand?: string } {
  const accessory = /^accessory-(.+)$/.exec(script)
  if (accessory) return { command: 'accessory', subcommand: accessory[1]! }
  return target ? { command: script, subcommand: target } : { command: script }
}

/** Kamal's abbreviated version: the first 7 characters, unless it holds `_` (`<sha>_uncommitted_<hex>`). */
export function abbreviatedVersion(version: string): string {
  return version.includes('_') ? version : version.slice(0, 7)
}

/** Kamal's version when no `--version` is given: `$VERSION`, else the git HEAD sha, `_uncommitted_<hex>` when dirty. */
export function kamalVersion(
  envVersion: string | undefined,
  git: { revision: string; dirty: boolean } | undefined,
  hex: string,
): string | undefined {
  if (envVersion) return envVersion
  if (!git) return undefined
  return git.dirty ? `${git.revision}_uncommitted_${hex}` : git.revision
}

export interface HookDetails {
  /** When the hook runs (Kamal: `Time.now.utc.iso8601`, whole seconds). */
  now: Date
  performer: string
  service: string
  destination?: string
  version?: string
  /** The hosts this run will contact, in order. */
  hosts: string[]
  /** `-r` as given (patterns), resolved against the config's roles; absent without `-r`. */
  roles?: string[]
  knownRoles: string[]
  /** Whether this run holds the deploy lock now. */
  lock: boolean
  command: string
  subcommand?: string
  /** Every secret of `.kamal/secrets*`, merged last as Kamal does. */
  secrets: Record<string, string>
}

/** The variables Kamal adds to the hook's environment (tags first, then the secrets); unset ones are absent. */
export function hookEnv(details: HookDetails): Record<string, string> {
  const roles = details.roles
    ? details.knownRoles.filter((name) => details.roles!.some((pattern) => hostMatches(pattern, name)))
    : undefined
  const tags: Record<string, string | undefined> = {
    KAMAL_RECORDED_AT: details.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    KAMAL_PERFORMER: details.performer,
    KAMAL_DESTINATION: details.destination,
    KAMAL_VERSION: details.version,
    KAMAL_SERVICE_VERSION: [details.service, details.version && abbreviatedVersion(details.version)]
      .filter(Boolean)
      .join('@'),
    KAMAL_SERVICE: details.service,
    KAMAL_HOSTS: details.hosts.join(','),
    KAMAL_ROLES: roles?.join(','),
    KAMAL_LOCK: String(details.lock),
    KAMAL_COMMAND: details.command,
    KAMAL_SUBCOMMAND: details.subcommand,
  }
  const env = Object.fromEntries(Object.entries(tags).filter((e): e is [string, string] => e[1] !== undefined))
  return { ...env, ...details.secrets }
}

/** Kamal's `hooks_output` (`quiet`/`verbose`, for all hooks or per hook) unless -q or -v: is the output shown? */
export function hookOutputShown(
  hooksOutput: unknown,
  hook: string,
  flags: { quiet: boolean; verbose: boolean },
): boolean {
  if (flags.verbose) return true
  if (flags.quiet) return false
  const setting =
    typeof hooksOutput === 'string'
      ? hooksOutput
      : hooksOutput && typeof hooksOutput === 'object'
        ? (hooksOutput as Record<string, unknown>)[hook]
        : undefined
  return setting !== 'quiet'
}

/** The last lines of a hook's output, for the message that says it failed. */
export function outputTail(output: string, lines = 10): string {
  const kept = output.replace(/\s+$/, '').split('\n').slice(-lines)
  return kept.join('\n')
}
