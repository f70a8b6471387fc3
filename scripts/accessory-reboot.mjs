#!/usr/bin/env node
// Reboot accessories onto the configured image, safely. See README.md.
import 'tsx/esm' // registers the TypeScript loader before the dynamic import below
/** @type {typeof import('../lib/cli/main.ts')} */
const { main } = await import('../lib/cli/main.ts')
await main('reboot', import.meta.url)
