// Every script's verb: its flags, its help, and which flow it runs. The flows do the work; this table
// only wires them to the runner.
import { bootAccessories } from '../flows/boot.ts'
import { lockCommand } from '../flows/lock.ts'
import { executeReboot, observeReboot } from '../flows/reboot.ts'
import { UsageError, secondsFlag } from './args.ts'
import { confirm } from './confirm.ts'
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
  reboot: {
    script: 'accessory-reboot',
    usage: 'NAME|all [options]',
    summary:
      'Replaces accessory containers with new ones from the configured image: pulls first on every host, creates the\n' +
      'new container before stopping the old one, verifies it stays up (and healthy), and rolls back if not.\n' +
      'Directories, files and named volumes are kept. Asks first; without a terminal it needs -y.',
    options: {
      yes: YES_OPTION,
      drifted: { type: 'boolean', description: 'reboot only the accessory × host pairs whose image drifted' },
      rolling: { type: 'boolean', description: 'one host at a time, stopping at the first failure' },
      'health-timeout': { type: 'string', description: 'SECONDS  how long a new container may take to become healthy (default 60)' },
      'lock-wait': LOCK_WAIT_OPTION,
    },
    asks: true,
    validate: (args) => void secondsFlag(args.flags['health-timeout'], 'health-timeout', 60),
    run: async ({ deployment, selection, transport, args, io, withLock, printReport }) => {
      const options = {
        dryRun: args.dryRun,
        drifted: args.flags.drifted === true,
        rolling: args.flags.rolling === true,
        healthTimeoutSeconds: secondsFlag(args.flags['health-timeout'], 'health-timeout', 60),
      }
      if (!args.dryRun && args.flags.yes !== true) {
        const preview = await observeReboot(transport, selection, options.drifted)
        if (preview.targets.length === 0) return printReport({ verb: 'reboot', dryRun: false, entries: preview.entries })
        const pairs = preview.targets.map((t) => `${t.verdict.accessory.name} on ${t.verdict.host}`).join(', ')
        if (!(await confirm(`Reboot ${pairs}? Each container is stopped and replaced by a new one.`, false))) {
          io.stderr('Aborted; nothing was changed.\n')
          return 1
        }
      }
      const report = args.dryRun
        ? await executeReboot(deployment, selection, transport, options)
        : await withLock(() => executeReboot(deployment, selection, transport, options))
      return printReport(report)
    },
  },
  lock: {
    script: 'lock',
    usage: 'status|release [options]',
    summary: 'Shows or releases the deploy lock (Kamal-compatible: .kamal/lock-<service>[-<destination>]).',
    options: {},
    selectsAccessories: false,
    validate: (args) => {
      if (args.target !== 'status' && args.target !== 'release') throw new UsageError(`Expected \`status\` or \`release\`, got '${args.target}'.`)
    },
    run: async ({ deployment, transport, args, io }) => {
      const report = await lockCommand(deployment, transport, args.target as 'status' | 'release')
      io.stdout(`${report.lines.join('\n')}\n`)
      return report.exitCode
    },
  },
  // -- lifecycle verbs: start, stop, restart, details, logs, exec, remove --
}
