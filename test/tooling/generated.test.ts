// The generated files a run loads instead of heavier code (scripts/generate.mjs) must match their sources:
// the verb table's help and flags, and ajv's standalone validator of lib/config/schema.ts.
import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { asksForHelp } from '../../lib/cli/start.mjs'
import { HELP } from '../../lib/cli/help.generated.mjs'
import { helpText } from '../../lib/cli/verb-options.ts'
import { VERBS } from '../../lib/cli/verbs.ts'
import { generatedFiles } from '../../scripts/generate.mjs'

test('every generated file is up to date (run `node scripts/generate.mjs` after changing verbs, flags or the schema)', async () => {
  for (const [file, content] of Object.entries(await generatedFiles())) {
    const current = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')
    assert.ok(current === content, `${file} is stale: run node scripts/generate.mjs`)
  }
})

test("the fast --help is the runner's help, for every verb", () => {
  assert.equal(Object.keys(HELP).sort(), Object.keys(VERBS).sort())
  for (const [name, verb] of Object.entries(VERBS)) assert.is(HELP[name]!.text, helpText(verb))
})

test('the fast path answers only a --help the runner would answer', () => {
  const options = HELP.logs!.options
  assert.ok(asksForHelp(['--help'], options))
  assert.ok(asksForHelp(['db', '-h', '--hosts', 'a'], options))
  assert.ok(asksForHelp(['-qh'], options))
  assert.not.ok(asksForHelp(['db'], options))
  assert.not.ok(asksForHelp(['--grep', '-h'], options), 'a value, not a flag')
  assert.not.ok(asksForHelp(['--bogus', '--help'], options), "an unknown flag is the runner's usage error")
  assert.not.ok(asksForHelp(['-q', '-v', '--help'], options))
  assert.not.ok(asksForHelp(['a', 'b', '--help'], options))
  assert.not.ok(asksForHelp(['db', '--', '--help'], HELP.exec!.options), "after -- it is the command's")
})

test.run()
