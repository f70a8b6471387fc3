// accessory-details: per accessory and host, the container state, images and a verdict. Read-only. The flow is
// lib/flows/accessory-details.ts.
import type { Verb } from '../context.ts'
import { REGISTRY_OPTION, SHARD_OPTION } from '../verb-options.ts'

const options = { registry: REGISTRY_OPTION, shard: SHARD_OPTION }

export const detailsVerb: Verb<typeof options> = {
  script: 'accessory-details',
  usage: 'NAME|all [options]',
  summary:
    'Shows, per accessory and host, the container state, running and configured image, and a verdict\n' +
    '(in sync, drift, missing, unreachable). Read-only; takes no lock.',
  options,
  toleratesUnresolvedSecrets: true,
  oneCommandPerHost: true,
  emptyResult: () => ({ kind: 'details', entries: [] }),
  async run({ selection, engine, judging }) {
    const { accessoryDetails } = await import('../../flows/accessory-details.ts')
    return { kind: 'details', entries: await accessoryDetails(selection, engine, judging) }
  },
}
