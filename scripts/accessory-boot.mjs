#!/usr/bin/env node
// Boot missing accessories; report image drift with exit 2. See README.md.
// lib/cli/start.mjs answers --help at once, else loads the TypeScript runner (lib/cli/main.ts).
import { start } from '../lib/cli/start.mjs'
await start('boot', import.meta.url)
