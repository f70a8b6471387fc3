import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { loadSecrets, parseDotenv, SecretsError, shellRunner, type CommandRunner } from '../../../lib/config/secrets.ts'
import { extractSecret, kamalSecretsCommand, shellSplit } from '../../../lib/config/kamal-secrets.ts'
import { tempDir } from '../../support/files.ts'

const noCommands: CommandRunner = (cmd) => ({ ok: false, detail: `unexpected command ${cmd}` })
const parse = (text: string, env: Record<string, string | undefined> = {}, run: CommandRunner = noCommands) =>
  parseDotenv(text, { file: '.kamal/secrets', env, run })

test('plain, export, comments, blank lines, yaml-style separator', () => {
  const text = [
    '# a comment',
    '',
    'A=1',
    '  export B=two',
    'C = spaced ',
    'D: colon',
    'E=',
    'F=value # trailing comment',
    '# G=commented out',
    'not a line',
  ].join('\n')
  assert.equal(parse(text), { A: '1', B: 'two', C: 'spaced', D: 'colon', E: '', F: 'value' })
})

test('single quotes are literal; double quotes interpolate and allow # and escaped quotes', () => {
  const text = [
    `S='no $A or $(cmd) or \\n here'`,
    'A=x',
    'D="a $A #b \\"q\\""  # comment',
    "M='line 1",
    "line 2'",
  ].join('\n')
  assert.equal(parse(text), { S: 'no $A or $(cmd) or \\n here', A: 'x', D: 'a x #b "q"', M: 'line 1\nline 2' })
})

test('\\n in double quotes stays literal (dotenv 3) unless DOTENV_LINEBREAK_MODE=legacy', () => {
  assert.equal(parse('X="a\\nb"'), { X: 'a\\nb' })
  assert.equal(parse('DOTENV_LINEBREAK_MODE=legacy\nX="a\\nb\\rc"'), {
    DOTENV_LINEBREAK_MODE: 'legacy',
    X: 'a\nb\rc',
  })
  assert.equal(parse('X="a\\nb"', { DOTENV_LINEBREAK_MODE: 'legacy' }), { X: 'a\nb' })
})

test('$VAR and ${VAR}: earlier keys first, then env, then empty; \\$ escapes', () => {
  const text = ['A=file', 'B=$A-${A}', 'C=$FROM_ENV', 'D=${MISSING}x', 'E="\\$A \\${A}"', 'F=$ alone'].join('\n')
  assert.equal(parse(text, { A: 'env', FROM_ENV: 'e' }), {
    A: 'file',
    B: 'file-file',
    C: 'e',
    D: 'x',
    E: '$A ${A}',
    F: '$ alone',
  })
})

test('$(command) runs through the runner after variable substitution; \\$( escapes', () => {
  const seen: string[] = []
  const run: CommandRunner = (cmd) => {
    seen.push(cmd)
    return { ok: true, stdout: `<${cmd}>` }
  }
  const text = ['A=v', 'B=$(echo $A)', 'C="pre $(op read (nested)) post"', 'D=\\$(not run)'].join('\n')
  assert.equal(parse(text, {}, run), {
    A: 'v',
    B: '<echo v>',
    C: 'pre <op read (nested)> post',
    D: '$(not run)',
  })
  assert.equal(seen, ['echo v', 'op read (nested)'])
})

test('the shell runner uses /bin/sh in cwd with env, and chomps one newline', () => {
  const dir = tempDir({ 'token.txt': 'tok\n\n' })
  const run = shellRunner(dir, { GREETING: 'hi' })
  // (`$GREETING` inside $(...) would be substituted by dotenv first, so read it with printenv)
  assert.equal(parse('T=$(cat token.txt)\nG=$(printenv GREETING)', {}, run), { T: 'tok\n', G: 'hi' })
})

