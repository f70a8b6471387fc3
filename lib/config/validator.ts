// The config schema's validator. A run uses ajv's standalone code, generated from schema.ts (the one
// source) into validate.generated.mjs and committed: no ajv to load and no schema to compile at start-up.
// `node scripts/generate.mjs` rewrites it; test/tooling/generated.test.ts fails when it is stale.
import type { Options, ValidateFunction } from 'ajv'
import { ANNOTATION_KEYWORDS, deployConfigSchema } from './schema.ts'
import { validate } from './validate.generated.mjs'
import { importAtRunTime } from './import-at-run-time.cjs'

/** The options the validator is generated with. */
const AJV_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  allowUnionTypes: true,
  verbose: true,
  keywords: ANNOTATION_KEYWORDS,
}

export function validator(): ValidateFunction {
  return validate as unknown as ValidateFunction
}

/** The standalone module's source, for scripts/generate.mjs (loads ajv). */
export async function standaloneValidatorSource(): Promise<string> {
  const { Ajv } = (await importAtRunTime('ajv')) as typeof import('ajv')
  // A CommonJS module whose module.exports is the function itself.
  const standaloneCode = (await importAtRunTime('ajv/dist/standalone/index.js')).default as (
    ajv: InstanceType<typeof Ajv>,
    validate: ValidateFunction,
  ) => string
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } })
  return standaloneCode(ajv, ajv.compile(deployConfigSchema))
}
