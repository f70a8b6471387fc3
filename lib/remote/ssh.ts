// Reaching a host with the system `ssh`: batch mode (never a password prompt), a connect timeout, and
// host-key checking left as the user's ssh configuration has it (on by default). One connection per host
// per run, shared by its commands (connections.ts); read-only round trips are bounded by the per-host time
// limit, commands that change a host never are (a swap is never cut in half).
import { SSH_CONNECTION_FAILED } from './command-failure.ts'
import { ConnectionPool, DEFAULT_HOST_TIMEOUT_SECONDS, DEFAULT_MAX_CONCURRENT_STARTS } from './connections.ts'
import { shellJoin } from './quote.ts'
import { spawnSsh } from './spawn-ssh.ts'
import { writeIncludeFile } from './ssh-include-file.ts'
import { TunnelConnection } from './tunnel-connection.ts'
import {
  TIMED_OUT,
  Tail,
  type CommandResult,
  type OutputSink,
  type RemoteCommand,
  type Transport,
} from './transport.ts'
import { sshConfigFiles, UserSshConfig } from './user-ssh-config.ts'

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
export function sshArgv(
  settings: SshSettings,
  host: string,
  options: { stdin: boolean; includeFile?: string; extra?: readonly string[]; terminal?: boolean },
): string[] {
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
  // A remote terminal, so the remote command is hung up when the local end goes. LogLevel=ERROR keeps ssh's
  // closing "Shared connection to HOST closed." off stderr (a configured log_level is left as it is).
  if (options.terminal) args.push('-tt', ...(settings.logLevel ? [] : ['-o', 'LogLevel=ERROR']))
  if (options.extra) args.push(...options.extra) // connection sharing, keepalives (connections.ts)
  if (settings.port !== undefined) args.push('-p', String(settings.port))
  args.push('-l', settings.user)
  if (!options.stdin) args.push('-n') // without input, an open stdin pipe would keep ssh waiting
  args.push('--', host)
  return args
}

export type CommandObserver = (host: string, commandLine: string, stdinBytes: number) => void

export interface SshTransportOptions {
  observe?: CommandObserver
  /** Handshakes in flight at once (`--concurrency`, `sshkit.max_concurrent_starts`; Kamal's default 30). */
  maxConcurrentStarts?: number
  /** The per-host time limit in seconds (`--host-timeout`; 0: none): connecting, and each read-only round trip. */
  hostTimeoutSeconds?: number
  /** false when each host gets one command: no shared connection (see PoolOptions.shares). */
  sharesConnections?: boolean
}

export class SshTransport implements Transport {
  readonly settings: SshSettings
  private readonly observe?: CommandObserver
  private includeFile?: string
  private readonly hostTimeoutMs: number
  private readonly pool: ConnectionPool

  constructor(settings: SshSettings, options: SshTransportOptions = {}) {
    this.settings = settings
    this.observe = options.observe
    this.hostTimeoutMs = (options.hostTimeoutSeconds ?? DEFAULT_HOST_TIMEOUT_SECONDS) * 1000
    this.pool = new ConnectionPool({
      argv: (host, extra) => sshArgv(settings, host, { stdin: false, includeFile: this.include(), extra }),
      env: settings.agentSocket ? { ...process.env, SSH_AUTH_SOCK: settings.agentSocket } : undefined,
      userConfig: new UserSshConfig(sshConfigFiles(settings.configFiles)),
      maxConcurrentStarts: options.maxConcurrentStarts ?? DEFAULT_MAX_CONCURRENT_STARTS,
      hostTimeoutMs: this.hostTimeoutMs,
      shares: options.sharesConnections,
    })
  }

  /** The generated Include file, written on first use (removed when the process exits). */
  private include(): string | undefined {
    if (Array.isArray(this.settings.configFiles) && this.settings.configFiles.length > 1) {
      this.includeFile ??= writeIncludeFile(this.settings.configFiles)
    }
    return this.includeFile
  }

  async run(host: string, command: RemoteCommand, signal?: AbortSignal): Promise<CommandResult> {
    const stdout: Uint8Array[] = []
    const stderr: Uint8Array[] = []
    const sink = {
      stdout: (chunk: Uint8Array) => void stdout.push(chunk),
      stderr: (chunk: Uint8Array) => void stderr.push(chunk),
    }
    // the run's signal ends a read-only command; one that changes the host runs to its end
    const result = await this.streamed(host, command, sink, { signal, cut: command.readOnly === true })
    return { ...result, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }
  }

