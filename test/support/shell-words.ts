// What argv a POSIX shell really hands to `docker` for a command line: a fake `docker` function prints its
// words, so a test compares Kamal's command strings with berth's by their meaning, not their spelling.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as assert from 'uvu/assert'
import { LocalTransport } from './local-transport.ts'
import { quoteWord } from '../../lib/remote/quote.ts'

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

/**
 * What /bin/sh makes of each text as the arguments of one command (as `docker run … <image> <cmd>` hands its
 * `cmd` to the remote shell), all in one shell run; undefined where the shell refused the text.
 */
export function argumentsOfEach(texts: readonly string[]): Array<string[] | undefined> {
  const script = [
    `w() { for a in "$@"; do printf 'W%s\\0' "$a"; done; }`,
    ...texts.map((t) => `(eval ${quoteWord(`w ${t}`)}) 2>/dev/null && printf 'E\\0' || printf 'X\\0'`),
  ].join('\n')
  const result = spawnSync('/bin/sh', [], { input: script, encoding: 'utf8' })
  assert.is(result.status, 0, result.stderr)
  const answers: Array<string[] | undefined> = []
  let words: string[] = []
  for (const field of result.stdout.split('\0').slice(0, -1)) {
    if (field.startsWith('W')) words.push(field.slice(1))
    else {
      answers.push(field === 'E' ? words : undefined)
      words = []
    }
  }
  assert.is(answers.length, texts.length, 'one answer per text')
  return answers
}
