// Temporary: split into value-rules.ts, value-collector.ts, value-problems.ts and accessory-values.ts
// (imports rewritten in a later commit).
export {
  show,
  MAX_NAME,
  IMAGE,
  publishProblem,
  publishValue,
  hostProblem,
  volumeProblem,
  destinationProblem,
} from './value-rules.ts'
export type { Problem } from './value-collector.ts'
export { valueProblems } from './value-problems.ts'
