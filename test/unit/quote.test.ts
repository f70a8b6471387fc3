import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { quoteWord, shellJoin } from '../../lib/remote/quote.ts'
import { LocalTransport } from '../../lib/remote/local.ts'

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

test('stdin reaches the remote command without touching argv', async () => {
  const transport = new LocalTransport(process.cwd())
  const result = await transport.run('local', { argv: ['cat'], input: 'secret value\n' })
  assert.is(result.stdout, 'secret value\n')
})

test.run()
