// A config nested past berth's limit (64 levels of lists and maps) is a config error naming the file, the
// place and the limit: measured before anything recursive runs, so 5000 `[` or a 3000-level map is exit
// 78, never `RangeError: Maximum call stack size exceeded` and a stack.
import { spawnSync } from 'node:child_process'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig } from '../../../lib/config/load.ts'
import { MAX_DEPTH } from '../../../lib/config/plain.ts'
import { tempDir } from '../../support/files.ts'

const HEAD = 'service: s\nimage: s/app\naccessories:\n  db:\n    image: postgres:16\n    host: 10.0.0.5\n'
/** A block map `levels` deep under `x-deep` (an extension key: Kamal's schema lets `x-` keys hold anything). */
const blockMap = (levels: number) =>
  'x-deep:\n' +
  Array.from({ length: levels }, (_, i) => `${'  '.repeat(i + 1)}a:\n`).join('') +
  `${'  '.repeat(levels + 1)}1\n`
const flowMap = (levels: number) => `x-deep: ${'{a: '.repeat(levels)}1${'}'.repeat(levels)}\n`

async function problemsOf(
  files: Record<string, string>,
  options: { destination?: string; env?: Record<string, string>; ruby?: string } = {},
) {
  const cwd = tempDir(files)
  try {
    await loadConfig({
      cwd,
      env: options.env ?? {},
      ...(options.ruby ? { ruby: options.ruby } : {}),
      ...(options.destination ? { destination: options.destination } : {}),
    })
    return []
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return error.problems
  }
}

const LIMIT = /more than 64 levels deep, berth's limit; no real config is that deep, so flatten it\.$/

function assertTooDeep(problems: string[], file: RegExp, what = 'lists and maps are nested here') {
  assert.is(problems.length, 1, problems.join('\n'))
  assert.match(problems[0]!, file)
  assert.match(problems[0]!, what)
  assert.match(problems[0]!, LIMIT)
}

test('the limit is 64 levels, the document itself the first: 64 load, 65 are refused', async () => {
  assert.is(MAX_DEPTH, 64)
  // the document's map is level 1, each {a: …} under x-deep one more
  assert.equal(await problemsOf({ 'config/deploy.yml': HEAD + flowMap(63) }), [])
  assertTooDeep(await problemsOf({ 'config/deploy.yml': HEAD + flowMap(64) }), /^config\/deploy\.yml:7:\d+: \(root\): /)
  assert.equal(await problemsOf({ 'config/deploy.yml': HEAD + blockMap(63) }), [])
  assertTooDeep(await problemsOf({ 'config/deploy.yml': HEAD + blockMap(64) }), /^config\/deploy\.yml:\d+:\d+: /)
})

test('5000 nested [ (closed or not), a 3000-level map, 3000 nested {a: …} and 3000 nested - are each one problem', async () => {
  const texts = {
    'unclosed [': `${HEAD}x-deep: ${'['.repeat(5000)}\n`,
    'closed [': `${HEAD}x-deep: ${'['.repeat(5000)}1${']'.repeat(5000)}\n`,
    'block map': HEAD + blockMap(3000),
    'flow map': HEAD + flowMap(3000),
    'block list': `${HEAD}x-deep:\n${Array.from({ length: 3000 }, (_, i) => `${'  '.repeat(i)}- \n`).join('')}`,
    'a 200000 [ line': `${HEAD}x-deep: ${'['.repeat(200_000)}\n`,
  }
  for (const [what, text] of Object.entries(texts)) {
    const problems = await problemsOf({ 'config/deploy.yml': text })
    assertTooDeep(problems, /^config\/deploy\.yml:\d+:\d+: \(root\): /)
    assert.ok(!problems[0]!.includes('RangeError'), what)
  }
})

test('a destination file nested too deep is named (deep_merge never sees it)', async () => {
  const problems = await problemsOf(
    { 'config/deploy.yml': HEAD, 'config/deploy.staging.yml': blockMap(3000) },
    { destination: 'staging' },
  )
  assertTooDeep(problems, /^config\/deploy\.staging\.yml:\d+:\d+: \(root\): /)
})

test('aliases of aliases that nest past the limit once expanded are refused before they are expanded', async () => {
  // each line 30 levels deep, each holding the one before: 6000 levels once expanded, 200 aliases
  let text = `${HEAD}x-a0: &a0 ${'['.repeat(30)}1${']'.repeat(30)}\n`
  for (let i = 1; i < 200; i++) text += `x-a${i}: &a${i} ${'['.repeat(30)}*a${i - 1}${']'.repeat(30)}\n`
  assertTooDeep(
    await problemsOf({ 'config/deploy.yml': text }),
    /^config\/deploy\.yml:\d+:\d+: \(root\): /,
    'with its aliases expanded, lists and maps are nested here',
  )
  // shared aliases that stay shallow are fine: a wide diamond, 40 levels of two aliases each
  let wide = `${HEAD}x-d0: &d0 [1]\n`
  for (let i = 1; i < 40; i++) wide += `x-d${i}: &d${i} [*d${i - 1}, *d${i - 1}]\n`
  const problems = await problemsOf({ 'config/deploy.yml': wide })
  assert.ok(
    problems.every((p) => !/levels deep/.test(p)),
    problems.join('\n'),
  )
})

