#!/usr/bin/env node
// berth end-to-end lab: three real "hosts" on loopback (one dockerd + one sshd each)
// and one image registry, all under one lab directory.
//
//   node test/lab/lab.mjs start|stop [--purge]|status|reset|proxy [host...]
//
// Lab dir: $BERTH_LAB_DIR or /tmp/berth-lab. Every process is tracked by the pid
// in its pidfile and killed only by that pid (plus processes whose command line
// names this lab's own directories: dockerd's containerd and shims).
// Kernel bridges: `stop` deletes the ones its engines' networks made; `start` sweeps the ones no
// running engine owns and says when docker's address pools are exhausted (see bridges.mjs).
// Facts behind the choices: /work/shared/reference/real-hosts-lab.md

import { spawn, spawnSync, execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  POOLS_EXHAUSTED,
  bridgeName,
  deleteBridges,
  dockerBridges,
  poolsExhaustedMessage,
  readRecorded,
  record,
  sweepLeftoverBridges,
} from './bridges.mjs'

/**
 * The lab's address block: three octets of 127.0.0.0/8, `$BERTH_LAB_NET` (default 127.0.1). A second lab
 * (another BERTH_LAB_DIR) on another block, e.g. 127.0.2, runs beside the first.
 */
export const LAB_NET = labNet()
export const REGISTRY_ADDR = `${LAB_NET}.10`
export const REGISTRY_PORT = 5000
export const HOSTS = [
  { name: 'host1', addr: `${LAB_NET}.11` },
  { name: 'host2', addr: `${LAB_NET}.12` },
  { name: 'host3', addr: `${LAB_NET}.13` },
]

function labNet() {
  const net = process.env.BERTH_LAB_NET || '127.0.1'
  if (!/^127\.(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/.test(net))
    throw new Error(
      `BERTH_LAB_NET must be three octets inside 127.0.0.0/8 such as 127.0.2 (got ${JSON.stringify(net)})`,
    )
  return net
}
/**
 * The stand-in for kamal-proxy (test/lab/kamal-proxy.sh), as `kamal-proxy:<hash of the script>`: a changed script
 * is a new tag, so a registry kept from an earlier start never serves an old one.
 */
const PROXY_SCRIPT = new URL('./kamal-proxy.sh', import.meta.url)
export const PROXY_IMAGE = `kamal-proxy:${createHash('sha256').update(fs.readFileSync(PROXY_SCRIPT)).digest('hex').slice(0, 12)}`
/** Tags pushed to the lab registry (repository:tag, without the registry prefix). */
export const IMAGES = ['postgres:16', 'postgres:17', 'redis:7', 'redis:8', 'search:1', 'search:2', PROXY_IMAGE]

const DOCKER_TIMEOUT_MS = 30_000
const SSH_TIMEOUT_MS = 20_000
const REGISTRY_TIMEOUT_MS = 15_000
const STOP_TIMEOUT_MS = 15_000
const SUN_PATH_MAX = 107 // sizeof(sockaddr_un.sun_path) - 1

/** @returns {string} absolute lab directory */
export function labDir() {
  return path.resolve(process.env.BERTH_LAB_DIR || '/tmp/berth-lab')
}

/** @returns {string} */
export function registryAddress() {
  return `${REGISTRY_ADDR}:${REGISTRY_PORT}`
}

/**
 * @typedef {object} HostPaths
 * @property {string} name
 * @property {string} addr
 * @property {string} dir
 * @property {string} home
 * @property {string} dockerConfig
 * @property {string} dockerSock
 * @property {string} dockerHost
 * @property {string} dockerPid
 * @property {string} dockerLog
 * @property {string} daemonJson
 * @property {string} dataRoot
 * @property {string} execRoot
 * @property {string} sshdConfig
 * @property {string} sshdPid
 * @property {string} sshdLog
 * @property {string} hostKey
 * @property {string} authorizedKeys
 */

/** @returns {HostPaths[]} */
export function hostPaths() {
  const root = labDir()
  return HOSTS.map(({ name, addr }) => {
    const dir = path.join(root, 'hosts', addr)
    const dockerSock = path.join(dir, 'docker.sock')
    return {
      name,
      addr,
      dir,
      home: path.join(dir, 'home'),
      dockerConfig: path.join(dir, 'docker-config'),
      dockerSock,
      dockerHost: `unix://${dockerSock}`,
      dockerPid: path.join(dir, 'docker.pid'),
      dockerLog: path.join(dir, 'dockerd.log'),
      daemonJson: path.join(dir, 'daemon.json'),
      dataRoot: path.join(dir, 'data'),
      execRoot: path.join(dir, 'exec'),
      sshdConfig: path.join(dir, 'sshd_config'),
      sshdPid: path.join(dir, 'sshd.pid'),
      sshdLog: path.join(dir, 'sshd.log'),
      hostKey: path.join(dir, 'hostkey'),
      authorizedKeys: path.join(dir, 'authorized_keys'),
    }
  })
}

/** @param {string} addr */
export function hostByAddr(addr) {
  const h = hostPaths().find((x) => x.addr === addr || x.name === addr)
  if (!h) throw new Error(`lab: unknown host ${addr} (known: ${HOSTS.map((x) => x.addr).join(', ')})`)
  return h
}

export function clientPaths() {
  const root = labDir()
  return {
    key: path.join(root, 'id_ed25519'),
    knownHosts: path.join(root, 'known_hosts'),
    sshConfig: path.join(root, 'ssh_config'),
    registryDir: path.join(root, 'registry'),
    registryConfig: path.join(root, 'registry', 'config.yml'),
    registryData: path.join(root, 'registry', 'data'),
    registryPid: path.join(root, 'registry', 'registry.pid'),
    registryLog: path.join(root, 'registry', 'registry.log'),
    imageBuild: path.join(root, 'image-build'),
    /** `<addr> <network id>` lines: this lab's bridge networks, recorded by `stop` while the engines run */
    networks: path.join(root, 'bridge-networks'),
  }
}

// ---------------------------------------------------------------- processes

/** @param {string} file @returns {number | undefined} */
export function readPid(file) {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10)
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** @param {number} pid @returns {string} */
function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return ''
  }
}

