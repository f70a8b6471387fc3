// Reaching a host with the system `ssh`: batch mode (never a password prompt), a connect timeout, and
// host-key checking left as the user's ssh configuration has it (on by default).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { shellJoin } from './quote.ts'
import { spawn } from 'node:child_process'
import { SSH_CONNECTION_FAILED, type CommandResult, type OutputSink, type RemoteCommand, type Transport } from './transport.ts'

export interface SshSettings {
  user: string
  port?: number
  /** Jump host for `-J`. */
  proxy?: string
  proxyCommand?: string
  keys: string[]
  keysOnly: boolean
  /** true: ssh's own defaults; false: no config file (`-F /dev/null`); paths: those files. */
  configFiles: boolean | string[]
  connectTimeoutSeconds: number
  /** `ssh.forward_agent`: -A or -a; unset leaves it to the ssh config. */
  forwardAgent?: boolean
  /** `ssh.log_level` as ssh's LogLevel. */
  logLevel?: string
  /** The private agent holding `ssh.key_data` (lib/remote/ssh-agent.ts): SSH_AUTH_SOCK of the ssh processes berth spawns. */
  agentSocket?: string
}

/**
 * The longest remote command berth sends. ssh gets the command as one argument and the remote shell gets it
 * as one `-c` argument; Linux caps a single argument at 128 KiB (MAX_ARG_STRLEN), and berth keeps a margin
 * for the longer container names a reboot uses. The config loader refuses accessories that would exceed it.
 */
export const MAX_REMOTE_COMMAND_BYTES = 120_000

/**
 * The local `ssh` argv up to (not including) the remote command. Pure, so it is unit-tested. The host comes
 * after `--`, so ssh can never read it as an option (the config loader refuses such hosts anyway).
 */
export function sshArgv(settings: SshSettings, host: string, options: { stdin: boolean; includeFile?: string }): string[] {
  const args = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${settings.connectTimeoutSeconds}`]
  if (settings.configFiles === false) args.push('-F', '/dev/null')
  else if (Array.isArray(settings.configFiles)) {
    // ssh takes a single -F; several files are read through one generated file that Includes them all.
    if (settings.configFiles.length === 1) args.push('-F', settings.configFiles[0]!)
    else if (options.includeFile) args.push('-F', options.includeFile)
  }
  if (settings.proxy) args.push('-J', settings.proxy)
  if (settings.proxyCommand) args.push('-o', `ProxyCommand=${settings.proxyCommand}`)
  for (const key of settings.keys) args.push('-i', key)
  if (settings.keysOnly) args.push('-o', 'IdentitiesOnly=yes')
  if (settings.forwardAgent !== undefined) args.push(settings.forwardAgent ? '-A' : '-a')
  if (settings.logLevel) args.push('-o', `LogLevel=${settings.logLevel}`)
  if (settings.port !== undefined) args.push('-p', String(settings.port))
  args.push('-l', settings.user)
  if (!options.stdin) args.push('-n') // without input, an open stdin pipe would keep ssh waiting
  args.push('--', host)
  return args
}

export type CommandObserver = (host: string, commandLine: string, stdinBytes: number) => void

export class SshTransport implements Transport {
  readonly settings: SshSettings
  private readonly observe?: CommandObserver
  private includeFile?: string

  constructor(settings: SshSettings, options: { observe?: CommandObserver } = {}) {
    this.settings = settings
    this.observe = options.observe
  }

  /** The generated Include file, written on first use (removed when the process exits). */
  private include(): string | undefined {
    if (Array.isArray(this.settings.configFiles) && this.settings.configFiles.length > 1) {
      this.includeFile ??= writeIncludeFile(this.settings.configFiles)
    }
    return this.includeFile
  }

  async run(host: string, command: RemoteCommand): Promise<CommandResult> {
    let stdout = ''
    let stderr = ''
    const exitCode = await this.stream(host, command, { stdout: (chunk) => (stdout += chunk), stderr: (chunk) => (stderr += chunk) })
    return { exitCode, stdout, stderr }
  }

  stream(host: string, command: RemoteCommand, sink: OutputSink, signal?: AbortSignal): Promise<number> {
    const remote = shellJoin(command.argv)
    this.observe?.(host, remote, command.input === undefined ? 0 : Buffer.byteLength(command.input))
    const args = sshArgv(this.settings, host, { stdin: command.input !== undefined, includeFile: this.include() })
    // Its own process group: a Ctrl-C at the terminal reaches berth, which decides what happens next, and
    // never cuts a remote command (a container swap, say) in half by killing its ssh.
    const env = this.settings.agentSocket ? { ...process.env, SSH_AUTH_SOCK: this.settings.agentSocket } : undefined
    const child = spawn('ssh', [...args, remote], { stdio: [command.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true, env })
    if (command.input !== undefined) {
      child.stdin?.on('error', () => {}) // ssh that failed to connect closes stdin early: its exit code tells why
      child.stdin?.end(command.input)
    }
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => sink.stdout(chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => sink.stderr(chunk))
    const stop = () => child.kill('SIGTERM')
    signal?.addEventListener('abort', stop, { once: true })
    return new Promise((resolve) => {
      let settled = false
      const settle = (code: number) => {
        if (settled) return
        settled = true
        signal?.removeEventListener('abort', stop)
        resolve(code)
      }
      child.on('error', (error) => {
        sink.stderr(`could not run the local ssh client: ${error.message}\n`)
        settle(SSH_CONNECTION_FAILED)
      })
      child.on('close', (code) => settle(code ?? SIGNALLED))
    })
  }
}

const SIGNALLED = 128

/**
 * The lines of a config file that Includes several (ssh reads one -F; Include paths must be absolute).
 * Each path is one double-quoted argument; the config loader refuses paths with a newline, a control
 * character or a double quote, so a path can never add a line of its own.
 */
export function includeFileContent(files: readonly string[]): string {
  return files
    .map((f) => {
      if (/[\x00-\x1f\x7f"]/.test(f)) throw new Error(`ssh config path ${JSON.stringify(f)} cannot be included: it holds a control character or a double quote`)
      return `Include "${f.startsWith('~') ? f : path.resolve(f)}"\n`
    })
    .join('')
}

/** Generated Include files, removed when the process exits (however it exits through process.exit). */
const generated = new Set<string>()

function removeGenerated(): void {
  for (const dir of generated) rmSync(dir, { recursive: true, force: true })
  generated.clear()
}

/**
 * On SIGINT/SIGTERM with no other handler, remove the files, then die of the same signal as before. This
 * handler runs first (prepended); when another one is there (the deploy lock's, which still needs ssh to
 * release the lock and then calls process.exit), the 'exit' handler removes the files instead.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 0) return
  removeGenerated()
  process.kill(process.pid, signal)
}

function writeIncludeFile(files: string[]): string {
  const content = includeFileContent(files)
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-ssh-'))
  if (generated.size === 0) {
    process.once('exit', removeGenerated)
    process.prependOnceListener('SIGINT', onSignal)
    process.prependOnceListener('SIGTERM', onSignal)
  }
  generated.add(dir)
  const file = path.join(dir, 'config')
  writeFileSync(file, content, { mode: 0o600 })
  return file
}
