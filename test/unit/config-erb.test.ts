import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { expandErb } from '../../lib/config/erb.ts'

const env = { HOST: 'db.internal', EMPTY: '' }

test('ENV["X"] and ENV[\'X\'] expand; missing is empty', () => {
  const r = expandErb(`a: <%= ENV["HOST"] %>\nb: <%= ENV['HOST'] %>\nc: "<%= ENV["NOPE"] %>"\n`, env)
  assert.equal(r.problems, [])
  assert.is(r.output, 'a: db.internal\nb: db.internal\nc: ""\n')
})

test('ENV.fetch with and without default, both quote styles, extra whitespace', () => {
  const r = expandErb(
    `a: <%=ENV.fetch("HOST")%>\nb: <%= ENV.fetch( 'NOPE' , 'dflt' ) %>\nc: <%= ENV.fetch("HOST", "x") %>\nd: <%= ENV.fetch("EMPTY", "x") %>\n`,
    env,
  )
  assert.equal(r.problems, [])
  assert.is(r.output, 'a: db.internal\nb: dflt\nc: db.internal\nd: \n')
})

test('ENV.fetch of a missing variable without default is an error with its position', () => {
  const r = expandErb(`a: 1\nb:   <%= ENV.fetch("NOPE") %>\n`, env)
  assert.equal(r.problems, [
    { line: 2, col: 6, message: 'ENV.fetch("NOPE"): environment variable NOPE is not set (key not found)' },
  ])
})

test('comments are removed and keep their line breaks; -%> trims the next newline', () => {
  const r = expandErb(`<%# one\ntwo %>x: 1\n<%= ENV["HOST"] -%>\ny: 2\n`, env)
  assert.equal(r.problems, [])
  assert.is(r.output, '\nx: 1\ndb.internaly: 2\n')
})

test('<%% is a literal <%', () => {
  const r = expandErb('a: "<%%= not erb %>"\n', env)
  assert.equal(r.problems, [])
  assert.is(r.output, 'a: "<%= not erb %>"\n')
})

test('any other ERB tag is rejected with line and column', () => {
  const r = expandErb(
    'service: app\nimage: <%= `whoami` %>\n<% if true %>\nx: <%= ENV["A"].upcase %>\n',
    env,
  )
  assert.equal(
    r.problems.map((p) => `${p.line}:${p.col}: ${p.message}`),
    [
      '2:8: unsupported ERB <%= `whoami` %>; berth expands only ENV["X"] and ENV.fetch("X", "default")',
      '3:1: unsupported ERB <% if true %>; berth expands only ENV["X"] and ENV.fetch("X", "default")',
      '4:4: unsupported ERB <%= ENV["A"].upcase %>; berth expands only ENV["X"] and ENV.fetch("X", "default")',
    ],
  )
  // line structure is kept
  assert.is(r.output.split('\n').length, 5)
})

test('an unterminated tag is reported', () => {
  const r = expandErb('a: 1\nb: <%= ENV["X"]\n', env)
  assert.equal(r.problems, [{ line: 2, col: 4, message: 'unterminated ERB tag (no closing %>)' }])
})

test.run()
