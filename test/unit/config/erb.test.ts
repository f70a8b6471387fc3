// The ERB subset (lib/config/erb.ts): one fixture per form in test/fixtures/erb/, each a YAML file rendered
// with a fixed environment and the real /bin/sh, then read as Kamal reads YAML; `<name>.json` is what it
// must mean, `<name>.problems` the problems it must give (line:col: message). Every fixture the subset
// renders is also rendered by real Ruby's ERB (ruby-erb.ts, as Kamal renders it), and the bytes must be the
// same. test/fixtures/erb-ruby/ holds what only Ruby renders. These tests need `ruby` (scripts/setup.sh
// installs it) and fail without it.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseDocument } from 'yaml'
import { shellRunner } from '../../../lib/config/local-commands.ts'
import { expandErb } from '../../../lib/config/erb.ts'
import { renderWithRuby } from '../../../lib/config/ruby-erb.ts'
import { psychTags } from '../../../lib/config/psych.ts'
import { tempDir } from '../../support/files.ts'

const FIXTURES = fileURLToPath(new URL('../../fixtures/erb/', import.meta.url))
const RUBY_FIXTURES = fileURLToPath(new URL('../../fixtures/erb-ruby/', import.meta.url))
const ENV = {
  APP_HOST: 'app.example.com',
  DB_HOSTS: '10.0.0.5,10.0.0.6',
  EMPTY: '',
  KAMAL_DESTINATION: 'production',
  PATH: process.env.PATH,
}
const run = shellRunner(FIXTURES, ENV, { terminal: false })
const render = (text: string) => expandErb(text, ENV, { yaml: true, run, cwd: FIXTURES })
const ruby = (dir: string, file: string) => renderWithRuby(path.join(dir, file), { cwd: dir, env: ENV })
const meaning = (yaml: string) => {
  const doc = parseDocument(yaml, { version: '1.1', customTags: psychTags })
  assert.equal(doc.errors.map(String), [])
  return doc.toJS()
}
/** Fixtures with tags in YAML comments, which berth leaves out on purpose (Ruby prints them into the comment). */
const SUBSET_ONLY = new Set(['comments', 'string-literal'])

