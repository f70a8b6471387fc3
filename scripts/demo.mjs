#!/usr/bin/env node
// A guided walk through berth on the local lab: boot all → change an image → boot reports drift (exit 2)
// → reboot --drifted → in sync again.
// Works on a copy of deploy.config.mjs in a temp directory, so the repository is never modified.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const zx = path.join(repo, 'node_modules/zx/build/cli.js')
const bold = process.stdout.isTTY ? (/** @type {string} */ t) => `\x1b[1m${t}\x1b[0m` : (/** @type {string} */ t) => t

/** @param {string} text */
const say = (text) => console.log(`\n${bold(`== ${text}`)}`)
/** @param {string} verb @param {string[]} args @param {string} cwd */
function berth(verb, args, cwd) {
  console.log(`$ npx zx scripts/accessory-${verb}.mjs ${args.join(' ')}`)
  const r = spawnSync(process.execPath, [zx, path.join(repo, `scripts/accessory-${verb}.mjs`), ...args], {
    cwd,
    stdio: 'inherit',
  })
  console.log(`(exit ${r.status})`)
  return r.status
}
/** @param {string[]} args @param {string} cwd */
const boot = (args, cwd) => berth('boot', args, cwd)

say('Starting the lab: 3 hosts (sshd + dockerd each) and a registry, all on loopback')
const lab = spawnSync(process.execPath, [path.join(repo, 'test/lab/lab.mjs'), 'start'], { stdio: 'inherit' })
if (lab.status !== 0) process.exit(lab.status ?? 1)
// Every walk-through starts from empty hosts, so it tells the same story each time.
const reset = spawnSync(process.execPath, [path.join(repo, 'test/lab/lab.mjs'), 'reset'], { stdio: 'inherit' })
if (reset.status !== 0) process.exit(reset.status ?? 1)

const project = mkdtempSync(path.join(tmpdir(), 'berth-demo-'))
copyFileSync(path.join(repo, 'deploy.config.mjs'), path.join(project, 'deploy.config.mjs'))
mkdirSync(path.join(project, '.kamal'))
writeFileSync(path.join(project, '.kamal/secrets'), 'POSTGRES_PASSWORD=demo-password\n')
say(`A project directory with the example deploy.config.mjs: ${project}`)

say('1. Boot every accessory (containers that already exist are left alone)')
const first = boot(['all'], project)

say('2. Run it again: nothing to do, exit 0')
const second = boot(['all', '-q'], project)

say('3. Change the db image in the config (postgres:16 → postgres:17)')
const configFile = path.join(project, 'deploy.config.mjs')
writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('postgres:16', 'postgres:17'))
const third = boot(['all'], project)

say('4. Reboot only what drifted (pull first, new container beside the old one, swap, verify)')
const fourth = berth('reboot', ['all', '--drifted', '-y'], project)

say('5. Boot again: everything in sync, exit 0')
const fifth = boot(['all', '-q'], project)

say('6. The table view')
berth('details', ['all'], project)

say('What happened')
console.log(
  `boot: ${first}, no-op boot: ${second}, boot after the image change: ${third} (drift), reboot --drifted: ${fourth}, boot: ${fifth}.`,
)
console.log('In CI: boot all; on exit 2, reboot all --drifted -y. Stop the lab with: npm run lab:stop')
process.exit(first === 0 && second === 0 && third === 2 && fourth === 0 && fifth === 0 ? 0 : 1)
