// Reaching a host with the system `ssh`: batch mode (never a password prompt), a connect timeout, and
// host-key checking left as the user's ssh configuration has it (on by default).
import { mkdtempSync, writeFileSync } from 'node:fs'
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
}

/** The local `ssh` argv up to (not including) the remote command. Pure, so it is unit-tested. */
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
  if (settings.port !== undefined) args.push('-p', String(settings.port))
  args.push('-l', settings.user)
  if (!options.stdin) args.push('-n') // without input, an open stdin pipe would keep ssh waiting
  args.push(host, '--')
  return args
}

export type CommandObserver = (host: string, commandLine: string, stdinBytes: number) => void

export class SshTransport implements Transport {
  readonly settings: SshSettings
  private readonly observe?: CommandObserver
  private readonly includeFile?: string

  constructor(settings: SshSettings, options: { observe?: CommandObserver } = {}) {
    this.settings = settings
    this.observe = options.observe
    if (Array.isArray(settings.configFiles) && settings.configFiles.length > 1) {
      this.includeFile = writeIncludeFile(settings.configFiles)
    }
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
    const args = sshArgv(this.settings, host, { stdin: command.input !== undefined, includeFile: this.includeFile })
    // Its own process group: a Ctrl-C at the terminal reaches berth, which decides what happens next, and
    // never cuts a remote command (a container swap, say) in half by killing its ssh.
    const child = spawn('ssh', [...args, remote], { stdio: [command.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], detached: true })
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

/** A config file that Includes several (ssh reads one -F; Include paths must be absolute). */
function writeIncludeFile(files: string[]): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'berth-ssh-')), 'config')
  writeFileSync(file, files.map((f) => `Include ${f.startsWith('~') ? f : path.resolve(f)}\n`).join(''))
  return file
}
