import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { any, append, chain, combine, pipe, write } from '../../../lib/remote/joiners.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'

test('each joiner puts its operator between the commands, and only between them', () => {
  assert.is(shellJoin(combine(['mkdir', '-p', 'a b'], ['chmod', '0700', 'a b'])), "mkdir -p 'a b' && chmod 0700 'a b'")
  assert.is(shellJoin(chain(['docker', 'rm', 'x'], ['true'])), 'docker rm x ; true')
  assert.is(shellJoin(pipe(['cat', 'f'], ['base64', '-d'])), 'cat f | base64 -d')
  assert.is(shellJoin(any(['test', '-d', 'x'], ['mkdir', 'x'])), 'test -d x || mkdir x')
  assert.is(shellJoin(append(['echo', "it's"], ['log'])), `echo 'it'\\''s' >> log`)
  assert.is(shellJoin(write(['stat', 'x'], ['/dev/null'])), 'stat x > /dev/null')
  assert.is(shellJoin(combine(['a'], ['b'], ['c'])), 'a && b && c')
})

test("absent commands are left out, as Kamal's compact does; one command is itself", () => {
  const owner = ''
  assert.is(shellJoin(combine(['mkdir', 'x'], false, undefined, null, owner && ['chown', owner, 'x'], [])), 'mkdir x')
  assert.is(shellJoin(combine(undefined, ['a'], false, ['b'])), 'a && b')
  assert.equal(combine(['docker', 'start', 'a']), ['docker', 'start', 'a'])
  assert.equal(combine(), [])
})

test('joiners nest: an operator is one word, the words of each command are kept as they are', () => {
  const words = combine(write(['stat', 'd'], ['/dev/null']), pipe(['cat', 'd/details'], ['base64', '-d']))
  assert.is(shellJoin(words), 'stat d > /dev/null && cat d/details | base64 -d')
  assert.equal(
    words.filter((w) => typeof w !== 'string'),
    [{ raw: '>' }, { raw: '&&' }, { raw: '|' }],
  )
  assert.is(
    shellJoin(chain(['docker', 'rename', 'a', 'b', { raw: '2>/dev/null' }], [{ pwd: 'x y' }])),
    `docker rename a b 2>/dev/null ; "$PWD"/'x y'`,
  )
})

test.run()
