// Runs a verb through the real runner (lib/cli/run.ts) against a FakeFleet, collecting what it prints: the
// orchestration tests' way of driving berth end to end without ssh or docker.
import { runScript } from '../../lib/cli/run.ts'
import type { FakeFleet } from './fake-fleet.ts'

export interface FleetRun {
  code: number
  stdout: string
  stderr: string
}

/** `settleMs: 0` unless given: a rebooted container is judged at once (the fake's containers never flap by themselves). */
export async function runWithFleet(
  verb: string,
  args: string[],
  options: { cwd: string; fleet: FakeFleet; settleMs?: number; env?: Record<string, string> },
): Promise<FleetRun> {
  let stdout = ''
  let stderr = ''
  const code = await runScript(verb, args, {
    cwd: options.cwd,
    env: options.env ?? {},
    stdout: (t) => void (stdout += asText(t)),
    stderr: (t) => void (stderr += asText(t)),
    transport: () => options.fleet,
    settleMs: options.settleMs ?? 0,
  })
  return { code, stdout, stderr }
}

/** What a script wrote (text, or exec's bytes) as text. */
export const asText = (chunk: string | Uint8Array): string =>
  typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
