#!/usr/bin/env node
// accessory-check: every kind of drift, read-only (inspections only, no lock). See README.md.
// lib/cli/start.mjs answers --help at once, else loads the TypeScript runner (lib/cli/main.ts).
import { start } from '../lib/cli/start.mjs'
await start('check', import.meta.url)
