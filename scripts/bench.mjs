#!/usr/bin/env node
// `npm run bench` (needs the lab: `npm run lab:start`, or `make bench`): berth beside two floors, in one
// run, on 1, 3, 20, 50 and 200 hosts × 5 accessories. The ssh floor is `ssh host true` to every host at once;
// the engine floor `ssh host docker ps -aq --filter label=service`, what any tool must do to read a host. 1 and 3 hosts are the lab's own (one engine each);
// 20, 50 and 200 are a scale lab (test/lab/scale-lab.mjs: one sshd per host, all on host1's engine, so
// every host shows the same containers: read-only runs only, and their verdict is drift, as each host's
// KAMAL_HOST differs from the engine's containers). Per run: wall time (median), ssh connections and
// sessions per host (from the sshd logs), berth's peak RSS and CPU (from /proc). Also `--help` beside an
// empty zx script, and a reboot of one accessory on one host with its downtime beside `docker restart`.
// Prints a table and writes it to bench/RESULTS.md. Not part of CI.
// Usage: node scripts/bench.mjs [repetitions=5] [scale hosts=20,50,200]   (20 and 50 hosts use at most 3 repetitions,
// 200 hosts one; `node scripts/bench.mjs 3 20` stops the scale lab at 20 hosts)
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  assertLabUp,
  downtimeMs,
  engineTime,
  labHosts,
  registry,
  resetLab,
  sshConfigPath,
} from '../test/lab/lab-info.mjs'
import { scaleSshConfig, sshdCounts, startScale, stopScale } from '../test/lab/scale-lab.mjs'

const reps = Number(process.argv[2] ?? 5)
const scaleCounts = (process.argv[3] ?? '20,50,200').split(',').filter(Boolean).map(Number)
/** Fewer repetitions as runs get longer: 20 and 50 hosts at most 3, 200 one. */
const scaleReps = (/** @type {number} */ n) => Math.max(1, Math.min(reps, n <= 50 ? 3 : 1))
const repo = fileURLToPath(new URL('..', import.meta.url))
const zx = path.join(repo, 'node_modules/.bin/zx')
const script = (/** @type {string} */ verb) => path.join(repo, `scripts/accessory-${verb}.mjs`)
const IMAGES = ['postgres:16', 'redis:7', 'search:1', 'postgres:17', 'redis:8']

/** A project directory whose config puts 5 accessories on `hosts`. */
function project(/** @type {string[]} */ hosts, /** @type {string} */ sshConfig, firstTag = '16') {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-bench-'))
  mkdirSync(path.join(dir, '.kamal'))
  writeFileSync(path.join(dir, '.kamal/secrets'), 'PASSWORD=bench\n')
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules')) // as in a repository that added berth
  writeConfig(dir, hosts, sshConfig, firstTag)
  return dir
}

function writeConfig(
  /** @type {string} */ dir,
  /** @type {string[]} */ hosts,
  /** @type {string} */ sshConfig,
  firstTag = '16',
) {
  const accessories = Object.fromEntries(
    IMAGES.map((img, i) => [
      `a${i + 1}`,
      {
        image: `${registry()}/${i === 0 ? `postgres:${firstTag}` : img}`,
        hosts,
        ...(i === 0 ? { env: { secret: ['PASSWORD'] }, directories: ['data:/data'] } : {}),
      },
    ]),
  )
  writeFileSync(
    path.join(dir, 'deploy.config.mjs'),
    `export default ${JSON.stringify({ service: 'bench', image: 'bench/app', ssh: { config: sshConfig }, accessories })}\n`,
  )
}

/** @param {number} pid */
function procSample(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12]) // utime + stime
    return { hwmKb: Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0), cpuMs: ticks * 10 }
  } catch {
    return undefined
  }
}

/**
 * Runs a command, timing it; samples the process itself (/proc) for its peak RSS and CPU.
 * @param {string[]} command @param {string} cwd
 * @returns {Promise<{ ms: number, code: number, out: string, rssMb: number, cpuMs: number }>}
 */
