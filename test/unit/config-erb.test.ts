// The ERB subset (lib/config/erb.ts): one fixture per form in test/fixtures/erb/, each a YAML file rendered
// with a fixed environment and the real /bin/sh, then read as Kamal reads YAML; `<name>.json` is what it
// must mean, `<name>.problems` the problems it must give (line:col: message).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseDocument } from 'yaml'
import { shellRunner } from '../../lib/config/commands.ts'
import { expandErb } from '../../lib/config/erb.ts'
import { psychTags } from '../../lib/config/psych.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/erb/', import.meta.url))
const ENV = {
  APP_HOST: 'app.example.com',
  DB_HOSTS: '10.0.0.5,10.0.0.6',
  EMPTY: '',
  KAMAL_DESTINATION: 'production',
  PATH: process.env.PATH,
}
const run = shellRunner(FIXTURES, ENV, { terminal: false })
const render = (text: string) => expandErb(text, ENV, { yaml: true, run })

for (const file of readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.yml'))
  .sort()) {
  const name = file.slice(0, -4)
  test(`fixture ${name}`, () => {
    const result = render(readFileSync(path.join(FIXTURES, file), 'utf8'))
    const problems = result.problems.map((p) => `${p.line}:${p.col}: ${p.message.replace(/; berth evaluates .*$/, '')}`)
    const expectedProblems = path.join(FIXTURES, `${name}.problems`)
    if (existsSync(expectedProblems)) {
      assert.equal(problems, readFileSync(expectedProblems, 'utf8').trimEnd().split('\n'))
      return
    }
    assert.equal(problems, [])
    const doc = parseDocument(result.output, { version: '1.1', customTags: psychTags })
    assert.equal(doc.errors.map(String), [])
    assert.equal(doc.toJS(), JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8')))
  })
}

test('every problem names the subset, so the message says what berth does evaluate', () => {
  const [problem] = render('a: <%= foo %>\n').problems
  assert.match(
    problem!.message,
    /^unsupported ERB <%= foo %> \(foo is not part of the subset\); berth evaluates string literals, ENV\["X"\]/,
  )
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
