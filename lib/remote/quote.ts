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