function measured(command, cwd) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint()
    const child = spawn(command[0], command.slice(1), {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    let last = { hwmKb: 0, cpuMs: 0 }
    const sample = () => {
      const s = child.pid && procSample(child.pid)
      if (s) last = { hwmKb: Math.max(last.hwmKb, s.hwmKb), cpuMs: Math.max(last.cpuMs, s.cpuMs) }
    }
    const timer = setInterval(sample, 10)
    child.on('exit', () => sample())
    child.on('close', (code) => {
      clearInterval(timer)
      resolve({
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        code: code ?? -1,
        out,
        rssMb: last.hwmKb / 1024,
        cpuMs: last.cpuMs,
      })
    })
  })
}

/** The engine floor's one question to each host's engine. */
const ENGINE_QUESTION = ['docker', 'ps', '-aq', '--filter', 'label=service']
/**
 * The read floor: what any drift check must ask each engine, in one session and two docker processes, with no
 * formatting and nothing parsed: the labelled containers, then their whole inspection and the configured images'.
 */
const READ_QUESTION = [
  'sh',
  '-c',
  `docker inspect $(docker ps -aq --filter label=service) ${IMAGES.map((i) => `${registry()}/${i}`).join(' ')} >/dev/null`,
]

/** `ssh host <command>` to every host at once, with berth's options: the floor (`true`), or the engine floor. */
async function floor(/** @type {string[]} */ hosts, /** @type {string} */ sshConfig, command = ['true']) {
  const start = process.hrtime.bigint()
  const codes = await Promise.all(
    hosts.map(
      (host) =>
        new Promise((resolve) => {
          const child = spawn(
            'ssh',
            [
              ...['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-F', sshConfig, '-l', 'root', '-n', host],
              ...['--', ...command],
            ],
            { stdio: 'ignore' },
          )
          child.on('close', resolve)
        }),
    ),
  )
  if (codes.some((c) => c !== 0)) throw new Error(`floor: ssh failed on some host (${codes.join(',')})`)
  return Number(process.hrtime.bigint() - start) / 1e6
}

