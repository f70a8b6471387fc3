import type { Accessory } from '../config/model.ts'

/** One accessory and the hosts a run touches for it (its hosts, narrowed by --hosts). */
export interface Selection {
  accessory: Accessory
  hosts: string[]
}
