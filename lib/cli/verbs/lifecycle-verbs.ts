// accessory-start, accessory-stop, accessory-restart: one verb each, under the deploy lock. The flow is
// lib/flows/lifecycle.ts.
import type { LifecycleAction } from '../../flows/lifecycle.ts'
import type { Verb } from '../context.ts'
import { LOCK_WAIT_OPTION } from '../verb-options.ts'

const options = { 'lock-wait': LOCK_WAIT_OPTION }

function lifecycleVerb(action: LifecycleAction, summary: string): Verb<typeof options> {
  return {
    script: `accessory-${action}`,
    usage: 'NAME|all [options]',
    summary,
    options,
    changesHosts: true,
    async run({ selection, engine, args, lock, invocation, judging }) {
      const { changeAccessories } = await import('../../flows/lifecycle.ts')
      const flowOptions = { dryRun: args.dryRun, withLock: lock.around, invocation, judging }
      return { kind: 'report', report: await changeAccessories(action, selection, engine, flowOptions) }
    },
  }
}

export const startVerb = lifecycleVerb(
  'start',
  'Starts the stopped containers of accessories (`docker container start`), under the deploy lock.',
)
export const stopVerb = lifecycleVerb(
  'stop',
  'Stops the containers of accessories (`docker container stop`), under the deploy lock. Nothing is removed.',
)
export const restartVerb = lifecycleVerb(
  'restart',
  'Stops, then starts the containers of accessories, under the deploy lock.',
)
