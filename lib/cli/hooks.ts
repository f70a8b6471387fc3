// Kamal's `pre-connect` hook, run here once per command, before the first host is contacted: the hook file
// executed as a program (exec bit and shebang, as Kamal's `/usr/bin/env <file>`), in the working directory,
// with the process environment, the KAMAL_* variables and the secrets. Its output goes to stderr (stdout stays
// the report's); a signal to berth ends the hook and every process under it.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { accessSync, constants, existsSync } from 'node:fs'
import path from 'node:path'
import { forwardChunks } from '../remote/transport.ts'
import { EXIT_ERROR, exitCodeForSignal } from '../report/exit-codes.ts'
import { kamalVersion, outputTail } from './hook-env.ts'

/** A SIGTERM'd hook has this long to exit before its process group is killed. */
const KILL_GRACE_MS = 5000
const TAIL_CHARS = 8192
/** After the hook exits, what it wrote is read for this long more (a process it left running may keep its pipes). */
const DRAIN_MS = 500

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

const HINT = 'or skip hooks with -H (--skip-hooks)'

type HookEnd = { code: number | null; signal: NodeJS.Signals | null } | { error: Error }

const failed = (message: string): HookOutcome => ({ ok: false, exitCode: EXIT_ERROR, message })
const interrupted = (signal: AbortSignal): HookOutcome => ({
  ok: false,
  exitCode: exitCodeForSignal(String(signal.reason)),
  message: '',
})

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
  stderr: (text: string) => void | Promise<void>
  signal: AbortSignal
}): Promise<HookOutcome> {
  const { file, cwd, stderr, signal } = options
  const shown = path.relative(cwd, file).startsWith('..') ? file : path.relative(cwd, file)
  const env = Object.fromEntries(Object.entries(options.env).filter((e): e is [string, string] => e[1] !== undefined))
  const notExecutable = notExecutableRefusal(file, shown)
  if (notExecutable) return notExecutable
  if (signal.aborted) return interrupted(signal)
  const withNul = nulRefusal(shown, env)
  if (withNul) return withNul
  let output = ''
  // the hook waits while berth's stderr is full (a loud hook is never piled up in memory)
  const keep = (chunk: string) => {
    output = (output + chunk).slice(-TAIL_CHARS)
    return options.showOutput ? stderr(chunk) : undefined
  }
  const ended = await spawnHook(file, cwd, env, keep, signal)
  if (signal.aborted) return interrupted(signal)
  return hookOutcome(ended, shown, output)
}

/** A hook file that cannot be run as a program. */
function notExecutableRefusal(file: string, shown: string): HookOutcome | undefined {
  try {
    accessSync(file, constants.X_OK)
  } catch {
    return failed(
      `The pre-connect hook ${shown} is not executable, so it cannot run (Kamal runs it as a program too); ` +
        `no host was contacted. Make it executable (\`chmod +x ${shown}\`) with a #! line, ${HINT}.`,
    )
  }
  return undefined
}

/** A variable the hook cannot be given: a NUL cannot be passed in an environment. */
function nulRefusal(shown: string, env: Record<string, string>): HookOutcome | undefined {
  // say which variable, never its value (it may be a secret)
  const withNul = Object.keys(env).filter((name) => name.includes('\0') || env[name]!.includes('\0'))
  if (!withNul.length) return undefined
  return failed(
    `The pre-connect hook ${shown} cannot be given ${withNul.map((n) => JSON.stringify(n)).join(', ')}: ` +
      `its value holds a NUL byte, which no environment can carry; no host was contacted. ` +
      `Remove the NUL from that secret or variable, ${HINT}.`,
  )
}

/** The hook's end, in the words the user reads: ok, or why not with its last output. */
function hookOutcome(ended: HookEnd, shown: string, output: string): HookOutcome {
  if ('error' in ended) {
    const why = (ended.error as NodeJS.ErrnoException).code === 'ENOEXEC' ? ' (does it start with a #! line?)' : ''
    return failed(
      `The pre-connect hook ${shown} could not be started: ${ended.error.message}${why}; no host was contacted. ` +
        `Fix the hook, ${HINT}.`,
    )
  }
  if (ended.code === 0) return { ok: true }
  const how = ended.signal ? `was killed by ${ended.signal}` : `failed with exit code ${ended.code}`
  const tail = outputTail(output)
  return failed(
    `The pre-connect hook ${shown} ${how}, so no host was contacted. ` +
      (tail ? `Its last output:\n${tail.replace(/^/gm, '  ')}\n` : 'It printed nothing. ') +
      `Fix the hook (or what it needs), ${HINT}.`,
  )
}

