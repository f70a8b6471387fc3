// Kamal's `pre-connect` hook, run here once per command, before the first host is contacted: the hook file
// executed as a program (exec bit and shebang, as Kamal's `/usr/bin/env <file>`), in the working directory,
// with the process environment, the KAMAL_* variables and the secrets. Its output goes to stderr (stdout stays
// the report's); a signal to berth ends the hook's whole process group.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants, existsSync } from 'node:fs'
import path from 'node:path'
import { EXIT_ERROR, exitCodeForSignal } from '../report/exit-codes.ts'
import { kamalVersion, outputTail } from './hook-env.ts'

/** A SIGTERM'd hook has this long to exit before its process group is killed. */
const KILL_GRACE_MS = 5000
const TAIL_BYTES = 8192

export type HookOutcome = { ok: true } | { ok: false; exitCode: number; message: string }

/** `$VERSION`, else the git HEAD sha of the working directory (`_uncommitted_<hex>` when dirty), else none. */
export function localVersion(cwd: string, env: Record<string, string | undefined>): string | undefined {
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim()
  let revision: { revision: string; dirty: boolean } | undefined
  if (!env.VERSION) {
    try {
      revision = { revision: git(['rev-parse', 'HEAD']), dirty: git(['status', '--porcelain']) !== '' }
    } catch {
      // no git, no repository or no commit yet: no version (Kamal would refuse to run; berth needs none)
    }
  }
  return kamalVersion(env.VERSION, revision, randomBytes(8).toString('hex'))
}

/**
 * Runs the hook file if it exists. Resolves when it has ended: ok, or a failure whose message names the hook,
 * its exit code and its last output, and the fix. `signal` aborted (SIGINT/SIGTERM to berth): the hook's process
 * group gets that signal, and the outcome exits 130/143.
 */
export async function runHook(options: {
  file: string
  cwd: string
  env: Record<string, string | undefined>
  showOutput: boolean
  stderr: (text: string) => void
  signal: AbortSignal
}): Promise<HookOutcome> {
  const { file, cwd, stderr, signal } = options
  const shown = path.relative(cwd, file).startsWith('..') ? file : path.relative(cwd, file)
  const hint = 'or skip hooks with -H (--skip-hooks)'
  try {
    accessSync(file, constants.X_OK)
  } catch {
    return {
      ok: false,
      exitCode: EXIT_ERROR,
      message:
        `The pre-connect hook ${shown} is not executable, so it cannot run (Kamal runs it as a program too); ` +
        `no host was contacted. Make it executable (\`chmod +x ${shown}\`) with a #! line, ${hint}.`,
    }
  }
  if (signal.aborted) return { ok: false, exitCode: exitCodeForSignal(String(signal.reason)), message: '' }
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-TAIL_BYTES)
    if (options.showOutput) stderr(chunk.toString('utf8'))
  }
  const env = Object.fromEntries(Object.entries(options.env).filter((e): e is [string, string] => e[1] !== undefined))
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: Error }>(
    (resolve) => {
      let child: ReturnType<typeof spawn>
      try {
        // its own process group: a signal to berth reaches the hook and whatever it started
        child = spawn(file, [], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      } catch (error) {
        resolve({ error: error as Error })
        return
      }
      const killGroup = (sig: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, sig)
        } catch {
          // already gone
        }
      }
      let grace: NodeJS.Timeout | undefined
      const onAbort = () => {
        killGroup((String(signal.reason) as NodeJS.Signals) || 'SIGTERM')
        grace = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS)
      }
      // berth exiting at once (a second signal) takes the hook with it
      const onExit = () => killGroup('SIGKILL')
      signal.addEventListener('abort', onAbort, { once: true })
      process.on('exit', onExit)
      child.stdout!.on('data', keep)
      child.stderr!.on('data', keep)
      const done = (result: { code: number | null; signal: NodeJS.Signals | null } | { error: Error }) => {
        signal.removeEventListener('abort', onAbort)
        process.off('exit', onExit)
        if (grace) clearTimeout(grace)
        resolve(result)
      }
      child.on('error', (error) => done({ error }))
      child.on('close', (code, sig) => done({ code, signal: sig }))
    },
  )
  if (signal.aborted) return { ok: false, exitCode: exitCodeForSignal(String(signal.reason)), message: '' }
  if ('error' in ended) {
    const why = (ended.error as NodeJS.ErrnoException).code === 'ENOEXEC' ? ' (does it start with a #! line?)' : ''
    return {
      ok: false,
      exitCode: EXIT_ERROR,
      message:
        `The pre-connect hook ${shown} could not be started: ${ended.error.message}${why}; no host was contacted. ` +
        `Fix the hook, ${hint}.`,
    }
  }
  if (ended.code === 0) return { ok: true }
  const how = ended.signal ? `was killed by ${ended.signal}` : `failed with exit code ${ended.code}`
  const tail = outputTail(output)
  return {
    ok: false,
    exitCode: EXIT_ERROR,
    message:
      `The pre-connect hook ${shown} ${how}, so no host was contacted. ` +
      (tail ? `Its last output:\n${tail.replace(/^/gm, '  ')}\n` : 'It printed nothing. ') +
      `Fix the hook (or what it needs), ${hint}.`,
  }
}

/** Whether a hook file is there (Kamal's `hook_exists?`: anything at the path). */
export function hookExists(file: string): boolean {
  return existsSync(file)
}
