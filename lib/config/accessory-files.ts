// An accessory's `files:` and `directories:` → the files uploaded to its host, the folders made there, and
// their mounts. Not pure: `files:` reads each local file, and renders an `.erb` one with berth's ERB, whose
// backticks run local commands through /bin/sh (local-commands.ts).
import { readFileSync, existsSync } from 'node:fs'
import path from 'node:path'
import type { PathConfig } from './types.ts'
import type { ResolveOptions } from './config-source.ts'
import { expandErb } from './erb.ts'
import { shellRunner, type Env } from './local-commands.ts'

export interface FileUpload {
  /** Local path, for messages. */
  source: string
  /**
   * undefined: the local file is missing. Kamal's config takes that (it fails only at upload), so read-only runs
   * work and say the content was not compared; boot and reboot refuse before any host is touched (missingFiles
   * in lib/cli/select.ts).
   */
  content: string | undefined
  /** Where the entry is written (`file:line:col`), for messages. */
  at: string
  /** Relative to the remote login directory: `<service_name><remote>`. */
  remotePath: string
  mode: string
  owner?: string
}

export interface DirectorySpec {
  /** `mkdir -p` target: relative (to the login directory) or absolute. */
  path: string
  mode?: string
  owner?: string
}

/** A `--volume` value; `relative` host paths are mounted from the remote `$PWD`. */
export interface Mount {
  hostPath: string
  relative: boolean
  containerPath: string
  options?: string
}

/**
 * `files:`, read from the project directory; `erbEnv` is the ENV an `.erb` file sees (Kamal renders them with
 * the accessory's env in it). `where(i)` names entry i in messages.
 */
export function resolveFiles(
  entries: PathConfig[],
  serviceName: string,
  erbEnv: Env,
  options: ResolveOptions,
  where: (i: number) => string,
  problems: string[],
): { files: FileUpload[]; mounts: Mount[] } {
  const files: FileUpload[] = []
  const mounts: Mount[] = []
  entries.forEach((entry, i) => {
    const spec = parsePathConfig(entry)
    const content = readLocalFile(spec.local, erbEnv, options, problems)
    const remotePath = `${serviceName}${spec.remote}`
    files.push({ source: spec.local, at: where(i), content, remotePath, mode: spec.mode ?? '755', owner: spec.owner })
    mounts.push({ hostPath: remotePath, relative: true, containerPath: spec.remote, options: spec.options })
  })
  return { files, mounts }
}

/** A local file's text (undefined when missing); an `.erb` one rendered, its problems named `file:line:col`. */
function readLocalFile(file: string, erbEnv: Env, options: ResolveOptions, problems: string[]): string | undefined {
  const local = path.resolve(options.cwd, file)
  if (!existsSync(local)) return undefined
  const content = readFileSync(local, 'utf8')
  if (!local.endsWith('erb')) return content
  const rendered = expandErb(content, erbEnv, { run: options.run ?? shellRunner(options.cwd, options.env) })
  for (const problem of rendered.problems) problems.push(`${file}:${problem.line}:${problem.col}: ${problem.message}`)
  return rendered.output
}

/** `directories:`: relative host folders live under the service folder in the login directory. */
export function resolveDirectories(
  entries: PathConfig[],
  serviceName: string,
): { directories: DirectorySpec[]; mounts: Mount[] } {
  const directories: DirectorySpec[] = []
  const mounts: Mount[] = []
  for (const entry of entries) {
    const spec = parsePathConfig(entry)
    const relative = !path.posix.isAbsolute(spec.local)
    const hostPath = relative ? `${serviceName}/${spec.local}` : spec.local
    directories.push({ path: hostPath, mode: spec.mode, owner: spec.owner })
    mounts.push({ hostPath, relative, containerPath: spec.remote, options: spec.options })
  }
  return { directories, mounts }
}

function parsePathConfig(entry: PathConfig): {
  local: string
  remote: string
  mode?: string
  owner?: string
  options?: string
} {
  if (typeof entry !== 'string') return entry
  const [local = '', remote = '', options] = splitLimit(entry, ':', 3)
  return { local, remote, options }
}

/** Ruby's `split(":", 3)`: the last part keeps any further separators. */
function splitLimit(value: string, separator: string, limit: number): string[] {
  const parts = value.split(separator)
  return parts.length <= limit ? parts : [...parts.slice(0, limit - 1), parts.slice(limit - 1).join(separator)]
}
