// The commands of a reboot that change which container holds the accessory's name: the swap, and its
// rollback (put back, look, then remove the new container or keep it). Pure, like commands.ts; flows/reboot.ts
// and flows/rollback.ts decide when each runs. The fake fleet (test/support/fake-fleet.ts) reads this text
// back, so each step is a plain `docker` word list.
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
 * A rollback's first step, which removes nothing: the new container is stopped (a crash-looping one cannot be
 * renamed, and the old one must not start beside a running one on the same data; `docker stop` lets it shut
 * down cleanly) and goes back to its temporary name, freeing the accessory's name; the old one gets the name
 * back and, only if it did and it was running, is started again. Each step runs whatever the one before did
 * (the swap may have stopped short, or a container may be gone); the flow then looks at what holds the name
 * (`nameHolder`) and only then removes the new container, or keeps it if the old one could not be put back.
 */
export function putBackCommand(
  serviceName: string,
  next: { id: string; temporaryName: string },
  old: { id: string; wasRunning: boolean },
): RemoteCommand {
  return {
    argv: chain(
      ['docker', 'stop', next.id, { raw: '2>/dev/null' }],
      ['docker', 'rename', next.id, next.temporaryName, { raw: '2>/dev/null' }],
      combine(
        ['docker', 'rename', old.id, serviceName, { raw: '2>/dev/null' }],
        old.wasRunning && ['docker', 'start', old.id],
      ),
    ),
  }
}

/** When the old container cannot be put back, the new one keeps (or takes) the accessory's name and is started. */
export function keepNewCommand(serviceName: string, newId: string): RemoteCommand {
  return { argv: chain(['docker', 'rename', newId, serviceName, { raw: '2>/dev/null' }], ['docker', 'start', newId]) }
}

/** Which container holds a name now: `<id> <status> <image>`, or exit 1 and `No such container` when none does. */
export function nameHolder(name: string): RemoteCommand {
  return {
    argv: ['docker', 'inspect', name, '--type', 'container', '--format', '{{.Id}} {{.State.Status}} {{.Config.Image}}'],
    readOnly: true,
  }
}
