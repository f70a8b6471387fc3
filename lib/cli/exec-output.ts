// accessory-exec's output (README, "accessory-exec"): one accessory × host passes the command's stdout and
// stderr through byte for byte; several are sections, each under `== accessory on host ==`; --json collects
// each one's output into one document.
import type { ExecOutput } from '../flows/exec.ts'
import { execFailureLine, sectionHeader, type ExecResult } from '../report/sections.ts'
import type { ScriptIO } from './context.ts'

type Writer = Pick<ScriptIO, 'stdout' | 'stderr'>

/** One accessory × host: the command's own bytes, nothing added; berth speaks only when it never ran. */
export function passThrough(io: Writer): ExecOutput {
  return {
    begin: () => ({ stdout: io.stdout, stderr: io.stderr }),
    end: async (result) => {
      if (result.exitCode === undefined) await io.stderr(execFailureLine(result))
    },
  }
}

/** Several: a header each (unless -q), the output as it comes, a newline when it did not end with one. */
export function sections(io: Writer, quiet: boolean): ExecOutput {
  let endsLine = true
  return {
    begin: (accessory, host) => {
      endsLine = true
      if (!quiet) void io.stdout(`${sectionHeader(accessory, host)}\n`)
      return {
        stdout: (chunk) => {
          if (chunk.length) endsLine = chunk[chunk.length - 1] === 0x0a
          return io.stdout(chunk)
        },
        stderr: io.stderr,
      }
    },
    end: async (result) => {
      if (!endsLine) await io.stdout('\n')
      await io.stderr(execFailureLine(result))
    },
  }
}

export type CollectedResult = ExecResult & { stdout: string; stderr: string }

/** --json: each one's stdout and stderr, as text, in its entry of the one document (held until the end). */
export function collected(): ExecOutput & { results: CollectedResult[] } {
  let stdout: Uint8Array[] = []
  let stderr: Uint8Array[] = []
  const results: CollectedResult[] = []
  return {
    results,
    begin: () => {
      stdout = []
      stderr = []
      return { stdout: (chunk) => void stdout.push(chunk), stderr: (chunk) => void stderr.push(chunk) }
    },
    end: (result) => {
      const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString('utf8')
      results.push({ ...result, stdout: text(stdout), stderr: text(stderr) })
    },
  }
}
