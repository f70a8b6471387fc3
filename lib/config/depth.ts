// How deeply a YAML config nests lists and maps, measured without recursion, before anything that recurses
// (yaml's composer, its toJS, Psych's timestamps, plainData, deep_merge, the validator) sees it: 5000 `[` or
// a 3000-level map is a config error (78), never a stack overflow. The limit is plain.ts's MAX_DEPTH, the one
// a JavaScript config meets when it is copied as plain data.
import { isAlias, isCollection, isNode, isPair, type CST, type Document, type Node } from 'yaml'
import { MAX_DEPTH } from './plain.ts'

const COLLECTIONS = new Set(['block-map', 'block-seq', 'flow-collection'])

type CstNode = { type?: string; offset?: number; value?: CstNode; items?: Array<{ key?: CstNode; value?: CstNode }> }

/**
 * The offset of the first list or map nested more than MAX_DEPTH deep (the document's own map is the first
 * level) in a YAML text's syntax tree, as yaml's `Parser` builds it (with a stack of its own), or undefined.
 * Walks what yaml's composer recurses into (a document's value, each item's key and value) with an explicit
 * stack.
 */
export function tooDeepOffset(tokens: readonly CST.Token[]): number | undefined {
  for (const document of tokens) {
    const stack: Array<[CstNode | undefined, number]> = [[(document as CstNode).value, 0]]
    while (stack.length) {
      const [node, depth] = stack.pop()!
      if (!node?.type || !COLLECTIONS.has(node.type)) continue
      if (depth + 1 > MAX_DEPTH) return node.offset ?? 0
      for (const item of node.items ?? []) stack.push([item.key, depth + 1], [item.value, depth + 1])
    }
  }
  return undefined
}

/**
 * The first node of a composed document that nests more than MAX_DEPTH deep once its aliases are expanded
 * (each alias stands for its anchor's node: a few aliases of aliases multiply the depth the text shows), or
 * undefined. An alias inside its own anchor (a circular reference) adds nothing here; plainData names it.
 */
export function tooDeepNode(document: Document): Node | undefined {
  const root = document.contents
  if (!isNode(root)) return undefined
  const children = (node: Node): Node[] => {
    if (isAlias(node)) {
      const target = node.resolve(document)
      return target ? [target] : []
    }
    if (!isCollection(node)) return []
    return (node.items as unknown[]).flatMap((item) => (isPair(item) ? [item.key, item.value] : [item])).filter(isNode)
  }
  const depths = new Map<Node, number>()
  const open = new Set<Node>()
  const stack: Array<{ node: Node; expanded: boolean }> = [{ node: root, expanded: false }]
  while (stack.length) {
    const frame = stack[stack.length - 1]!
    if (depths.has(frame.node)) {
      stack.pop()
      continue
    }
    if (!frame.expanded) {
      frame.expanded = true
      open.add(frame.node)
      for (const child of children(frame.node))
        if (!depths.has(child) && !open.has(child)) stack.push({ node: child, expanded: false })
      continue
    }
    stack.pop()
    open.delete(frame.node)
    // (a loop, not Math.max(...): a list of a million items would be too many arguments)
    let depth = 0
    for (const child of children(frame.node)) depth = Math.max(depth, depths.get(child) ?? 0)
    if (isCollection(frame.node)) depth++
    if (depth > MAX_DEPTH) return frame.node
    depths.set(frame.node, depth)
  }
  return undefined
}
