// One complete sentence per report entry, with the fix in it. Text and JSON output share these.
import { displayJoin } from '../remote/quote.ts'
import type { ContainerState } from '../docker/inspect.ts'
import type { Done } from './labels.ts'
import type { InvocationContext, ReportEntry } from './model.ts'

/** The command a user runs next, repeating the invocation's -c and -d, quoted for a POSIX shell to paste. */
export function scriptCommand(
  script: string,
  target: string,
  context: InvocationContext,
  extra: string[] = [],
): string {
  const words = ['npx', 'zx', `scripts/${script}.mjs`, target, ...extra]
  if (context.configFlag) words.push('-c', context.configFlag)
  if (context.destination) words.push('-d', context.destination)
  return displayJoin(words)
}

/** `--hosts` only when the command must not touch every host of the accessory. */
function hostsFlag(accessory: string, hosts: readonly string[], context: InvocationContext): string[] {
  const all = context.accessoryHosts.get(accessory) ?? []
  const everyHost = all.length === hosts.length && all.every((h) => hosts.includes(h))
  return everyHost ? [] : ['--hosts', hosts.join(',')]
}

/**
 * The command that fixes an entry, when one does: what was done decides, else what was found. `sameOutcomeHosts`
 * are the accessory's hosts with the same outcome, so one command covers them.
 */
export function fixCommand(
  entry: ReportEntry,
  context: InvocationContext,
  sameOutcomeHosts: readonly string[] = [entry.host],
): string | undefined {
  switch (entry.done) {
    case undefined:
      return foundFix(entry, context, sameOutcomeHosts)
    case 'would_boot':
      return bootFix(entry, context, sameOutcomeHosts)
    case 'failed':
    case 'skipped':
      return undefined
    default:
      return leftoversFix(entry, context)
  }
}

/** The fix for what a look found (nothing done yet). */
function foundFix(
  entry: ReportEntry,
  context: InvocationContext,
  sameOutcomeHosts: readonly string[],
): string | undefined {
  const onThisHost = (script: string) => scriptCommand(script, entry.accessory, context, ['--hosts', entry.host])
  switch (entry.found) {
    case 'drift':
      // only kamal-proxy's route differs: a start routes the running container again, without replacing it
      if (entry.drift?.length && entry.drift.every((d) => d.kind === 'proxy')) return onThisHost('accessory-start')
      return scriptCommand(
        'accessory-reboot',
        entry.accessory,
        context,
        hostsFlag(entry.accessory, sameOutcomeHosts, context),
      )
    case 'missing':
      return bootFix(entry, context, sameOutcomeHosts)
    case 'unreachable':
    case undefined:
      return undefined
    case 'in_sync':
      break
  }
  switch (entry.state) {
    case 'stopped':
    case 'created':
    case 'paused':
      return onThisHost('accessory-start')
    case 'restarting':
      return onThisHost('accessory-logs')
    case 'dead':
      return onThisHost('accessory-reboot')
    default:
      return leftoversFix(entry, context)
  }
}

/** A missing accessory is booted; one with a container set aside by an interrupted reboot is restored instead. */
function bootFix(entry: ReportEntry, context: InvocationContext, sameOutcomeHosts: readonly string[]): string {
  if (entry.leftovers?.some((l) => l.name.includes('-berth-old-')))
    return scriptCommand('accessory-reboot', entry.accessory, context, ['--hosts', entry.host])
  return scriptCommand(
    'accessory-boot',
    entry.accessory,
    context,
    hostsFlag(entry.accessory, sameOutcomeHosts, context),
  )
}

/** Leftovers of an interrupted reboot beside an accessory that is otherwise fine: a reboot restores or cleans them. */
function leftoversFix(entry: ReportEntry, context: InvocationContext): string | undefined {
  return entry.leftovers?.length
    ? scriptCommand('accessory-reboot', entry.accessory, context, ['--hosts', entry.host])
    : undefined
}

/** The sentence added when an interrupted reboot left temporary containers beside the accessory. */
function leftoversSentence(entry: ReportEntry, fix: string | undefined): string {
  if (!entry.leftovers?.length) return ''
  const list = entry.leftovers.map((l) => `${l.name} (${l.state})`).join(', ')
  const restore = scriptCommand('accessory-reboot', entry.accessory, { accessoryHosts: new Map() }, [
    '--hosts',
    entry.host,
  ])
  const command = fix?.includes('accessory-reboot') ? fix : restore
  return ` An interrupted reboot left ${list} there; run \`${command}\` to restore or clean them up (nothing holding data is deleted).`
}

export function entryMessage(entry: ReportEntry, fix: string | undefined): string {
  const sentence = stateMessage(entry, fix)
  const leftovers = leftoversSentence(entry, fix)
  return leftovers && !/[.!?]$/.test(sentence) ? `${sentence}.${leftovers}` : sentence + leftovers
}