test("a failing command is an error naming file, line and command (stderr captured here; on a run it is the terminal's)", () => {
  const dir = tempDir({})
  const run = shellRunner(dir, {}, { terminal: false })
  try {
    parse('OK=1\n\nBAD=$(echo oops >&2; exit 3)\n', {}, run)
    assert.unreachable('should throw')
  } catch (e) {
    assert.instance(e, SecretsError)
    assert.equal((e as SecretsError).problems, [
      '.kamal/secrets:3: BAD: command failed: $(echo oops >&2; exit 3): exit 3: oops',
    ])
  }
})

test('loadSecrets: -common then the base file; later files win; missing files skipped', () => {
  const dir = tempDir({
    '.kamal/secrets-common': 'A=common\nB=common\n',
    '.kamal/secrets': 'B=base\nC=base\n',
    '.kamal/secrets.staging': 'C=staging\n',
  })
  assert.equal(loadSecrets({ cwd: dir, env: {} }), {
    secrets: { A: 'common', B: 'base', C: 'base' },
    files: ['.kamal/secrets-common', '.kamal/secrets'],
  })
  assert.equal(loadSecrets({ cwd: dir, env: {}, destination: 'staging' }), {
    secrets: { A: 'common', B: 'common', C: 'staging' },
    files: ['.kamal/secrets-common', '.kamal/secrets.staging'],
  })
  assert.equal(loadSecrets({ cwd: dir, env: {}, destination: 'prod' }), {
    secrets: { A: 'common', B: 'common' },
    files: ['.kamal/secrets-common', '.kamal/secrets.prod'],
  })
  assert.equal(loadSecrets({ cwd: dir, env: {}, secretsPath: 'nowhere/secrets' }), {
    secrets: {},
    files: ['nowhere/secrets-common', 'nowhere/secrets'],
  })
})

const failures = (fn: () => unknown): string[] => {
  try {
    fn()
  } catch (e) {
    assert.instance(e, SecretsError)
    return (e as SecretsError).problems
  }
  assert.unreachable('expected a SecretsError')
  return []
}

test('dotenv 3: a bare KEY line sets ""; `export KEY` needs KEY set above; `export A B` is no line at all', () => {
  assert.equal(parse('A\nB=1\nexport B\nexport A B\n'), { A: '', B: '1' })
  assert.equal(
    failures(() => parse('X=1\n\nexport MISSING\n')),
    [
      '.kamal/secrets:3: line "export MISSING" exports MISSING, which is not set above it (dotenv refuses it); set it first or remove the line',
    ],
  )
})

test('a multi-line key in double quotes keeps its line breaks (the key_data pattern)', () => {
  const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----'
  assert.equal(parse(`SSH_KEY="${key}"\nNEXT=1\n`), { SSH_KEY: key, NEXT: '1' })
  // from the environment, as in CI: SSH_KEY=$SSH_KEY
  assert.equal(parse('SSH_KEY=$SSH_KEY\n', { SSH_KEY: `${key}\n` }), { SSH_KEY: `${key}\n` })
})

test('commands first, then variables (dotenv 3.2); what a command printed is kept literally (berth, unlike kamal#1911)', () => {
  const run: CommandRunner = (cmd) => ({ ok: true, stdout: cmd === 'vault' ? 'pa$1wor$D\n' : `[${cmd}]` })
  assert.equal(parse('A=x\nP=$(vault)\nQ=$A-$(echo $A)-$A\n', {}, run), { A: 'x', P: 'pa$1wor$D', Q: 'x-[echo x]-x' })
})

test("Kamal's command pattern: balanced parentheses, none empty; a backslash escapes the $", () => {
  const run: CommandRunner = (cmd) => ({ ok: true, stdout: `<${cmd}>` })
  assert.equal(parse('A=$(echo a\\)b)\nB=$(a())\nC=$()\nD=x\\$(no)\nE=$(f (g) h)\n', {}, run), {
    A: '<echo a>b)', // dotenv unescapes `\)` before looking for commands, as with Kamal
    B: '$(a())',
    C: '$()',
    D: 'x$(no)',
    E: '<f (g) h>',
  })
})

