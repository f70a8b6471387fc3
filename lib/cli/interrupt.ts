// SIGINT/SIGTERM/SIGHUP during a run: the first one aborts the run's signal, so no new remote command starts and
// the flows put hosts back where they must (a reboot mid-swap returns to its old container); the runner
// then releases the lock, prints the report and exits 130/143/129. A second signal exits at once. A hangup
// that `nohup` ignores stays ignored (read from /proc; where it cannot be read, SIGHUP keeps its default).
import { readFileSync } from 'node:fs'
import { exitCodeForSignal } from '../report/exit-codes.ts'

/** Whether SIGHUP is trapped: not when it was ignored when berth started (`nohup`), nor where that cannot be told. */
function trapsHangup(): boolean {
  try {
    const ignored = /^SigIgn:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return ignored !== null && (BigInt(`0x${ignored[1]}`) & 1n) === 0n
  } catch {
    return false
  }
}

/** What a signal's line says: the lock's release command, or for a verb that runs until one, what it ends. */
interface SignalWords {
  releaseHint: string
  /** Set for a verb a signal ends normally (tunnel): the line says this, and nothing about a lock. */
  closing?: string
}

export function trapSignals(
  controller: AbortController,
  stderr: (text: string) => void,
  words: SignalWords,
): () => void {
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      if (words.closing) stderr(`berth: ${signal} again; exiting now.\n`)
      else
        stderr(
          `berth: ${signal} again; exiting now. If a deploy lock was held it may be left behind: ${words.releaseHint}.\n`,
        )
      process.exit(exitCodeForSignal(signal))
    }
    if (words.closing) stderr(`berth: ${signal}: ${words.closing}.\n`)
    else
      stderr(
        `berth: ${signal}: no new step will start; finishing the one in progress, then releasing the lock ` +
          `(send ${signal} again to exit at once).\n`,
      )
    controller.abort(signal)
  }
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', ...(trapsHangup() ? (['SIGHUP'] as const) : [])]
  for (const signal of signals) process.on(signal, onSignal)
  return () => {
    for (const signal of signals) process.off(signal, onSignal)
  }
}
