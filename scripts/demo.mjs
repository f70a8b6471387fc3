#!/usr/bin/env node
// A guided walk through berth on the local lab: boot all → change an image → boot reports drift (exit 2).
// Works on a copy of deploy.config.mjs in a temp directory, so the repository is never modified.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('..', import.meta.url))
const zx = path.join(repo, 'node_modules/zx/build/cli.js')
const bootScript = path.join(repo, 'scripts/accessory-boot.mjs')

/** @param {string} text */
const say = (text) => console.log(`\n\x1b[1m== ${text}\x1b[0m`)
/** @param {string[]} args @param {string} cwd */
function boot(args, cwd) {
  console.log(`$ npx zx scripts/accessory-boot.mjs ${args.join(' ')}`)
  const r = spawnSync(process.execPath, [zx, bootScript, ...args], { cwd, stdio: 'inherit' })
  console.log(`(exit ${r.status})`)
  return r.status
}

say('Starting the lab: 3 hosts (sshd + dockerd each) and a registry, all on loopback')
const lab = spawnSync(process.execPath, [path.join(repo, 'test/lab/lab.mjs'), 'start'], { stdio: 'inherit' })
if (lab.status !== 0) process.exit(lab.status ?? 1)

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

say('What happened')
console.log(`first boot exited ${first}, the no-op run ${second}, the run after the image change ${third}.`)
console.log('Exit 2 means drift: CI can stop here, or run the reboot command the report names.')
console.log('Stop the lab with: npm run lab:stop')
process.exit(first === 0 && second === 0 && third === 2 ? 0 : 1)
