// Entry point for the scripts/ files: finds the script's own arguments in process.argv (zx and node
// put different things before them) and exits with the runner's code.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderFailureJson } from '../report/failure.ts'
import { workflowCommandGuard } from '../report/github.ts'
import { asksForJson } from './args.ts'
import { runScript } from './run.ts'

export async function main(verb: string, scriptUrl: string): Promise<never> {
  const scriptPath = fileURLToPath(scriptUrl)
  const index = process.argv.findIndex((arg) => path.resolve(arg) === scriptPath)
  const argv = process.argv.slice(index >= 0 ? index + 1 : 2)
  // `... | head` closes stdout early, and a closed stderr is no reason to stop either: the run goes on to
  // its end (releasing the lock) and exits with its own code, so `set -o pipefail` sees the real result.
  const closed = { stdout: false, stderr: false }
  process.stdout.on('error', () => void (closed.stdout = true))
  process.stderr.on('error', () => void (closed.stderr = true))
  const raw = (stream: 'stdout' | 'stderr') => (text: string) => void (closed[stream] || process[stream].write(text))
  // In GitHub Actions nothing berth prints but its own annotations can be read as a workflow command.
  const guards =
    process.env.GITHUB_ACTIONS === 'true'
      ? { stdout: workflowCommandGuard(raw('stdout')), stderr: workflowCommandGuard(raw('stderr')) }
      : undefined
  const write = (stream: 'stdout' | 'stderr') => guards?.[stream].write ?? raw(stream)
  const json = asksForJson(argv)
  let code: number
  try {
    code = await runScript(verb, argv, {
      cwd: process.cwd(),
      env: process.env,
      stdout: write('stdout'),
      stderr: write('stderr'),
      annotate: (text) => {
        guards?.stderr.flush()
        raw('stderr')(text)
      },
      isTTY: process.stdout.isTTY === true,
    })
  } catch (error) {
    write('stderr')(`berth: unexpected error: ${(error as Error).stack ?? error}\n`)
    if (json)
      write('stdout')(
        renderFailureJson({
          verb,
          exitCode: 1,
          kind: 'error',
          message: `unexpected error: ${(error as Error).message ?? error}`,
        }),
      )
    code = 1
  }
  guards?.stdout.flush()
  guards?.stderr.flush()
  // Flush before exiting: process.exit would cut off a large piped report.
  if (!closed.stdout) await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  process.exit(code)
}
