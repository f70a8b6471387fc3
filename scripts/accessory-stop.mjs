#!/usr/bin/env node
// accessory-stop: see README.md, "Other verbs".
import 'tsx/esm' // registers the TypeScript loader before the dynamic import below
/** @type {typeof import('../lib/cli/main.ts')} */
const { main } = await import('../lib/cli/main.ts')
await main('stop', import.meta.url)
