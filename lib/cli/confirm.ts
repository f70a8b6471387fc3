// Asking before a run that stops containers. Without a terminal nobody can answer, so berth refuses
// (exit 64) unless -y was given, instead of hanging or silently going ahead.
import { UsageError } from './args.ts'

export function requireAnswerable(yes: boolean, script: string): void {
  if (yes || process.stdin.isTTY) return
  throw new UsageError(
    `Refusing to ask for confirmation without a terminal; nothing was changed. Pass -y/--yes to \`${script}\` to go ahead.`,
  )
}

export async function confirm(question: string, yes: boolean): Promise<boolean> {
  if (yes) return true
  // readline loads only when someone is asked.
  const { createInterface } = await import('node:readline/promises')
  const readline = createInterface({ input: process.stdin, output: process.stderr })
  try {
    const answer = await readline.question(`${question} [y/N] `)
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    readline.close()
  }
}
