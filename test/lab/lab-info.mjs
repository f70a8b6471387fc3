// Helpers for berth's end-to-end tests: where the lab is and how to look at it.
// The lab itself is started by `node test/lab/lab.mjs start` (see .ci/run).
// All paths follow $BERTH_LAB_DIR (default /tmp/berth-lab), read at call time.

import fs from 'node:fs'
import {
  labDir as coreLabDir,
  hostPaths,
  hostByAddr,
  clientPaths,
  registryAddress,
  engine,
  reset,
  LAB_NET,
  downPieces,
} from './lab.mjs'

/**
 * @typedef {object} LabHost
 * @property {string} name        'host1' | 'host2' | 'host3'
 * @property {string} addr        '127.0.1.11' | '127.0.1.12' | '127.0.1.13' (sshd on port 22)
 * @property {string} dockerHost  'unix://<lab>/hosts/<addr>/docker.sock', that host's own engine
 * @property {string} home        the remote login directory ($HOME of every ssh session)
 * @property {string} sshdLog     sshd log (LogLevel VERBOSE)
 * @property {string} dockerConfig that host's DOCKER_CONFIG (registry logins land in its config.json)
 */

/**
 * @typedef {object} DockerResult
 * @property {number} exitCode
 * @property {string} stdout
 * @property {string} stderr
 */

/** @returns {string} absolute lab directory */
export function labDir() {
  return coreLabDir()
}

/** @returns {string} the lab's address block, `$BERTH_LAB_NET` or '127.0.1' */
export function labNet() {
  return LAB_NET
}

/** @returns {LabHost[]} the three lab hosts, in order */
export function labHosts() {
  return hostPaths().map((h) => ({
    name: h.name,
    addr: h.addr,
    dockerHost: h.dockerHost,
    home: h.home,
    sshdLog: h.sshdLog,
    dockerConfig: h.dockerConfig,
  }))
}

/** @returns {string} the lab registry, '127.0.1.10:5000' (no auth, plain http) */
export function registry() {
  return registryAddress()
}

/** @returns {string} ssh client config to pass with `ssh -F` (User root, lab key, strict host-key checking, BatchMode) */
export function sshConfigPath() {
  return clientPaths().sshConfig
}

/**
 * Run `docker ARGS` against a host's engine directly (DOCKER_HOST, not through ssh).
 * Never throws: a failure is a non-zero exitCode.
 * @param {string} addr host address ('127.0.1.12') or name ('host2')
 * @param {string[]} args
 * @returns {Promise<DockerResult>}
 */
export async function hostDocker(addr, args) {
  let h
  try {
    h = hostByAddr(addr)
  } catch (err) {
    return { exitCode: 127, stdout: '', stderr: err instanceof Error ? err.message : String(err) }
  }
  return engine(h, args)
}

/**
 * The engine's own clock on a host, for `docker events --since/--until`.
 * @param {string} addr
 * @returns {Promise<string>}
 */
export async function engineTime(addr) {
  return (await hostDocker(addr, ['info', '--format', '{{.SystemTime}}'])).stdout.trim()
}

/**
 * A container's downtime from the engine's own events since `since`: the first `kill` of a container labelled
 * `service=<service>` to the last `start`, in milliseconds. Read 100 ms after the action, so its events are in.
 * @param {string} addr
 * @param {string} service
 * @param {string} since an engineTime()
 * @returns {Promise<number>}
 */
export async function downtimeMs(addr, service, since) {
  await new Promise((resolve) => setTimeout(resolve, 100))
  const until = await engineTime(addr)
  const r = await hostDocker(addr, [
    'events',
    '--since',
    since,
    '--until',
    until,
    '--filter',
    'type=container',
    '--filter',
    `label=service=${service}`,
    '--format',
    '{{.Action}} {{.TimeNano}}',
  ])
  const events = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
  const kill = events.find(([action]) => action === 'kill')
  const start = events.filter(([action]) => action === 'start').at(-1)
  if (!kill || !start) throw new Error(`no kill/start events: ${r.stdout}`)
  return Number(BigInt(start[1]) - BigInt(kill[1])) / 1e6
}

/**
 * Lines of a host's sshd log (LogLevel VERBOSE) that `matches`.
 * @param {string} addr host address or name
 * @param {(line: string) => boolean} matches
 * @returns {number}
 */
function countLogLines(addr, matches) {
  let text
  try {
    text = fs.readFileSync(hostByAddr(addr).sshdLog, 'utf8')
  } catch {
    return 0
  }
  let n = 0
  for (const line of text.split('\n')) if (matches(line)) n++
  return n
}

/**
 * Number of accepted SSH connections so far on a host ('Accepted publickey' lines in its sshd log).
 * Take the difference before/after an action to count the connections it opened.
 * @param {string} addr host address or name
 * @returns {number}
 */
export function countAcceptedConnections(addr) {
  return countLogLines(addr, (line) => line.includes('Accepted publickey'))
}

/**
 * Number of ssh sessions started so far on a host ('Starting session:' lines: one per remote command, also
 * over a shared connection). Take the difference before/after an action.
 * @param {string} addr host address or name
 * @returns {number}
 */
export function countSessions(addr) {
  return countLogLines(addr, (line) => line.startsWith('Starting session:'))
}

/**
 * The pid of a host's dockerd (from this lab's pid file), e.g. to SIGSTOP that one engine.
 * @param {string} addr host address or name
 * @returns {number}
 */
export function dockerdPid(addr) {
  const pid = Number.parseInt(fs.readFileSync(hostByAddr(addr).dockerPid, 'utf8').trim(), 10)
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no dockerd pid for ${addr}`)
  return pid
}

/**
 * The pid of a host's sshd listener (from this lab's pid file), e.g. to SIGSTOP it: new connections then hang
 * before the banner, while connections already made keep working.
 * @param {string} addr host address or name
 * @returns {number}
 */
export function sshdPid(addr) {
  const pid = Number.parseInt(fs.readFileSync(hostByAddr(addr).sshdPid, 'utf8').trim(), 10)
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no sshd pid for ${addr}`)
  return pid
}

/**
 * Remove every container, non-default network, volume and image on each host engine,
 * and empty each host's HOME (and its DOCKER_CONFIG). Same as `lab.mjs reset`.
 * @returns {Promise<void>}
 */
export async function resetLab() {
  await reset()
}

/**
 * Throw a clear error unless every lab piece (3 dockerd, 3 sshd, registry) is running.
 * @returns {Promise<void>}
 */
export async function assertLabUp() {
  const down = downPieces()
  const missing = [sshConfigPath(), ...hostPaths().map((h) => h.authorizedKeys)].filter((f) => !fs.existsSync(f))
  if (down.length || missing.length)
    throw new Error(
      `berth e2e lab is not running in ${labDir()} (BERTH_LAB_DIR=${process.env.BERTH_LAB_DIR ?? 'unset'}):` +
        (down.length ? ` down: ${down.join(', ')};` : '') +
        (missing.length ? ` missing: ${missing.join(', ')};` : '') +
        ' start it with `node test/lab/lab.mjs start` (or run .ci/run)',
    )
  const probe = await hostDocker(labHosts()[0].addr, ['version', '--format', '{{.Server.Version}}'])
  if (probe.exitCode !== 0) throw new Error(`berth e2e lab: host1 engine does not answer: ${probe.stderr.trim()}`)
}