/** Spawns the hook and resolves when it has ended (its output drained); `signal` ends it and what it started. */
function spawnHook(
  file: string,
  cwd: string,
  env: Record<string, string>,
  keep: (chunk: string) => void | Promise<void>,
  signal: AbortSignal,
): Promise<HookEnd> {
  return new Promise<HookEnd>((resolve) => {
    let child: ReturnType<typeof spawn>
    try {
      // berth's own session and process group, so a hook may still ask on the terminal (sudo, ssh)
      child = spawn(file, [], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    } catch (error) {
      resolve({ error: error as Error })
      return
    }
    const stop = stopOnAbort(child, signal)
    // decoded per stream, so a character split across two reads stays whole
    forwardChunks(child.stdout!.setEncoding('utf8'), keep)
    forwardChunks(child.stderr!.setEncoding('utf8'), keep)
    const done = (result: HookEnd) => {
      stop.release()
      resolve(result)
    }
    // The hook's end, not its pipes': a process it leaves running (a VPN, an ssh master) may hold them open.
    child.on('exit', (code, sig) => {
      const end = () => {
        child.stdout!.destroy()
        child.stderr!.destroy()
        done({ code, signal: sig })
      }
      const settle = () => {
        if (child.stdout!.readableEnded && child.stderr!.readableEnded) end()
        else {
          const drained = setTimeout(end, DRAIN_MS)
          child.on('close', () => (clearTimeout(drained), end()))
        }
      }
      // signalled: what the hook had started ends too (SIGKILL for what is still there after the grace)
      const signalled = stop.signalled()
      if (signalled.length) gone(signalled.slice(1)).then(settle, (error: Error) => done({ error }))
      else settle()
    })
    child.on('error', (error) => done({ error }))
  })
}

/**
 * `signal` aborted: the hook gets that signal, what it started SIGTERM too (a shell's background jobs ignore
 * SIGINT), and SIGKILL after the grace; berth exiting at once (a second signal) takes the hook with it.
 */
function stopOnAbort(
  child: ReturnType<typeof spawn>,
  signal: AbortSignal,
): { signalled: () => number[]; release: () => void } {
  const killTree = (sig: NodeJS.Signals) => {
    if (child.pid) for (const pid of processTree(child.pid)) signalProcess(pid, sig)
  }
  let grace: NodeJS.Timeout | undefined
  let signalled: number[] = []
  const onAbort = () => {
    const sig = (String(signal.reason) as NodeJS.Signals) || 'SIGTERM'
    signalled = child.pid ? processTree(child.pid) : []
    for (const [i, pid] of signalled.entries())
      for (const s of i === 0 ? [sig] : ([sig, 'SIGTERM'] as const)) signalProcess(pid, s)
    grace = setTimeout(() => killTree('SIGKILL'), KILL_GRACE_MS)
  }
  const onExit = () => killTree('SIGKILL')
  signal.addEventListener('abort', onAbort, { once: true })
  process.on('exit', onExit)
  return {
    signalled: () => signalled,
    release: () => {
      signal.removeEventListener('abort', onAbort)
      process.off('exit', onExit)
      if (grace) clearTimeout(grace)
    },
  }
}

/** `pid` and its descendants, from `ps` (the hook shares berth's process group, so no group kill). */
function processTree(pid: number): number[] {
  let table: string
  try {
    table = execFileSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid='], { encoding: 'utf8', timeout: 2000 })
  } catch {
    return [pid]
  }
  const children = new Map<number, number[]>()
  for (const line of table.split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number)
    if (child && parent) children.set(parent, [...(children.get(parent) ?? []), child])
  }
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []))
  return tree
}

/** Waits until these processes are gone, SIGKILLs any still there after the grace. */
async function gone(pids: number[]): Promise<void> {
  const alive = () => pids.filter((pid) => signalProcess(pid, 0))
  for (let waited = 0; waited < KILL_GRACE_MS && alive().length; waited += 100)
    await new Promise((r) => setTimeout(r, 100))
  for (const pid of alive()) signalProcess(pid, 'SIGKILL')
}

/** Sends `sig` (0: none, only asks); false when the process is gone. */
function signalProcess(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig)
    return true
  } catch {
    return false
  }
}

/** Whether a hook file is there (Kamal's `hook_exists?`: anything at the path). */
export function hookExists(file: string): boolean {
  return existsSync(file)
}