/**
 * Alive, not a zombie, and (when given) its command line mentions `marker`
 * (guards against a recycled pid).
 * @param {number | undefined} pid
 * @param {string} [marker]
 */
export function alive(pid, marker) {
  if (!pid) return false
  let stat
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return false
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  if (state === 'Z' || state === 'X') return false
  return marker ? cmdline(pid).includes(marker) : true
}

/** @param {number} pid @returns {number | undefined} */
function ppidOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
  } catch {
    return undefined
  }
}

function allPids() {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
}

/**
 * pids whose command line mentions one of `markers`, plus all their descendants;
 * never this process or its ancestors.
 * @param {string[]} markers
 */
export function labProcessTree(markers) {
  const pids = allPids()
  const parent = new Map(pids.map((p) => [p, ppidOf(p)]))
  const self = new Set()
  for (let p = /** @type {number | undefined} */ (process.pid); p && !self.has(p); p = parent.get(p)) self.add(p)
  const found = new Set(pids.filter((p) => !self.has(p) && markers.some((m) => cmdline(p).includes(m))))
  let grew = true
  while (grew) {
    grew = false
    for (const p of pids) {
      const pp = parent.get(p)
      if (!found.has(p) && !self.has(p) && pp !== undefined && found.has(pp)) {
        found.add(p)
        grew = true
      }
    }
  }
  return [...found]
}

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** @param {number} pid @param {NodeJS.Signals} sig */
function signal(pid, sig) {
  try {
    process.kill(pid, sig)
  } catch {
    /* gone */
  }
}

/**
 * SIGTERM, wait up to `timeoutMs`, then SIGKILL and wait for exit.
 * @param {number[]} pids @param {number} timeoutMs
 * @returns {Promise<number[]>} pids that needed SIGKILL
 */
export async function terminate(pids, timeoutMs) {
  const live = pids.filter((p) => alive(p))
  for (const p of live) signal(p, 'SIGTERM')
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && live.some((p) => alive(p))) await sleep(50)
  const killed = live.filter((p) => alive(p))
  for (const p of killed) signal(p, 'SIGKILL')
  const hardDeadline = Date.now() + 5000
  while (Date.now() < hardDeadline && killed.some((p) => alive(p))) await sleep(50)
  return killed
}

/**
 * @typedef {{ exitCode: number, stdout: string, stderr: string }} RunResult
 * @param {string} cmd @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, timeoutMs?: number, input?: string }} [opts]
 * @returns {Promise<RunResult>}
 */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      {
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        killSignal: 'SIGKILL',
      },
      (err, stdout, stderr) => {
        const e = /** @type {any} */ (err)
        const exitCode = !err ? 0 : typeof e.code === 'number' ? e.code : 1
        resolve({
          exitCode,
          stdout: String(stdout),
          stderr: String(stderr) + (err && typeof e.code !== 'number' ? `\n${err.message}` : ''),
        })
      },
    )
    if (opts.input !== undefined) child.stdin?.end(opts.input)
    else child.stdin?.end()
  })
}

/** @param {string} cmd @param {string[]} args */
function runSyncOrDie(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  if (r.status !== 0)
    throw new LabError(
      `${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error?.message}`,
    )
  return r.stdout
}

export class LabError extends Error {}

/** @param {string} file @param {number} [lines] */
function tail(file, lines = 25) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n')
    return text
      .slice(-lines)
      .map((l) => `    | ${l}`)
      .join('\n')
  } catch {
    return `    | (no ${file})`
  }
}

