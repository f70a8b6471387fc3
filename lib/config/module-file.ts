// Reading one JavaScript config file (`deploy.config.mjs`) into plain data: its default export, an object or a
// function of { destination, env }. Not pure: importing the module runs its code. Problems are collected, not
// thrown, so that every one is reported at once.
import { pathToFileURL } from 'node:url'
import { importAtRunTime } from './import-at-run-time.cjs'
import type { Env } from './local-commands.ts'
import { errorText, isPlainObject } from './plain.ts'
import type { SourceFile } from './positions.ts'
import { plainCopy } from './source-files.ts'

let importCounter = 0

async function importModule(path: string): Promise<unknown> {
  const url = pathToFileURL(path)
  // cache-busting: a changed file is re-read within one process
  url.search = `?berth=${Date.now()}-${++importCounter}`
  let module: { default?: unknown }
  try {
    module = (await importAtRunTime(url.href)) as { default?: unknown }
  } catch (error) {
    // A config that imports TypeScript (`./hosts.ts`) while berth runs bundled, without tsx's loader:
    // registered now, as the tsx fallback would have had it all along.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error
    // importing tsx/esm registers the TypeScript loader
    await importAtRunTime('tsx/esm')
    url.search = `?berth=${Date.now()}-${++importCounter}`
    module = (await importAtRunTime(url.href)) as { default?: unknown }
  }
  return module.default
}

export interface ModuleFile extends SourceFile {
  /** The default export is a function: it builds the config for any destination itself. */
  exportsFunction: boolean
}

/** `file` names the file in messages; `path` is where it is imported from. */
export async function readModuleFile(
  file: string,
  path: string,
  args: { destination?: string; env: Env },
  problems: string[],
): Promise<ModuleFile> {
  let exported: unknown
  try {
    exported = await importModule(path)
  } catch (error) {
    problems.push(`${file}: failed to load: ${errorText(error)}`)
    return { file, data: {}, exportsFunction: false }
  }
  const exportsFunction = typeof exported === 'function'
  let value: unknown = exported
  if (exportsFunction) {
    try {
      value = await (exported as (a: typeof args) => unknown)(args)
    } catch (error) {
      problems.push(`${file}: the default export threw: ${errorText(error)}`)
      return { file, data: {}, exportsFunction }
    }
  }
  if (!isPlainObject(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
    problems.push(`${file}: (root): the default export must be an object, or a function returning one (got ${got})`)
    return { file, data: {}, exportsFunction }
  }
  // In JS, a key set to `undefined` means "not set" (it would not survive JSON either).
  return { file, data: plainCopy({ file }, value, problems), exportsFunction }
}
