#!/usr/bin/env node
// accessory-tunnel: see docs/verbs.md, "accessory-tunnel".
// lib/cli/start.mjs answers --help at once, else loads the TypeScript runner (lib/cli/main.ts).
import { start } from '../lib/cli/start.mjs'
await start('tunnel', import.meta.url)