/** @param {string} name */
function which(name) {
  for (const dir of (process.env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])) {
    const p = path.join(dir, name)
    try {
      fs.accessSync(p, fs.constants.X_OK)
      return p
    } catch {
      /* next */
    }
  }
  return undefined
}

/** Environment for lab daemons: no proxies (everything is loopback). */
export function daemonEnv() {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (/^(http|https|all|no)_proxy$/i.test(k)) delete env[k]
  env.PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  return env
}

/** @param {string} file @param {string[]} args @param {string} log @param {NodeJS.ProcessEnv} [env] */
function spawnDetached(file, args, log, env = daemonEnv()) {
  const fd = fs.openSync(log, 'a')
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', fd, fd], env })
    child.unref()
    return child.pid
  } finally {
    fs.closeSync(fd)
  }
}

/** Does something already accept TCP connections on addr:port? @param {string} addr @param {number} port */
export function listening(addr, port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: addr, port })
    const done = (/** @type {boolean} */ v) => {
      sock.destroy()
      resolve(v)
    }
    sock.once('connect', () => done(true))
    sock.once('error', () => done(false))
    sock.setTimeout(1000, () => done(false))
  })
}

/** @param {string} what @param {string} addr @param {number} port */
async function assertFree(what, addr, port) {
  if (await listening(addr, port))
    throw new LabError(
      `${what}: ${addr}:${port} is already in use by a process this lab (${labDir()}) did not start; ` +
        'is another lab running (other BERTH_LAB_DIR)? stop it with BERTH_LAB_DIR=<its dir> node test/lab/lab.mjs stop',
    )
}

/**
 * Poll `probe` until it succeeds, `ms` pass, or `died()` says the process is gone.
 * @param {number} ms @param {() => Promise<boolean>} probe @param {() => boolean} [died]
 * @returns {Promise<boolean>}
 */
async function waitFor(ms, probe, died = () => false) {
  const deadline = Date.now() + ms
  for (;;) {
    if (await probe()) return true
    if (Date.now() > deadline || died()) return await probe()
    await sleep(150)
  }
}

// ---------------------------------------------------------------- docker helpers

/** Run docker against a host's engine directly (not through ssh). @param {HostPaths} h @param {string[]} args @param {number} [timeoutMs] */
export function engine(h, args, timeoutMs) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...daemonEnv(), DOCKER_HOST: h.dockerHost, DOCKER_CONFIG: h.dockerConfig }
  delete env.DOCKER_CONTEXT
  return run('docker', args, { env, timeoutMs })
}

/** @param {string[]} args */
function sshArgs(args) {
  return ['-F', clientPaths().sshConfig, ...args]
}

// ---------------------------------------------------------------- start

function preflight() {
  const missing = [
    'dockerd',
    'containerd',
    'runc',
    'docker',
    'sshd',
    'ssh',
    'ssh-keygen',
    'docker-registry',
    'busybox',
    'ip',
  ].filter((b) => !which(b))
  if (missing.length)
    throw new LabError(
      `missing binaries: ${missing.join(', ')}\n  install: apt-get install -y --no-install-recommends docker.io openssh-server docker-registry busybox-static curl openssh-client iproute2`,
    )
  if (process.getuid && process.getuid() !== 0)
    throw new LabError('the lab must run as root (dockerd, sshd on port 22)')
  const longest = Math.max(...hostPaths().map((h) => `${h.execRoot}/containerd/containerd.sock.ttrpc`.length))
  if (longest > SUN_PATH_MAX - 4)
    throw new LabError(
      `lab dir ${labDir()} is too long for unix socket paths (${longest} chars); use a shorter BERTH_LAB_DIR such as /tmp/berth-lab.XXXX`,
    )
  if (fs.existsSync('/run/containerd/containerd.sock'))
    console.warn(
      'lab: warning: a system containerd runs (/run/containerd/containerd.sock); the lab engines would share it',
    )
}

/** @param {string} keyFile @param {string} comment */
function ensureKey(keyFile, comment) {
  if (fs.existsSync(keyFile) && fs.existsSync(`${keyFile}.pub`)) return
  fs.rmSync(keyFile, { force: true })
  fs.rmSync(`${keyFile}.pub`, { force: true })
  runSyncOrDie('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', keyFile])
}

/** @param {string} s */
const q = (s) => `"${s}"`

