// Every script's verb: its flags, its help, and which flow it runs. The flows do the work; this table
// only wires them to the runner.
import { bootAccessories } from '../flows/boot.ts'
import type { OptionSpec, ParsedArgs } from './args.ts'
import type { Selection } from '../flows/selection.ts'
import type { VerbContext } from './run.ts'

export interface Verb {
  /** The script's file name without `.mjs`. */
  script: string
  usage: string
  summary: string
  options: Record<string, OptionSpec>
  /** Stops or removes containers: asks first, and refuses without a terminal unless -y. */
  asks?: boolean
  /** false for verbs whose positional is not an accessory (lock status|release). */
  selectsAccessories?: boolean
  validate?(args: ParsedArgs): void
  validateSelection?(args: ParsedArgs, selection: Selection[]): void
  run(context: VerbContext): Promise<number>
}

export const YES_OPTION = { type: 'boolean', short: 'y', description: 'do not ask for confirmation' } as const satisfies OptionSpec
export const LOCK_WAIT_OPTION = { type: 'string', description: 'SECONDS  wait this long for a deploy lock held by another run (default 0)' } as const satisfies OptionSpec

export const VERBS: Record<string, Verb> = {
  boot: {
    script: 'accessory-boot',
    usage: 'NAME|all [options]',
    summary:
      'Boots accessories that have no container yet, and reports (without touching them) those whose running\nimage differs from the configured one.',
    options: { 'lock-wait': LOCK_WAIT_OPTION },
    run: async ({ deployment, selection, transport, args, withLock, printReport }) =>
      printReport(await bootAccessories(deployment, selection, transport, { dryRun: args.dryRun, withLock })),
  },
  // -- reboot and lock verbs (lib/flows/reboot.ts, lib/lock/) --
  // -- lifecycle verbs: start, stop, restart, details, logs, exec, remove --
}
