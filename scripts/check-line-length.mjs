#!/usr/bin/env node
// No line under lib/ is longer than 140 characters. Prettier (print width 120) wraps code, but it cannot break a
// string, a template, a regex or a comment: those are split by hand (concatenated pieces, named constants).
// Reads every .ts and .mjs file under a lib/ folder, except the generated *.generated.mjs files.
// Usage: node scripts/check-line-length.mjs [LIB_DIR]   (default: lib next to this script)
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const MAX_LINE_LENGTH = 140

/** @param {string} dir @returns {string[]} */
function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(full)
    return /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.generated.mjs') ? [full] : []
  })
}

/**
 * Each line longer than `max` characters, as `lib/<file>:<line>: N characters (at most 140)`.
 * @param {string} libDir @param {number} [max] @returns {{ files: number, problems: string[] }}
 */
export function checkLineLength(libDir, max = MAX_LINE_LENGTH) {
  const files = sourceFiles(libDir).sort()
  /** @type {string[]} */
  const problems = []
  for (const file of files) {
    const name = path.join(path.basename(libDir), path.relative(libDir, file))
    fs.readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .forEach((line, i) => {
        const length = [...line].length
        if (length > max) problems.push(`${name}:${i + 1}: ${length} characters (at most ${max})`)
      })
  }
  return { files: files.length, problems }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const libDir = path.resolve(process.argv[2] ?? fileURLToPath(new URL('../lib', import.meta.url)))
  const { files, problems } = checkLineLength(libDir)
  for (const problem of problems) console.log(problem)
  console.log(
    problems.length
      ? `${problems.length} line${problems.length === 1 ? '' : 's'} longer than ${MAX_LINE_LENGTH} characters; ` +
          'split long strings, templates and regexes into pieces, and rewrap comments.'
      : `No line in ${path.basename(libDir)}/ longer than ${MAX_LINE_LENGTH} characters (${files} files).`,
  )
  process.exit(problems.length ? 1 : 0)
}
