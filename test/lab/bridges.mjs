// Kernel bridges of lab engines. Every lab engine shares this machine's network namespace; each
// user-defined bridge network (berth's `kamal`) is a kernel bridge `br-<first 12 hex of its id>` with a
// subnet from docker's default pools (about 31). An engine that exits never removes it, so:
//   - `lab stop` records its own engines' network ids while they run and deletes those bridges after;
//   - `lab start` sweeps `br-<12 hex>` bridges that no running dockerd on this machine owns, and only
//     when every running dockerd answered (a wrong deletion breaks someone else's lab);
//   - `lab start` says in one line when the pools are exhausted anyway.
// Facts: /work/shared/reference/real-hosts-lab.md, "Trap: engines that are killed leave their bridges behind".

import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** How long a running dockerd gets to list its networks before the sweep gives up. */
export const ASK_TIMEOUT_MS = 3000
/** The message dockerd gives when no default pool is free. */
export const POOLS_EXHAUSTED = 'could not find an available, non-overlapping IPv4 address pool'
const DOCKER_BRIDGE = /^br-[0-9a-f]{12}$/
const DEFAULT_HOST = 'unix:///var/run/docker.sock'

/**
 * @param {string} cmd @param {string[]} args @param {number} timeoutMs
 * @returns {Promise<{ exitCode: number, stdout: string, stderr: string }>}
 */
function exec(cmd, args, timeoutMs) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env }
  for (const k of Object.keys(env))
    if (/^(http|https|all|no)_proxy$/i.test(k) || k === 'DOCKER_HOST' || k === 'DOCKER_CONTEXT') delete env[k]
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = /** @type {any} */ (err)
        const exitCode = !err ? 0 : typeof e.code === 'number' ? e.code : 1
        const why =
          !err || typeof e.code === 'number'
            ? ''
            : e.killed
              ? ` no answer within ${timeoutMs / 1000}s`
              : ` ${err.message}`
        resolve({ exitCode, stdout: String(stdout), stderr: String(stderr) + why })
      },
    ).stdin?.end()
  })
}

// ---------------------------------------------------------------- pure helpers

/** The kernel bridge docker creates for a network id. @param {string} networkId */
export function bridgeName(networkId) {
  return `br-${networkId.slice(0, 12)}`
}

/** Only names docker itself gives (`br-` + 12 lowercase hex) are ever deleted. @param {string} name */
export function isDockerBridgeName(name) {
  return DOCKER_BRIDGE.test(name)
}

/**
 * Bridges named like docker's that no answering engine owns.
 * @param {string[]} bridges interface names @param {Iterable<string>} ownedIds network ids of running engines
 */
export function leftoverBridges(bridges, ownedIds) {
  const owned = new Set([...ownedIds].map(bridgeName))
  return bridges.filter((b) => isDockerBridgeName(b) && !owned.has(b))
}

/**
 * The API endpoints a dockerd listens on, from its argv (`-H x`, `-H=x`, `-Hx`, `--host x`, `--host=x`), else
 * from its config file's `hosts`, else docker's default socket. `fd://` (systemd) means the default socket.
 * @param {string[]} argv the dockerd's argv, argv[0] included
 * @param {(file: string) => string | undefined} [readFile] reads a config file (tests pass their own)
 * @returns {string[]}
 */