/** @param {HostPaths} h */
export function sshdConfigText(h) {
  return [
    '# berth lab sshd (generated by test/lab/lab.mjs)',
    'Port 22',
    `ListenAddress ${h.addr}`,
    `HostKey ${q(h.hostKey)}`,
    `AuthorizedKeysFile ${q(h.authorizedKeys)}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    `PidFile ${q(h.sshdPid)}`,
    'MaxStartups 200:30:400',
    'MaxSessions 200',
    `SetEnv ${q(`HOME=${h.home}`)} ${q(`DOCKER_HOST=${h.dockerHost}`)} ${q(`DOCKER_CONFIG=${h.dockerConfig}`)}`,
    'ForceCommand cd "$HOME" && eval "${SSH_ORIGINAL_COMMAND:-exec /bin/bash -l}"',
    'LogLevel VERBOSE',
    '',
  ].join('\n')
}

function writeClientFiles() {
  const c = clientPaths()
  const known = hostPaths()
    .map((h) => {
      const [type, key] = fs.readFileSync(`${h.hostKey}.pub`, 'utf8').trim().split(/\s+/)
      return `${h.addr} ${type} ${key}`
    })
    .join('\n')
  fs.writeFileSync(c.knownHosts, known + '\n')
  fs.writeFileSync(
    c.sshConfig,
    [
      '# berth lab ssh client config (generated by test/lab/lab.mjs)',
      `Host ${LAB_NET}.*`,
      '  User root',
      `  IdentityFile ${q(c.key)}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${q(c.knownHosts)}`,
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '',
    ].join('\n'),
  )
}

function registryConfigText() {
  const c = clientPaths()
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(c.registryData)}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${registryAddress()}`,
    '',
  ].join('\n')
}

/** @param {string} repoTag */
async function registryHas(repoTag) {
  const [repo, tag] = repoTag.split(':')
  try {
    const res = await fetch(`http://${registryAddress()}/v2/${repo}/manifests/${tag}`, {
      method: 'HEAD',
      headers: {
        Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
      },
      signal: AbortSignal.timeout(3000),
    })
    return res.status === 200
  } catch {
    return false
  }
}

async function registryUp() {
  try {
    const res = await fetch(`http://${registryAddress()}/v2/`, { signal: AbortSignal.timeout(2000) })
    return res.status === 200
  } catch {
    return false
  }
}

/** @param {HostPaths} h */
async function dockerUp(h) {
  const r = await engine(h, ['version', '--format', '{{.Server.Version}}'], 5000)
  return r.exitCode === 0 && r.stdout.trim() !== ''
}

/** @param {HostPaths} h @returns {Promise<RunResult>} */
function sshProbe(h) {
  return run('ssh', sshArgs(['-o', 'ConnectTimeout=5', h.addr, "docker version --format '{{.Server.Version}}'"]), {
    timeoutMs: 10_000,
  })
}

/** Build the lab images on host1's engine, push them, drop them from host1. @param {HostPaths} h1 */
async function ensureImages(h1) {
  const present = await Promise.all(IMAGES.map(registryHas))
  const missing = IMAGES.filter((_, i) => !present[i])
  if (!missing.length) return 'cached'
  const c = clientPaths()
  const busybox = fs.realpathSync(/** @type {string} */ (which('busybox')))
  const applets = runSyncOrDie(busybox, ['--list'])
    .split('\n')
    .filter((a) => /^[a-z0-9_.-]+$/i.test(a) && a !== 'busybox')
  const cmd = 'CMD ["/bin/sh","-c","trap \\"exit 0\\" TERM INT; sleep infinity & wait"]'
  for (const repoTag of missing) {
    const root = path.join(c.imageBuild, repoTag.replace(/[:/]/g, '_'))
    fs.rmSync(root, { recursive: true, force: true })
    for (const d of ['bin', 'tmp', 'etc', 'data']) fs.mkdirSync(path.join(root, d), { recursive: true })
    fs.copyFileSync(busybox, path.join(root, 'bin', 'busybox'))
    fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755)
    for (const a of applets) fs.symlinkSync('busybox', path.join(root, 'bin', a))
    fs.writeFileSync(path.join(root, 'VERSION'), `${repoTag}\n`)
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n')
    const proxy = repoTag === PROXY_IMAGE
    if (proxy) {
      fs.rmSync(path.join(root, 'bin', 'kamal-proxy'), { force: true })
      fs.copyFileSync(PROXY_SCRIPT, path.join(root, 'bin', 'kamal-proxy'))
      fs.chmodSync(path.join(root, 'bin', 'kamal-proxy'), 0o755)
    }
    const ref = `${registryAddress()}/${repoTag}`
    const tar = spawnSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 256 * 1024 * 1024 })
    if (tar.status !== 0) throw new LabError(`tar of ${root} failed: ${tar.stderr}`)
    const imp = spawnSync('docker', ['import', '-c', proxy ? 'CMD ["/bin/kamal-proxy","run"]' : cmd, '-', ref], {
      input: tar.stdout,
      encoding: 'utf8',
      env: { ...daemonEnv(), DOCKER_HOST: h1.dockerHost, DOCKER_CONFIG: h1.dockerConfig },
    })
    if (imp.status !== 0) throw new LabError(`docker import ${ref} failed: ${imp.stderr}`)
  }
  const pushes = await Promise.all(missing.map((t) => engine(h1, ['push', '--quiet', `${registryAddress()}/${t}`])))
  pushes.forEach((r, i) => {
    if (r.exitCode !== 0)
      throw new LabError(`docker push ${missing[i]} failed:\n${r.stderr}\n${tail(clientPaths().registryLog)}`)
  })
  await engine(h1, ['image', 'rm', '-f', ...missing.map((t) => `${registryAddress()}/${t}`)])
  fs.rmSync(c.imageBuild, { recursive: true, force: true })
  return `built ${missing.join(' ')}`
}

