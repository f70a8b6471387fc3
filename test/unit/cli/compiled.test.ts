// The bundled runner (lib/cli/compiled.mjs): built into a private cache, reused while lib/ is unchanged,
// never taken from a directory others could write.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { compiledMain } from '../../../lib/cli/compiled.mjs'

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
    assert.ok(existsSync(path.join(base, slot!, current.id, 'main.cjs')))
    // one script, with nothing left for a module loader the script does not have
    assert.not.match(readFileSync(path.join(base, slot!, current.id, 'main.cjs'), 'utf8'), /\bimport\(/)
    assert.ok(
      current.inputs.some(([file]) => file.endsWith(path.join('lib', 'cli', 'run.ts'))),
      'the inputs name the sources',
    )
    for (const maker of [path.join('lib', 'cli', 'compiled.mjs'), path.join('esbuild', 'lib', 'main.js')])
      assert.ok(
        current.inputs.some(([file]) => file.endsWith(maker)),
        `the inputs name ${maker}, which made the bundle`,
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

type Current = { id: string; inputs: [string, number, number, number][] }
const currentOf = (slot: string) => JSON.parse(readFileSync(path.join(slot, 'current.json'), 'utf8')) as Current
const slotOf = (cache: string) => path.join(cache, 'berth', readdirSync(path.join(cache, 'berth'))[0]!)

test('a build a run has just picked survives the next build, however old it is (its code cache is written later)', async () => {
  await withCache(async (cache) => {
    assert.type(await compiledMain(), 'function')
    const slot = slotOf(cache)
    const old = currentOf(slot).id
    const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000)
    utimesSync(path.join(slot, old), twoDaysAgo, twoDaysAgo)
    assert.type(await compiledMain(), 'function', 'a run picks the old build')
    // lib/ changes (the record no longer matches): the next run builds anew and cleans up
    writeFileSync(path.join(slot, 'current.json'), '{}')
    assert.type(await compiledMain(), 'function')
    assert.is.not(currentOf(slot).id, old)
    assert.ok(existsSync(path.join(slot, old, 'main.cjs')), 'the build in use is kept')
  })
})

test('a build that cannot be written (a full disk) leaves nothing behind, and the run uses tsx', async () => {
  await withCache(async (cache) => {
    // A file size limit fails esbuild's writes as ENOSPC would (EFBIG), without a disk to fill.
    const load = `const m = await import(${JSON.stringify(new URL('../../../lib/cli/compiled.mjs', import.meta.url).href)});
      process.stdout.write(typeof (await m.compiledMain()))`
    const r = spawnSync(
      'bash',
      ['-c', 'trap "" XFSZ; ulimit -f 16; exec "$0" --input-type=module -e "$1"', process.execPath, load],
      {
        env: { ...process.env, XDG_CACHE_HOME: cache, NODE_OPTIONS: '' },
        encoding: 'utf8',
      },
    )
    assert.is(r.stdout, 'undefined', r.stderr)
    assert.equal(readdirSync(slotOf(cache)), [], 'no half-written build is left to fill the disk')
  })
})

test('a current build that is gone is built again (not tsx for every run from then on)', async () => {
  await withCache(async (cache) => {
    assert.type(await compiledMain(), 'function')
    const slot = slotOf(cache)
    const gone = currentOf(slot).id
    rmSync(path.join(slot, gone), { recursive: true })
    assert.type(await compiledMain(), 'function')
    assert.is.not(currentOf(slot).id, gone)
    assert.ok(existsSync(path.join(slot, currentOf(slot).id, 'main.cjs')))
  })
})

test('an input whose ctime moved is changed, though its mtime and size were put back (tar, rsync -a, cp -p)', async () => {
  await withCache(async (cache) => {
    assert.type(await compiledMain(), 'function')
    const slot = slotOf(cache)
    const before = currentOf(slot)
    assert.ok(before.inputs.every((input) => input.length === 4 && typeof input[3] === 'number'))
    const [first, ...rest] = before.inputs
    writeFileSync(
      path.join(slot, 'current.json'),
      JSON.stringify({ ...before, inputs: [[first![0], first![1], first![2], first![3] - 1000], ...rest] }),
    )
    assert.type(await compiledMain(), 'function')
    assert.is.not(currentOf(slot).id, before.id, 'built anew')
  })
})

test('a deploy.config.mjs that imports TypeScript loads when the run is bundled, as it does through tsx', async () => {
  await withCache(async (cache) => {
    const project = path.join(cache, 'project')
    mkdirSync(project)
    writeFileSync(path.join(project, 'hosts.ts'), "export const host: string = '127.0.0.1'\n")
    writeFileSync(
      path.join(project, 'deploy.config.mjs'),
      "import { host } from './hosts.ts'\n" +
        "export default { service: 's', image: 'i', accessories: { a: { image: 'x:1', host } } }\n",
    )
    const script = new URL('../../../scripts/accessory-config.mjs', import.meta.url).pathname
    for (const compiled of ['1', '0']) {
      const r = spawnSync(process.execPath, [script, 'all'], {
        cwd: project,
        encoding: 'utf8',
        env: { ...process.env, XDG_CACHE_HOME: cache, BERTH_COMPILED: compiled, NODE_OPTIONS: '' },
      })
      assert.is(r.status, 0, `BERTH_COMPILED=${compiled}: ${r.stdout}${r.stderr}`)
      assert.match(r.stdout, /accessory a: container s-a/)
    }
    assert.ok(existsSync(path.join(slotOf(cache), 'current.json')), 'the first run was the bundled one')
  })
})

const damages: [string, (file: string) => void][] = [
  ['emptied', (file) => writeFileSync(file, '')],
  ['truncated', (file) => writeFileSync(file, readFileSync(file).subarray(0, Math.floor(statSync(file).size / 2)))],
  ['replaced by garbage', (file) => writeFileSync(file, 'export const {{{ ] not javascript')],
  ['stripped of its exports (valid JavaScript)', (file) => writeFileSync(file, 'exports.nothing = 1\n')],
  [
    'one byte changed',
    (file) => {
      const bytes = readFileSync(file)
      bytes[Math.floor(bytes.length / 2)]! ^= 0xff
      writeFileSync(file, bytes)
    },
  ],
  ['deleted', (file) => rmSync(file)],
]

/** accessory-config in a project of its own, through the bundle. */
function configRun(cache: string) {
  const project = path.join(cache, 'project')
  mkdirSync(project, { recursive: true })
  writeFileSync(
    path.join(project, 'deploy.config.mjs'),
    "export default { service: 's', image: 'i', accessories: { a: { image: 'x:1', host: '127.0.0.1' } } }\n",
  )
  const script = new URL('../../../scripts/accessory-config.mjs', import.meta.url).pathname
  return () =>
    spawnSync(process.execPath, [script, 'all'], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, XDG_CACHE_HOME: cache, BERTH_COMPILED: '1', NODE_OPTIONS: '' },
    })
}

