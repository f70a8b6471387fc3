// The two commands of a reboot that change which container holds the accessory's name: the swap, and its
// rollback. Pure, like commands.ts; flows/reboot.ts decides when each runs. The fake fleet
// (test/support/fake-fleet.ts) reads this text back, so each step is a plain `docker` word list.
import { chain, combine } from '../remote/joiners.ts'
import type { RemoteCommand } from '../remote/transport.ts'

/**
 * Old container out, new one in, as one remote command: rename old aside && rename new to the service name
 * && stop old && start new. The renames come first (a running container can be renamed), so the downtime
 * is `docker stop` then `docker start` alone, as close to `docker restart` as two containers allow.
 */
export function swapCommand(
  serviceName: string,
  newId: string,
  old: { id: string; asideName: string } | undefined,
): RemoteCommand {
  return {
    argv: combine(
      old && ['docker', 'rename', old.id, old.asideName],
      ['docker', 'rename', newId, serviceName],
      old && ['docker', 'stop', old.id],
      ['docker', 'start', newId],
    ),
  }
}

/**
 * Puts the old container back under its name and, if it was running, starts it again: remove new ; rename
 * old back (quietly: the swap may not have renamed it) ; start old. Each step runs whatever the one before
 * did; the exit code is the last step's (`true` when there is nothing to start).
 */
export function rollbackCommand(
  serviceName: string,
  newId: string,
  old: { id: string; wasRunning: boolean } | undefined,
): RemoteCommand {
  return {
    argv: chain(
      ['docker', 'rm', '--force', newId],
      old && ['docker', 'rename', old.id, serviceName, { raw: '2>/dev/null' }],
      old?.wasRunning ? ['docker', 'start', old.id] : ['true'],
    ),
  }
}
