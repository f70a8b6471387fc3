#!/usr/bin/env node
// accessory-details: see README.md, "Other verbs".
// lib/cli/start.mjs answers --help at once, else loads the TypeScript runner (lib/cli/main.ts).
import { start } from '../lib/cli/start.mjs'
await start('details', import.meta.url)
