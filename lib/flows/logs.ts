// accessory-logs: Kamal's `docker logs` per accessory × host, filtered locally by plain substring (so
// no match is not an error), or followed on exactly one host through Transport.stream.
import { containerLogs } from '../docker/accessory-commands.ts'
import { describeFailure } from '../remote/command-failure.ts'
import { describeCommand, type RemoteCommand } from '../remote/transport.ts'
import { splitLines, type HostLogs } from '../report/sections.ts'
import type { StepEngine } from './engine.ts'
import type { Selection } from './selection.ts'

export interface LogsOptions {
  since?: string
  /** `--tail`; undefined means the whole log. */
  lines?: number
  grep?: string
  follow: boolean
}

/** Kamal's defaults: 100 lines unless --since or --grep is given; 10 lines before following. */
export const DEFAULT_LINES = 100
export const FOLLOW_LINES = 10

export function logsCommand(serviceName: string, options: LogsOptions): RemoteCommand {
  return containerLogs(serviceName, { since: options.since, lines: options.lines, follow: options.follow })
}

/** Plain substring match, per line. */
export function grepLines(lines: readonly string[], grep: string | undefined): string[] {
  return grep === undefined ? [...lines] : lines.filter((line) => line.includes(grep))
}

/** Every selected accessory × host, fetched in parallel (one host's accessories in turn), in config order. */
export async function readLogs(
  selection: readonly Selection[],
  engine: StepEngine,
  options: LogsOptions,
): Promise<HostLogs[]> {
  const pairs = selection.flatMap((s) => s.hosts.map((host) => ({ accessory: s.accessory, host })))
  const byKey = new Map<string, HostLogs>()
  const outcomes = await engine.onHosts([...new Set(pairs.map((p) => p.host))], async (host) => {
    for (const { accessory } of pairs.filter((p) => p.host === host)) {
      const command = logsCommand(accessory.serviceName, options)
      const result = await engine.run(host, command)
      byKey.set(
        `${accessory.name}\0${host}`,
        result.exitCode === 0
          ? { accessory: accessory.name, host, ok: true, lines: grepLines(splitLines(result.stdout), options.grep) }
          : {
              accessory: accessory.name,
              host,
              ok: false,
              lines: [],
              error: describeFailure(host, `\`${describeCommand(command)}\``, result),
            },
      )
    }
  })
  return pairs.map(({ accessory, host }) => {
    const found = byKey.get(`${accessory.name}\0${host}`)
    if (found) return found
    const failure = outcomes.find((o) => o.host === host && !o.ok)
    return {
      accessory: accessory.name,
      host,
      ok: false,
      lines: [],
      error: failure && !failure.ok ? failure.error.message : 'not read',
    }
  })
}

/** Cuts a stream into whole lines; the last, unterminated piece is kept until more arrives or `flush`. */
export class LineSplitter {
  private pending = ''
  private readonly emit: (line: string) => void
  constructor(emit: (line: string) => void) {
    this.emit = emit
  }
  push(chunk: string): void {
    const parts = (this.pending + chunk).split('\n')
    this.pending = parts.pop() ?? ''
    for (const part of parts) this.emit(part.endsWith('\r') ? part.slice(0, -1) : part)
  }
  flush(): void {
    if (this.pending !== '') this.emit(this.pending)
    this.pending = ''
  }
}

/**
 * Streams the container's log until it stops (exit 0) or the user interrupts; --grep applies per line.
 * It runs on a remote terminal, so an interrupt hangs up `docker logs` on the host too (as Kamal's `ssh -t`).
 * Its reader gone (`| head -1`: `stdoutClosed`), following ends there too, as Kamal's ssh ends on SIGPIPE.
 * Returns how it ended: nothing to say, or the sentence that says why following failed.
 */
export async function followLogs(
  target: { accessory: Selection['accessory']; host: string },
  engine: StepEngine,
  options: LogsOptions,
  io: { stdout: (text: string) => void; stderr: (text: string) => void; stdoutClosed?: AbortSignal },
): Promise<{ failure?: string }> {
  const command: RemoteCommand = { ...logsCommand(target.accessory.serviceName, options), terminal: true }
  const lines = new LineSplitter((line) => {
    if (options.grep === undefined || line.includes(options.grep)) io.stdout(`${line}\n`)
  })
  const decoder = new TextDecoder()
  const result = await engine.stream(
    target.host,
    command,
    {
      stdout: (chunk) => lines.push(decoder.decode(chunk, { stream: true })),
      stderr: (chunk) => io.stderr(Buffer.from(chunk).toString('utf8')),
    },
    io.stdoutClosed ? AbortSignal.any([engine.signal, io.stdoutClosed]) : engine.signal,
  )
  lines.push(decoder.decode())
  lines.flush()
  // Interrupted by the user, or nobody reads any more: following ends here, as `docker logs --follow` does.
  if (result.exitCode === 0 || engine.interruptedBy || io.stdoutClosed?.aborted) return {}
  // `2>&1` on a terminal: docker's own errors arrive on stdout, whose last lines the result keeps.
  const failure = describeFailure(target.host, `\`${describeCommand(command)}\``, result)
  return { failure: `Following the log of accessory \`${target.accessory.name}\` failed on ${target.host}: ${failure}` }
}
