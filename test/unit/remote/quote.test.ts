import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { displayJoin, printable, quoteWord, shellJoin } from '../../../lib/remote/quote.ts'
import { execFileSync } from 'node:child_process'
import { LocalTransport } from '../../support/local-transport.ts'

test('plain words stay bare, everything else is single-quoted', () => {
  assert.is(quoteWord('docker'), 'docker')
  assert.is(quoteWord('label=service=app-db'), 'label=service=app-db')
  assert.is(quoteWord(''), "''")
  assert.is(quoteWord('a b'), "'a b'")
  assert.is(quoteWord("it's"), `'it'\\''s'`)
  assert.is(quoteWord('$HOME'), "'$HOME'")
})

test('pwd words expand the remote login directory, raw words pass unquoted', () => {
  assert.is(quoteWord({ pwd: 'app-db/data:/var/lib/data' }), `"$PWD"/app-db/data:/var/lib/data`)
  assert.is(quoteWord({ pwd: 'my dir:/x' }), `"$PWD"/'my dir:/x'`)
  assert.is(shellJoin(['echo', { raw: '|' }, 'cat']), 'echo | cat')
})

const tricky = [
  'a b',
  "it's",
  '$HOME',
  '`id`',
  '; echo INJECTED',
  'line\nbreak',
  '',
  '*',
  '-n',
  'ünï',
  '\\back\\',
  '"dq"',
  "'",
  '${x}',
]

test('a real POSIX shell reads every tricky word back unchanged', async () => {
  const transport = new LocalTransport(process.cwd())
  const result = await transport.run('local', { argv: ['printf', '%s\\0', ...tricky] })
  assert.is(result.exitCode, 0)
  assert.equal(result.stdout.split('\0').slice(0, -1), tricky)
})

test('a shown command has no control character, and bash reads it as the same words', () => {
  const words = [
    'a\n::error::x',
    "it's\n::add-mask::y",
    'cr\rhere',
    'esc\u001b[31m',
    'tab\tstays',
    '\\\n',
    '"q"\n$x',
    '\n',
    '\n\n::stop-commands::t\n',
    "'\n'",
    'bell\u0007\u007f',
  ]
  // Kamal's cmd is given to the shell raw: quotes of its own, continuations, newlines inside quotes.
  const raws = ['"a\nb"', 'a \\\n  b', '"x\\\ry"', 'x\\\ry', '\'it\n\'"s\n"', '"$(printf x)\n"']
  const lines = [
    ...words.map((w) => shellJoin(['printf', '<%s>', w])),
    ...raws.map((r) => shellJoin(['printf', '<%s>', { raw: r }])),
    shellJoin(['printf', '<%s>', ...words, { pwd: 'd\n::error::pwd' }]),
  ]
  for (const line of lines) {
    const shown = printable(line)
    assert.not.match(shown, /[\x00-\x08\x0a-\x1f\x7f]/, JSON.stringify(shown))
    assert.is(
      execFileSync('bash', ['-c', shown], { encoding: 'utf8', cwd: '/' }),
      execFileSync('bash', ['-c', line], { encoding: 'utf8', cwd: '/' }),
      JSON.stringify(line),
    )
  }
  assert.is(displayJoin(['docker', 'run', 'x']), 'docker run x')
  assert.is(displayJoin(['--env', 'A=x\n::error::y']), `--env 'A=x'$'\\n''::error::y'`)
  // Between commands a newline shows as `; `, and a backslash-newline, which the shell removes, goes.
  assert.is(printable('sleep 1\n::warning::x'), 'sleep 1; ::warning::x')
  assert.is(printable('postgres \\\n  -c a=1'), 'postgres   -c a=1')
})

test('stdin reaches the remote command without touching argv', async () => {
  const transport = new LocalTransport(process.cwd())
  const result = await transport.run('local', { argv: ['cat'], input: 'secret value\n' })
  assert.is(result.stdout, 'secret value\n')
})

test.run()