const median = (/** @type {number[]} */ v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? NaN
const s = (/** @type {number} */ ms) => (ms / 1000).toFixed(2)

/** @typedef {{ run: string, hosts: number, berth: number, berthZx: number, floor: number, engineFloor: number, readFloor: number, perHost: string, rss: number, cpu: number, exit: string }} Row */
/** @type {Row[]} */
const rows = []

/**
 * Verbs that only read here (boot has nothing to boot) on `hosts`, each beside the floor measured in the same loop.
 * @param {string} dir @param {{ addr: string, sshdLog: string }[]} hosts @param {string} sshConfig @param {number} n
 * @param {string[]} verbs
 */
async function readRuns(dir, hosts, sshConfig, n, verbs = ['boot', 'check', 'details']) {
  const addrs = hosts.map((h) => h.addr)
  for (const verb of verbs) {
    /** @type {number[]} */
    const times = []
    /** @type {number[]} */
    const floors = []
    /** @type {number[]} */
    const engineFloors = []
    /** @type {number[]} */
    const readFloors = []
    /** @type {number[]} */
    const viaZx = []
    let rss = 0
    /** @type {number[]} */
    const cpu = []
    const exits = new Set()
    const before = sshdCounts(hosts)
    for (let i = 0; i < n; i++) {
      floors.push(await floor(addrs, sshConfig))
      engineFloors.push(await floor(addrs, sshConfig, ENGINE_QUESTION))
      readFloors.push(await floor(addrs, sshConfig, READ_QUESTION))
      // The script run directly (`./scripts/accessory-check.mjs`, a node script), then as `zx script`.
      /** @type {Array<[string[], number[]]>} */
      const ways = [
        [[process.execPath, script(verb)], times],
        [[zx, script(verb)], viaZx],
      ]
      for (const [command, into] of ways) {
        const r = await measured([...command, 'all', '-q'], dir)
        if (r.code !== 0 && r.code !== 2)
          throw new Error(`${verb} on ${hosts.length} hosts exited ${r.code}:\n${r.out.slice(-2000)}`)
        exits.add(r.code)
        into.push(r.ms)
        if (into === times) cpu.push(r.cpuMs)
        rss = Math.max(rss, r.rssMb)
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 300)) // sshd logs a session just after it starts
    const after = sshdCounts(hosts)
    // Each of the three floors opens one connection and one session per host per loop; the rest is berth's two runs.
    const perRun = (/** @type {number} */ v) => Math.round((v / (2 * n)) * 10) / 10
    const conns = after.map((a, i) => perRun(a.connections - before[i].connections - 3 * n))
    const sessions = after.map((a, i) => perRun(a.sessions - before[i].sessions - 3 * n))
    const span = (/** @type {number[]} */ v) =>
      Math.min(...v) === Math.max(...v) ? `${Math.min(...v)}` : `${Math.min(...v)}–${Math.max(...v)}`
    rows.push({
      run: verb === 'boot' ? 'no-op `boot all`' : `\`${verb} all\``,
      hosts: hosts.length,
      berth: median(times),
      berthZx: median(viaZx),
      floor: median(floors),
      engineFloor: median(engineFloors),
      readFloor: median(readFloors),
      perHost: `${span(conns)} / ${span(sessions)}`,
      rss,
      cpu: median(cpu),
      exit: [...exits].join(','),
    })
    const row = /** @type {Row} */ (rows.at(-1))
    console.log(
      `${String(row.hosts).padStart(3)} hosts ${row.run.padEnd(18)} berth ${s(row.berth)} s (zx ${s(row.berthZx)} s)  floor ${s(row.floor)} s  engine floor ${s(row.engineFloor)} s  ×${(row.berth / row.engineFloor).toFixed(2)}  read floor ${s(row.readFloor)} s  ×${(row.berth / row.readFloor).toFixed(2)}  conn/sess per host ${row.perHost}  RSS ${row.rss.toFixed(0)} MB  exit ${row.exit}`,
    )
  }
}

await assertLabUp()
await resetLab()
const lab = labHosts()
const notes = []

// Start-up: --help beside an empty zx script, both through node_modules/.bin/zx.
const emptyDir = mkdtempSync(path.join(tmpdir(), 'berth-bench-empty-'))
writeFileSync(path.join(emptyDir, 'empty.mjs'), '')
/** @type {{ help: number[], empty: number[], node: number[] }} */
const startup = { help: [], empty: [], node: [] }
for (let i = 0; i < 15; i++) {
  startup.empty.push((await measured([zx, path.join(emptyDir, 'empty.mjs')], emptyDir)).ms)
  startup.help.push((await measured([zx, script('boot'), '--help'], emptyDir)).ms)
  startup.node.push((await measured([process.execPath, '-e', '1'], emptyDir)).ms)
}
console.log(
  `--help ${median(startup.help).toFixed(0)} ms, empty zx script ${median(startup.empty).toFixed(0)} ms, node -e 1 ${median(startup.node).toFixed(0)} ms`,
)

// The lab: 5 accessories on 1 and on 3 hosts.
const dir3 = project(
  lab.map((h) => h.addr),
  sshConfigPath(),
)
const first = await measured([zx, script('boot'), 'all', '-q'], dir3)
if (first.code !== 0) throw new Error(`first boot failed (exit ${first.code}):\n${first.out}`)
console.log(`first boot (15 containers created, images pulled): ${s(first.ms)} s`)
await readRuns(project([lab[0].addr], sshConfigPath()), [lab[0]], sshConfigPath(), reps)
await readRuns(dir3, lab, sshConfigPath(), reps)

// Reboot of one accessory on one host: whole command, connections/sessions, downtime beside docker restart.
const host = lab[0].addr
const rebootDir = project([host], sshConfigPath())
/** @type {{ wall: number[], down: number[], restart: number[], rss: number }} */
const reboot = { wall: [], down: [], restart: [], rss: 0 }
const rebootBefore = sshdCounts([lab[0]])
const rebootRounds = Math.max(4, reps - (reps % 2)) // even: a1 ends on the image it started with
for (let i = 0; i < rebootRounds; i++) {
  writeConfig(rebootDir, [host], sshConfigPath(), i % 2 === 0 ? '17' : '16')
  let since = await engineTime(host)
  const r = await measured([zx, script('reboot'), 'a1', '-y', '-q'], rebootDir)
  if (r.code !== 0) throw new Error(`reboot exited ${r.code}: ${r.out}`)
  reboot.wall.push(r.ms)
  reboot.rss = Math.max(reboot.rss, r.rssMb)
  reboot.down.push(await downtimeMs(host, 'bench-a1', since))
  since = await engineTime(host)
  const restart = spawnSync('ssh', ['-F', sshConfigPath(), host, 'docker', 'restart', 'bench-a1'], { encoding: 'utf8' })
  if (restart.status !== 0) throw new Error(`docker restart failed: ${restart.stderr}`)
  reboot.restart.push(await downtimeMs(host, 'bench-a1', since))
}
// The docker restarts went over ssh too: one connection and one session each.
await new Promise((resolve) => setTimeout(resolve, 300))
const rebootAfter = sshdCounts([lab[0]])[0]
const perRound = (/** @type {number} */ n) => Math.round((n / rebootRounds) * 10) / 10
const rebootConns = perRound(rebootAfter.connections - rebootBefore[0].connections - rebootRounds)
const rebootSessions = perRound(rebootAfter.sessions - rebootBefore[0].sessions - rebootRounds)
const ratio = median(reboot.down) / median(reboot.restart)
console.log(
  `reboot a1 on 1 host: whole command ${s(median(reboot.wall))} s; downtime ${median(reboot.down).toFixed(0)} ms vs docker restart ${median(reboot.restart).toFixed(0)} ms (×${ratio.toFixed(2)}); ${rebootConns} connection(s), ${rebootSessions} sessions`,
)

// Scale: 20, 50 and 200 hosts (or those given) on one engine.
if (scaleCounts.length) {
  try {
    const scale = await startScale(Math.max(...scaleCounts), { log: (m) => console.log(m) })
    for (const n of scaleCounts) {
      const hosts = scale.slice(0, n)
      await readRuns(
        project(
          hosts.map((h) => h.addr),
          scaleSshConfig(),
        ),
        hosts,
        scaleSshConfig(),
        scaleReps(n),
      )
    }
  } finally {
    await stopScale({ log: (m) => console.log(m) })
  }
}

// Growth per host, from the fewest to the most scale hosts (details).
const at = (/** @type {number} */ n, /** @type {string} */ run) =>
  /** @type {Row} */ (rows.find((r) => r.hosts === n && r.run === run))
const [fewest, most] = [Math.min(...scaleCounts), Math.max(...scaleCounts)]
if (most > fewest) {
  const [dFew, dMost] = [at(fewest, '`details all`'), at(most, '`details all`')]
  const perHost = (/** @type {number} */ a, /** @type {number} */ b) => (b - a) / (most - fewest)
  const berthMsPerHost = perHost(dFew.berth, dMost.berth)
  const floorMsPerHost = perHost(dFew.floor, dMost.floor)
  const engineMsPerHost = perHost(dFew.engineFloor, dMost.engineFloor)
  const readMsPerHost = perHost(dFew.readFloor, dMost.readFloor)
  const cpuMsPerHost = perHost(dFew.cpu, dMost.cpu)
  const rssKbPerHost = perHost(dFew.rss, dMost.rss) * 1024
  notes.push(
    `From ${fewest} to ${most} hosts a read-only run (\`details all\`) grows by ${berthMsPerHost.toFixed(1)} ms of wall time and ${rssKbPerHost.toFixed(0)} KB of peak RSS per host ` +
      `(${dMost.rss.toFixed(0)} MB at ${most} hosts), the engine floor by ${engineMsPerHost.toFixed(1)} ms and the read floor by ${readMsPerHost.toFixed(1)} ms. Of berth's milliseconds, about ${floorMsPerHost.toFixed(1)} are the ssh handshake (what the \`ssh true\` floor grows by: ` +
      `client and server crypto, here on the same 2 cores), ${(readMsPerHost - floorMsPerHost).toFixed(1)} the two remote \`docker\` processes (what the read floor adds to it, all on the scale lab's one shared engine; real hosts run theirs on their own cores), ` +
      `and ${cpuMsPerHost.toFixed(1)} berth's own CPU (starting an ssh client, parsing the \`docker inspect\` output, judging). ` +
      'Past 200 hosts the ssh handshakes on the control machine dominate; output parsing stays a small part.',
  )
}

const table = [
  '| run | hosts | berth | through zx | ssh floor | engine floor | berth / engine floor | read floor | berth / read floor | connections / sessions per host | peak RSS | exit |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.run} | ${r.hosts} | ${s(r.berth)} s | ${s(r.berthZx)} s | ${s(r.floor)} s | ${s(r.engineFloor)} s | ${(r.berth / r.engineFloor).toFixed(2)}× | ${s(r.readFloor)} s | ${(r.berth / r.readFloor).toFixed(2)}× | ${r.perHost} | ${r.rss.toFixed(0)} MB | ${r.exit} |`,
  ),
  `| \`reboot a1 -y\`, whole command | 1 | — | ${s(median(reboot.wall))} s | — | — | — | — | — | ${rebootConns} / ${rebootSessions} | ${reboot.rss.toFixed(0)} MB | 0 |`,
]
const oneHost = rows.find((r) => r.hosts === 1 && r.run === '`check all`')
if (oneHost)
  notes.unshift(
    `One host, \`check all\`: ${((oneHost.berth - oneHost.floor) * 1).toFixed(0)} ms over one ssh round trip (\`ssh host true\`) run directly, ` +
      `${(oneHost.berthZx - oneHost.floor).toFixed(0)} ms through zx's CLI.`,
  )