export function dockerdHosts(argv, readFile = readIfExists) {
  /** @type {string[]} */
  const hosts = []
  let configFile = '/etc/docker/daemon.json'
  for (let i = 1; i < argv.length; i++) {
    const a = /** @type {string} */ (argv[i])
    const value = () => /** @type {string | undefined} */ (argv[++i])
    let m
    if (a === '-H' || a === '--host') hosts.push(value() ?? '')
    else if ((m = /^(?:--host=|-H=?)(.+)$/.exec(a))) hosts.push(/** @type {string} */ (m[1]))
    else if (a === '--config-file') configFile = value() ?? configFile
    else if ((m = /^--config-file=(.+)$/.exec(a))) configFile = /** @type {string} */ (m[1])
  }
  if (!hosts.length) {
    try {
      const cfg = JSON.parse(readFile(configFile) ?? '{}')
      if (Array.isArray(cfg.hosts)) hosts.push(...cfg.hosts.filter((/** @type {unknown} */ h) => typeof h === 'string'))
    } catch {
      /* unreadable config: the default socket */
    }
  }
  const normal = hosts.filter(Boolean).map((h) => (h.startsWith('fd://') || h === 'unix://' ? DEFAULT_HOST : h))
  return normal.length ? [...new Set(normal)] : [DEFAULT_HOST]
}

/** @param {string} file */
function readIfExists(file) {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

// ---------------------------------------------------------------- this machine

/** Bridge interfaces in this network namespace, named like docker's (`br-<12 hex>`). */
export async function dockerBridges() {
  const r = await exec('ip', ['-o', 'link', 'show', 'type', 'bridge'], 5000)
  if (r.exitCode !== 0) throw new Error(`ip -o link show type bridge failed: ${r.stderr.trim()}`)
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n) => n !== undefined && isDockerBridgeName(n))
    .map(String)
}

/**
 * @typedef {object} RunningEngine
 * @property {number} pid
 * @property {string[]} hosts  its API endpoints (`unix:///...`, `tcp://...`)
 * @property {string} label    for messages: the lab dir for lab engines, else `dockerd <pid> (<host>)`
 * @property {string} [labNet] a lab engine's address block (its socket is <lab>/hosts/<net>.<n>/docker.sock)
 */

/** @param {string} p */
function netns(p) {
  try {
    return fs.readlinkSync(`/proc/${p}/ns/net`)
  } catch {
    return undefined
  }
}

/**
 * Every running dockerd in this network namespace (one in another namespace, e.g. rootless or inside a
 * container, cannot own our bridges). Zombies are skipped.
 * @returns {RunningEngine[]}
 */
export function runningEngines() {
  const ours = netns('self')
  /** @type {RunningEngine[]} */
  const engines = []
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    let argv, stat
    try {
      argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0')
      stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
    } catch {
      continue
    }
    if (argv.at(-1) === '') argv.pop()
    if (path.basename(argv[0] ?? '') !== 'dockerd') continue
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
    if (state === 'Z' || state === 'X') continue
    const theirs = netns(d)
    if (ours && theirs && ours !== theirs) continue
    let cwd = '/'
    try {
      cwd = fs.readlinkSync(`/proc/${d}/cwd`)
    } catch {
      /* keep / */
    }
    const hosts = dockerdHosts(argv).map((h) =>
      h.startsWith('unix://') && !h.startsWith('unix:///') ? `unix://${path.resolve(cwd, h.slice(7))}` : h,
    )
    engines.push({ pid: Number(d), hosts, ...engineLabel(Number(d), hosts) })
  }
  return engines.sort((a, b) => a.pid - b.pid)
}

/** @param {number} pid @param {string[]} hosts @returns {{ label: string, labNet?: string }} */
function engineLabel(pid, hosts) {
  for (const h of hosts) {
    const m = /^unix:\/\/(.+)\/hosts\/(127\.\d+\.\d+)\.\d+\/docker\.sock$/.exec(h)
    if (m) return { label: /** @type {string} */ (m[1]), labNet: /** @type {string} */ (m[2]) }
  }
  return { label: `dockerd ${pid} (${hosts[0]})` }
}

/**
 * Ask one engine for all its network ids, trying each endpoint.
 * @param {RunningEngine} e
 * @returns {Promise<{ ok: true, ids: string[] } | { ok: false, why: string }>}
 */
export async function askEngine(e) {
  let why = ''
  for (const host of e.hosts) {
    const r = await exec('docker', ['-H', host, 'network', 'ls', '--no-trunc', '-q'], ASK_TIMEOUT_MS)
    if (r.exitCode === 0)
      return {
        ok: true,
        ids: r.stdout
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean),
      }
    why = r.stderr.trim().split('\n').at(-1) || `exit ${r.exitCode}`
  }
  return { ok: false, why }
}

