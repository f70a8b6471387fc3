// Local commands a config asks for, as Ruby runs them for Kamal: `$(...)` in `.kamal/secrets` and backticks or
// `%x(...)` in ERB. Each runs through /bin/sh in the project directory with the process environment; its
// stdout is captured, while stdin and stderr stay the terminal's, so a password manager can ask for a
// sign-in. Unlike Ruby, a command that fails is an error (never an empty value).
import { spawnSync } from 'node:child_process'

export type Env = Record<string, string | undefined>

/** Runs one command line; stdout as printed (callers chomp when Ruby does). */
export type CommandRunner = (command: string, env?: Env) => { ok: true; stdout: string } | { ok: false; detail: string }

export interface RunnerOptions {
  /** stdin and stderr from the terminal (the default); false captures stderr into the failure detail (tests). */
  terminal?: boolean
}

export function shellRunner(cwd: string, env: Env, options: RunnerOptions = {}): CommandRunner {
  const terminal = options.terminal ?? true
  return (command, commandEnv = env) => {
    const clean: Record<string, string> = {}
    for (const [k, v] of Object.entries(commandEnv)) if (v !== undefined) clean[k] = v
    const r = spawnSync('/bin/sh', ['-c', command], {
      cwd,
      env: clean,
      encoding: 'utf8',
      stdio: [terminal ? 'inherit' : 'ignore', 'pipe', terminal ? 'inherit' : 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    })
    if (r.error) return { ok: false, detail: r.error.message }
    if (r.status !== 0) {
      const why = r.status === null ? `killed by ${r.signal}` : `exit ${r.status}`
      const stderr = (r.stderr ?? '').trim()
      return { ok: false, detail: stderr ? `${why}: ${stderr}` : why }
    }
    return { ok: true, stdout: r.stdout ?? '' }
  }
}

/** Ruby's String#chomp: one trailing line break. */
export function chomp(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2)
  if (s.endsWith('\n') || s.endsWith('\r')) return s.slice(0, -1)
  return s
}
