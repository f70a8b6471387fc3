// scripts/lock.mjs: shows or releases the deploy lock. The flow is lib/flows/lock-status.ts.
import { UsageError, argText } from '../args.ts'
import type { Verb } from '../context.ts'

export const lockVerb: Verb<Record<never, never>> = {
  script: 'lock',
  usage: 'status|release [options]',
  summary:
    'Shows or releases the deploy lock (Kamal-compatible: .kamal/lock-<service>[-<destination>]), also one whose\n' +
    'details cannot be read. release --dry-run says what it would release and changes nothing.',
  options: {},
  noShard: 'lock acts on the one deploy lock of the config, on its lock host',
  selectsAccessories: false,
  noTarget: 'Name a lock action: `status` (show the deploy lock) or `release` (remove it).',
  validate(args) {
    if (args.target !== 'status' && args.target !== 'release')
      throw new UsageError(`Expected a lock action, \`status\` or \`release\`, got ${argText(args.target ?? '')}.`)
  },
  async run({ deployment, transport, args, invocation }) {
    const [{ lockCommand }, { scriptCommand }] = await Promise.all([
      import('../../flows/lock-status.ts'),
      import('../../report/messages.ts'),
    ])
    const action = args.target as 'status' | 'release'
    const { lines, exitCode } = await lockCommand(deployment, transport, action, {
      dryRun: args.dryRun,
      releaseCommand: scriptCommand('lock', 'release', invocation),
    })
    return { kind: 'lock', action, dryRun: args.dryRun, lines, exitCode }
  },
}
