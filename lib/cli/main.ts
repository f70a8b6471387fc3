// Entry point for the scripts/ files: finds the script's own arguments in process.argv (zx and node
// put different things before them) and exits with the runner's code.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runScript } from './run.ts'

export async function main(verb: string, scriptUrl: string): Promise<never> {
  const scriptPath = fileURLToPath(scriptUrl)
  const index = process.argv.findIndex((arg) => path.resolve(arg) === scriptPath)
  const argv = process.argv.slice(index >= 0 ? index + 1 : 2)
  // `... | head` closes stdout early; that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => e.code === 'EPIPE' && process.exit(0))
  let code: number
  try {
    code = await runScript(verb, argv, {
      cwd: process.cwd(),
      env: process.env,
      stdout: (t) => void process.stdout.write(t),
      stderr: (t) => void process.stderr.write(t),
    })
  } catch (error) {
    process.stderr.write(`berth: unexpected error: ${(error as Error).stack ?? error}\n`)
    code = 1
  }
  // Flush before exiting: process.exit would cut off a large piped report.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
  process.exit(code)
}
