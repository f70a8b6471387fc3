// SIGINT/SIGTERM during a run: the first one aborts the run's signal, so no new remote command starts and
// the flows put hosts back where they must (a reboot mid-swap returns to its old container); the runner
// then releases the lock, prints the report and exits 130/143. A second signal exits at once.
import { exitCodeForSignal } from '../report/exit-codes.ts'

export function trapSignals(
  controller: AbortController,
  stderr: (text: string) => void,
  releaseHint: string,
): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      stderr(`berth: ${signal} again; exiting now. If a deploy lock was held it may be left behind: ${releaseHint}.\n`)
      process.exit(exitCodeForSignal(signal))
    }
    stderr(
      `berth: ${signal}: no new step will start; finishing the one in progress, then releasing the lock (send ${signal} again to exit at once).\n`,
    )
    controller.abort(signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
