#!/usr/bin/env node
// accessory-check: every kind of drift, read-only (inspections only, no lock). See README.md.
import 'tsx/esm' // registers the TypeScript loader before the dynamic import below
/** @type {typeof import('../lib/cli/main.ts')} */
const { main } = await import('../lib/cli/main.ts')
await main('check', import.meta.url)