  /** logs --follow passes the signal that ends it; exec passes the run's with `cut: false` (never cut short). */
  stream(
    host: string,
    command: RemoteCommand,
    sink: OutputSink,
    signal?: AbortSignal,
    options: { cut: boolean } = { cut: true },
  ): Promise<CommandResult> {
    return this.streamed(host, command, sink, { signal, cut: options.cut })
  }

  private async streamed(
    host: string,
    command: RemoteCommand,
    sink: OutputSink,
    options: { signal?: AbortSignal; cut: boolean },
  ): Promise<CommandResult> {
    const stdout = new Tail()
    const stderr = new Tail()
    const outcome = await this.exec(
      host,
      command,
      {
        stdout: (chunk) => (stdout.push(chunk), sink.stdout(chunk)),
        stderr: (chunk) => (stderr.push(chunk), sink.stderr(chunk)),
      },
      options,
    )
    const tails = { stdout: stdout.toString(), stderr: stderr.toString() }
    if (outcome.timedOut) return { exitCode: TIMED_OUT, ...tails, timedOut: { seconds: this.hostTimeoutMs / 1000 } }
    return {
      exitCode: outcome.exitCode,
      ...tails,
      ...(outcome.interrupted ? { interrupted: true } : {}),
      ...(outcome.connectionFailed !== undefined ? { connectionFailed: outcome.connectionFailed } : {}),
    }
  }

  prepare(hosts: readonly string[]): void {
    this.pool.preconnect(hosts)
  }

  /** A connection of its own to `host` for accessory-tunnel: the same settings, agent and time limit as the rest. */
  tunnel(host: string): TunnelConnection {
    return new TunnelConnection({
      argv: (extra, stdin = false) => sshArgv(this.settings, host, { stdin, includeFile: this.include(), extra }),
      env: this.pool.env,
      keepalive: this.pool.keepalive,
      hostTimeoutMs: this.hostTimeoutMs,
      observe: this.observe && ((line) => this.observe?.(host, line, 0)),
    })
  }

  /** Ends every shared connection of this run and removes its control sockets. */
  close(): Promise<void> {
    return this.pool.close()
  }

  /**
   * One command over `host`'s shared connection. `signal` abandons the wait for the connection, and ends
   * the command itself only when `cut` (read-only commands, logs --follow).
   */
  private async exec(
    host: string,
    command: RemoteCommand,
    sink: OutputSink,
    { signal, cut }: { signal?: AbortSignal; cut: boolean },
  ): Promise<{ exitCode: number; timedOut: boolean; interrupted: boolean; connectionFailed?: boolean }> {
    const remote = shellJoin(command.argv)
    this.observe?.(host, remote, command.input === undefined ? 0 : Buffer.byteLength(command.input))
    const connection = await this.pool.connect(host, signal)
    if (!connection.ok) {
      const { failure } = connection
      await sink.stdout(Buffer.from(failure.stdout))
      await sink.stderr(Buffer.from(failure.stderr))
      return {
        exitCode: failure.exitCode,
        timedOut: false,
        interrupted: failure.interrupted === true,
        connectionFailed: failure.interrupted ? undefined : true,
      }
    }
    const args = sshArgv(this.settings, host, {
      stdin: command.input !== undefined,
      includeFile: this.include(),
      extra: connection.options,
      terminal: command.terminal,
    })
    const spawnIt = () =>
      spawnSsh([...args, remote], {
        input: command.input,
        stdout: sink.stdout,
        stderr: sink.stderr,
        signal: cut ? signal : undefined,
        env: this.pool.env,
        // Only a read-only round trip is ever cut short: a command that changes a host runs to its end.
        timeoutMs: command.readOnly && this.hostTimeoutMs ? this.hostTimeoutMs : undefined,
      })
    const outcome = await (connection.gate ? connection.gate.run(spawnIt) : spawnIt())
    const interrupted = outcome.aborted
    // ssh exits 255 when the connection failed, and so does a remote command that exits 255: when the
    // shared connection is still up afterwards, the 255 is the command's own.
    let connectionFailed: boolean | undefined
    if (outcome.exitCode === SSH_CONNECTION_FAILED && !outcome.timedOut && !interrupted)
      if ((await this.pool.stillConnected(connection)) === true) connectionFailed = false
    return { exitCode: outcome.exitCode, timedOut: outcome.timedOut, interrupted, connectionFailed }
  }
}
