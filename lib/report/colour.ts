// Colour for people on a terminal, never in pipes or files: NO_COLOR turns it off, FORCE_COLOR on (or off
// with 0/false). Drift and what needs attention yellow, failures red, done green.
import { OUTCOME_LABELS, type Outcome } from './labels.ts'

export function colourWanted(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  const force = env.FORCE_COLOR
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false')
  return isTTY
}

/** The line for an outcome, in its colour (SGR codes, reset at the end). */
export function paint(outcome: Outcome, line: string, attention = false): string {
  const { need } = OUTCOME_LABELS[outcome]
  const code = need === 'error' ? 31 : need === 'none' && !attention ? 32 : 33
  return `\u001b[${code}m${line}\u001b[0m`
}
