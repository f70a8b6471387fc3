// Where a key path of the merged config is written: `file:line:col` in a YAML file (positions before ERB),
// or the name of the .mjs file that set it. Messages point at the last file that defines the value, as the
// destination file overrides the main one.
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair } from 'yaml'
import { isPlainObject } from './plain.ts'

export type KeyPath = Array<string | number>

/** Whether a message points at a map key or at its value. */
export type Anchor = 'key' | 'value'

/** One config file as read: a YAML document with its positions, and its data (from YAML or an .mjs file). */
export interface SourceFile {
  file: string
  document?: Document
  /** Line and column in the file (before ERB) of an offset in the parsed (rendered) text. */
  position?: (offset: number) => { line: number; col: number }
  data?: unknown
}

interface FoundNodes {
  key?: Node
  value?: Node | null
}

/** Alias chains are followed a bounded number of times: a cycle of aliases must not hang a message. */
const MAX_ALIAS_HOPS = 32
/** Merge keys nest at most this deep when looking for a key. */
const MAX_MERGE_DEPTH = 16

function resolveAlias(node: unknown, document: Document): unknown {
  let current = node
  for (let hops = 0; hops < MAX_ALIAS_HOPS && isAlias(current); hops++) current = current.resolve(document)
  return current
}

function scalarKey(pair: Pair): string | undefined {
  const key = pair.key
  if (isScalar(key)) {
    if (typeof key.value === 'symbol') return '<<' // yaml marks merge keys with Symbol(<<)
    return key.value === null ? '' : String(key.value)
  }
  if (typeof key === 'string' || typeof key === 'number') return String(key)
  return undefined
}

function findPair(map: unknown, key: string, document: Document, depth = 0): Pair | undefined {
  if (!isMap(map) || depth > MAX_MERGE_DEPTH) return undefined
  // a key written twice: the last one is the value (Psych's Hash assignment)
  for (let i = map.items.length - 1; i >= 0; i--) if (scalarKey(map.items[i] as Pair) === key) return map.items[i]
  // YAML merge keys (`<<: *base`, `<<: [*a, *b]`); earlier sources win
  for (const pair of map.items) {
    if (scalarKey(pair) !== '<<') continue
    const merged = resolveAlias(pair.value, document)
    const sources = isSeq(merged) ? merged.items.map((item) => resolveAlias(item, document)) : [merged]
    for (const source of sources) {
      const found = findPair(source, key, document, depth + 1)
      if (found) return found
    }
  }
  return undefined
}

function findInYaml(document: Document, path: KeyPath): FoundNodes | undefined {
  let node: unknown = document.contents
  let key: Node | undefined
  for (const segment of path) {
    node = resolveAlias(node, document)
    if (isMap(node)) {
      const pair = findPair(node, String(segment), document)
      if (!pair) return undefined
      key = pair.key as Node
      node = pair.value
    } else if (isSeq(node)) {
      const index = typeof segment === 'number' ? segment : Number(segment)
      if (!Number.isInteger(index) || index < 0 || index >= node.items.length) return undefined
      key = undefined
      node = node.items[index]
    } else {
      return undefined
    }
  }
  return { key, value: (node ?? null) as Node | null }
}

function hasPath(data: unknown, path: KeyPath): boolean {
  let current = data
  for (const segment of path) {
    if (Array.isArray(current)) {
      const index = Number(segment)
      if (!Number.isInteger(index) || index < 0 || index >= current.length) return false
      current = current[index]
    } else if (isPlainObject(current)) {
      if (!Object.prototype.hasOwnProperty.call(current, String(segment))) return false
      current = current[String(segment)]
    } else {
      return false
    }
  }
  return true
}

function nodePosition(source: SourceFile, node: Node | null | undefined): string | undefined {
  if (!node || !source.position || !node.range) return undefined
  const { line, col } = source.position(node.range[0])
  return `${source.file}:${line}:${col}`
}

function isEmptyValue(node: Node | null | undefined): boolean {
  return !node || !node.range || (isScalar(node) && node.value === null && node.range[0] === node.range[1])
}

/**
 * Position of `path` (`at: 'key'` prefers the map key, `at: 'value'` the value) in the last source
 * that defines it; walks up to the nearest defined ancestor when no source defines it.
 */
export function locate(sources: SourceFile[], path: KeyPath, at: Anchor): string {
  for (let length = path.length; length >= 0; length--) {
    const prefix = path.slice(0, length)
    for (let i = sources.length - 1; i >= 0; i--) {
      const source = sources[i] as SourceFile
      if (source.document) {
        const found = findInYaml(source.document, prefix)
        if (!found) continue
        const preferKey = at === 'key' || isEmptyValue(found.value)
        const position = preferKey
          ? (nodePosition(source, found.key) ?? nodePosition(source, found.value))
          : (nodePosition(source, found.value) ?? nodePosition(source, found.key))
        return position ?? `${source.file}:1:1`
      } else if (hasPath(source.data, prefix)) {
        return source.file
      }
    }
  }
  return (sources[0] as SourceFile).file
}
