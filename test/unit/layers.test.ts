// The shape of lib/: layers point one way with no import cycle (scripts/check-layers.mjs, run by `npm test`),
// the check fails on a planted upward import, and every file under lib/ is named in the README's table.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkLayers } from '../../scripts/check-layers.mjs'

const LIB = fileURLToPath(new URL('../../lib', import.meta.url))
type Result = { files: number; edges: number; problems: string[] }

test('lib/ has no import cycle and no upward import', () => {
  const result = checkLayers(LIB) as Result
  assert.equal(result.problems, [])
  assert.ok(result.files > 40 && result.edges > 100)
})

test('the check fails on a planted upward import and on a planted cycle', () => {
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'berth-layers-')), 'lib')
  cpSync(LIB, copy, { recursive: true })
  const quote = path.join(copy, 'remote/quote.ts')
  writeFileSync(quote, `import type { Verb } from '../cli/verbs.ts'\n${readFileSync(quote, 'utf8')}`)
  const upward = checkLayers(copy) as Result
  assert.ok(
    upward.problems.some((p) => p.startsWith('upward import: remote/quote.ts (remote) imports cli/verbs.ts (cli)')),
    upward.problems.join('\n'),
  )
  assert.ok(
    upward.problems.some((p) => p.startsWith('import cycle:')),
    'cli reaches remote/quote.ts, which now reaches cli',
  )
})

test('every file under lib/ is named in the README\'s "How it is built" table', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const table = readme.slice(readme.indexOf('## How it is built'), readme.indexOf('## The lab'))
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    )
  const missing = files(LIB)
    .map((f) => path.relative(LIB, f))
    .filter((rel) => !table.includes(`\`${path.basename(rel)}\``) && !table.includes(`lib/${rel}`))
  assert.equal(missing, [], `not named in the README table: ${missing.join(', ')}`)
})

test.run()