/**
 * Sweep the bridges no running engine owns, then create and remove a throwaway network on host1:
 * when docker's default pools are exhausted, fail with one line naming who holds them and the fix.
 * @param {HostPaths} h1 @param {(msg: string) => void} log
 */
async function checkPools(h1, log) {
  const sweep = await sweepLeftoverBridges({ log })
  const name = `berth-lab-probe-${process.pid}-${Date.now().toString(36)}`
  const made = await engine(h1, ['network', 'create', '--driver', 'bridge', name], 15_000)
  if (made.exitCode !== 0) {
    if (made.stderr.includes(POOLS_EXHAUSTED))
      throw new LabError(poolsExhaustedMessage(await dockerBridges(), sweep, labDir()))
    throw new LabError(`docker network create ${name} on ${h1.name} failed: ${made.stderr.trim()}`)
  }
  const removed = await engine(h1, ['network', 'rm', name], 15_000)
  if (removed.exitCode !== 0)
    throw new LabError(`docker network rm ${name} on ${h1.name} failed: ${removed.stderr.trim()}`)
}

/**
 * Start everything that is not already running. Idempotent.
 * @param {{ log?: (msg: string) => void }} [opts]
 */
export async function start(opts = {}) {
  const log = opts.log ?? ((m) => console.log(m))
  const t0 = Date.now()
  const since = () => `${((Date.now() - t0) / 1000).toFixed(2)}s`
  preflight()
  const root = labDir()
  const c = clientPaths()
  const hosts = hostPaths()
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 })
  fs.mkdirSync(c.registryData, { recursive: true })
  ensureKey(c.key, 'berth-lab-client')
  const clientPub = fs.readFileSync(`${c.key}.pub`, 'utf8')
  for (const h of hosts) {
    for (const d of [h.dir, h.home, h.dockerConfig]) fs.mkdirSync(d, { recursive: true })
    ensureKey(h.hostKey, `berth-lab-${h.name}`)
    fs.writeFileSync(h.authorizedKeys, clientPub)
    fs.writeFileSync(h.sshdConfig, sshdConfigText(h))
    fs.writeFileSync(h.daemonJson, '{}\n')
  }
  writeClientFiles()
  fs.writeFileSync(c.registryConfig, registryConfigText())

  // refuse to start next to a foreign listener (e.g. another lab dir on the same addresses)
  await Promise.all([
    alive(readPid(c.registryPid), c.registryConfig) ? null : assertFree('registry', REGISTRY_ADDR, REGISTRY_PORT),
    ...hosts.map((h) => (alive(readPid(h.sshdPid), h.sshdConfig) ? null : assertFree(`sshd ${h.name}`, h.addr, 22))),
  ])

  // dockerd (slowest): start first, all in parallel
  const dockerd = /** @type {string} */ (which('dockerd'))
  /** @type {Map<string, number | undefined>} */
  const dockerdPids = new Map()
  for (const h of hosts) {
    dockerdPids.set(h.addr, readPid(h.dockerPid))
    if (alive(dockerdPids.get(h.addr), h.dataRoot)) continue
    fs.rmSync(h.dockerPid, { force: true })
    dockerdPids.set(
      h.addr,
      spawnDetached(
        dockerd,
        [
          '--data-root',
          h.dataRoot,
          '--exec-root',
          h.execRoot,
          '--pidfile',
          h.dockerPid,
          '-H',
          h.dockerHost,
          '--bridge',
          'none',
          '--iptables=false',
          '--ip-masq=false',
          '--config-file',
          h.daemonJson, // not /etc/docker/daemon.json
        ],
        h.dockerLog,
      ),
    )
    log(`lab: dockerd ${h.name} starting (${h.dockerHost})`)
  }

  // registry: does not daemonize, we record its pid
  if (!alive(readPid(c.registryPid), c.registryConfig)) {
    const pid = spawnDetached(
      /** @type {string} */ (which('docker-registry')),
      ['serve', c.registryConfig],
      c.registryLog,
    )
    fs.writeFileSync(c.registryPid, `${pid}\n`)
    log(`lab: registry starting on ${registryAddress()} (pid ${pid})`)
  }

  // sshd: daemonizes and writes its own pidfile; needs an absolute path to re-exec
  const sshd = /** @type {string} */ (which('sshd'))
  for (const h of hosts) {
    if (alive(readPid(h.sshdPid), h.sshdConfig)) continue
    fs.rmSync(h.sshdPid, { force: true })
    const r = spawnSync(sshd, ['-f', h.sshdConfig, '-E', h.sshdLog], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: daemonEnv(),
    })
    if (r.status !== 0)
      throw new LabError(`sshd ${h.name} (${h.addr}) failed to start (${r.status}): ${r.stderr}\n${tail(h.sshdLog)}`)
    log(`lab: sshd ${h.name} starting on ${h.addr}:22`)
  }

  // wait for readiness
  const failures = []
  const [regOk, ...dockOk] = await Promise.all([
    waitFor(REGISTRY_TIMEOUT_MS, registryUp, () => !alive(readPid(c.registryPid), c.registryConfig)),
    ...hosts.map((h) =>
      waitFor(
        DOCKER_TIMEOUT_MS,
        () => dockerUp(h),
        () => !alive(dockerdPids.get(h.addr), h.dataRoot),
      ),
    ),
  ])
  if (!regOk)
    failures.push(
      `registry ${registryAddress()} did not come up (exited or no answer within ${REGISTRY_TIMEOUT_MS / 1000}s):\n${tail(c.registryLog)}`,
    )
  hosts.forEach((h, i) => {
    if (!dockOk[i])
      failures.push(
        `dockerd ${h.name} (${h.dockerHost}) did not come up (exited or no answer within ${DOCKER_TIMEOUT_MS / 1000}s):\n${tail(h.dockerLog)}`,
      )
  })
  if (failures.length) throw new LabError(failures.join('\n'))
  log(`lab: engines + registry up (${since()})`)

  // beside the ssh wait: sweep leftover bridges, then make sure a network can still be created
  const pools = checkPools(hosts[0], log).then(
    () => undefined,
    (/** @type {unknown} */ err) => err,
  )

  /** @type {RunResult[]} */
  const last = []
  const sshOk = await Promise.all(
    hosts.map((h, i) =>
      waitFor(
        SSH_TIMEOUT_MS,
        async () => {
          last[i] = await sshProbe(h)
          return last[i].exitCode === 0 && /^\d+\.\d+/.test(last[i].stdout.trim())
        },
        () => !alive(readPid(h.sshdPid), h.sshdConfig),
      ),
    ),
  )
  hosts.forEach((h, i) => {
    if (!sshOk[i])
      failures.push(
        `ssh root@${h.addr} 'docker version' did not succeed within ${SSH_TIMEOUT_MS / 1000}s (exit ${last[i]?.exitCode}): ${last[i]?.stderr.trim()} ${last[i]?.stdout.trim()}\n${tail(h.sshdLog)}`,
      )
  })
  if (failures.length) throw new LabError(failures.join('\n'))
  const poolsError = await pools
  if (poolsError) throw poolsError
  log(`lab: ssh up on ${hosts.map((h) => h.addr).join(' ')} (${since()})`)

  const images = await ensureImages(hosts[0])
  log(`lab: images ${images} in ${registryAddress()} (${since()})`)
  log(`lab: ready in ${since()}  dir=${root}  ssh -F ${c.sshConfig} ${hosts[0].addr}`)
}

