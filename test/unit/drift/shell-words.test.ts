// berth's split of an accessory's `cmd` against a real /bin/sh, over generated texts: quotes, escapes,
// backslash-newline continuations, tabs, empty words. Where berth says it cannot split a text, nothing is
// compared (never drift); where it splits, the words must be the shell's.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { shellWords } from '../../../lib/drift/shell-words.ts'
import { argumentsOfEach } from '../../support/shell-words.ts'

const PIECES = [
  // words
  'postgres',
  '-c',
  'work_mem=2MB',
  'a',
  'x=y',
  '--flag=1',
  'é',
  'a#b',
  'a!b',
  '%',
  '\r',
  // quoted
  "'a b'",
  "''",
  '""',
  '"a b"',
  '"\\""',
  '"\\\\"',
  '"\\a"',
  '"\\$"',
  '"\\`"',
  '"a\\\nb"',
  "'\\'",
  "'a\nb'",
  '"x\ny"',
  '"\t"',
  "'\\\n'",
  // escapes
  '\\ ',
  '\\a',
  "\\'",
  '\\"',
  '\\\\',
  '\\#',
  '\\$',
  '\\\t',
  '\\é',
  // continuations
  '\\\n',
  ' \\\n  ',
  '\\\n\t',
  ' \\\n',
  // blanks
  ' ',
  '  ',
  '\t',
  ' \t ',
  // line breaks (a second command or a comment, which berth does not split) and shell syntax
  '\n',
  '#x',
  '$x',
]

/** A small seeded generator, so a failure names a case that comes back on every run. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state / 2 ** 31
  }
}

function generated(count: number): string[] {
  const next = random(18)
  const texts: string[] = []
  for (let n = 0; n < count; n++) {
    let text = ''
    const length = 1 + Math.floor(next() * 8)
    for (let i = 0; i < length; i++) {
      text += PIECES[Math.floor(next() * PIECES.length)]
      if (next() < 0.4) text += next() < 0.5 ? ' ' : '\t'
    }
    texts.push(next() < 0.2 ? `${text}\n` : text)
  }
  return texts
}

test('a `cmd: >` block continued with backslashes is the words the shell runs, with no empty word', () => {
  const folded = 'postgres \\\n  -c shared_buffers=64MB \\\n  -c work_mem=2MB\n'
  assert.equal(shellWords(folded), ['postgres', '-c', 'shared_buffers=64MB', '-c', 'work_mem=2MB'])
  assert.equal(argumentsOfEach([folded]), [shellWords(folded)])
})

test('berth splits a cmd exactly as /bin/sh does, over generated quotes, escapes and continuations', () => {
  const texts = generated(1500)
  const shell = argumentsOfEach(texts)
  let compared = 0
  texts.forEach((text, i) => {
    const words = shellWords(text)
    if (words === undefined) return
    compared++
    assert.equal(words, shell[i], `split of ${JSON.stringify(text)}`)
  })
  // Most generated texts are plain words; the rest hold syntax berth leaves to the shell.
  assert.ok(compared > 600, `only ${compared} texts compared`)
})

test('empty words, tabs and continuations at the edges', () => {
  const cases = [
    "''",
    '"" ""',
    "a '' b",
    'a\t\tb',
    '\\\n',
    ' \\\na',
    'a\\\nb',
    'a \\\n',
    "'\\\n'",
    '"a\\\n"',
    '\\\n\\\n',
    'a\\\n#b',
    'a\n',
    ' \n \n',
  ]
  const shell = argumentsOfEach(cases)
  cases.forEach((text, i) => assert.equal(shellWords(text), shell[i], JSON.stringify(text)))
})

test('what is not plain words is not split: a second command after a line break, a comment, expansions', () => {
  for (const text of ['a\nb', 'a\n  -c x', '#x', 'a #x', '$HOME', 'a\\', '"a', "'a"])
    assert.is(shellWords(text), undefined, JSON.stringify(text))
})

test.run()
