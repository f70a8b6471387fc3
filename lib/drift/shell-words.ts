// An accessory's `cmd` is appended to `docker run` for the remote shell to split, as Kamal does. To compare
// it with the container's `Config.Cmd`, split it here exactly as `sh -c` would, or say it cannot be: anything
// beyond words, quotes and backslashes (expansions, operators, globs, comments, a second command after a
// line break) is not guessed at. A backslash before a line break is removed with it, as the shell does, so
// `postgres \` and an indented `-c …` on the next line are the words `postgres -c …` (YAML's `cmd: >`).

const BLANK = ' \t'
/** Characters that make a word more than a word for some POSIX shell (dash, bash, busybox sh). */
const SYNTAX = '$`;&|<>()*?[]{}~#!\0'
/** After a backslash inside double quotes, these lose their special meaning; before others it stays. */
const DOUBLE_QUOTED_ESCAPES = '"\\$`\n'

/** The words a POSIX shell makes of `text`, or undefined when it holds shell syntax beyond quoting. */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = []
  let word = ''
  let inWord = false
  // After an unescaped line break, anything but blanks is another command.
  let ended = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\\' && text[i + 1] === '\n') {
      i++ // a line continuation: removed before the line is split into words
      continue
    }
    if (BLANK.includes(c) || c === '\n') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
      if (c === '\n') ended = true
      continue
    }
    if (ended) return undefined
    if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) return undefined
      word += text.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      let j = i + 1
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!
        if (d === '$' || d === '`' || d === '\0') return undefined
        if (d === '\\' && j + 1 < text.length && DOUBLE_QUOTED_ESCAPES.includes(text[j + 1]!)) {
          j++
          if (text[j] !== '\n') word += text[j]
        } else word += d
      }
      if (j >= text.length) return undefined
      i = j
    } else if (c === '\\') {
      if (i + 1 >= text.length || text[i + 1] === '\0') return undefined
      word += text[++i]
    } else if (SYNTAX.includes(c) && !((c === '#' || c === '!') && inWord)) {
      return undefined
    } else {
      word += c
    }
    inWord = true
  }
  if (inWord) words.push(word)
  return words
}
