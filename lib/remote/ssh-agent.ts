// `ssh.key_data`: keys that live in secrets (the usual CI pattern) are loaded into a private `ssh-agent` for
// the run, never written to disk or put in an argv: the agent listens on a socket in a 0700 temporary folder,
// each key goes to `ssh-add -` on stdin, and only the ssh processes berth spawns are told the socket
// (SSH_AUTH_SOCK in their environment). The agent is stopped by its pid when the run ends (its finally, or
// process exit after a second signal); should berth itself be killed, a small watchdog shell that holds a
// pipe from berth sees it close and stops the agent too.
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
// stopped it, exited or was killed), the shell stops the agent.
const WATCHDOG = 'ssh-agent -D -a "$1" >/dev/null 2>&1 </dev/null & echo $!; read _ || :; kill $! 2>/dev/null'

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

/** Starts a private agent holding `keys`. Throws AgentError (naming the key's secret, never its content). */
export async function startAgent(keys: readonly KeyData[], options: { timeoutMs?: number } = {}): Promise<SshAgent> {
  const timeoutMs = options.timeoutMs ?? 5000
  let base = tmpdir()
  if (Buffer.byteLength(path.join(base, 'berth-agent-XXXXXX', 'agent.sock')) > MAX_SOCKET_PATH) base = '/tmp'
  const dir = mkdtempSync(path.join(base, 'berth-agent-')) // mode 0700
  const socket = path.join(dir, 'agent.sock')
  // detached: a Ctrl-C at the terminal must not stop the agent while berth still needs ssh (to release the lock)
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'sh', socket], { stdio: ['pipe', 'pipe', 'ignore'], detached: true })
  child.stdin!.on('error', () => {})
  let pid = 0
  let stopped = false
  const stop = () => {
    if (stopped) return
    stopped = true
    process.off('exit', stop)
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM')
      } catch {
        // already gone
      }
    }
    child.stdin!.end()
    child.unref()
    rmSync(dir, { recursive: true, force: true })
  }
  process.on('exit', stop)
  try {
    pid = Number(await firstLine(child, timeoutMs))
    if (!Number.isInteger(pid) || pid <= 0) throw new AgentError('ssh-agent did not start')
    waitForAgent(socket, child, timeoutMs)
    for (const { name, key } of keys) {
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
          `ssh.key_data ${name} could not be loaded into ssh-agent (${why}); the secret must hold an unencrypted private key (OpenSSH or PEM format)`,
        )
      }
    }
    const listed = spawnSync('ssh-add', ['-L'], { env: addEnv(socket), encoding: 'utf8', timeout: timeoutMs })
    const publicKeys = listed.status === 0 ? listed.stdout.split('\n').filter((line) => line.trim()) : []
    const publicKeyFiles = publicKeys.map((line, i) => {
      const file = path.join(dir, `key_data-${i}.pub`)
      writeFileSync(file, `${line}\n`, { mode: 0o600 })
      return file
    })
    return { socket, pid, publicKeyFiles, stop }
  } catch (error) {
    stop()
    throw error
  }
}
