#!/usr/bin/env node
// Reboot accessories onto the configured image, safely. See README.md.
// lib/cli/start.mjs answers --help at once, else loads the TypeScript runner (lib/cli/main.ts).
import { start } from '../lib/cli/start.mjs'
await start('reboot', import.meta.url)