const text = [
  '# `npm run bench` results',
  '',
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on this machine (${(await import('node:os')).cpus().length} cores, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} at the end), Node ${process.version}, ${spawnSync('ssh', ['-V'], { encoding: 'utf8' }).stderr.trim().split(',')[0]}.`,
  `Medians of ${reps} runs (${scaleCounts.map((n) => `${n} hosts: ${scaleReps(n)}`).join(', ') || 'no scale lab'}), each beside three floors measured in the same loop with berth's ssh options, to every host at once: ` +
    'the ssh floor `ssh host true`; the engine floor `ssh host docker ps -aq --filter label=service` (one handshake and one question to the engine); ' +
    "and the read floor `ssh host sh -c 'docker inspect $(docker ps -aq --filter label=service) <the five configured images> >/dev/null'` " +
    '(what any drift check must ask: the labelled containers, then their settings and the images, in two docker processes, nothing formatted or parsed).',
  '"berth" is the script run directly (`node scripts/accessory-check.mjs all -q`, as `./scripts/accessory-check.mjs` runs it); "through zx" the same through `node_modules/.bin/zx`, as `npx zx` runs it (npx itself not counted).',
  "1 and 3 hosts are the lab's own hosts (an engine each, everything in sync: exit 0); 20, 50 and 200 are a scale lab whose hosts share one engine,",
  "so every accessory there is reported as drift (each host's `KAMAL_HOST` differs from the shared containers'): exit 2, nothing changed.",
  "Connections and sessions are counted in the sshd logs (berth's own, the floors' taken out).",
  '',
  ...table,
  '',
  `Start-up: \`--help\` ${median(startup.help).toFixed(0)} ms, an empty zx script ${median(startup.empty).toFixed(0)} ms (both through \`node_modules/.bin/zx\`), \`node -e 1\` ${median(startup.node).toFixed(0)} ms.`,
  '',
  `Reboot of one accessory on one host (${rebootRounds} rounds, image alternating postgres:16 ↔ postgres:17): whole command ${s(median(reboot.wall))} s (pull, create beside, swap, 1 s settle check, removal of the old one, lock); ` +
    `downtime (old container's \`kill\` → new container's \`start\`, from \`docker events\`) ${median(reboot.down).toFixed(0)} ms beside \`docker restart\`'s ${median(reboot.restart).toFixed(0)} ms: ×${ratio.toFixed(2)}.`,
  '',
  ...notes,
  '',
  'Re-run: `npm run lab:start && npm run bench` (or `make bench`); `node scripts/bench.mjs 3` for fewer repetitions, `node scripts/bench.mjs 3 20,50` for only those scale host counts.',
  '',
].join('\n')
mkdirSync(path.join(repo, 'bench'), { recursive: true })
writeFileSync(path.join(repo, 'bench/RESULTS.md'), text)
console.log(`\n${text}`)
console.log('written to bench/RESULTS.md')
