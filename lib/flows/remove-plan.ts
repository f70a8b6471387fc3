// accessory-remove's plan for one accessory on one host, pure: what the run executes and what `--dry-run` prints,
// and what each step removed judged from its result.
import type { Accessory } from '../config/accessory.ts'
import {
  removeContainer,
  removeImage,
  removeServiceDirectory,
  removeVolume,
  stopContainer,
} from '../docker/accessory-commands.ts'
import { isUp, type ObservedContainer } from '../docker/inspect.ts'
import type { CommandResult } from '../remote/transport.ts'
import type { Step } from './engine.ts'
import { unrouteStep } from './proxy-steps.ts'

export interface RemoveOptions {
  image: boolean
  directory: boolean
  volumes: boolean
}

/**
 * The named volumes among an accessory's `volumes:` entries: `name:/path[:opts]` whose source is a
 * docker volume name (no `/`, `.` or `~` prefix, so not a host path). A lone `/path` is an anonymous
 * volume and has no name to remove.
 */
export function namedVolumes(volumes: readonly string[]): string[] {
  const names = volumes
    .map((volume) => volume.split(':'))
    .filter((parts) => parts.length >= 2)
    .map((parts) => parts[0]!)
    .filter((source) => /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source))
  return [...new Set(names)]
}

export interface RemovePlan {
  steps: Array<Step & { removes?: string }>
}

const ignoreFailure = () => true

/**
 * Kamal's remove order on one host: stop the container (gracefully, failures ignored), remove every
 * container carrying the label (by id), then only what the flags ask for: image, service directory,
 * named volumes. Nothing is planned when there is nothing to remove.
 */
export function planRemove(
  accessory: Accessory,
  containers: readonly ObservedContainer[],
  options: RemoveOptions,
): RemovePlan {
  const labelled = containers.filter((c) => c.service === accessory.serviceName)
  const steps: RemovePlan['steps'] = []
  for (const container of labelled) {
    if (isUp(container.state)) {
      steps.push({
        description: `stop container ${container.name}`,
        command: stopContainer(container.id.slice(0, 12)),
        tolerate: ignoreFailure,
      })
    }
  }
  // Kamal's stop, then its kamal-proxy remove, before the containers go
  if (labelled.length && accessory.proxy) steps.push(unrouteStep(accessory))
  for (const container of labelled) {
    steps.push({
      description: `remove container ${container.name}`,
      command: removeContainer(container.id.slice(0, 12)),
      removes: `container ${container.name} (${container.id.slice(0, 12)})`,
    })
  }
  if (options.image) {
    // `--force` exits 0 for an image that is not there; only an image that was there is reported.
    steps.push({
      description: `remove image ${accessory.image}`,
      command: removeImage(accessory.image),
      removes: `image ${accessory.image}`,
    })
  }
  if (options.directory)
    steps.push({
      description: `remove directory ${accessory.serviceName}`,
      command: removeServiceDirectory(accessory.serviceName),
      removes: `directory ${accessory.serviceName}`,
    })
  if (options.volumes) {
    for (const volume of namedVolumes(accessory.volumes)) {
      steps.push({
        description: `remove volume ${volume}`,
        command: removeVolume(volume),
        removes: `volume ${volume}`,
        tolerate: (r) => /no such volume/i.test(r.stderr),
      })
    }
  }
  return { steps }
}

/** What a removal step removed, judged from its result (absent images and volumes are not counted). */
export function removedBy(step: RemovePlan['steps'][number], result: CommandResult | undefined): string | undefined {
  if (!step.removes || !result) return undefined
  if (result.exitCode !== 0) return undefined
  if (/no such (image|volume)/i.test(result.stderr)) return undefined
  return step.removes
}
