// The invalid-config corpus through the loader: each config is a ConfigError (exit 78) with a message that
// names the file, the key path (with line:col for YAML) and the problem. test/e2e/hostile.test.ts runs the
// same corpus through the real script and checks that no ssh is attempted.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig } from '../../../lib/config/load.ts'
import { resolveDeployment } from '../../../lib/config/deployment.ts'
import { checkCommandSizes } from '../../../lib/flows/command-size-check.ts'
import { INVALID_CONFIGS, namingLine, writeCorpusProject } from '../../support/invalid-configs.ts'

const VALUES = {
  host: '10.0.0.5',
  registry: 'registry.example:5000',
  sshConfig: 'ssh_config',
  canary: '/tmp/berth-canary-unit',
}

test(`the corpus holds at least 50 invalid configs, YAML and .mjs (${INVALID_CONFIGS.length})`, () => {
  assert.ok(INVALID_CONFIGS.length >= 50)
  assert.ok(INVALID_CONFIGS.some((e) => e.kind === 'mjs') && INVALID_CONFIGS.some((e) => e.kind === 'yml'))
  assert.is(new Set(INVALID_CONFIGS.map((e) => e.id)).size, INVALID_CONFIGS.length)
})

for (const entry of INVALID_CONFIGS) {
  test(`invalid: ${entry.id}`, async () => {
    const cwd = writeCorpusProject(entry, VALUES)
    const env = { ...entry.env }
    let problems: string[] = []
    try {
      const loaded = await loadConfig({ cwd, env })
      checkCommandSizes(loaded, resolveDeployment(loaded, { cwd, env }))
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      problems = error.problems
    }
    assert.ok(problems.length > 0, `${entry.id}: loaded without a problem`)
    assert.ok(
      namingLine(entry, problems),
      `${entry.id}: no line names ${entry.pointer} with "${entry.says}":\n${problems.join('\n')}`,
    )
    // a message is a sentence: it ends with a full stop, and never carries a raw control character
    for (const line of problems) assert.not.match(line, /[\x00-\x08\x0b-\x1f\x7f]/, line)
  })
}

test.run()