/**
 * Delete bridges (`ip link delete`); one that is already gone counts as deleted.
 * @param {string[]} names
 * @returns {Promise<{ removed: string[], failed: string[] }>}
 */
export async function deleteBridges(names) {
  /** @type {string[]} */
  const removed = []
  /** @type {string[]} */
  const failed = []
  for (const name of names) {
    if (!isDockerBridgeName(name))
      throw new Error(`refusing to delete ${JSON.stringify(name)}: not a docker bridge name`)
    const r = await exec('ip', ['link', 'delete', 'dev', name], 5000)
    if (r.exitCode === 0 || !(await dockerBridges()).includes(name)) removed.push(name)
    else failed.push(`${name} (${r.stderr.trim()})`)
  }
  return { removed, failed }
}

/**
 * @typedef {object} SweepResult
 * @property {string[]} removed      leftover bridges deleted
 * @property {string | undefined} skipped  why nothing was deleted (an engine could not be asked), if so
 * @property {Map<string, string>} owners  bridge name → label of the running engine that owns it
 * @property {Map<string, string>} labNets  lab dir → its address block, for the labs among the owners
 * @property {string[]} failed       leftovers that could not be deleted
 */

/**
 * Ask every running dockerd for its networks: all must answer.
 * @returns {Promise<{ engines: RunningEngine[], owners: Map<string, string>, labNets: Map<string, string>, ids: string[], unasked: { who: string, why: string }[] }>}
 */
async function survey() {
  const engines = runningEngines()
  const answers = await Promise.all(engines.map(askEngine))
  /** @type {Map<string, string>} */
  const owners = new Map()
  /** @type {Map<string, string>} */
  const labNets = new Map(engines.flatMap((e) => (e.labNet ? [[e.label, e.labNet]] : [])))
  /** @type {string[]} */
  const ids = []
  /** @type {{ who: string, why: string }[]} */
  const unasked = []
  answers.forEach((a, i) => {
    const e = /** @type {RunningEngine} */ (engines[i])
    if (!a.ok) unasked.push({ who: `dockerd ${e.pid} (${e.hosts[0]})`, why: a.why })
    else
      for (const id of a.ids) {
        ids.push(id)
        owners.set(bridgeName(id), e.label)
      }
  })
  return { engines, owners, labNets, ids, unasked }
}

/** @param {{ who: string }[]} unasked */
const didNotAnswer = (unasked) => `${unasked.map((u) => u.who).join(', ')} did not answer`

/**
 * Delete the `br-<12 hex>` bridges that no running dockerd on this machine owns. Deletes nothing when
 * any running dockerd cannot be asked (hangs, errors, or is still starting), or when the set of running
 * dockerds changes while looking.
 * @param {{ log?: (msg: string) => void }} [opts]
 * @returns {Promise<SweepResult>}
 */
