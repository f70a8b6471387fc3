// Entry point for the scripts/ files: finds the script's own arguments in process.argv (zx and node
// put different things before them) and exits with the runner's code.
import { fstatSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { workflowCommandGuard } from '../report/github.ts'
import { asksForJson } from './args.ts'
import type { ScriptIO } from './context.ts'
import { runScript } from './run.ts'

type StreamName = 'stdout' | 'stderr'
type Write = (chunk: string | Uint8Array) => void | Promise<void>

export async function main(verb: string, scriptUrl: string): Promise<never> {
  const scriptPath = fileURLToPath(scriptUrl)
  const index = process.argv.findIndex((arg) => path.resolve(arg) === scriptPath)
  const argv = process.argv.slice(index >= 0 ? index + 1 : 2)
  const streams = processStreams()
  // the one --json decision, made before the flags are parsed, passed on to the runner
  const code = await runScript(verb, argv, streams.io, asksForJson(argv))
  streams.flush()
  // Flush before exiting: process.exit would cut off a large piped report.
  if (!streams.closed.stdout) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  process.exit(code)
}

/**
 * The process's stdout and stderr as the runner writes them: with backpressure, guarded under GitHub Actions.
 * `... | head` closes stdout early, and a closed stderr is no reason to stop either: the run goes on to its end
 * (releasing the lock) and exits with its own code, so `set -o pipefail` sees the real result.
 */
function processStreams(): { io: ScriptIO; closed: Record<StreamName, boolean>; flush: () => void } {
  const closed = { stdout: false, stderr: false }
  const stdoutGone = new AbortController()
  process.stdout.on('error', () => void ((closed.stdout = true), stdoutGone.abort('stdout closed')))
  process.stderr.on('error', () => void (closed.stderr = true))
  const raw = rawWriters(closed)
  const guards = { stdout: actionsGuard('stdout', raw.stdout), stderr: actionsGuard('stderr', raw.stderr) }
  const io: ScriptIO = {
    cwd: process.cwd(),
    env: process.env,
    stdout: guards.stdout?.write ?? raw.stdout,
    stderr: guards.stderr?.write ?? raw.stderr,
    stdoutClosed: stdoutGone.signal,
    annotate: (text) => {
      guards.stderr?.flush()
      void raw.stderr(text)
    },
    isTTY: process.stdout.isTTY === true,
  }
  return { io, closed, flush: () => (guards.stdout?.flush(), guards.stderr?.flush()) }
}

/** Writers that wait while a stream is full: one wait per full stream, shared by every write made meanwhile. */
function rawWriters(closed: Record<StreamName, boolean>): Record<StreamName, Write> {
  const room: Partial<Record<StreamName, Promise<void>>> = {}
  const raw =
    (name: StreamName): Write =>
    (chunk) => {
      const stream = process[name]
      if (closed[name] || stream.write(chunk)) return room[name]
      // Full: the caller waits for room (exec's output is passed through, never piled up in memory).
      return (room[name] ??= new Promise<void>((resolve) => {
        const done = () => {
          stream.off('drain', done).off('error', done).off('close', done)
          room[name] = undefined
          resolve()
        }
        stream.on('drain', done).on('error', done).on('close', done)
      }))
    }
  return { stdout: raw('stdout'), stderr: raw('stderr') }
}

/**
 * In GitHub Actions nothing berth prints but its own annotations can be read as a workflow command. A
 * stream redirected to a regular file is never read by the runner, so it stays byte for byte (exec's
 * `> backup.dump`). Bytes are guarded as latin1 text, so only the escaped sequences change.
 */
function actionsGuard(name: StreamName, write: Write): { write: Write; flush: () => void } | undefined {
  if (process.env.GITHUB_ACTIONS !== 'true' || isRegularFile(name === 'stdout' ? 1 : 2)) return undefined
  let bytes = false
  let pending: void | Promise<void>
  const guard = workflowCommandGuard((text) => void (pending = write(bytes ? Buffer.from(text, 'latin1') : text)))
  return {
    write: (chunk) => {
      pending = undefined
      bytes = typeof chunk !== 'string'
      guard.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'))
      return pending
    },
    flush: () => guard.flush(),
  }
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile()
  } catch {
    return false
  }
}
