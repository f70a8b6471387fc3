import type { Accessory } from '../config/accessory.ts'

/** One accessory and the hosts a run touches for it (its hosts, narrowed by --hosts). */
export interface Selection {
  accessory: Accessory
  hosts: string[]
}

/** Every host a selection touches, in first-seen order. */
export function selectionHosts(selection: readonly Selection[]): string[] {
  return [...new Set(selection.flatMap((s) => s.hosts))]
}
