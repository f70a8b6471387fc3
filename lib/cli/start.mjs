// The scripts' entry point, in plain JavaScript so that `--help` answers before anything heavy loads: no
// TypeScript loader (tsx alone costs about 0.1 s), no zx, yaml, ajv or p-map, and no config. The help text
// and flag table come from help.generated.mjs (generated from the verb table; see scripts/generate.mjs).
// Every other invocation hands over to main.ts, which parses the flags for real: bundled into plain
// JavaScript once per change of lib/ (compiled.mjs), else loaded through tsx.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

/**
 * @param {string} verb
 * @param {string} scriptUrl the script's import.meta.url
 */
export async function start(verb, scriptUrl) {
  const scriptPath = fileURLToPath(scriptUrl)
  const index = process.argv.findIndex((arg) => path.resolve(arg) === scriptPath)
  const argv = process.argv.slice(index >= 0 ? index + 1 : 2)
  if (mentionsHelp(argv)) {
    const { HELP } = await import('./help.generated.mjs')
    const help = HELP[verb]
    if (help && asksForHelp(argv, help.options)) {
      process.stdout.write(help.text)
      return
    }
  }
  // The bundle of lib/ (compiled.mjs), else the TypeScript itself through tsx.
  const main = (await (await import('./compiled.mjs')).compiledMain()) ?? (await viaTsx())
  await main(verb, scriptUrl)
}

async function viaTsx() {
  // @ts-ignore: tsx/esm has no type declarations; importing it registers the TypeScript loader
  await import('tsx/esm')
  /** @type {typeof import('./main.ts')} */
  const { main } = await import('./main.ts')
  return main
}

/** berth's own words: those before `--` (after it comes exec's command). */
const ownArgs = (/** @type {string[]} */ argv) => (argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv)

/** A word before `--` that could ask for help (`--help`, `-h`, `-qh`): only then is the help table read. */
function mentionsHelp(/** @type {string[]} */ argv) {
  return ownArgs(argv).some((arg) => arg === '--help' || /^-[a-zA-Z]*h/.test(arg))
}

/**
 * `-h`/`--help` among flags that parse as the full runner would parse them; anything else (a usage error
 * beside --help, say) is left to the runner.
 * @param {string[]} argv
 * @param {Record<string, { type: 'string' | 'boolean', short?: string }>} options
 */
export function asksForHelp(argv, options) {
  if (!mentionsHelp(argv)) return false
  const own = ownArgs(argv)
  // Kamal's `-h HOSTS` is a usage error the runner explains (berth's -h is help): never answer it with help.
  if (
    own.some((arg, i) => (arg === '-h' && own[i + 1] !== undefined && !own[i + 1].startsWith('-')) || /^-h./.test(arg))
  )
    return false
  try {
    const { values, positionals } = parseArgs({ args: own, options, allowPositionals: true, strict: true })
    return values.help === true && positionals.length <= 1 && !(values.quiet && values.verbose)
  } catch {
    return false
  }
}
