#!/usr/bin/env node
// Show or release the deploy lock: lock.mjs status|release. See README.md.
// lib/cli/start.mjs answers --help at once, else loads the TypeScript runner (lib/cli/main.ts).
import { start } from '../lib/cli/start.mjs'
await start('lock', import.meta.url)
