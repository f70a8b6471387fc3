// The one writer of a run's end: what lib/report/output.ts rendered goes to stdout and stderr, berth's own
// annotations to the workflow, the job summary to $GITHUB_STEP_SUMMARY; the exit code is handed back.
import { appendFileSync } from 'node:fs'
import type { RunOutput } from '../report/output.ts'
import type { ScriptIO } from './context.ts'

export async function writeRunOutput(io: ScriptIO, output: RunOutput): Promise<number> {
  // Workflow commands are read from stderr too, which keeps stdout one JSON document under --json.
  if (output.annotations) (io.annotate ?? io.stderr)(output.annotations)
  for (const chunk of output.chunks) void io[chunk.stream](chunk.text)
  const summaryFile = io.env.GITHUB_STEP_SUMMARY
  if (output.summary !== undefined && summaryFile) appendFileSync(summaryFile, output.summary)
  return output.exitCode
}
