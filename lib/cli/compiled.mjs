// The TypeScript runner, bundled once per change of lib/ into a private cache, so that a run loads one plain
// JavaScript file instead of registering tsx (whose hooks thread handles every import: about 0.2 s of CPU
// before the first ssh handshake can start). No build step: the first run after a change bundles lib/ with
// esbuild (the one tsx itself uses) in about as long as tsx would have cost, and every later run loads the
// bundle. The bundle is one CommonJS script run through node:vm with V8's code cache (written by the first run
// that has none, beside the bundle): compiling its 0.9 MB and the functions a run calls would otherwise cost
// about 50 ms of every run, and Node 20 keeps no code cache for ES modules. What the bundle imports at run
// time goes through import-at-run-time.cjs (a script run this way has no module loader for `import()`).
// A bundle is used only while every file it was built from, and every file it is made of, has the size,
// mtime and ctime it had then: a few dozen stats, no hashing; its code cache only while its sha-256 holds.
// Anything unexpected (no esbuild, a cache directory that is not private, a failed build) falls back to
// tsx. BERTH_COMPILED=0 always uses tsx. The cache lives in ~/.cache/berth ($XDG_CACHE_HOME/berth),
// 0700, one slot per lib/ directory and Node version.
import { createHash, randomBytes } from 'node:crypto'
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { createRequire, isBuiltin } from 'node:module'
import { Script } from 'node:vm'
import { homedir } from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const libDir = fileURLToPath(new URL('..', import.meta.url))
const entry = path.join(libDir, 'cli/main.ts')
/**
 * Builds unused for this long, and no longer current, are removed by the next build (a run still writes its
 * code cache into one when it exits): every run that picks a build touches its directory first.
 */
const OLD_BUILD_MS = 24 * 3600 * 1000

/** A directory only this user can use: made 0700, or refused (a symlink, another owner, group/world access). */
function privateDirectory(/** @type {string} */ dir) {
  try {
    mkdirSync(dir, { mode: 0o700 })
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') return false
  }
  const stat = lstatSync(dir)
  return stat.isDirectory() && !stat.isSymbolicLink() && stat.uid === process.getuid?.() && (stat.mode & 0o077) === 0
}

/**
 * A file as it was: its ctime too, which no tool can set back (tar, rsync -a, cp -p and touch -r restore an
 * older mtime on new content).
 * @typedef {[file: string, mtimeMs: number, size: number, ctimeMs: number]} Input
 */

const stamp = (/** @type {string} */ file) => {
  const s = statSync(file)
  return /** @type {Input} */ ([file, s.mtimeMs, s.size, s.ctimeMs])
}

/** Every input still as it was when the bundle was built. */
function fresh(/** @type {Input[]} */ inputs) {
  try {
    return inputs.every(([file, mtimeMs, size, ctimeMs]) => {
      const s = statSync(file)
      return s.mtimeMs === mtimeMs && s.size === size && s.ctimeMs === ctimeMs
    })
  } catch {
    return false
  }
}

/** Every file under lib/ (what a build may read), with its stamp. */
function libStamps(/** @type {string} */ dir = libDir) {
  /** @type {Map<string, Input>} */
  const stamps = new Map()
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) for (const [k, v] of libStamps(full)) stamps.set(k, v)
    else if (e.isFile()) stamps.set(full, stamp(full))
  }
  return stamps
}

/** The esbuild next to tsx (a dependency of it), or a top-level one; and the file it was loaded from. */
function loadEsbuild() {
  const require = createRequire(import.meta.url)
  let resolved
  try {
    resolved = require.resolve('esbuild')
  } catch {
    resolved = createRequire(require.resolve('tsx')).resolve('esbuild')
  }
  return { esbuild: /** @type {typeof import('esbuild')} */ (require(resolved)), file: resolved }
}

/**
 * Packages bundled with lib/: `yaml`, which every `config/deploy.yml` run loads before its first handshake (about
 * 40 ms of CPU as ~70 files, a few ms inside the bundle), and `p-map`, an ES module a CommonJS script cannot
 * `require` (Node 20). Their files are inputs like lib/'s.
 */
