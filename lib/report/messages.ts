// One complete sentence per report entry, with the fix in it. Text and JSON output share these.
import { shellJoin } from '../remote/quote.ts'
import type { InvocationContext, ReportEntry } from './model.ts'

/** The command a user runs next, repeating the invocation's -c and -d, quoted for a POSIX shell to paste. */
export function scriptCommand(script: string, target: string, context: InvocationContext, extra: string[] = []): string {
  const words = ['npx', 'zx', `scripts/${script}.mjs`, target, ...extra]
  if (context.configFlag) words.push('-c', context.configFlag)
  if (context.destination) words.push('-d', context.destination)
  return shellJoin(words)
}

/** `--hosts` only when the command must not touch every host of the accessory. */
function hostsFlag(accessory: string, hosts: readonly string[], context: InvocationContext): string[] {
  const all = context.accessoryHosts.get(accessory) ?? []
  const everyHost = all.length === hosts.length && all.every((h) => hosts.includes(h))
  return everyHost ? [] : ['--hosts', hosts.join(',')]
}

export function fixCommand(entry: ReportEntry, context: InvocationContext, sameOutcomeHosts: readonly string[] = [entry.host]): string | undefined {
  switch (entry.outcome) {
    case 'drift':
      return scriptCommand('accessory-reboot', entry.accessory, context, hostsFlag(entry.accessory, sameOutcomeHosts, context))
    case 'stopped':
      return scriptCommand('accessory-start', entry.accessory, context, ['--hosts', entry.host])
    case 'would_boot':
    case 'missing':
      return scriptCommand('accessory-boot', entry.accessory, context, hostsFlag(entry.accessory, sameOutcomeHosts, context))
    default:
      return undefined
  }
}

export function entryMessage(entry: ReportEntry, fix: string | undefined): string {
  const name = `\`${entry.accessory}\``
  switch (entry.outcome) {
    case 'booted':
      return `Booted accessory ${name} on ${entry.host} (${entry.configuredImage}).`
    case 'would_boot':
      return `Accessory ${name} has no container on ${entry.host}; run \`${fix}\` to boot it (${entry.configuredImage}).`
    case 'running':
      return `Accessory ${name} is running on ${entry.host} with the configured image (${entry.configuredImage}); nothing to do.`
    case 'stopped':
      return `Accessory ${name} exists on ${entry.host} with the configured image (${entry.configuredImage}) but is ${entry.state ?? 'stopped'}; run \`${fix}\` to start it.`
    case 'drift':
      return `Accessory ${name} image has changed on ${entry.host} (${entry.runningImage} → ${entry.configuredImage}); run \`${fix}\` to update`
    case 'failed':
      return `Accessory ${name} failed on ${entry.host}: ${entry.error}`
    case 'rebooted':
      return `Rebooted accessory ${name} on ${entry.host} (${entry.runningImage ?? 'no container'} → ${entry.configuredImage}).`
    case 'would_reboot':
      return `Would reboot accessory ${name} on ${entry.host} (${entry.runningImage ?? 'no container'} → ${entry.configuredImage}); run without --dry-run to do it.`
    case 'started':
      return `Started accessory ${name} on ${entry.host}${entry.detail ? ` (${entry.detail})` : ''}.`
    case 'halted':
      return `Stopped accessory ${name} on ${entry.host}${entry.detail ? ` (${entry.detail})` : ''}.`
    case 'restarted':
      return `Restarted accessory ${name} on ${entry.host}${entry.detail ? ` (${entry.detail})` : ''}.`
    case 'removed':
      return `Removed accessory ${name} on ${entry.host}${entry.detail ? ` (${entry.detail})` : ''}.`
    case 'planned':
      return `Would ${entry.detail ?? 'change'} accessory ${name} on ${entry.host}; run without --dry-run to do it.`
    case 'missing':
      return `Accessory ${name} has no container on ${entry.host}; run \`${fix}\` to boot it.`
    case 'skipped':
      return `Accessory ${name} was not touched on ${entry.host}: ${entry.error}`
  }
}
