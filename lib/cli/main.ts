// Entry point for the scripts/ files: finds the script's own arguments in process.argv (zx and node
// put different things before them) and exits with the runner's code.
import { fstatSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderFailureJson } from '../report/failure.ts'
import { workflowCommandGuard } from '../report/github.ts'
import { asksForJson } from './args.ts'
import { runScript } from './run.ts'

type StreamName = 'stdout' | 'stderr'
type Write = (chunk: string | Uint8Array) => void | Promise<void>

export async function main(verb: string, scriptUrl: string): Promise<never> {
  const scriptPath = fileURLToPath(scriptUrl)
  const index = process.argv.findIndex((arg) => path.resolve(arg) === scriptPath)
  const argv = process.argv.slice(index >= 0 ? index + 1 : 2)
  // `... | head` closes stdout early, and a closed stderr is no reason to stop either: the run goes on to
  // its end (releasing the lock) and exits with its own code, so `set -o pipefail` sees the real result.
  const closed = { stdout: false, stderr: false }
  const stdoutGone = new AbortController()
  process.stdout.on('error', () => void ((closed.stdout = true), stdoutGone.abort('stdout closed')))
  process.stderr.on('error', () => void (closed.stderr = true))
  // One wait per full stream, shared by every write made meanwhile (no listeners piling up).
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
  const guards = {
    stdout: actionsGuard('stdout', raw('stdout')),
    stderr: actionsGuard('stderr', raw('stderr')),
  }
  const write = (name: StreamName): Write => guards[name]?.write ?? raw(name)
  const json = asksForJson(argv)
  let code: number
  try {
    code = await runScript(verb, argv, {
      cwd: process.cwd(),
      env: process.env,
      stdout: write('stdout'),
      stderr: write('stderr'),
      stdoutClosed: stdoutGone.signal,
      annotate: (text) => {
        guards.stderr?.flush()
        void raw('stderr')(text)
      },
      isTTY: process.stdout.isTTY === true,
    })
  } catch (error) {
    void write('stderr')(`berth: unexpected error: ${(error as Error).stack ?? error}\n`)
    if (json)
      void write('stdout')(
        renderFailureJson({
          verb,
          exitCode: 1,
          kind: 'error',
          message: `unexpected error: ${(error as Error).message ?? error}`,
        }),
      )
    code = 1
  }
  guards.stdout?.flush()
  guards.stderr?.flush()
  // Flush before exiting: process.exit would cut off a large piped report.
  if (!closed.stdout) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  process.exit(code)
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
