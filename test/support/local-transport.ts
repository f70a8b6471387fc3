// Test-only: running the same remote commands on this machine, through /bin/sh, to check what the remote
// quoting really yields in a POSIX shell and how results are read, without ssh or a host.
import { spawn } from 'node:child_process'
import { shellJoin } from '../../lib/remote/quote.ts'
import {
  forwardChunks,
  Tail,
  type CommandResult,
  type OutputSink,
  type RemoteCommand,
  type Transport,
} from '../../lib/remote/transport.ts'

export class LocalTransport implements Transport {
  private readonly cwd: string
  constructor(cwd: string) {
    this.cwd = cwd
  }

  async run(host: string, command: RemoteCommand): Promise<CommandResult> {
    const stdout: Uint8Array[] = []
    const stderr: Uint8Array[] = []
    const result = await this.stream(host, command, {
      stdout: (chunk) => void stdout.push(chunk),
      stderr: (chunk) => void stderr.push(chunk),
    })
    return { ...result, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }
  }

  stream(
    _host: string,
    command: RemoteCommand,
    sink: OutputSink,
    signal?: AbortSignal,
    options: { cut: boolean } = { cut: true },
  ): Promise<CommandResult> {
    // no connection to wait for: without `cut` the signal has nothing to abandon
    const child = spawn('/bin/sh', ['-c', shellJoin(command.argv)], {
      cwd: this.cwd,
      stdio: [command.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      signal: options.cut ? signal : undefined,
    })
    child.stdin?.on('error', () => {})
    child.stdin?.end(command.input)
    const tails = { stdout: new Tail(), stderr: new Tail() }
    for (const name of ['stdout', 'stderr'] as const)
      forwardChunks(child[name]!, (chunk: Buffer) => {
        tails[name].push(chunk)
        return sink[name](chunk)
      })
    return new Promise((resolve) => {
      child.on('error', () => {}) // an abort: 'close' follows
      child.on('close', (code) =>
        // no ssh here: an exit 255 is always the command's own
        resolve({
          exitCode: code ?? 128,
          stdout: tails.stdout.toString(),
          stderr: tails.stderr.toString(),
          connectionFailed: false,
        }),
      )
    })
  }
}