// ---------------------------------------------------------------- stop

/** Mount points under the lab dir, deepest first. */
function labMounts() {
  const root = labDir()
  const decode = (/** @type {string} */ s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)))
  return fs
    .readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => decode(l.split(' ')[1] ?? ''))
    .filter((m) => m === root || m.startsWith(root + '/'))
    .sort((a, b) => b.length - a.length)
}

/**
 * Stop every lab process (by pidfile, then any leftover process naming a lab path),
 * unmount what dockerd left behind, optionally remove the lab dir.
 * @param {{ purge?: boolean, log?: (msg: string) => void }} [opts]
 */
export async function stop(opts = {}) {
  const log = opts.log ?? ((m) => console.log(m))
  const root = labDir()
  const c = clientPaths()
  const hosts = hostPaths()
  // sshd listeners and their per-connection children
  /** @type {number[]} */
  const sshdPids = []
  for (const h of hosts) {
    const pid = readPid(h.sshdPid)
    if (alive(pid, h.sshdConfig)) sshdPids.push(...labProcessTree([h.sshdConfig]))
  }
  // a scale lab's sshd (test/lab/scale-lab.mjs, `npm run bench`) left running lives under this lab's dir too
  sshdPids.push(...labProcessTree([path.join(root, 'scale', 'hosts') + path.sep]))
  const regPid = readPid(c.registryPid)
  // record the engines' bridge networks while they still answer (their bridges outlive them), then
  // kill running containers (lab containers hold nothing worth a graceful stop), so a container that
  // ignores SIGTERM does not hold dockerd's shutdown for its 10 s stop timeout
  const networks = await Promise.all(
    hosts.map(async (h) => {
      if (!alive(readPid(h.dockerPid), h.dataRoot)) return { addr: h.addr, ids: [] }
      const ls = await engine(h, ['network', 'ls', '--no-trunc', '-q', '--filter', 'driver=bridge'], 5000)
      if (ls.exitCode !== 0)
        log(`lab: could not list ${h.name}'s networks (${ls.stderr.trim()}); the next lab start sweeps their bridges`)
      const ps = await engine(h, ['ps', '-q'], 5000)
      const ids = ps.stdout.split('\n').filter(Boolean)
      if (ids.length) await engine(h, ['kill', ...ids], 5000)
      return {
        addr: h.addr,
        ids:
          ls.exitCode === 0
            ? ls.stdout
                .split('\n')
                .map((s) => s.trim())
                .filter(Boolean)
            : [],
      }
    }),
  )
  if (fs.existsSync(root)) record(c.networks, networks)
  const dockPids = hosts.map((h) => readPid(h.dockerPid)).filter((p, i) => alive(p, hosts[i].dataRoot))
  const [k1, k2, k3] = await Promise.all([
    terminate(sshdPids, 5000),
    terminate(alive(regPid, c.registryConfig) ? [/** @type {number} */ (regPid)] : [], 5000),
    terminate(/** @type {number[]} */ (dockPids), STOP_TIMEOUT_MS),
  ])
  if (k1.length + k2.length + k3.length) log(`lab: needed SIGKILL for pids ${[...k1, ...k2, ...k3].join(' ')}`)
  // leftovers: containerd / shims / container processes of this lab (attributed by the
  // engines' exec roots in their argv: containerd --config, shim -address)
  const engineMarkers = hosts.map((h) => h.execRoot)
  const leftovers = labProcessTree(engineMarkers)
  if (leftovers.length) {
    log(`lab: stopping leftover lab processes ${leftovers.map((p) => `${p}(${cmdline(p).slice(0, 60)})`).join(', ')}`)
    await terminate(leftovers, 5000)
  }
  for (const m of labMounts()) {
    const r = spawnSync('umount', [m], { encoding: 'utf8' })
    if (r.status !== 0) spawnSync('umount', ['-l', m])
  }
  for (const f of [c.registryPid, ...hosts.flatMap((h) => [h.dockerPid, h.sshdPid])]) fs.rmSync(f, { force: true })
  const still = labProcessTree([...engineMarkers, ...hosts.map((h) => h.sshdConfig), c.registryConfig])
  const mounts = labMounts()
  // the engines have exited: delete the bridges of the networks they had (this lab's, never another's)
  /** @type {string[]} */
  let bridgesLeft = []
  if (!still.length) {
    const present = new Set(await dockerBridges())
    const own = [...new Set(readRecorded(c.networks).map(bridgeName))].filter((b) => present.has(b))
    const { removed, failed } = await deleteBridges(own)
    if (removed.length) log(`lab: removed this lab's bridges ${removed.join(' ')}`)
    bridgesLeft = failed
    if (!failed.length) fs.rmSync(c.networks, { force: true })
  }
  if (still.length || mounts.length || bridgesLeft.length)
    throw new LabError(
      `lab: stop left processes [${still.join(' ')}] mounts [${mounts.join(' ')}] bridges [${bridgesLeft.join(' ')}]`,
    )
  if (opts.purge) {
    fs.rmSync(root, { recursive: true, force: true })
    log(`lab: stopped and removed ${root}`)
  } else log(`lab: stopped (${root} kept; 'stop --purge' removes it)`)
}

