// The container's labels against berth's and Kamal's `service`, `labels:` and `options: label`; the image's own
// labels are not drift.
import type { Accessory } from '../config/accessory.ts'
import type { ObservedImage } from '../docker/inspect.ts'
import { EXPANDED, kamalShellValue } from './kamal-forms.ts'
import { keyValue } from './options.ts'

/** Config reasons for the container's labels; what cannot be compared goes to `notCompared`. */
export function compareLabels(
  accessory: Accessory,
  options: ReadonlyMap<string, string[]>,
  running: Readonly<Record<string, string>>,
  image: ObservedImage | undefined,
  notCompared: string[],
): string[] {
  const labels = new Map([
    ...accessory.labels,
    ...(options.get('label') ?? []).map(keyValue).map(([k, v]): [string, string] => [k, v ?? '']),
  ])
  return [
    ...compareConfiguredLabels(labels, running, notCompared),
    ...compareUnconfiguredLabels(labels, running, options, image, notCompared),
  ]
}

function compareConfiguredLabels(
  labels: ReadonlyMap<string, string>,
  running: Readonly<Record<string, string>>,
  notCompared: string[],
): string[] {
  const config: string[] = []
  for (const [key, value] of labels) {
    if (EXPANDED.test(value)) {
      notCompared.push(`label ${key} (its \${...} is expanded by the remote shell when Kamal boots it)`)
      continue
    }
    const now = running[key]
    if (now !== value && now !== kamalShellValue(value))
      config.push(`label ${key} ${key in running ? JSON.stringify(now) : 'unset'} → ${JSON.stringify(value)}`)
  }
  return config
}

/** Labels the container has that neither the config nor its image set (a label-file may have). */
function compareUnconfiguredLabels(
  labels: ReadonlyMap<string, string>,
  running: Readonly<Record<string, string>>,
  options: ReadonlyMap<string, string[]>,
  image: ObservedImage | undefined,
  notCompared: string[],
): string[] {
  const extra = Object.entries(running).filter(
    ([key, value]) => !labels.has(key) && (image ? image.labels[key] !== value : false),
  )
  if (!options.has('label-file')) return extra.map(([key]) => `label ${key} is set but not configured`)
  if (extra.length) notCompared.push(`label ${extra.map(([k]) => k).join(', ')} (options: label-file may set them)`)
  return []
}
