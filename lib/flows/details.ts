// accessory-details: read-only, no lock. One observation round trip per host, one verdict per
// accessory × host, turned into the rows lib/report/details.ts renders.
import type { Verdict } from '../drift/verdicts.ts'
import type { Transport } from '../remote/transport.ts'
import type { DetailsRow } from '../report/details.ts'
import { observeSelection } from './observe.ts'
import type { Selection } from './selection.ts'

export function detailsRow(verdict: Verdict): DetailsRow {
  const base = { accessory: verdict.accessory.name, service: verdict.accessory.serviceName, host: verdict.host, configuredImage: verdict.accessory.image }
  switch (verdict.kind) {
    case 'unobserved':
      return { ...base, verdict: 'unreachable', error: verdict.error }
    case 'missing':
      return { ...base, verdict: 'missing' }
    case 'in_sync':
    case 'drift': {
      const c = verdict.container
      return { ...base, state: c.state, runningImage: c.image, containerId: c.id.slice(0, 12), verdict: verdict.kind === 'drift' ? 'drift' : 'in sync' }
    }
  }
}

export async function accessoryDetails(selection: Selection[], transport: Transport): Promise<DetailsRow[]> {
  return (await observeSelection(transport, selection)).verdicts.map(detailsRow)
}