const BUNDLED_PACKAGES = new Set(['yaml', 'p-map'])
/** lib's one way to `import()` at run time, which must stay a file of its own (see the top). */
const RUN_TIME_IMPORT = /[/\\]import-at-run-time\.cjs$/

/**
 * esbuild's plugin: packages but BUNDLED_PACKAGES, and import-at-run-time.cjs, stay outside the bundle, required
 * by the absolute file they resolve to from lib/ now (each recorded in `externals`), and `import.meta.url` keeps
 * naming the source file.
 * @param {Set<string>} externals
 * @returns {import('esbuild').Plugin}
 */
function berthPlugin(externals) {
  return {
    name: 'berth',
    setup(b) {
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (isBuiltin(args.path)) return { path: args.path, external: true }
        if (BUNDLED_PACKAGES.has(args.path)) return undefined
        let url
        try {
          url = import.meta.resolve(args.path)
        } catch {
          // Not installed: a require that fails if it runs.
          return { path: args.path, external: true }
        }
        if (!url.startsWith('file:')) return { path: args.path, external: true }
        externals.add(fileURLToPath(url))
        return { path: fileURLToPath(url), external: true }
      })
      b.onResolve({ filter: RUN_TIME_IMPORT }, (args) => {
        const file = path.resolve(args.resolveDir, args.path)
        externals.add(file)
        return { path: file, external: true }
      })
      // import.meta.url keeps naming the source file (run.ts finds package.json by it).
      b.onLoad({ filter: /\.ts$/ }, (args) => ({
        // (a function: a replacement string would read `$$`, `$&`... in the path as patterns)
        contents: readFileSync(args.path, 'utf8').replaceAll('import.meta.url', () =>
          JSON.stringify(pathToFileURL(args.path).href),
        ),
        loader: 'ts',
      }))
    },
  }
}

/** Bundles lib/cli/main.ts into `slot`; returns the new build's bundle. */
async function build(/** @type {string} */ slot) {
  const { esbuild, file: esbuildFile } = loadEsbuild()
  const before = libStamps()
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  const outdir = path.join(slot, `${id}.tmp`)
  /** @type {Set<string>} */
  const externals = new Set()
  const building = esbuild.build({
    entryPoints: { main: entry },
    absWorkingDir: libDir,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.cjs' },
    // import() of a built-in (readline) becomes a require: the script has no module loader for it
    supported: { 'dynamic-import': false },
    // lib/ was written as ES modules, which are strict
    banner: { js: '"use strict";' },
    metafile: true,
    logLevel: 'silent',
    plugins: [berthPlugin(externals)],
  })
  // A build that fails (a full disk, say) leaves no half-written directory behind.
  const result = await building.catch((error) => {
    rmSync(outdir, { recursive: true, force: true })
    throw error
  })
  const used = Object.keys(result.metafile.inputs).map((f) => path.resolve(libDir, f))
  /** @type {Input[]} */
  // and what made the bundle: this file (its plugin) and esbuild, so that a new berth or esbuild rebuilds
  const makers = [fileURLToPath(import.meta.url), esbuildFile].map((f) => before.get(f) ?? stamp(f))
  const inputs = [...used.map((f) => before.get(f) ?? stamp(f)), ...[...externals].map(stamp), ...makers]
  // A file of lib/ changed while it was bundled: use this build once, but never record it as current.
  const settled = fresh(inputs) && used.every((f) => before.has(f) || !f.startsWith(libDir))
  renameSync(outdir, path.join(slot, id))
  if (settled) recordCurrent(slot, id, inputs)
  return path.join(slot, id, 'main.cjs')
}

/**
 * Runs the bundle as CommonJS does, compiled with its code cache when there is a sound one; without one (or one
 * V8 refuses: another Node, other flags) the cache is written when this run exits, with what the run compiled.
 * @returns {typeof import('./main.ts').main}
 */
