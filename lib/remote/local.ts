// Running the same remote commands on this machine, through /bin/sh: the transport for the `local`
// pseudo-host and for checking what the remote quoting really yields in a POSIX shell.
import { $ } from 'zx'
import { shellJoin } from './quote.ts'
import type { CommandResult, OutputSink, RemoteCommand, Transport } from './transport.ts'

export class LocalTransport implements Transport {
  private readonly cwd: string
  constructor(cwd: string) {
    this.cwd = cwd
  }

  async run(_host: string, command: RemoteCommand): Promise<CommandResult> {
    const output = await $({
      input: command.input,
      cwd: this.cwd,
      nothrow: true,
      quiet: true,
      verbose: false,
    })`/bin/sh -c ${shellJoin(command.argv)}`
    // no ssh here: an exit 255 is always the command's own
    return { exitCode: output.exitCode ?? 128, stdout: output.stdout, stderr: output.stderr, connectionFailed: false }
  }

  async stream(host: string, command: RemoteCommand, sink: OutputSink): Promise<number> {
    const result = await this.run(host, command)
    sink.stdout(result.stdout)
    sink.stderr(result.stderr)
    return result.exitCode
  }
}
