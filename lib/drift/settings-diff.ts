// (desired, observed) → what differs, field by field, in words a person can act on. Everything berth sets on
// `docker run` is compared: cmd, published port, volumes, clear env, labels, network, restart policy, logging,
// the `options:` berth can map to `docker inspect`, and secret values (named, never shown); the image is compared
// in image-diff.ts. What the image brings itself (its Env, Labels, Cmd) is not drift. What cannot be compared is
// listed as such, never as drift.
import type { Accessory } from '../config/accessory.ts'
import type { ObservedContainer, ObservedImage } from '../docker/inspect.ts'
import { compareCmd } from './cmd-diff.ts'
import type { DriftFinding } from './drift-finding.ts'
import { compareEnv } from './env-diff.ts'
import { compareLogging, compareNetwork, compareRestart } from './host-config-diff.ts'
import { imageById } from './image-diff.ts'
import { compareLabels } from './label-diff.ts'
import { compareOptions } from './option-diff.ts'
import { optionValues } from './options.ts'
import { comparePorts } from './port-diff.ts'
import { compareVolumes } from './volume-diff.ts'

export interface Comparison {
  findings: DriftFinding[]
  /** What could not be compared here (never drift): `option --ulimit`, `secret DB_PASSWORD (not resolved here)`. */
  notCompared: string[]
}

export interface CompareContext {
  host: string
  loggingArgs: readonly string[]
  /** The images the host answered for: configured references and the containers' own images. */
  images: readonly ObservedImage[]
  /** Secret keys whose values could not be resolved where berth runs. */
  unresolvedSecrets?: readonly string[]
  /** The remote shell's working directory (`$PWD`), against which docker made relative bind sources absolute. */
  loginDirectory?: string
}

/** Everything berth sets on `docker run`, compared with what docker recorded. */
export function compareSettings(
  accessory: Accessory,
  container: ObservedContainer,
  context: CompareContext,
): Comparison {
  const settings = container.settings
  if (!settings) return { findings: [], notCompared: ['container settings (docker inspect gave none)'] }
  const image = imageById(context.images, container.imageId)
  // What `options:` adds (`--env`, `--label`, `--publish`, `--volume`, …) is configured like the rest.
  const options = optionValues(accessory.options)
  const notCompared: string[] = []
  const env = compareEnv(accessory, options, settings, image, context, notCompared)
  const config = [
    ...env.config,
    ...compareLabels(accessory, options, container.labels, image, notCompared),
    ...compareCmd(accessory, settings, image, notCompared),
    ...comparePorts(accessory, options, settings, notCompared),
    ...compareVolumes(accessory, options, settings, notCompared, context.loginDirectory),
    ...compareNetwork(accessory, settings),
    ...compareRestart(accessory, settings),
    ...compareLogging(context.loggingArgs, settings),
    ...compareOptions(accessory, options, settings, notCompared),
  ]
  const findings: DriftFinding[] = []
  if (config.length) findings.push({ kind: 'config', reasons: config })
  if (env.secrets.length) findings.push({ kind: 'secrets', reasons: env.secrets })
  return { findings, notCompared }
}
