// The bundled runner (lib/cli/compiled.mjs): built into a private cache, reused while lib/ is unchanged,
// never taken from a directory others could write.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compiledMain } from '../../lib/cli/compiled.mjs'

async function withCache<T>(work: (cache: string) => Promise<T>): Promise<T> {
  const cache = mkdtempSync(path.join(tmpdir(), 'berth-compiled-test-'))
  const saved = { xdg: process.env.XDG_CACHE_HOME, flag: process.env.BERTH_COMPILED }
  process.env.XDG_CACHE_HOME = cache
  delete process.env.BERTH_COMPILED
  try {
    return await work(cache)
  } finally {
    if (saved.xdg === undefined) delete process.env.XDG_CACHE_HOME
    else process.env.XDG_CACHE_HOME = saved.xdg
    if (saved.flag !== undefined) process.env.BERTH_COMPILED = saved.flag
    chmodSync(cache, 0o700)
    rmSync(cache, { recursive: true, force: true })
  }
}

test('the runner is bundled once into a private cache, and the bundle is reused while lib/ is unchanged', async () => {
  await withCache(async (cache) => {
    const main = await compiledMain()
    assert.type(main, 'function')
    const base = path.join(cache, 'berth')
    const [slot] = readdirSync(base)
    const current = JSON.parse(readFileSync(path.join(base, slot!, 'current.json'), 'utf8')) as {
      id: string
      inputs: [string, number, number][]
    }
    assert.ok(existsSync(path.join(base, slot!, current.id, 'main.mjs')))
    assert.ok(
      current.inputs.some(([file]) => file.endsWith(path.join('lib', 'cli', 'run.ts'))),
      'the inputs name the sources',
    )
    assert.is(statSync(base).mode & 0o777, 0o700)
    const again = await compiledMain()
    assert.type(again, 'function')
    assert.is(
      JSON.parse(readFileSync(path.join(base, slot!, 'current.json'), 'utf8')).id,
      current.id,
      'no second build',
    )
  })
})

test('a cache directory others can write, or BERTH_COMPILED=0, means tsx', async () => {
  await withCache(async (cache) => {
    const base = path.join(cache, 'berth')
    mkdirSync(base, { mode: 0o700 })
    chmodSync(base, 0o777)
    assert.is(await compiledMain(), undefined)
    chmodSync(base, 0o700)
    process.env.BERTH_COMPILED = '0'
    assert.is(await compiledMain(), undefined)
  })
})

test.run()