// ---------------------------------------------------------------- status / reset

/** @returns {{ piece: string, pid: number | undefined, up: boolean }[]} */
export function status() {
  const c = clientPaths()
  const rows = []
  for (const h of hostPaths()) {
    const dp = readPid(h.dockerPid)
    rows.push({ piece: `dockerd ${h.name} ${h.addr}`, pid: dp, up: alive(dp, h.dataRoot) })
    const sp = readPid(h.sshdPid)
    rows.push({ piece: `sshd ${h.name} ${h.addr}:22`, pid: sp, up: alive(sp, h.sshdConfig) })
  }
  const rp = readPid(c.registryPid)
  rows.push({ piece: `registry ${registryAddress()}`, pid: rp, up: alive(rp, c.registryConfig) })
  return rows
}

/** @returns {string[]} pieces that are down (empty: all up) */
export function downPieces() {
  return status()
    .filter((r) => !r.up)
    .map((r) => r.piece)
}

/** @param {HostPaths} h */
async function resetHost(h) {
  /** @param {string[]} args */
  const ids = async (args) => {
    const r = await engine(h, args)
    if (r.exitCode !== 0) throw new LabError(`reset ${h.name}: docker ${args.join(' ')}: ${r.stderr}`)
    return [
      ...new Set(
        r.stdout
          .split('\n')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ]
  }
  /** @param {string[]} args */
  const must = async (args) => {
    const r = await engine(h, args)
    if (r.exitCode !== 0) throw new LabError(`reset ${h.name}: docker ${args.join(' ')}: ${r.stderr}`)
  }
  // Retried: dockerd 20.10 sometimes fails a removal that races a container's own shutdown.
  for (let attempt = 1; ; attempt++) {
    const containers = await ids(['ps', '-aq'])
    if (!containers.length) break
    const r = await engine(h, ['rm', '-f', '-v', ...containers])
    if (r.exitCode === 0) break
    if (attempt === 4) throw new LabError(`reset ${h.name}: docker rm -f -v: ${r.stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 300 * attempt))
  }
  const networks = await ids(['network', 'ls', '-q', '--filter', 'type=custom'])
  if (networks.length) await must(['network', 'rm', ...networks])
  const volumes = await ids(['volume', 'ls', '-q'])
  if (volumes.length) await must(['volume', 'rm', '-f', ...volumes])
  const images = await ids(['image', 'ls', '-aq'])
  if (images.length) await must(['image', 'rm', '-f', ...images])
  for (const d of [h.home, h.dockerConfig]) {
    fs.rmSync(d, { recursive: true, force: true })
    fs.mkdirSync(d, { recursive: true })
  }
}

/** @type {Promise<unknown> | undefined} one check (and build) per process, however many hosts start it at once */
let proxyImageReady

/**
 * Runs the kamal-proxy stand-in on a host as Kamal's `kamal proxy boot` runs kamal-proxy: container `kamal-proxy`
 * on the `kamal` network, its state in the `kamal-proxy-config` volume. Tests start it where they need it
 * (a lab reset removes it with everything else).
 * @param {HostPaths} h
 */
export async function startKamalProxy(h) {
  // A lab started before the stand-in changed (or before it existed) has no image of this script yet.
  await (proxyImageReady ??= ensureImages(hostPaths()[0]))
  const net = await engine(h, ['network', 'create', 'kamal'])
  if (net.exitCode !== 0 && !/already exists/.test(net.stderr))
    throw new LabError(`docker network create kamal on ${h.name}: ${net.stderr}`)
  const run = await engine(h, [
    'run',
    '--name',
    'kamal-proxy',
    '--network',
    'kamal',
    '--detach',
    '--restart',
    'unless-stopped',
    '--volume',
    'kamal-proxy-config:/home/kamal-proxy/.config/kamal-proxy',
    `${registryAddress()}/${PROXY_IMAGE}`,
  ])
  if (run.exitCode !== 0) throw new LabError(`docker run kamal-proxy on ${h.name}: ${run.stderr}`)
}

/** Remove all containers, custom networks, volumes and images on every host engine; empty each HOME. */
export async function reset() {
  const down = downPieces()
  if (down.length) throw new LabError(`lab is not running (down: ${down.join(', ')}); run: node test/lab/lab.mjs start`)
  await Promise.all(hostPaths().map(resetHost))
}

// ---------------------------------------------------------------- CLI

async function main() {
  const [cmd, ...rest] = process.argv.slice(2)
  const t0 = Date.now()
  const took = () => `${((Date.now() - t0) / 1000).toFixed(2)}s`
  try {
    switch (cmd) {
      case 'start':
        await start()
        break
      case 'stop':
        await stop({ purge: rest.includes('--purge') })
        console.log(`lab: stop took ${took()}`)
        break
      case 'reset':
        await reset()
        console.log(`lab: reset took ${took()}`)
        break
      case 'proxy': {
        // node test/lab/lab.mjs proxy [host1 host2 ...]: the kamal-proxy stand-in on those hosts (default: all)
        const hosts = hostPaths().filter((h) => !rest.length || rest.includes(h.name) || rest.includes(h.addr))
        await Promise.all(hosts.map(startKamalProxy))
        console.log(`lab: kamal-proxy stand-in running on ${hosts.map((h) => h.name).join(' ')}`)
        break
      }
      case 'status': {
        const rows = status()
        for (const r of rows) console.log(`${r.up ? 'up  ' : 'down'}  ${r.piece.padEnd(32)} pid ${r.pid ?? '-'}`)
        console.log(`lab dir ${labDir()}`)
        process.exitCode = rows.every((r) => r.up) ? 0 : 1
        break
      }
      default:
        console.error('usage: node test/lab/lab.mjs start|stop [--purge]|status|reset|proxy [host...]')
        process.exitCode = 2
    }
  } catch (err) {
    console.error(
      `lab ${cmd} FAILED: ${err instanceof LabError ? err.message : err instanceof Error ? err.stack : err}`,
    )
    if (cmd === 'start')
      console.error('lab: pieces that did start are left running; `node test/lab/lab.mjs stop` stops them')
    process.exitCode = 1
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href) await main()