test('ERB that renders deep YAML, or (without Ruby) nests its own expression 5000 times, is a problem, not a stack overflow', async () => {
  const viaEnv = await problemsOf(
    { 'config/deploy.yml': `${HEAD}x-deep: <%= ENV["DEEP"] %>\n` },
    { env: { DEEP: '['.repeat(5000) } },
  )
  assertTooDeep(viaEnv, /^config\/deploy\.yml:7:\d+: \(root\): /)
  for (const code of [
    `${'('.repeat(5000)}"x"${')'.repeat(5000)}`,
    `"x"${'.strip'.repeat(5000)}`,
    `${'!'.repeat(5000)}nil`,
    `"x"${' || "y"'.repeat(5000)}`,
  ]) {
    const file = { 'config/deploy.yml': `${HEAD}x-erb: <%= ${code} %>\n` }
    // beyond the subset, so Ruby's ERB renders it (as Kamal would); without Ruby it is named
    assert.equal(await problemsOf(file), [])
    const problems = await problemsOf(file, { ruby: '/nonexistent/ruby' })
    assert.is(problems.length, 1, problems.join('\n'))
    assert.match(
      problems[0]!,
      /^config\/deploy\.yml:7:8: ERB .*more than 256 nested or chained operations in one tag.* needs Ruby/,
    )
  }
  // and a comment nested 5000 deep in the ERB's YAML (its comments are found with the same parser)
  const comments = await problemsOf({ 'config/deploy.yml': `${HEAD}x-deep: ${'['.repeat(5000)} # <%= ENV["X"] %>\n` })
  assertTooDeep(comments, /^config\/deploy\.yml:7:\d+: /)
})

test('a deploy.config.mjs nested 3000 deep, or holding a cycle, is a problem naming the file', async () => {
  const deep = await problemsOf({
    'deploy.config.mjs':
      'let deep = 1\nfor (let i = 0; i < 3000; i++) deep = { a: deep }\n' +
      "export default { service: 's', image: 's/app', 'x-deep': deep, accessories: { db: { image: 'p:1', host: '10.0.0.5' } } }\n",
  })
  assert.is(deep.length, 1, deep.join('\n'))
  assert.match(deep[0]!, /^deploy\.config\.mjs: \/x-deep(\/a){63}: is nested more than 64 levels deep, berth's limit/)
  for (const body of [
    "const db = { image: 'p:1', host: '10.0.0.5' }\ndb.self = db\nexport default { service: 's', image: 's/app', accessories: { db } }\n",
    "export default () => { const c = { service: 's', image: 's/app' }; c.accessories = { db: { image: 'p:1', host: '10.0.0.5', up: c } }; return c }\n",
  ]) {
    const cyclic = await problemsOf({ 'deploy.config.mjs': body })
    assert.ok(cyclic.length >= 1)
    assert.ok(
      cyclic.some((p) =>
        /^deploy\.config\.mjs: \/accessories\/db\/(self|up): refers back to .* \(a circular reference\)/.test(p),
      ),
      cyclic.join('\n'),
    )
  }
})

test('accessory-check on a config nested 5000 deep: exit 78, the file and the limit named, no stack trace', () => {
  const script = new URL('../../../scripts/accessory-check.mjs', import.meta.url).pathname
  const projects: Record<string, string>[] = [
    { 'config/deploy.yml': `${HEAD}x-deep: ${'['.repeat(5000)}\n` },
    { 'config/deploy.yml': HEAD + blockMap(3000) },
    {
      'deploy.config.mjs':
        "const db = { image: 'p:1', host: '10.0.0.5' }\ndb.self = db\nlet deep = 1\nfor (let i = 0; i < 3000; i++) deep = [deep]\n" +
        "export default { service: 's', image: 's/app', 'x-deep': deep, accessories: { db } }\n",
    },
  ]
  for (const files of projects) {
    const cwd = tempDir(files)
    const r = spawnSync(process.execPath, [script, 'all'], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    assert.is(r.status, 78, r.stdout + r.stderr)
    assert.not.match(r.stderr, /RangeError|Maximum call stack|\n\s+at /)
    assert.ok(
      /^(config\/deploy\.yml:\d+:\d+|deploy\.config\.mjs): .*more than 64 levels deep, berth's limit/m.test(r.stderr),
      r.stderr,
    )
    assert.match(r.stderr, /Invalid config \(\d problems?\); fix it and run again\. No host was contacted\.\n$/)
  }
})

test.run()
