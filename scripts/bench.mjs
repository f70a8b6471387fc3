#!/usr/bin/env node
// Prints how long a no-op `accessory-boot all` takes on the 3-host lab (3 accessories, 6 accessory×host
// pairs), and how many ssh connections it opens. Needs the lab: `npm run lab:start` (or `make bench`).
// Usage: node scripts/bench.mjs [runs=10]
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { assertLabUp, countAcceptedConnections, labHosts, resetLab } from '../test/lab/lab-info.mjs'

const runs = Number(process.argv[2] ?? 10)
const repo = fileURLToPath(new URL('..', import.meta.url))
const project = mkdtempSync(path.join(tmpdir(), 'berth-bench-'))
copyFileSync(path.join(repo, 'deploy.config.mjs'), path.join(project, 'deploy.config.mjs'))
mkdirSync(path.join(project, '.kamal'))
writeFileSync(path.join(project, '.kamal/secrets'), 'POSTGRES_PASSWORD=bench\n')
// As in a repository that added berth: `npx zx` finds zx in the project's node_modules.
symlinkSync(path.join(repo, 'node_modules'), path.join(project, 'node_modules'))

await assertLabUp()
await resetLab()

/** @param {string[]} command */
function timed(command) {
  const start = process.hrtime.bigint()
  const r = spawnSync(command[0], command.slice(1), { cwd: project, encoding: 'utf8' })
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  return { ms, status: r.status, out: r.stdout + r.stderr }
}
/** @param {number[]} values */
const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]
  return `median ${median?.toFixed(0)} ms, min ${sorted[0]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`
}

const zx = path.join(repo, 'node_modules/.bin/zx')
const script = path.join(repo, 'scripts/accessory-boot.mjs')
const first = timed([zx, script, 'all', '-q'])
if (first.status !== 0) throw new Error(`first boot failed (exit ${first.status}):\n${first.out}`)
console.log(`first boot (6 containers created, images pulled): ${first.ms.toFixed(0)} ms`)

const commands = {
  'node_modules/.bin/zx scripts/accessory-boot.mjs all': [zx, script, 'all', '-q'],
  'npx zx scripts/accessory-boot.mjs all': ['npx', 'zx', script, 'all', '-q'],
  'node -e 1 (Node start-up floor)': [process.execPath, '-e', '1'],
}
for (const [label, command] of Object.entries(commands)) {
  const before = labHosts().map((h) => countAcceptedConnections(h.addr))
  const times = []
  for (let i = 0; i < runs; i++) {
    const r = timed(command)
    if (r.status !== 0) throw new Error(`${label} exited ${r.status}:\n${r.out}`)
    times.push(r.ms)
  }
  const connections = labHosts().reduce((sum, h, i) => sum + countAcceptedConnections(h.addr) - (before[i] ?? 0), 0)
  console.log(`${label}: ${stats(times)} over ${runs} runs; ssh connections per run: ${(connections / runs).toFixed(1)}`)
}
