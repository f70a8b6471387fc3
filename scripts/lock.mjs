#!/usr/bin/env node
// Show or release the deploy lock: lock.mjs status|release. See README.md.
import 'tsx/esm' // registers the TypeScript loader before the dynamic import below
/** @type {typeof import('../lib/cli/main.ts')} */
const { main } = await import('../lib/cli/main.ts')
await main('lock', import.meta.url)
