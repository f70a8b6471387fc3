// `ssh.config` with several files: ssh reads a single -F, so berth writes one config file that Includes them
// all. includeFileContent builds its lines (no I/O, unit-tested); writeIncludeFile writes it into a private
// temporary folder (SshTransport does, on first use) that goes when the process exits or dies of SIGINT/SIGTERM.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

/**
 * The lines of a config file that Includes several (ssh reads one -F; Include paths must be absolute).
 * Each path is one double-quoted argument; the config loader refuses paths with a newline, a control
 * character or a double quote, so a path can never add a line of its own.
 */
export function includeFileContent(files: readonly string[]): string {
  return files
    .map((f) => {
      if (/[\x00-\x1f\x7f"]/.test(f))
        throw new Error(
          `ssh config path ${JSON.stringify(f)} cannot be included: it holds a control character or a double quote`,
        )
      return `Include "${f.startsWith('~') ? f : path.resolve(f)}"\n`
    })
    .join('')
}

/** Generated Include files, removed when the process exits (however it exits through process.exit). */
const generated = new Set<string>()

function removeGenerated(): void {
  for (const dir of generated) rmSync(dir, { recursive: true, force: true })
  generated.clear()
}

/**
 * On SIGINT/SIGTERM with no other handler, remove the files, then die of the same signal as before. This
 * handler runs first (prepended); when another one is there (the deploy lock's, which still needs ssh to
 * release the lock and then calls process.exit), the 'exit' handler removes the files instead.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 0) return
  removeGenerated()
  process.kill(process.pid, signal)
}

/** Writes the Include file for `files`; returns its path. */
export function writeIncludeFile(files: string[]): string {
  const content = includeFileContent(files)
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-ssh-'))
  if (generated.size === 0) {
    process.once('exit', removeGenerated)
    process.prependOnceListener('SIGINT', onSignal)
    process.prependOnceListener('SIGTERM', onSignal)
  }
  generated.add(dir)
  const file = path.join(dir, 'config')
  writeFileSync(file, content, { mode: 0o600 })
  return file
}
