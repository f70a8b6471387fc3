// `ssh.key_data`: keys that live in secrets (the usual CI pattern) are loaded into a private `ssh-agent` for
// the run, never written to disk or put in an argv: the agent listens on a socket in a 0700 temporary folder,
// each key goes to `ssh-add -` on stdin, and only the ssh processes berth spawns are told the socket
// (SSH_AUTH_SOCK in their environment). The agent is stopped by its pid when the run ends (its finally, or
// process exit after a second signal); should berth itself be killed, a small watchdog shell that holds a
// pipe from berth sees it close, stops the agent and removes its folder.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface KeyData {
  /** The secret's name (or `inline key N`), for messages; never the key. */
  name: string
  key: string
}

export interface SshAgent {
  /** For SSH_AUTH_SOCK of the ssh processes berth spawns. */
  socket: string
  pid: number
  /** The loaded keys' public halves (not secret), for `-i` when `keys_only` asks ssh to offer only named keys. */
  publicKeyFiles: string[]
  stop(): void
}

export class AgentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AgentError'
  }
}

// Unix socket paths stop at 108 bytes; keep a margin.
const MAX_SOCKET_PATH = 100

// The agent in the foreground (`-D`), its pid on the first line; when berth's end of stdin closes (berth
// stopped it, exited or was killed), the shell stops the agent and removes its folder ($2).
const WATCHDOG =
  'ssh-agent -D -a "$1" >/dev/null 2>&1 </dev/null & echo $!; read _ || :; kill $! 2>/dev/null; rm -rf "$2"'

/** The environment for ssh-add: the private agent and nothing that could make it ask a GUI for a passphrase. */
function addEnv(socket: string): Record<string, string> {
  const env: Record<string, string> = { SSH_AUTH_SOCK: socket, SSH_ASKPASS_REQUIRE: 'never' }
  for (const name of ['PATH', 'HOME', 'LANG', 'LC_ALL'])
    if (process.env[name] !== undefined) env[name] = process.env[name] as string
  return env
}

/** Until the agent answers: its socket exists a moment before it listens (`ssh-add -l` exits 2 until then). */
function waitForAgent(socket: string, child: ChildProcess, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs
  while (
    !existsSync(socket) ||
    spawnSync('ssh-add', ['-l'], { env: addEnv(socket), stdio: 'ignore', timeout: timeoutMs }).status === 2
  ) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new AgentError(`ssh-agent did not start (no answer on ${socket} within ${timeoutMs / 1000} s)`)
    spawnSync('sleep', ['0.02'])
  }
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(
      () => reject(new AgentError(`ssh-agent did not start within ${timeoutMs / 1000} s`)),
      timeoutMs,
    )
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk
      if (text.includes('\n')) {
        clearTimeout(timer)
        resolve(text.slice(0, text.indexOf('\n')))
      }
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new AgentError(`could not start ssh-agent: ${error.message}`))
    })
  })
}

/** A fresh private (0700) folder for the agent's socket and public key files, short enough for the socket path. */
function makeAgentDirectory(): string {
  let base = tmpdir()
  if (Buffer.byteLength(path.join(base, 'berth-agent-XXXXXX', 'agent.sock')) > MAX_SOCKET_PATH) base = '/tmp'
  return mkdtempSync(path.join(base, 'berth-agent-')) // mode 0700
}

/** The watchdog shell that runs the agent; berth holds its stdin until the agent is to stop. */
function spawnWatchdog(socket: string, dir: string): ChildProcess {
  // detached: a Ctrl-C at the terminal must not stop the agent while berth still needs ssh (to release the lock)
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'sh', socket, dir], {
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  })
  child.stdin!.on('error', () => {})
  return child
}

/** Stops the agent (by its pid, once known) and the watchdog, and removes the folder. Idempotent. */
function agentStopper(watchdog: ChildProcess, dir: string, agent: { pid: number }): () => void {
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    process.off('exit', stop)
    if (agent.pid > 0) {
      try {
        process.kill(agent.pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
    watchdog.stdin!.end()
    watchdog.unref()
    rmSync(dir, { recursive: true, force: true })
  }
  return stop
}

/** The agent's pid, the watchdog's first line. */
async function agentPid(watchdog: ChildProcess, timeoutMs: number): Promise<number> {
  const pid = Number(await firstLine(watchdog, timeoutMs))
  if (!Number.isInteger(pid) || pid <= 0) throw new AgentError('ssh-agent did not start')
  return pid
}

/** One key into the agent through `ssh-add -` on stdin; an AgentError names the key's secret, never its content. */
function addKey(socket: string, { name, key }: KeyData, timeoutMs: number): void {
  // OpenSSH wants the key's last line ended
  const r = spawnSync('ssh-add', ['-q', '-'], {
    input: key.endsWith('\n') ? key : `${key}\n`,
    env: addEnv(socket),
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  if (r.error) throw new AgentError(`could not run ssh-add for key_data ${name}: ${r.error.message}`)
  if (r.status !== 0) {
    const why = (r.stderr ?? '').replace(/\(stdin\)/g, name).trim() || `exit ${r.status}`
    throw new AgentError(
      `ssh.key_data ${name} could not be loaded into ssh-agent (${why}); ` +
        'the secret must hold an unencrypted private key (OpenSSH or PEM format)',
    )
  }
}

/** The loaded keys' public halves, each written to a file in the agent's folder (for `-i` with `keys_only`). */
function writePublicKeyFiles(socket: string, dir: string, timeoutMs: number): string[] {
  const listed = spawnSync('ssh-add', ['-L'], { env: addEnv(socket), encoding: 'utf8', timeout: timeoutMs })
  const publicKeys = listed.status === 0 ? listed.stdout.split('\n').filter((line) => line.trim()) : []
  return publicKeys.map((line, i) => {
    const file = path.join(dir, `key_data-${i}.pub`)
    writeFileSync(file, `${line}\n`, { mode: 0o600 })
    return file
  })
}

/** Starts a private agent holding `keys`. Throws AgentError (naming the key's secret, never its content). */
export async function startAgent(keys: readonly KeyData[], options: { timeoutMs?: number } = {}): Promise<SshAgent> {
  const timeoutMs = options.timeoutMs ?? 5000
  const dir = makeAgentDirectory()
  const socket = path.join(dir, 'agent.sock')
  const watchdog = spawnWatchdog(socket, dir)
  const agent = { pid: 0 }
  const stop = agentStopper(watchdog, dir, agent)
  process.on('exit', stop)
  try {
    agent.pid = await agentPid(watchdog, timeoutMs)
    waitForAgent(socket, watchdog, timeoutMs)
    for (const key of keys) addKey(socket, key, timeoutMs)
    return { socket, pid: agent.pid, publicKeyFiles: writePublicKeyFiles(socket, dir, timeoutMs), stop }
  } catch (error) {
    stop()
    throw error
  }
}
