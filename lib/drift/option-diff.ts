// The `options:` not compared with a setting of their own, against what `docker inspect` reads back
// (option-readback.ts); an option berth cannot read back is listed as not compared, never as drift.
import type { Accessory } from '../config/accessory.ts'
import type { ContainerSettings } from '../docker/inspect.ts'
import { EXPANDED, kamalShellValue } from './kamal-forms.ts'
import { LIST_OPTIONS, SINGLE_OPTIONS, type ListOption } from './option-readback.ts'

/** Compared with the setting they belong to, or not read back at all. */
const COMPARED_ELSEWHERE = new Set([
  'env',
  'env-file',
  'label',
  'label-file',
  'publish',
  'publish-all',
  'volume',
  'volumes-from',
  'entrypoint',
])

/** Config reasons for the configured options, then for options set on the container but no longer configured. */
export function compareOptions(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  settings: ContainerSettings,
  notCompared: string[],
): string[] {
  const reasons: string[] = []
  // Kamal hands a value to the remote shell in Ruby's `dump` form, which the shell reads back as the same
  // value except for escapes such as `\n` (kept as two characters) and `${...}` (expanded there).
  const forms = (value: string) => [...new Set([value, kamalShellValue(value)])]
  for (const [name, values] of options) {
    if (COMPARED_ELSEWHERE.has(name)) continue
    const expanded = values.filter((v) => EXPANDED.test(v))
    if (expanded.length)
      notCompared.push(
        `option --${name} ${expanded.join(', ')} (its \${...} is expanded by the remote shell when Kamal boots it)`,
      )
    const list = LIST_OPTIONS[name]
    const read = SINGLE_OPTIONS[name]
    if (list) {
      reasons.push(...compareListOption(name, list, values, expanded.length > 0, accessory, settings, notCompared))
    } else if (!read) {
      notCompared.push(`option --${name}`)
    } else {
      const value = values.at(-1)!
      if (!expanded.includes(value) && !forms(value).some((v) => read(v, settings.hostConfig, settings.config)))
        reasons.push(`option --${name}${value === 'true' ? '' : ` ${value}`} is not what the container has`)
    }
  }
  return [...reasons, ...unconfiguredOptions(accessory, options, settings)]
}

/** Options removed from the config stay on the container until it is recreated. */
function unconfiguredOptions(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  settings: ContainerSettings,
): string[] {
  const reasons: string[] = []
  for (const [name, list] of Object.entries(LIST_OPTIONS)) {
    if (!list.extras || options.has(name)) continue
    for (const [key] of list.observed(settings, accessory) ?? [])
      reasons.push(`option --${name} ${key} is set on the container but not configured`)
  }
  if (!options.has('memory') && typeof settings.hostConfig.Memory === 'number' && settings.hostConfig.Memory > 0) {
    reasons.push('option --memory is set on the container but not configured')
  }
  if (!options.has('cpus') && typeof settings.hostConfig.NanoCpus === 'number' && settings.hostConfig.NanoCpus > 0) {
    reasons.push('option --cpus is set on the container but not configured')
  }
  return reasons
}

function compareListOption(
  name: string,
  option: ListOption,
  values: readonly string[],
  someExpanded: boolean,
  accessory: Accessory,
  settings: ContainerSettings,
  notCompared: string[],
): string[] {
  const observed = option.observed(settings, accessory)
  if (!observed) {
    notCompared.push(`option --${name} (docker inspect did not say)`)
    return []
  }
  const wanted = new Map<string, { spec: string; value: string }>()
  // A value not read here (a `${...}`, or what berth cannot parse) may be any of the container's: then only
  // the values read are compared, and nothing the container has beyond them is called drift.
  let unread = someExpanded
  for (const spec of values) {
    if (EXPANDED.test(spec)) continue
    const entry = option.wanted(spec) ?? option.wanted(kamalShellValue(spec))
    if (entry) wanted.set(entry[0], { spec, value: entry[1] })
    else {
      notCompared.push(`option --${name} ${spec}`)
      unread = true
    }
  }
  const has = new Map(observed)
  const same = option.same ?? ((a: string, b: string) => a === b)
  const reasons: string[] = []
  for (const [key, { spec, value }] of wanted) {
    const running = has.get(key)
    if (running === undefined || !same(value, running))
      reasons.push(`option --${name} ${spec} is not what the container has`)
  }
  if (option.extras && !unread)
    for (const [key] of observed)
      if (!wanted.has(key)) reasons.push(`option --${name} ${key} is set on the container but not configured`)
  return reasons
}
