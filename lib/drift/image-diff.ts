// The image: the configured reference (or, for a `name:tag@sha256:…` pin, the digest) against the container's,
// the tag's image on the host, and with --registry the registry's digest for the tag.
import type { Accessory } from '../config/accessory.ts'
import type { ObservedContainer, ObservedImage } from '../docker/inspect.ts'
import type { DriftFinding } from './drift-finding.ts'
import { canonicalImageRef, parseImageRef } from './image-ref.ts'

const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12)
const ref = (r: string) => parseImageRef(r)
const repoOf = (r: string) => `${ref(r).domain}/${ref(r).path}`

/** The image whose id is `id` on the host. */
export function imageById(images: readonly ObservedImage[], id: string): ObservedImage | undefined {
  return images.find((i) => i.id === id)
}

/** The image that the reference `reference` names on the host. */
function imageByTag(images: readonly ObservedImage[], reference: string): ObservedImage | undefined {
  const wanted = canonicalImageRef(reference)
  return images.find((i) => i.repoTags.some((t) => canonicalImageRef(t) === wanted))
}

/** image: the reference (or, for a `name:tag@sha256:…` pin, the digest); image-id: the tag moved on the host. */
export function compareImage(
  accessory: Accessory,
  container: ObservedContainer,
  images: readonly ObservedImage[],
): DriftFinding[] {
  const wanted = ref(accessory.image)
  const running = ref(container.image)
  const own = imageById(images, container.imageId)
  if (wanted.digest) {
    const digests = [running.digest, ...(own?.repoDigests ?? []).map((d) => d.slice(d.indexOf('@') + 1))].filter(
      Boolean,
    )
    if (repoOf(accessory.image) === repoOf(container.image) && digests.includes(wanted.digest)) return []
    const now = running.digest ?? digests[0]
    const pinned =
      now && now !== wanted.digest ? ` (pinned digest ${short(wanted.digest)}…, running ${short(now)}…)` : ''
    return [
      {
        kind: 'image',
        reasons: [`image ${container.image} → ${accessory.image}${pinned}`],
      },
    ]
  }
  if (repoOf(accessory.image) !== repoOf(container.image) || (running.tag ?? 'latest') !== (wanted.tag ?? 'latest')) {
    return [{ kind: 'image', reasons: [`image ${container.image} → ${accessory.image}`] }]
  }
  const tagged = imageByTag(images, accessory.image)
  if (tagged && container.imageId && tagged.id !== container.imageId) {
    return [{ kind: 'image-id', reasons: [`tag moved on host (${short(container.imageId)}… → ${short(tagged.id)}…)`] }]
  }
  return []
}

/** registry: the registry's digest for the tag is none of the running image's RepoDigests (pushed, never pulled). */
export function compareRegistry(
  accessory: Accessory,
  repoDigests: readonly string[],
  digest: string,
): { finding?: DriftFinding; notCompared?: string } {
  const repo = repoOf(accessory.image)
  const known = repoDigests.filter((d) => repoOf(d) === repo).map((d) => d.slice(d.indexOf('@') + 1))
  if (known.length === 0)
    return { notCompared: `registry digest (the running image has no digest from ${ref(accessory.image).domain})` }
  // Digests are hex: one in upper case is the same digest.
  if (known.some((d) => d.toLowerCase() === digest.toLowerCase())) return {}
  return {
    finding: {
      kind: 'registry',
      reasons: [
        `the registry has another image for ${accessory.image} (running ${short(known[0]!)}…, registry ${short(digest)}…)`,
      ],
    },
  }
}
