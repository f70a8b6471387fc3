// accessory-tunnel: forwards the ports of an accessory's running container to 127.0.0.1 here, over one ssh
// connection of its own, until a signal (exit 0) or the host goes (1). Read-only: no lock. The flow is
// lib/flows/tunnel.ts; this machine's ports are lib/cli/local-ports.ts's.
import { selectionHosts, type Selection } from '../../flows/selection.ts'
import { takenPortMessage } from '../../report/tunnel-lines.ts'
import { portPairsOption, UsageError, type PortPair } from '../args.ts'
import type { Verb } from '../context.ts'

const options = {
  ports: portPairsOption(
    'LOCAL:REMOTE,…  forward these container ports to these local ports (default: every TCP port, on its own number if free)',
  ),
}

/** One accessory on one host: the one --hosts names when it runs on several. */
function tunnelTarget(selection: readonly Selection[]): { accessory: Selection['accessory']; host: string } {
  if (selection.length !== 1)
    throw new UsageError(
      `A tunnel reaches one accessory; name one of: ${selection.map((s) => s.accessory.name).join(', ')}.`,
    )
  const { accessory } = selection[0]!
  const hosts = selectionHosts(selection)
  if (hosts.length !== 1)
    throw new UsageError(
      `\`${accessory.name}\` runs on ${hosts.join(', ')}; a tunnel reaches one host: pick one with --hosts ${hosts[0]}.`,
    )
  return { accessory, host: hosts[0]! }
}

/** Each local port --ports asks for must be free now, before any host is contacted (64 naming its holder). */
async function checkAskedPorts(pairs: readonly PortPair[] | undefined): Promise<void> {
  if (!pairs) return
  const { holderOf, isFree } = await import('../local-ports.ts')
  const { nextFreePort } = await import('../../flows/tunnel-plan.ts')
  const asked = new Set(pairs.map((p) => p.local))
  for (const { local, remote } of pairs) {
    if (await isFree(local)) continue
    const suggestion = (await nextFreePort(local + 1, isFree, asked)) ?? local
    throw new UsageError(takenPortMessage(local, remote, holderOf(local), suggestion))
  }
}

export const tunnelVerb: Verb<typeof options> = {
  script: 'accessory-tunnel',
  usage: 'NAME [--hosts H] [--ports LOCAL:REMOTE,…] [--json] [options]',
  noShard: 'accessory-tunnel forwards ports of one accessory on one host, named with --hosts',
  summary:
    "Forwards the TCP ports of an accessory's running container to 127.0.0.1 on this machine, over one ssh\n" +
    'connection, until Ctrl-C (exit 0) or the host goes (1). Read-only: no lock, nothing changes on the host.',
  options,
  opensOwnConnection: true,
  endsOnSignal: true,
  toleratesUnresolvedSecrets: true,
  noTarget: 'Name the accessory to tunnel to, e.g. `accessory-tunnel.mjs db`.',
  validate(args) {
    if (args.target === 'all') throw new UsageError('A tunnel reaches one accessory: name it instead of `all`.')
    if (args.dryRun) throw new UsageError('accessory-tunnel changes nothing, so it has no --dry-run; run it without.')
    if (args.command.length)
      throw new UsageError('accessory-tunnel runs no command; drop the words after `--` (accessory-exec runs one).')
  },
  async validateSelection(args, selection) {
    tunnelTarget(selection)
    await checkAskedPorts(args.flags.ports)
  },
  async run({ selection, transport, args, json, invocation, engine, output }) {
    const [{ runTunnel }, { holderOf, isFree }] = await Promise.all([
      import('../../flows/tunnel.ts'),
      import('../local-ports.ts'),
    ])
    if (!transport.tunnel) throw new Error('this transport cannot carry a tunnel')
    const { accessory, host } = tunnelTarget(selection)
    const request = { accessory, host, requested: args.flags.ports, json, invocation }
    const deps = { tunnel: transport.tunnel(host), isFree, holderOf, signal: engine.signal, stdout: output.stdout }
    return runTunnel(request, deps)
  },
}