test('a secrets file built to exhaust berth is an error naming the line, never a crash', () => {
  // 200000 nested parentheses in one $(...): found balanced without a call per level
  const run: CommandRunner = (cmd) => ({ ok: true, stdout: String(cmd.length) })
  assert.equal(parse(`DEEP=$(${'('.repeat(200_000)}x${')'.repeat(200_000)})\n`, {}, run), { DEEP: '400001' })
  assert.equal(parse(`OPEN=$(${'('.repeat(200_000)}\n`), { OPEN: `$(${'('.repeat(200_000)}` })
  // each line doubles the one above: 2^40 characters by the last line
  const doubling = ['V0=xx', ...Array.from({ length: 40 }, (_, i) => `V${i + 1}=\${V${i}}\${V${i}}`)].join('\n')
  const problems = failures(() => parse(doubling))
  assert.is(problems.length, 1, problems.join('\n'))
  assert.match(problems[0]!, /^\.kamal\/secrets:\d+: V\d+: its \$VARIABLES expand to more than \d+ characters/)
})

test('a large secrets file parses in time proportional to its size (lines, unclosed $( )', () => {
  // Before: each line counted the lines above it again, each $( scanned to the end again (minutes each).
  const started = Date.now()
  const many = parse(Array.from({ length: 100_000 }, (_, i) => `K${i}=v`).join('\n'))
  assert.is(Object.keys(many).length, 100_000)
  assert.equal(parse(`OPEN=${'$('.repeat(100_000)}\n`), { OPEN: '$('.repeat(100_000) })
  const seconds = (Date.now() - started) / 1000
  assert.ok(seconds < 20, `${seconds}s (a generous bound: it takes well under a second)`)
})

test('$(kamal secrets extract ...) runs in-process without Kamal; fetch says it needs Kamal', () => {
  const text = [
    `SECRETS='\\{\\"app/DB_PASSWORD\\":\\"s3cr3t\\",\\"TOKEN\\":\\"t\\"\\}'`,
    'DB_PASSWORD=$(kamal secrets extract DB_PASSWORD ${SECRETS})',
    'TOKEN=$(kamal secrets extract TOKEN $SECRETS)',
  ].join('\n')
  assert.equal(parse(text), {
    SECRETS: '\\{\\"app/DB_PASSWORD\\":\\"s3cr3t\\",\\"TOKEN\\":\\"t\\"\\}',
    DB_PASSWORD: 's3cr3t',
    TOKEN: 't',
  })
  const [fetch] = failures(() =>
    parse('SECRETS=$(kamal secrets fetch --adapter 1password --account acme app/DB_PASSWORD)\n'),
  )
  assert.match(
    fetch!,
    /^\.kamal\/secrets:1: SECRETS: command failed: \$\(kamal secrets fetch .*\): `kamal secrets fetch` needs Kamal itself/,
  )
  assert.equal(
    failures(() => parse(`S='\\{\\"a\\":\\"b\\"\\}'\nX=$(kamal secrets extract NOPE $S)\n`)),
    [
      // the command as written: what $S holds is not shown
      '.kamal/secrets:2: X: command failed: $(kamal secrets extract NOPE $S): Could not find secret NOPE',
    ],
  )
})

test("shellSplit is Ruby's Shellwords.shellsplit; extract reads names and /NAME suffixes", () => {
  assert.equal(shellSplit(`a 'b c' "d \\"e\\"" f\\ g  h`), ['a', 'b c', 'd "e"', 'f g', 'h'])
  assert.throws(() => shellSplit(`a 'b`), /Unmatched quote/)
  assert.equal(extractSecret('B', '{"x/B":"1","A":"2"}'), { ok: true, value: '1' })
  assert.equal(extractSecret('A', '{"A":"2"}'), { ok: true, value: '2' })
  assert.equal(extractSecret('A', 'nope').ok, false)
  assert.equal(kamalSecretsCommand('kamal secrets print').ok, false)
})

test.run()
