// No function in lib/ runs over 80 lines, whatever its comments say: ESLint's max-lines-per-function, run here
// with inline `eslint-disable` comments ignored (eslint.config.mjs holds the everyday limit of 50, which a
// function may pass only with a reason beside it). Blank lines and comments are not counted. One lint at a
// limit of 10 serves both tests (each lint of lib/ takes seconds): a function's length is read from its message.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ESLint } from 'eslint'
import tseslint from 'typescript-eslint'
import { fileURLToPath } from 'node:url'

const REPO = fileURLToPath(new URL('../..', import.meta.url))
const MEASURED_FROM = 10

interface LongFunction {
  where: string
  lines: number
}

async function longFunctions(max: number, files: string[]): Promise<LongFunction[]> {
  const eslint = new ESLint({
    cwd: REPO,
    overrideConfigFile: true,
    allowInlineConfig: false,
    overrideConfig: {
      files: ['**/*.{ts,mjs}'],
      languageOptions: { parser: tseslint.parser },
      rules: { 'max-lines-per-function': ['error', { max, skipBlankLines: true, skipComments: true, IIFEs: true }] },
    },
  })
  const results = await eslint.lintFiles(files)
  return results.flatMap((r) =>
    r.messages.map((m) => ({
      where: `${r.filePath.slice(REPO.length)}:${m.line} ${m.ruleId ?? 'parse'}: ${m.message.replace(/ Maximum allowed is \d+\.$/, '')}`,
      // "Function 'x' has too many lines (63). Maximum allowed is 10."; a parse error counts as too long.
      lines: m.ruleId === 'max-lines-per-function' ? Number(/too many lines \((\d+)\)/.exec(m.message)?.[1]) : Infinity,
    })),
  )
}

const measured = longFunctions(MEASURED_FROM, ['lib/**/*.ts', 'lib/**/*.mjs'])

test('no function in lib/ is longer than 80 lines', async () => {
  const found = await measured
  assert.equal(
    found.filter((f) => Number.isNaN(f.lines)),
    [],
    'every message names the length',
  )
  assert.equal(
    found.filter((f) => f.lines > 80).map((f) => f.where),
    [],
  )
})

test('the limit is measured: a limit of 10 finds long functions in lib/', async () => {
  assert.ok((await measured).length > 20)
})

test.run()
