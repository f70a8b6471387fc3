// accessory-boot: boots the accessories that have no container yet, and reports (without touching them) those
// whose running image differs from the configured one. The flow is lib/flows/boot.ts.
import type { Verb } from '../context.ts'
import { LOCK_WAIT_OPTION, REGISTRY_OPTION } from '../verb-options.ts'

const options = { 'lock-wait': LOCK_WAIT_OPTION, registry: REGISTRY_OPTION }

export const bootVerb: Verb<typeof options> = {
  script: 'accessory-boot',
  usage: 'NAME|all [options]',
  summary:
    'Boots accessories that have no container yet, and reports (without touching them) those whose running\n' +
    'image differs from the configured one.',
  options,
  changesHosts: true,
  uploadsFiles: true,
  async run({ deployment, selection, engine, args, lock, judging, invocation }) {
    const { bootAccessories } = await import('../../flows/boot.ts')
    const options = { dryRun: args.dryRun, withLock: lock.around, judging, invocation }
    return { kind: 'report', report: await bootAccessories(deployment, selection, engine, options) }
  },
}
