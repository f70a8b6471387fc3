// The ONE function that turns argv into a string for a remote POSIX shell. ssh joins its arguments with
// spaces and the remote login shell re-parses them, so every word is single-quoted here. Single quotes are
// the only quoting that bash, dash and busybox sh all read the same way.

/**
 * A word of a remote command:
 * - a string is passed literally (quoted);
 * - `{ pwd }` is a path relative to the remote login directory, expanded there as `"$PWD"/'<path>'`
 *   (Kamal mounts relative files and directories from `$PWD/<service>/...`);
 * - `{ raw }` is given to the remote shell unquoted: the operators the joiners put between commands
 *   (joiners.ts: `&&`, `;`, `|`), redirections of a command's own streams (`2>&1`), and
 *   Kamal's accessory `cmd`, which Kamal appends unescaped for the remote shell to parse (`sh -c 'echo hi'`).
 */
export type ShellWord = string | { pwd: string } | { raw: string }

const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/

export function quoteWord(word: ShellWord): string {
  if (typeof word !== 'string') {
    return 'raw' in word ? word.raw : `"$PWD"/${quoteWord(word.pwd)}`
  }
  if (word !== '' && BARE.test(word)) return word
  return `'${word.replaceAll("'", `'\\''`)}'`
}

export function shellJoin(words: readonly ShellWord[]): string {
  return words.map(quoteWord).join(' ')
}

// Control characters but the tab, which is a blank to the shell and starts no line of its own.
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/
const ANSI_C: Record<string, string> = { '\n': '\\n', '\r': '\\r' }
/** One control character in the shell's own ANSI-C quoting (`$'\n'`), as bash's `printf %q` writes it. */
const ansiC = (c: string) => `$'${ANSI_C[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`}'`

/**
 * A shell line as it is shown (`-v`, `--dry-run`, `accessory-config`, the fixes in messages): every control
 * character in ANSI-C quoting, so a value with a newline never starts a line of its own (in GitHub Actions such
 * a line could be a workflow command). Bash reads the shown line as the same words; between commands (Kamal's
 * `cmd` is given to the shell raw) a newline shows as `; ` and a backslash-newline, which the shell removes, goes.
 */
export function printable(line: string): string {
  if (!CONTROL.test(line)) return line
  let out = ''
  let quote: '' | "'" | '"' = ''
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote === "'") {
      if (c === "'") quote = ''
      out += CONTROL.test(c) ? `'${ansiC(c)}'` : c
    } else if (c === '\\' && i + 1 < line.length) {
      const next = line[++i]!
      if (next === '\n') continue
      if (!CONTROL.test(next)) out += c + next
      // Outside quotes the backslash quotes the character; inside double quotes it stays itself.
      else out += quote === '"' ? `\\\\"${ansiC(next)}"` : ansiC(next)
    } else if (CONTROL.test(c)) {
      out += quote === '"' ? `"${ansiC(c)}"` : c === '\n' ? '; ' : ansiC(c)
    } else {
      if (quote === '"' && c === '"') quote = ''
      else if (quote === '' && (c === "'" || c === '"')) quote = c
      out += c
    }
  }
  return out
}

/** Words joined for a remote shell, as shown to people: shellJoin, then printable. */
export function displayJoin(words: readonly ShellWord[]): string {
  return printable(shellJoin(words))
}
