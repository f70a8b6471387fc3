// No line under lib/ is longer than 140 characters (scripts/check-line-length.mjs, run by `npm run format:check`);
// the check reports a planted 141-character line and lets a 140-character one pass.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkLineLength } from '../../scripts/check-line-length.mjs'

const LIB = fileURLToPath(new URL('../../lib', import.meta.url))

test('no line under lib/ is longer than 140 characters', () => {
  const result = checkLineLength(LIB)
  assert.equal(result.problems, [])
  assert.ok(result.files > 40)
})

test('the check reports a planted 141-character line, not a 140-character one, and skips generated files', () => {
  const lib = path.join(mkdtempSync(path.join(tmpdir(), 'berth-line-length-')), 'lib')
  mkdirSync(path.join(lib, 'cli'), { recursive: true })
  const line = (length: number) => `const x = '${'a'.repeat(length - 12)}'`
  assert.is(line(141).length, 141)
  writeFileSync(path.join(lib, 'cli/long.ts'), `// first line\n${line(140)}\n${line(141)}\n`)
  writeFileSync(path.join(lib, 'cli/ok.mjs'), `${line(140)}\n`)
  writeFileSync(path.join(lib, 'cli/help.generated.mjs'), `${line(200)}\n`)
  const result = checkLineLength(lib)
  assert.equal(result.problems, [`${path.join('lib', 'cli', 'long.ts')}:3: 141 characters (at most 140)`])
  assert.is(result.files, 2)
})

test.run()
