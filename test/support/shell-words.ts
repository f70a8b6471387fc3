// What argv a POSIX shell really hands to `docker` for a command line: a fake `docker` function prints its
// words, so a test compares Kamal's command strings with berth's by their meaning, not their spelling.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { LocalTransport } from '../../lib/remote/local.ts'

export async function shellWords(commandLine: string): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-argv-'))
  const script = path.join(dir, 'words.sh')
  writeFileSync(script, `docker() { printf '%s\\0' docker "$@"; }\ncd ${JSON.stringify(dir)}\n${commandLine}\n`)
  const result = await new LocalTransport(dir).run('local', { argv: ['sh', script] })
  assert.is(result.exitCode, 0, result.stderr)
  return result.stdout
    .split('\0')
    .slice(0, -1)
    .map((w) => w.replaceAll(dir, '$PWD'))
}
