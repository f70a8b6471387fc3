// --registry: one look-up per configured image, from where berth runs (never per host), with the config's
// registry credentials when they are for that registry. Digest-pinned references need none.
import type { Accessory } from '../config/accessory.ts'
import { parseImageRef } from '../drift/image-ref.ts'
import { registryDigest, type DigestAnswer, type RegistryCredentials } from '../registry/manifest.ts'
import { Interrupted, type StepEngine } from './engine.ts'
import type { Selection } from './selection.ts'

/** The login's credentials when they are for the registry the image lives in. */
function credentialsFor(accessory: Accessory): RegistryCredentials | undefined {
  const login = accessory.registryLogin
  if (!login) return undefined
  const domain = parseImageRef(accessory.image).domain
  const server = login.server ? parseImageRef(`${login.server}/x`).domain : 'docker.io'
  return server === domain ? { username: login.username, password: login.password } : undefined
}

export async function askRegistries(
  selection: readonly Selection[],
  engine: StepEngine,
): Promise<Map<string, DigestAnswer>> {
  const images = new Map<string, Accessory>()
  for (const { accessory } of selection)
    if (!parseImageRef(accessory.image).digest && !images.has(accessory.image)) images.set(accessory.image, accessory)
  const asked = Promise.all(
    [...images].map(
      async ([image, accessory]) =>
        [image, await registryDigest(image, { credentials: credentialsFor(accessory) })] as const,
    ),
  )
  try {
    // read-only: a signal ends the wait at once, and the run goes on to its report
    return new Map(await engine.unlessInterrupted(asked))
  } catch (error) {
    if (!(error instanceof Interrupted)) throw error
    const notAsked = `not asked: the run was interrupted by ${error.signal}`
    return new Map([...images.keys()].map((image) => [image, { ok: false, error: notAsked }]))
  }
}
