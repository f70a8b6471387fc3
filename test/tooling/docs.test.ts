// The documents stay walkable: README.md is a front door under 200 lines, docs/architecture.md names every
// folder of lib/, and every relative link in README.md and docs/*.md reaches a file (and heading) that exists.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8')
const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
]

/** The text without fenced code blocks and inline code, where `[x](y)` is not a link. */
const prose = (text: string) => text.replace(/^(```|~~~)[^]*?^\1/gm, '').replace(/`+[^`\n]*`+/g, 'code')

/** An inline link's target (`[text](target "title")`), or a reference definition's (`[name]: target`). */
const LINK = /\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)|^ {0,3}\[[^\]]+\]:\s+<?([^\s>]+)>?/gm

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces as dashes, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const [, heading] of prose(text.replace(/`/g, '')).matchAll(/^#{1,6} +(.+?) *#* *$/gm)) {
    const slug = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count ? `${slug}-${count}` : slug)
  }
  return result
}

test('every folder of lib/ is named in docs/architecture.md', () => {
  const architecture = read('docs/architecture.md')
  const folders = readdirSync(path.join(ROOT, 'lib'), { withFileTypes: true }).filter((e) => e.isDirectory())
  const missing = folders.map((e) => `lib/${e.name}/`).filter((folder) => !architecture.includes(folder))
  assert.ok(folders.length > 5, 'lib/ has its folders')
  assert.equal(missing, [], `not named in docs/architecture.md: ${missing.join(', ')}`)
})

test('README.md is a front door: under 200 lines', () => {
  const lines = read('README.md').replace(/\n$/, '').split('\n').length
  assert.ok(lines < 200, `README.md has ${lines} lines; move detail into docs/ and link to it`)
})

test('every relative link in README.md and docs/*.md reaches a file, and a heading there when it names one', () => {
  const broken: string[] = []
  for (const doc of DOCS) {
    for (const [, inline, reference] of prose(read(doc)).matchAll(LINK)) {
      const target = (inline ?? reference)!
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue
      const [file, anchor] = target.split('#') as [string, string | undefined]
      const resolved = file ? path.join(path.dirname(doc), decodeURIComponent(file)) : doc
      if (!existsSync(path.join(ROOT, resolved))) broken.push(`${doc}: ${target} (no file ${resolved})`)
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(read(resolved)).has(anchor))
        broken.push(`${doc}: ${target} (no heading #${anchor} in ${resolved})`)
    }
  }
  assert.ok(DOCS.length > 5, 'README.md and the files of docs/')
  assert.equal(broken, [], `broken links:\n${broken.join('\n')}`)
})

test.run()
