// accessory-check: compares what runs with the config, read-only. The flow is lib/flows/accessory-details.ts.
import type { Verb } from '../context.ts'
import { REGISTRY_OPTION, SHARD_OPTION } from '../verb-options.ts'

const options = { registry: REGISTRY_OPTION, shard: SHARD_OPTION }

export const checkVerb: Verb<typeof options> = {
  script: 'accessory-check',
  usage: 'NAME|all [options]',
  summary:
    'Compares what runs with the config, read-only (docker inspect and docker image inspect only; no pull, no\n' +
    'lock, nothing written): image, a tag moved on the host, cmd, port, volumes, env, labels, network, restart,\n' +
    'logging, options and secrets (named, never shown). Exit 2 on drift, with the command that fixes it.',
  options,
  toleratesUnresolvedSecrets: true,
  oneCommandPerHost: true,
  emptyResult: () => ({ kind: 'check', entries: [] }),
  async run({ selection, engine, judging }) {
    const { accessoryDetails } = await import('../../flows/accessory-details.ts')
    return { kind: 'check', entries: await accessoryDetails(selection, engine, judging) }
  },
}
