#!/usr/bin/env node
// Layers point one way, and no module imports itself back: reads every `import … from '<relative>'` (types
// included) under a lib/ folder and fails on an import from a lower layer into a higher one, or on a cycle.
//   cli → flows → (drift, report, registry) → docker → (config, lock, audit) → remote
// Usage: node scripts/check-layers.mjs [LIB_DIR]   (default: lib next to this script)
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const LAYERS = {
  cli: 6,
  flows: 5,
  drift: 4,
  report: 4,
  registry: 4,
  docker: 3,
  config: 2,
  lock: 2,
  audit: 2,
  remote: 1,
}

/** @param {string} dir @returns {string[]} */
function tsFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    return e.isDirectory() ? tsFiles(full) : e.name.endsWith('.ts') ? [full] : []
  })
}

/** @param {string} libDir @returns {{ files: number, edges: number, problems: string[] }} */
export function checkLayers(libDir) {
  const files = tsFiles(libDir)
  /** @type {Map<string, string[]>} */
  const graph = new Map()
  /** @type {string[]} */
  const problems = []
  let edges = 0
  const layerOf = (/** @type {string} */ file) => path.relative(libDir, file).split(path.sep)[0] ?? ''
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8')
    const targets = [
      ...text.matchAll(
        /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g,
      ),
    ]
      .map((m) => path.resolve(path.dirname(file), m[1] ?? m[2] ?? ''))
      .filter((target) => target.startsWith(libDir + path.sep))
    graph.set(file, targets)
    for (const target of targets) {
      edges++
      const from = layerOf(file)
      const to = layerOf(target)
      const rank = /** @type {Record<string, number>} */ (LAYERS)
      if (!(from in rank))
        problems.push(
          `${path.relative(libDir, file)}: its folder lib/${from} has no layer; add it to LAYERS in scripts/check-layers.mjs`,
        )
      else if (to in rank && rank[to] > rank[from]) {
        problems.push(
          `upward import: ${path.relative(libDir, file)} (${from}) imports ${path.relative(libDir, target)} (${to}); a lower layer never imports a higher one`,
        )
      }
    }
  }
  // cycles: depth-first search, reporting each cycle once by its smallest file
  /** @type {Map<string, 'open' | 'done'>} */
  const state = new Map()
  /** @type {string[]} */
  const stack = []
  /** @type {Set<string>} */
  const seen = new Set()
  const visit = (/** @type {string} */ file) => {
    state.set(file, 'open')
    stack.push(file)
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next)).map((f) => path.relative(libDir, f))
        const key = [...cycle].sort().join(' ')
        if (!seen.has(key)) {
          seen.add(key)
          problems.push(`import cycle: ${[...cycle, cycle[0]].join(' → ')}`)
        }
      } else if (!state.has(next) && graph.has(next)) visit(next)
    }
    stack.pop()
    state.set(file, 'done')
  }
  for (const file of files) if (!state.has(file)) visit(file)
  return { files: files.length, edges, problems }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const libDir = path.resolve(process.argv[2] ?? fileURLToPath(new URL('../lib', import.meta.url)))
  const { files, edges, problems } = checkLayers(libDir)
  for (const problem of problems) console.log(problem)
  console.log(
    problems.length
      ? `${problems.length} layer problem${problems.length === 1 ? '' : 's'} in ${files} files.`
      : `No import cycles and no upward imports (${files} files, ${edges} imports).`,
  )
  process.exit(problems.length ? 1 : 0)
}
