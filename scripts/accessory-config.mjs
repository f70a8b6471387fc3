#!/usr/bin/env node
// accessory-config: the resolved config berth acts on, secrets redacted; contacts no host. See README.md.
// lib/cli/start.mjs answers --help at once, else loads the TypeScript runner (lib/cli/main.ts).
import { start } from '../lib/cli/start.mjs'
await start('config', import.meta.url)