for (const file of readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yml'))
  .sort()) {
  const name = file.slice(0, -4)
  test(`fixture ${name}`, () => {
    const result = render(readFileSync(path.join(FIXTURES, file), 'utf8'))
    const problems = result.problems.map((p) => `${p.line}:${p.col}: ${p.message}`)
    const expectedProblems = path.join(FIXTURES, `${name}.problems`)
    if (existsSync(expectedProblems)) {
      assert.equal(problems, readFileSync(expectedProblems, 'utf8').trimEnd().split('\n'))
      return
    }
    assert.equal(problems, [])
    assert.is(result.needsRuby, false)
    assert.equal(meaning(result.output), JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')))
  })
  if (existsSync(path.join(FIXTURES, `${name}.problems`)) || SUBSET_ONLY.has(name)) continue
  test(`fixture ${name}: the subset prints the same bytes as Ruby's ERB`, async () => {
    const text = readFileSync(path.join(FIXTURES, file), 'utf8')
    const subset = render(text)
    const real = await ruby(FIXTURES, file)
    if (!real.ok) throw new Error(real.missing ? 'ruby is not installed (scripts/setup.sh installs it)' : real.message)
    assert.is(subset.output, real.output)
    assert.equal(subset.env, real.env)
  })
}

test('a tag beyond the subset is named (the caller hands the file to Ruby), and nothing is evaluated', () => {
  const r = render('a: <%= `touch /tmp/never-erb` %>\nb: <%= foo %>\n')
  assert.is(r.needsRuby, true)
  assert.is(r.output, '')
  assert.equal(r.problems, [{ line: 2, col: 4, message: '<%= foo %> (foo is not part of the subset)' }])
  assert.not.ok(existsSync('/tmp/never-erb'))
})

// What only Ruby renders: one fixture per form seen in real configs, rendered by the real `ruby`.
for (const file of readdirSync(RUBY_FIXTURES)
  .filter((f) => f.endsWith('.yml'))
  .sort()) {
  const name = file.slice(0, -4)
  test(`ruby fixture ${name}: beyond the subset, rendered by Ruby's ERB`, async () => {
    const text = readFileSync(path.join(RUBY_FIXTURES, file), 'utf8')
    assert.is(expandErb(text, ENV, { yaml: true, run, cwd: RUBY_FIXTURES }).needsRuby, true)
    const real = await ruby(RUBY_FIXTURES, file)
    if (!real.ok) throw new Error(real.missing ? 'ruby is not installed (scripts/setup.sh installs it)' : real.message)
    assert.equal(meaning(real.output), JSON.parse(readFileSync(path.join(RUBY_FIXTURES, `${name}.json`), 'utf8')))
  })
}

test('Dotenv.load in the subset: a variable already set is not parsed (its command never runs), later lines see it', () => {
  const dir = tempDir({
    '.env.shelf':
      'APP_HOST=$(touch ran; echo no)\nREF=${APP_HOST}-ref\nNEW=$(printf yes)\nEXPORTED=1\nexport EXPORTED\n',
  })
  const r = expandErb('<% require "dotenv"; Dotenv.load(".env.shelf", "gone.env") %>a: 1\n', ENV, {
    yaml: true,
    run,
    cwd: dir,
  })
  assert.equal(r.problems, [])
  assert.equal(
    [r.env.APP_HOST, r.env.REF, r.env.NEW, r.env.EXPORTED],
    ['app.example.com', 'app.example.com-ref', 'yes', '1'],
  )
  assert.not.ok(existsSync(path.join(dir, 'ran')))
  // the caller's environment is left as it was
  assert.is(ENV.APP_HOST, 'app.example.com')
  assert.not.ok('NEW' in ENV)
})

test("Ruby's errors name the template's line; a missing ruby is said to be", async () => {
  const dir = RUBY_FIXTURES
  const failing = await renderWithRuby(path.join(dir, 'raises.erb'), { cwd: dir, env: ENV })
  assert.equal(failing, { ok: false, missing: false, line: 3, message: 'KeyError: key not found: "NOT_SET"' })
  const none = await renderWithRuby(path.join(dir, 'raises.erb'), { cwd: dir, env: ENV, ruby: '/nonexistent/ruby' })
  assert.equal(none, { ok: false, missing: true })
})

test('a Ruby that hangs is stopped at the time limit', async () => {
  const r = await renderWithRuby(path.join(RUBY_FIXTURES, 'hangs.erb'), {
    cwd: RUBY_FIXTURES,
    env: ENV,
    timeoutSeconds: 1,
  })
  assert.equal(r, { ok: false, missing: false, message: 'Ruby took longer than 1 seconds and was stopped' })
})

test('the output is exactly what ERB prints (trim mode "-"); positions map back to the template', () => {
  const src =
    'a: 1\n<% if ENV["NOT_SET"] %>\nskipped: 1\nmore: 2\n<% end -%>\n  <%- if true -%>\nb: <%= ENV["APP_HOST"] %>\n<% end %>\nc: 3\n'
  const r = render(src)
  assert.equal(r.problems, [])
  assert.is(r.output, 'a: 1\nb: app.example.com\n\nc: 3\n')
  // `c` is on line 9 of the template, line 4 of the output
  assert.is(r.sourceOffset(r.output.indexOf('c: 3')), src.indexOf('c: 3'))
  // a tag's output maps to the tag
  assert.is(r.sourceOffset(r.output.indexOf('app.example.com') + 3), src.indexOf('<%= ENV["APP_HOST"]'))
})

test('<%% is a literal <%; an unterminated tag and unbalanced blocks are named', () => {
  assert.is(render('a: "<%%= x %>"\n').output, 'a: "<%= x %>"\n')
  assert.equal(render('a: 1\nb: <%= ENV["X"]\n').problems, [
    { line: 2, col: 4, message: 'unterminated ERB tag (no closing %>)' },
  ])
  assert.equal(render('<% if true %>\na: 1\n').problems, [
    { line: 1, col: 1, message: 'this <% if %> has no <% end %>' },
  ])
  assert.equal(render('a: 1\n<% end %>\n').problems, [
    { line: 2, col: 1, message: '<% end %> without an open <% if %>' },
  ])
})

test('in .erb files (not YAML) a "#" line is text, and tags there are evaluated', () => {
  const r = expandErb('# <%= ENV["APP_HOST"] %>\n', ENV, { run })
  assert.is(r.output, '# app.example.com\n')
})

test('commands need a runner; without one they are problems, never run', () => {
  const r = expandErb('a: <%= `touch /tmp/never` %>\n', ENV, { yaml: true })
  assert.equal(
    r.problems.map((p) => p.message),
    ['`touch /tmp/never` is a command, and commands are not run here'],
  )
})

test.run()