for (const [how, damage] of damages)
  test(`a bundle ${how} is rebuilt by the next run, which works as ever`, async () => {
    await withCache(async (cache) => {
      const run = configRun(cache)
      const first = run()
      assert.is(first.status, 0, first.stdout + first.stderr)
      const slot = slotOf(cache)
      const damaged = currentOf(slot).id
      damage(path.join(slot, damaged, 'main.cjs'))
      for (const attempt of ['the next run', 'the run after it']) {
        const r = run()
        assert.is(r.status, 0, `${attempt}: ${r.stdout}${r.stderr}`)
        assert.is(r.stdout, first.stdout, `${attempt} prints what the first did`)
        assert.is(r.stderr, '', `${attempt} says nothing about the cache`)
      }
      const healed = currentOf(slot).id
      assert.is.not(healed, damaged, 'built anew')
      assert.ok(statSync(path.join(slot, healed, 'main.cjs')).size > 100_000, 'the new build is whole')
    })
  })

for (const [how, damage] of damages)
  test(`a code cache ${how} is not used: the run works as ever and writes a sound one`, async () => {
    await withCache(async (cache) => {
      const run = configRun(cache)
      const first = run()
      assert.is(first.status, 0, first.stdout + first.stderr)
      const build = path.join(slotOf(cache), currentOf(slotOf(cache)).id)
      const codeCache = path.join(build, 'main.cjs.v8cache')
      assert.ok(statSync(codeCache).size > 100_000, 'the first run wrote the code cache')
      assert.is(statSync(codeCache).mode & 0o077, 0, 'private')
      const written = statSync(codeCache)
      assert.is(run().status, 0)
      assert.is(statSync(codeCache).mtimeMs, written.mtimeMs, 'the next run uses it: V8 took it, nothing is rewritten')
      damage(codeCache)
      const r = run()
      assert.is(r.status, 0, r.stdout + r.stderr)
      assert.is(r.stdout, first.stdout)
      assert.is(r.stderr, '')
      assert.is(currentOf(slotOf(cache)).id, path.basename(build), 'the bundle itself is kept')
      assert.ok(readFileSync(codeCache).length > 100_000 && existsSync(codeCache), 'written anew')
      assert.is(readdirSync(build).filter((f) => f.endsWith('.tmp')).length, 0, 'no partial file left')
    })
  })

test('a build recorded before its files were stamped (an older berth) is built anew', async () => {
  await withCache(async (cache) => {
    assert.type(await compiledMain(), 'function')
    const slot = slotOf(cache)
    const before = currentOf(slot)
    writeFileSync(path.join(slot, 'current.json'), JSON.stringify({ id: before.id, inputs: before.inputs }))
    assert.type(await compiledMain(), 'function')
    assert.is.not(currentOf(slot).id, before.id)
  })
})

test.run()
