// accessory-details: read-only, no lock. One observation round trip per host, one entry per
// accessory × host, which lib/report/details.ts renders as a table.
import type { JudgeContext } from '../drift/verdicts.ts'
import type { ReportEntry } from '../report/model.ts'
import type { StepEngine } from './engine.ts'
import { entriesFor } from './entries.ts'
import { observeSelection } from './observe.ts'
import type { Selection } from './selection.ts'

export async function accessoryDetails(
  selection: Selection[],
  engine: StepEngine,
  judging: JudgeContext,
): Promise<ReportEntry[]> {
  return entriesFor((await observeSelection(engine, selection, judging)).verdicts, new Map())
}
