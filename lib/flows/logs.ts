// accessory-logs: Kamal's `docker logs` per accessory × host, filtered locally by plain substring (so
// no match is not an error), or followed on exactly one host through Transport.stream.
import { UsageError, type ParsedArgs } from '../cli/args.ts'
import { containerLogs } from '../docker/commands.ts'
import { describeCommand, describeFailure, type RemoteCommand } from '../remote/transport.ts'
import { splitLines } from '../report/sections.ts'
import type { StepEngine } from './engine.ts'
import { selectionHosts, type Selection } from './selection.ts'

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

/** The verb's flags as options; a bad --lines or an empty --since/--grep is a usage error. */
export function logsOptions(flags: ParsedArgs['flags']): LogsOptions {
  const since = flags.since as string | undefined
  const grep = flags.grep as string | undefined
  const linesFlag = flags.lines as string | undefined
  if (since !== undefined && since.trim() === '') throw new UsageError('--since takes a duration or time, e.g. --since 10m.')
  if (grep !== undefined && grep === '') throw new UsageError('--grep takes the text to look for, e.g. --grep ERROR.')
  let lines: number | undefined
  if (linesFlag !== undefined) {
    if (!/^\d+$/.test(linesFlag.trim()) || Number(linesFlag) < 1) throw new UsageError(`--lines takes a positive whole number, got '${linesFlag}'.`)
    lines = Number(linesFlag)
  }
  const follow = flags.follow === true
  if (lines === undefined) lines = follow ? FOLLOW_LINES : since !== undefined || grep !== undefined ? undefined : DEFAULT_LINES
  return { since, lines, grep, follow }
}

/** --follow reads one container on one host: the one --hosts names, never silently the first. */
export function followTarget(selection: readonly Selection[]): { accessory: Selection['accessory']; host: string } {
  const hosts = selectionHosts(selection)
  if (hosts.length !== 1) throw new UsageError(`--follow needs one host; pass --hosts with one of: ${hosts.join(', ')}`)
  if (selection.length !== 1) throw new UsageError(`--follow needs one accessory; name one of: ${selection.map((s) => s.accessory.name).join(', ')}`)
  return { accessory: selection[0]!.accessory, host: hosts[0]! }
}

export function logsCommand(serviceName: string, options: LogsOptions): RemoteCommand {
  return containerLogs(serviceName, { since: options.since, lines: options.lines, follow: options.follow })
}

/** Plain substring match, per line. */
export function grepLines(lines: readonly string[], grep: string | undefined): string[] {
  return grep === undefined ? [...lines] : lines.filter((line) => line.includes(grep))
}

export interface HostLogs {
  accessory: string
  host: string
  ok: boolean
  lines: string[]
  error?: string
}

/** Every selected accessory × host, fetched in parallel (one host's accessories in turn), in config order. */
export async function readLogs(selection: readonly Selection[], engine: StepEngine, options: LogsOptions): Promise<HostLogs[]> {
  const pairs = selection.flatMap((s) => s.hosts.map((host) => ({ accessory: s.accessory, host })))
  const byKey = new Map<string, HostLogs>()
  const outcomes = await engine.onHosts([...new Set(pairs.map((p) => p.host))], async (host) => {
    for (const { accessory } of pairs.filter((p) => p.host === host)) {
      const command = logsCommand(accessory.serviceName, options)
      const result = await engine.run(host, command)
      byKey.set(`${accessory.name}\0${host}`, result.exitCode === 0
        ? { accessory: accessory.name, host, ok: true, lines: grepLines(splitLines(result.stdout), options.grep) }
        : { accessory: accessory.name, host, ok: false, lines: [], error: describeFailure(host, `\`${describeCommand(command)}\``, result) })
    }
  })
  return pairs.map(({ accessory, host }) => {
    const found = byKey.get(`${accessory.name}\0${host}`)
    if (found) return found
    const failure = outcomes.find((o) => o.host === host && !o.ok)
    return { accessory: accessory.name, host, ok: false, lines: [], error: failure && !failure.ok ? failure.error.message : 'not read' }
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
 * Returns the exit code: 0, or 1 with the reason on stderr.
 */
export async function followLogs(
  target: { accessory: Selection['accessory']; host: string },
  engine: StepEngine,
  options: LogsOptions,
  io: { stdout: (text: string) => void; stderr: (text: string) => void },
): Promise<number> {
  engine.checkpoint()
  const command = logsCommand(target.accessory.serviceName, options)
  // `2>&1`: docker's own errors arrive on stdout too, so the last lines are kept to explain a failure.
  let last: string[] = []
  const lines = new LineSplitter((line) => {
    last = [...last.slice(-1), line]
    if (options.grep === undefined || line.includes(options.grep)) io.stdout(`${line}\n`)
  })
  let stderr = ''
  const code = await engine.transport.stream(
    target.host,
    command,
    {
      stdout: (chunk) => lines.push(chunk),
      stderr: (chunk) => {
        stderr += chunk
        io.stderr(chunk)
      },
    },
    engine.signal,
  )
  lines.flush()
  // Interrupted by the user: following ends here, as `docker logs --follow` does on Ctrl-C.
  if (code === 0 || engine.interruptedBy) return 0
  io.stderr(`Following the log of accessory \`${target.accessory.name}\` failed on ${target.host}: ${describeFailure(target.host, `\`${describeCommand(command)}\``, { exitCode: code, stdout: last.join('\n'), stderr })}\n`)
  return 1
}
