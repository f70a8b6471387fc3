// A throwaway directory holding the given files (paths relative to it), for tests that read a project.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

export function tempDir(files: Record<string, string>, prefix = 'berth-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), body)
  }
  return dir
}
