// accessory-reboot: replaces accessory containers with new ones from the configured image, under the deploy
// lock, asking first. The flow is lib/flows/reboot.ts.
import { booleanOption, secondsOption } from '../args.ts'
import type { Verb } from '../context.ts'
import { LOCK_WAIT_OPTION, REGISTRY_OPTION, YES_OPTION } from '../verb-options.ts'

const options = {
  yes: YES_OPTION,
  drifted: booleanOption('reboot only the accessory × host pairs whose image drifted'),
  rolling: booleanOption('one host at a time, stopping at the first failure'),
  'health-timeout': secondsOption('SECONDS  how long a new container may take to become healthy (default 60)', 60),
  'lock-wait': LOCK_WAIT_OPTION,
  registry: REGISTRY_OPTION,
}

export const rebootVerb: Verb<typeof options> = {
  script: 'accessory-reboot',
  usage: 'NAME|all [options]',
  summary:
    'Replaces accessory containers with new ones from the configured image: pulls first on every host, creates the\n' +
    'new container before stopping the old one, verifies it stays up (and healthy), and rolls back if not.\n' +
    'Directories, files and named volumes are kept. Asks first; without a terminal it needs -y.',
  options,
  asks: true,
  changesHosts: true,
  uploadsFiles: true,
  async run({ deployment, selection, engine, args, lock, judging, confirm, settleMs }) {
    const { executeReboot, previewReboot } = await import('../../flows/reboot.ts')
    const { flags, dryRun } = args
    const rebootOptions = {
      dryRun,
      drifted: flags.drifted,
      rolling: flags.rolling,
      healthTimeoutSeconds: flags['health-timeout'],
      settleMs,
      judging,
    }
    if (!dryRun && !flags.yes) {
      const preview = await previewReboot(engine, judging, selection, rebootOptions.drifted)
      if (preview.targets.length === 0) {
        const { entriesFor } = await import('../../flows/entries.ts')
        return {
          kind: 'report',
          report: { verb: 'reboot', dryRun: false, entries: entriesFor(preview.verdicts, new Map()) },
        }
      }
      const pairs = preview.targets.map((t) => `${t.accessory.name} on ${t.host}`).join(', ')
      if (!(await confirm(`Reboot ${pairs}? Each container is stopped and replaced by a new one.`, false)))
        return { kind: 'aborted', verb: 'reboot' }
    }
    const reboot = () => executeReboot(deployment, selection, engine, rebootOptions)
    return { kind: 'report', report: dryRun ? await reboot() : await lock.around(reboot) }
  },
}
