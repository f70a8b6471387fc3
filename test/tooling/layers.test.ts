// The shape of lib/: layers point one way with no import cycle (scripts/check-layers.mjs, run by `npm test`), and
// the check fails on a planted upward import. That every folder of lib/ is documented: docs.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
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

test.run()