/** What was done decides the sentence, else what was found. */
function stateMessage(entry: ReportEntry, fix: string | undefined): string {
  return entry.done ? doneMessage(entry, entry.done, fix) : foundMessage(entry, fix)
}

/** ` (detail)` when there is one. */
const inBrackets = (detail: string | undefined) => (detail ? ` (${detail})` : '')

function doneMessage(entry: ReportEntry, done: Done, fix: string | undefined): string {
  const name = `\`${entry.accessory}\``
  const change = `(${entry.runningImage ?? 'no container'} → ${entry.configuredImage})`
  switch (done) {
    case 'booted':
      return `Booted accessory ${name} on ${entry.host} (${entry.configuredImage}).`
    case 'would_boot':
      return `Accessory ${name} has no container on ${entry.host}; run \`${fix}\` to boot it (${entry.configuredImage}).`
    case 'rebooted':
      return `Rebooted accessory ${name} on ${entry.host} ${change}${entry.detail ? `; ${entry.detail}` : ''}.`
    case 'would_reboot':
      return `Would reboot accessory ${name} on ${entry.host} ${change}; run without --dry-run to do it.`
    case 'restored':
      return `Restored accessory ${name} on ${entry.host} after an interrupted reboot${inBrackets(entry.detail)}.`
    case 'started':
      return `Started accessory ${name} on ${entry.host}${inBrackets(entry.detail)}.`
    case 'stopped':
      return `Stopped accessory ${name} on ${entry.host}${inBrackets(entry.detail)}.`
    case 'restarted':
      return `Restarted accessory ${name} on ${entry.host}${inBrackets(entry.detail)}.`
    case 'removed':
      return `Removed accessory ${name} on ${entry.host}${inBrackets(entry.detail)}.`
    case 'unchanged':
      return `Nothing to do for accessory ${name} on ${entry.host}: ${entry.detail ?? 'it is already as asked'}.`
    case 'planned':
      return `Would ${entry.detail ?? 'change'} accessory ${name} on ${entry.host}; run without --dry-run to do it.`
    case 'failed':
      return `Accessory ${name} failed on ${entry.host}: ${entry.error}`
    case 'skipped':
      return `Accessory ${name} was not touched on ${entry.host}: ${entry.error}`
  }
}

function foundMessage(entry: ReportEntry, fix: string | undefined): string {
  const name = `\`${entry.accessory}\``
  switch (entry.found) {
    case 'drift':
      return driftMessage(entry, fix)
    case 'missing':
      if (fix?.includes('accessory-reboot'))
        return `Accessory ${name} has no container named ${entry.service} on ${entry.host}; run \`${fix}\` to restore it.`
      return `Accessory ${name} has no container on ${entry.host}; run \`${fix}\` to boot it.`
    case 'unreachable':
    case undefined:
      return `Accessory ${name} failed on ${entry.host}: ${entry.error}`
    case 'in_sync':
      return stateSentence(entry, entry.state ?? 'running', fix)
  }
}

/** A container with the configured image, by its state. */
function stateSentence(entry: ReportEntry, state: ContainerState, fix: string | undefined): string {
  const name = `\`${entry.accessory}\``
  const exists = `Accessory ${name} exists on ${entry.host} with the configured image (${entry.configuredImage})`
  switch (state) {
    case 'running':
      return `Accessory ${name} is running on ${entry.host} with the configured image (${entry.configuredImage}); nothing to do.`
    case 'stopped':
      return `${exists} but is stopped; run \`${fix}\` to start it.`
    case 'created':
      return `${exists} but was never started; run \`${fix}\` to start it.`
    case 'paused':
      return `${exists} but is paused; run \`${fix}\` to unpause it.`
    case 'restarting':
      return (
        `Accessory ${name} keeps restarting on ${entry.host} (a crash loop, ${entry.configuredImage}); ` +
        `run \`${fix}\` to see why, fix the cause, then reboot it.`
      )
    case 'dead':
      return `Accessory ${name} is dead on ${entry.host} (docker could not stop or remove it cleanly); run \`${fix}\` to replace it.`
  }
}

/** An image change alone says so plainly; any other drift lists its reasons. */
function driftMessage(entry: ReportEntry, fix: string | undefined): string {
  const name = `\`${entry.accessory}\``
  const reasons = (entry.drift ?? []).flatMap((d) => d.reasons)
  if (
    reasons.length === 0 ||
    (entry.drift?.length === 1 && entry.drift[0]!.kind === 'image' && !entry.configuredImage.includes('@'))
  ) {
    return (
      `Accessory ${name} image has changed on ${entry.host} (${entry.runningImage} → ${entry.configuredImage}); ` +
      `run \`${fix}\` to update`
    )
  }
  return `Accessory ${name} has drifted on ${entry.host} (${reasons.join('; ')}); run \`${fix}\` to update`
}
