// The container's command against `cmd:` (as a shell splits it), or against the image's own CMD when none is set.
import type { Accessory } from '../config/accessory.ts'
import type { ContainerSettings, ObservedImage } from '../docker/inspect.ts'
import { shellWords } from './shell-words.ts'

/** The same words in the same order. */
export const sameWords = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((w, i) => w === b[i])

/** Config reasons for the container's command; with `options: entrypoint`, or shell syntax, it is not compared. */
export function compareCmd(
  accessory: Accessory,
  settings: ContainerSettings,
  image: ObservedImage | undefined,
  notCompared: string[],
): string[] {
  const running = settings.cmd ?? []
  const show = (words: readonly string[]) => (words.length ? words.join(' ') : 'none')
  if (accessory.options.some(([k]) => k === 'entrypoint')) {
    notCompared.push('cmd (options: entrypoint)')
    return []
  }
  // An empty `cmd` adds nothing to `docker run`: the image's own CMD runs.
  if (accessory.cmd !== undefined && accessory.cmd.trim() !== '') {
    const words = shellWords(accessory.cmd)
    if (!words) {
      notCompared.push('cmd (it uses shell syntax, which the remote shell expands)')
      return []
    }
    return sameWords(words, running) ? [] : [`cmd ${show(running)} → ${show(words)}`]
  }
  if (!image) return []
  return sameWords(image.cmd ?? [], running)
    ? []
    : [`cmd ${show(running)} → the image's own (${show(image.cmd ?? [])})`]
}
