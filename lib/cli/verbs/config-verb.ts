// accessory-config: the config berth acts on, resolved. Contacts no host. The document is lib/report/config.ts's.
import type { Verb } from '../context.ts'

export const configVerb: Verb<Record<never, never>> = {
  script: 'accessory-config',
  usage: '[NAME|all] [options]',
  summary:
    'Prints the config berth acts on, resolved (as `kamal config` does): per accessory its container, image, hosts,\n' +
    'env, files, directories, options and the docker run it boots with; the ssh settings and the lock host.\n' +
    'Secret values are never printed ([REDACTED]). Contacts no host.',
  options: {},
  noShard: 'accessory-config contacts no host, so there is nothing to split',
  defaultTarget: 'all',
  contactsHosts: () => false,
  toleratesUnresolvedSecrets: true,
  async run({ deployment, selection, configFile }) {
    const { configDocument } = await import('../../report/config.ts')
    return { kind: 'config', document: configDocument(deployment, selection, configFile) }
  },
}
