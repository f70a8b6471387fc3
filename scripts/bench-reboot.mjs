#!/usr/bin/env node
// Measures an accessory's downtime during `accessory-reboot` to a new image, beside a plain
// `docker restart` of the same container (the floor for a fixed-name, fixed-port container), in one run
// on the lab. Downtime is read from the engine's own `docker events`: the old container's `kill` (the
// stop signal) to the new container's `start`.
// Usage: node scripts/bench-reboot.mjs [rounds=5]   (needs the lab: npm run lab:start)
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  assertLabUp,
  downtimeMs,
  engineTime,
  hostDocker,
  labHosts,
  registry,
  sshConfigPath,
} from '../test/lab/lab-info.mjs'

const rounds = Number(process.argv[2] ?? 5)
const repo = fileURLToPath(new URL('..', import.meta.url))
const host = labHosts()[0].addr
const service = 'bench-db'
const project = mkdtempSync(path.join(tmpdir(), 'berth-bench-reboot-'))
symlinkSync(path.join(repo, 'node_modules'), path.join(project, 'node_modules'))
mkdirSync(path.join(project, '.kamal'))
writeFileSync(path.join(project, '.kamal/secrets'), 'PASSWORD=bench\n')

/** @param {string} tag */
function writeConfig(tag) {
  const config = {
    service: 'bench',
    image: 'bench/app',
    ssh: { config: sshConfigPath() },
    accessories: {
      db: { image: `${registry()}/postgres:${tag}`, host, env: { secret: ['PASSWORD'] }, directories: ['data:/data'] },
    },
  }
  writeFileSync(path.join(project, 'deploy.config.mjs'), `export default ${JSON.stringify(config)}\n`)
}

/** @param {string} verb @param {string[]} args */
function berth(verb, args) {
  const r = spawnSync(
    path.join(repo, 'node_modules/.bin/zx'),
    [path.join(repo, `scripts/accessory-${verb}.mjs`), ...args],
    { cwd: project, encoding: 'utf8' },
  )
  if (r.status !== 0) throw new Error(`${verb} exited ${r.status}: ${r.stdout}${r.stderr}`)
}

await assertLabUp()
await hostDocker(host, ['rm', '-f', service])
writeConfig('16')
berth('boot', ['db', '-q'])

const rebootTimes = []
const restartTimes = []
const wallTimes = []
for (let i = 0; i < rounds; i++) {
  writeConfig(i % 2 === 0 ? '17' : '16')
  let since = await engineTime(host)
  const t0 = process.hrtime.bigint()
  berth('reboot', ['db', '-y', '-q'])
  wallTimes.push(Number(process.hrtime.bigint() - t0) / 1e9)
  rebootTimes.push((await downtimeMs(host, service, since)) / 1000)

  since = await engineTime(host)
  const restart = spawnSync('ssh', ['-F', sshConfigPath(), host, 'docker', 'restart', service], { encoding: 'utf8' })
  if (restart.status !== 0) throw new Error(`docker restart failed: ${restart.stderr}`)
  restartTimes.push((await downtimeMs(host, service, since)) / 1000)
}

/** @param {number[]} values */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN
const ms = (/** @type {number} */ s) => `${(s * 1000).toFixed(0)} ms`
console.log(`rounds: ${rounds} on ${host} (accessory ${service}, image alternating postgres:16 ↔ postgres:17)`)
console.log(
  `reboot downtime (old kill → new start):   median ${ms(median(rebootTimes))}  [${rebootTimes.map(ms).join(', ')}]`,
)
console.log(
  `docker restart downtime (kill → start):   median ${ms(median(restartTimes))}  [${restartTimes.map(ms).join(', ')}]`,
)
console.log(
  `ratio reboot / docker restart:            ${(median(rebootTimes) / median(restartTimes)).toFixed(2)}×  (aim: ≤ 1.2×)`,
)
console.log(
  `whole reboot command, wall clock:         median ${median(wallTimes).toFixed(2)} s (pull, create, swap, 1 s settle check, cleanup)`,
)
await hostDocker(host, ['rm', '-f', service])
