#!/usr/bin/env zx
// accessory-config: the resolved config berth acts on, secrets redacted; contacts no host. See README.md.
import 'tsx/esm' // registers the TypeScript loader before the dynamic import below
/** @type {typeof import('../lib/cli/main.ts')} */
const { main } = await import('../lib/cli/main.ts')
await main('config', import.meta.url)
