// The shell operators between commands, as Kamal writes them (lib/kamal/commands/base.rb: `combine`, `chain`,
// `pipe`, `any`, `append`, `write`): every command line of several commands is built with these, never with
// an operator written by hand. Each takes word lists and leaves out the absent ones (`false`, `''`, `null`,
// `undefined`, an empty list), as Kamal's `compact` does, so an optional step is `value && [...]`. Pure:
// nothing is quoted here (shellJoin does that) and nothing runs. Redirections of one command's own streams
// (`2>&1`, `2>/dev/null`) are not joiners: they stay `{ raw }` words of that command.
import type { ShellWord } from './quote.ts'

/** One command's words, or nothing when it is left out (what `value && [...]` gives for an absent value). */
export type Part = readonly ShellWord[] | false | '' | null | undefined

function joinBy(operator: string, parts: readonly Part[]): ShellWord[] {
  const words: ShellWord[] = []
  for (const part of parts) {
    if (!part || part.length === 0) continue
    if (words.length) words.push({ raw: operator })
    words.push(...part)
  }
  return words
}

/** `a && b`: each runs only if the one before succeeded. */
export const combine = (...parts: Part[]): ShellWord[] => joinBy('&&', parts)

/** `a ; b`: each runs whatever the one before did (Kamal's `chain`; the exit code is the last one's). */
export const chain = (...parts: Part[]): ShellWord[] => joinBy(';', parts)

/** `a | b`: the output of each is the input of the next. */
export const pipe = (...parts: Part[]): ShellWord[] => joinBy('|', parts)

/** `a || b`: each runs only if the one before failed. */
export const any = (...parts: Part[]): ShellWord[] => joinBy('||', parts)

/** `a >> file`: the output appended to a file. */
export const append = (...parts: Part[]): ShellWord[] => joinBy('>>', parts)

/** `a > file`: the output written over a file (`/dev/null` to drop it). */
export const write = (...parts: Part[]): ShellWord[] => joinBy('>', parts)
