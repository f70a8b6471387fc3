// An accessory's `cmd` is appended to `docker run` for the remote shell to split, as Kamal does. To compare
// it with the container's `Config.Cmd`, split it here the way a POSIX shell would, or say it cannot be:
// anything beyond words, quotes and backslashes (expansions, operators, globs) is not guessed at.

/** The words a POSIX shell makes of `text`, or undefined when it holds shell syntax beyond quoting. */
export function shellWords(text: string): string[] | undefined {
  const words: string[] = []
  let word = ''
  let inWord = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) return undefined
      word += text.slice(i + 1, end)
      inWord = true
      i = end
    } else if (c === '"') {
      let j = i + 1
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!
        if (d === '$' || d === '`') return undefined
        if (d === '\\' && j + 1 < text.length && '"\\$`\n'.includes(text[j + 1]!)) {
          j++
          if (text[j] !== '\n') word += text[j]
        } else word += d
      }
      if (j >= text.length) return undefined
      inWord = true
      i = j
    } else if (c === '\\') {
      if (i + 1 >= text.length) return undefined
      i++
      if (text[i] !== '\n') word += text[i]
      inWord = true
    } else if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word)
      word = ''
      inWord = false
    } else if ('$`;&|<>()*?[]{}~#!'.includes(c) && !(c === '#' && inWord) && !(c === '!' && inWord)) {
      return undefined
    } else {
      word += c
      inWord = true
    }
  }
  if (inWord) words.push(word)
  return words
}