export async function sweepLeftoverBridges(opts = {}) {
  const log = opts.log ?? ((m) => console.log(m))
  const bridges = await dockerBridges()
  const first = await survey()
  /** @type {SweepResult} */
  const result = { removed: [], skipped: undefined, owners: first.owners, labNets: first.labNets, failed: [] }
  if (first.unasked.length) {
    result.skipped = didNotAnswer(first.unasked)
    const loose = leftoverBridges(bridges, first.ids)
    if (loose.length)
      log(
        `lab: leftover-bridge sweep skipped, ${result.skipped} (${first.unasked.map((u) => u.why).join('; ')}); kept ${loose.join(' ')}`,
      )
    return result
  }
  let candidates = leftoverBridges(bridges, first.ids)
  if (!candidates.length) return result
  // Look again: an engine that started, or a network created, since the first look keeps its bridge.
  const second = await survey()
  const samePids = second.engines.map((e) => e.pid).join() === first.engines.map((e) => e.pid).join()
  if (second.unasked.length || !samePids) {
    result.skipped = second.unasked.length ? didNotAnswer(second.unasked) : 'the running engines changed while looking'
    log(`lab: leftover-bridge sweep skipped, ${result.skipped}; kept ${candidates.join(' ')}`)
    return result
  }
  for (const [b, l] of second.owners) result.owners.set(b, l)
  for (const [d, n] of second.labNets) result.labNets.set(d, n)
  candidates = leftoverBridges(candidates, second.ids)
  const { removed, failed } = await deleteBridges(candidates)
  result.removed = removed
  result.failed = failed
  if (removed.length)
    log(`lab: removed ${removed.length} leftover bridges that no running engine owns: ${removed.join(' ')}`)
  if (failed.length) log(`lab: could not remove leftover bridges: ${failed.join('; ')}`)
  return result
}

/**
 * One line for exhausted pools: who holds the bridges and what to do.
 * @param {string[]} bridges docker-named bridges on this machine now
 * @param {SweepResult} sweep
 * @param {string} ownLab this lab's directory
 */
export function poolsExhaustedMessage(bridges, sweep, ownLab) {
  /** @type {Map<string, number>} */
  const byOwner = new Map()
  const loose = []
  for (const b of bridges) {
    const o = sweep.owners.get(b)
    if (o === undefined) loose.push(b)
    else byOwner.set(o, (byOwner.get(o) ?? 0) + 1)
  }
  const held = [...byOwner].map(([o, n]) => `${o === ownLab ? `${o} (this lab)` : o}: ${n}`).join(', ')
  /** @type {string[]} */
  const fixes = []
  if (loose.length)
    fixes.push(
      `delete the ${loose.length} owned by no engine that answered${sweep.skipped ? ` (sweep skipped: ${sweep.skipped})` : ''}: ` +
        loose.map((b) => `ip link delete ${b}`).join('; '),
    )
  const lab = (/** @type {string} */ dir) =>
    `BERTH_LAB_DIR=${dir} BERTH_LAB_NET=${sweep.labNets.get(dir) ?? '127.0.1'} node test/lab/lab.mjs`
  for (const o of byOwner.keys()) {
    if (o === ownLab) fixes.push(`remove this lab's networks: ${lab(o)} reset`)
    else if (o.startsWith('dockerd ')) fixes.push(`remove unused networks of ${o}: docker network prune`)
    else fixes.push(`stop a lab you no longer need: ${lab(o)} stop --purge`)
  }
  if (!fixes.length) fixes.push('other routes overlap 172.17-31.0.0/16 and 192.168.0.0/16 (see `ip route`)')
  return (
    `docker's default address pools are exhausted (network create on host1: ${POOLS_EXHAUSTED}): ` +
    `${bridges.length} br-* bridges on this machine${held ? `, held by running engines ${held}` : ''}; fix: ${fixes.join(', or ')}`
  )
}

// ---------------------------------------------------------------- a lab's own networks

/**
 * Read the network ids a lab recorded (`<addr> <id>` per line).
 * @param {string} file
 * @returns {string[]}
 */
export function readRecorded(file) {
  const text = readIfExists(file) ?? ''
  return [
    ...new Set(
      text
        .split('\n')
        .map((l) => l.trim().split(/\s+/).at(-1) ?? '')
        .filter((id) => /^[0-9a-f]{12,64}$/.test(id)),
    ),
  ]
}

/**
 * Append network ids to the lab's record, once each.
 * @param {string} file @param {{ addr: string, ids: string[] }[]} perHost
 */
export function record(file, perHost) {
  const known = new Set(readRecorded(file))
  const lines = perHost.flatMap(({ addr, ids }) => ids.filter((id) => !known.has(id)).map((id) => `${addr} ${id}\n`))
  if (lines.length) fs.appendFileSync(file, lines.join(''))
}
