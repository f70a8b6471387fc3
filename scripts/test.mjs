#!/usr/bin/env node
// Runs the uvu suites and ends with the closing line CI reads: `N passed, N failed[, N skipped]`, summed over
// every folder run. uvu walks each folder recursively (test/unit/<lib folder>/...). uvu prints no such line,
// prints no summary at all when a test file crashes while loading, and exits 0 when no test ran; each of those
// must fail here.
// Usage: node scripts/test.mjs [dir ...]   (default: test/unit test/tooling test/e2e, i.e. every test but the
// lab's own, test/lab, which CI runs apart)
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const uvuBin = fileURLToPath(new URL('../node_modules/uvu/bin.js', import.meta.url))
const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['test/unit', 'test/tooling', 'test/e2e']

/** @param {string} dir */
function runSuite(dir) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', uvuBin, dir, '\\.test\\.(ts|mjs)$', '--no-color'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk)
      output += chunk
    })
    child.on('close', (code) => {
      const count = (/** @type {string} */ label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(output)?.[1] ?? NaN)
      resolve({ dir, code: code ?? 1, total: count('Total'), passed: count('Passed'), skipped: count('Skipped') })
    })
  })
}

let passed = 0
let failed = 0
let skipped = 0
const notes = []
for (const dir of dirs) {
  const result = /** @type {{dir: string, code: number, total: number, passed: number, skipped: number}} */ (
    await runSuite(dir)
  )
  if (Number.isNaN(result.total)) {
    failed += 1
    notes.push(`${dir}: uvu exited ${result.code} without a summary (a test file crashed while loading?)`)
    continue
  }
  passed += result.passed
  skipped += result.skipped || 0
  // uvu's Total leaves out skipped tests.
  failed += result.total - result.passed
  if (result.total === 0) {
    failed += 1
    notes.push(`${dir}: no tests ran (a file without test.run()?)`)
  } else if (result.code !== 0 && result.total === result.passed) {
    failed += 1
    notes.push(`${dir}: uvu exited ${result.code} although every test passed`)
  }
}
for (const note of notes) console.log(note)
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
