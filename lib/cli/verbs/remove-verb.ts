// accessory-remove: stops and removes the accessories' containers (and, when asked, image, directory, volumes),
// under the deploy lock, asking first. The flow is lib/flows/lifecycle.ts.
import { booleanOption } from '../args.ts'
import type { Verb } from '../context.ts'
import { LOCK_WAIT_OPTION, YES_OPTION } from '../verb-options.ts'

const options = {
  yes: YES_OPTION,
  'lock-wait': LOCK_WAIT_OPTION,
  image: booleanOption('also remove the image (docker image rm --force)'),
  directory: booleanOption('also remove the service directory (uploaded files, relative directories: data!)'),
  volumes: booleanOption("also remove the named volumes in the accessory's volumes: (data!)"),
}

export const removeVerb: Verb<typeof options> = {
  script: 'accessory-remove',
  usage: 'NAME|all [--image] [--directory] [--volumes] [-y] [options]',
  summary:
    "Stops and removes the containers of accessories (every container with the accessory's label), under\n" +
    'the deploy lock. Data is removed only when asked: --image, --directory, --volumes. Asks first.',
  asks: true,
  changesHosts: true,
  options,
  async run({ selection, engine, args, invocation, lock, judging, confirm }) {
    const { removeAccessories, removeQuestion } = await import('../../flows/lifecycle.ts')
    const { image, directory, volumes, yes } = args.flags
    const what = { image, directory, volumes }
    if (!args.dryRun && !(await confirm(removeQuestion(selection, what), yes)))
      return { kind: 'aborted', verb: 'remove' }
    const flowOptions = { ...what, dryRun: args.dryRun, withLock: lock.around, invocation, judging }
    return { kind: 'report', report: await removeAccessories(selection, engine, flowOptions) }
  },
}
