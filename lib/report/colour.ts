// Colour for people on a terminal, never in pipes or files: NO_COLOR turns it off, FORCE_COLOR on (or off
// with 0/false). Drift and what needs attention yellow, failures red, done green.
import type { Outcome } from './model.ts'

export function colourWanted(env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  const force = env.FORCE_COLOR
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false')
  return isTTY
}

const GREEN = new Set<Outcome>([
  'running',
  'booted',
  'rebooted',
  'restored',
  'started',
  'halted',
  'restarted',
  'removed',
])
const RED = new Set<Outcome>(['failed'])

/** The line for an outcome, in its colour (SGR codes, reset at the end). */
export function paint(outcome: Outcome, line: string, attention = false): string {
  const code = RED.has(outcome) ? 31 : GREEN.has(outcome) && !attention ? 32 : 33
  return `\u001b[${code}m${line}\u001b[0m`
}
