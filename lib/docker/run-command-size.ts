// `docker run` travels as one argument (to the local ssh, then to the remote shell), and Linux caps one argument
// at 128 KiB: how long each accessory's command would be, measured before any host is contacted. Pure; turning an
// oversized one into a config error is the caller's (lib/flows/command-size-check.ts).
import type { Accessory } from '../config/accessory.ts'
import type { Deployment } from '../config/deployment.ts'
import { shellJoin } from '../remote/quote.ts'
import { MAX_REMOTE_COMMAND_BYTES } from '../remote/ssh.ts'
import { runAccessory } from './accessory-commands.ts'

/** The accessories whose `docker run` would not fit on one command line, each with its size on its largest host. */
export function oversizedRunCommands(deployment: Deployment): Array<{ accessory: Accessory; bytes: number }> {
  return deployment.accessories.flatMap((accessory) => {
    const bytes = Math.max(
      0,
      ...accessory.hosts.map((host) =>
        Buffer.byteLength(shellJoin(runAccessory(accessory, host, deployment.loggingArgs).argv)),
      ),
    )
    return bytes > MAX_REMOTE_COMMAND_BYTES ? [{ accessory, bytes }] : []
  })
}
