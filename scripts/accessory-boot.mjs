#!/usr/bin/env node
// Boot missing accessories; report image drift with exit 2. See README.md.
import 'tsx/esm' // registers the TypeScript loader before the dynamic import below
/** @type {typeof import('../lib/cli/main.ts')} */
const { main } = await import('../lib/cli/main.ts')
await main('boot', import.meta.url)