function runBundle(/** @type {string} */ file) {
  const cacheFile = `${file}.v8cache`
  const cachedData = readCodeCache(cacheFile)
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`,
    {
      filename: file,
      cachedData,
    },
  )
  const module = { exports: /** @type {Record<string, unknown>} */ ({}) }
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file))
  if (!cachedData || script.cachedDataRejected) process.once('exit', () => writeCodeCache(cacheFile, script))
  return /** @type {typeof import('./main.ts').main} */ (module.exports.main)
}

/** The code cache after its sha-256 (a file cut short or damaged is no cache), or undefined. */
function readCodeCache(/** @type {string} */ file) {
  try {
    const content = readFileSync(file)
    const data = content.subarray(32)
    return createHash('sha256').update(data).digest().equals(content.subarray(0, 32)) ? data : undefined
  } catch {
    return undefined
  }
}

/** Writes the code cache whole or not at all (a private file renamed into place). */
function writeCodeCache(/** @type {string} */ file, /** @type {Script} */ script) {
  const partial = `${file}.${process.pid}.tmp`
  try {
    const data = script.createCachedData()
    writeFileSync(partial, Buffer.concat([createHash('sha256').update(data).digest(), data]), { mode: 0o600 })
    renameSync(partial, file)
  } catch {
    rmSync(partial, { force: true })
  }
}

/**
 * Records build `id` as current, with every file of it as written, so that a bundle emptied, cut short, rewritten
 * or deleted since means a new build, never a run that fails; and removes builds unused for a day.
 * @param {string} slot
 * @param {string} id
 * @param {Input[]} inputs
 */
function recordCurrent(slot, id, inputs) {
  const outputs = readdirSync(path.join(slot, id)).map((name) => stamp(path.join(slot, id, name)))
  const current = path.join(slot, `current.${id}.json`)
  writeFileSync(current, JSON.stringify({ id, inputs, outputs }), { mode: 0o600 })
  renameSync(current, path.join(slot, 'current.json'))
  for (const name of readdirSync(slot)) {
    const old = path.join(slot, name)
    if (name !== id && name !== 'current.json' && Date.now() - lstatSync(old).mtimeMs > OLD_BUILD_MS)
      rmSync(old, { recursive: true, force: true })
  }
}

/**
 * The runner's `main`, from the bundle of lib/ (built now if none is current); undefined when it cannot be
 * had, and the caller loads lib/cli/main.ts through tsx instead.
 * @returns {Promise<typeof import('./main.ts').main | undefined>}
 */
export async function compiledMain() {
  if (process.env.BERTH_COMPILED === '0' || typeof process.getuid !== 'function') return undefined
  try {
    const cache =
      process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME)
        ? process.env.XDG_CACHE_HOME
        : path.join(homedir(), '.cache')
    mkdirSync(cache, { recursive: true, mode: 0o700 })
    const base = path.join(cache, 'berth')
    if (!privateDirectory(base)) return undefined
    const key = createHash('sha256').update(`${libDir}\0${process.version}`).digest('hex').slice(0, 16)
    const slot = path.join(base, key)
    if (!privateDirectory(slot)) return undefined
    try {
      const current = JSON.parse(readFileSync(path.join(slot, 'current.json'), 'utf8'))
      if (
        typeof current.id === 'string' &&
        /^[a-z0-9-]+$/.test(current.id) &&
        Array.isArray(current.inputs) &&
        Array.isArray(current.outputs) &&
        current.outputs.length > 0 &&
        fresh(current.inputs) &&
        fresh(current.outputs)
      ) {
        // In use: the next build's clean-up keeps it (this run writes its code cache there on its way out).
        const now = new Date()
        utimesSync(path.join(slot, current.id), now, now)
        const main = runBundle(path.join(slot, current.id, 'main.cjs'))
        if (typeof main === 'function') return main
      }
    } catch {
      // no current build, or it is gone or broken: built anew
    }
    return runBundle(await build(slot))
  } catch {
    return undefined
  }
}
