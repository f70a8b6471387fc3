// How a command reaches a host. Every remote command in berth goes through `Transport.run`, so this is
// the one place that decides quoting, stdin and what -v prints.
import type { ShellWord } from './quote.ts'

export interface RemoteCommand {
  argv: ShellWord[]
  /** Sent on stdin (secrets travel this way, never in argv). Not printed by -v. */
  input?: string
}

export interface CommandResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface OutputSink {
  stdout(chunk: string): void
  stderr(chunk: string): void
}

export interface Transport {
  /** Runs one command on one host. Never throws for a non-zero exit: the caller decides. */
  run(host: string, command: RemoteCommand): Promise<CommandResult>
  /** Runs one command, handing output over as it arrives (logs --follow); resolves with the exit code. */
  stream(host: string, command: RemoteCommand, sink: OutputSink): Promise<number>
}

/** A command that failed on a host, with the output the user needs to act on it. */
export class RemoteCommandError extends Error {
  readonly host: string
  readonly result: CommandResult
  constructor(host: string, description: string, result: CommandResult) {
    const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-3).join(' | ')
    super(`${description} failed on ${host} (exit ${result.exitCode})${detail ? `: ${detail}` : ''}`)
    this.name = 'RemoteCommandError'
    this.host = host
    this.result = result
  }
}

/** ssh exits 255 when it could not connect or authenticate. */
export const SSH_CONNECTION_FAILED = 255
