// A key written twice in one YAML mapping (`image:` twice): Psych, Kamal's parser, builds the Hash by
// assignment, so the last one wins and nothing is said. berth reads it the same way (yaml's `uniqueKeys:
// false` keeps the last too) and says so, naming both lines: the earlier value is silently lost to Kamal.
import { isMap, isPair, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml'
import { pointer } from './plain.ts'
import { show } from './value-rules.ts'
import type { KeyPath } from './positions.ts'

export interface DuplicateKey {
  path: KeyPath
  /** Offsets (in the rendered text) of the earlier key and of the one that wins. */
  first: number
  last: number
}

function keyText(pair: Pair): string | undefined {
  const key = pair.key
  if (!isScalar(key) || typeof key.value === 'symbol') return undefined // `<<` merge keys may repeat
  return key.value === null ? '' : String(key.value)
}

/** Every repeated key, in document order. The document's nesting is bounded before this runs (depth.ts). */
export function duplicateKeys(document: Document): DuplicateKey[] {
  const found: DuplicateKey[] = []
  const walk = (node: unknown, path: KeyPath) => {
    if (isMap(node)) {
      const seen = new Map<string, Pair>()
      for (const pair of node.items) {
        if (!isPair(pair)) continue
        const key = keyText(pair)
        if (key !== undefined) {
          const earlier = seen.get(key)
          const at = (pair.key as Node).range?.[0]
          const first = (earlier?.key as Node | undefined)?.range?.[0]
          if (first !== undefined && at !== undefined) found.push({ path: [...path, key], first, last: at })
          seen.set(key, pair)
        }
        walk(pair.value, key === undefined ? path : [...path, key])
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...path, i]))
    }
  }
  walk(document.contents, [])
  return found
}

export function duplicateKeyWarning(duplicate: DuplicateKey, at: (offset: number) => string): string {
  const key = duplicate.path[duplicate.path.length - 1]
  return (
    `${at(duplicate.last)}: ${pointer(duplicate.path)}: the key ${show(String(key))} is written twice in this map ` +
    `(first at ${at(duplicate.first)}); Kamal's YAML parser (Psych) keeps the last one, and so does berth. ` +
    'Remove the one you do not mean.'
  )
}
