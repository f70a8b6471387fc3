// Image references are compared in canonical form, so `postgres:16`, `docker.io/library/postgres:16` and
// `index.docker.io/library/postgres:16` are the same image and `redis` is `redis:latest`.

export interface ImageRef {
  domain: string
  path: string
  tag?: string
  digest?: string
}

const DEFAULT_DOMAIN = 'docker.io'

export function parseImageRef(reference: string): ImageRef {
  let rest = reference.trim()
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
  }
  const slash = rest.indexOf('/')
  const first = slash >= 0 ? rest.slice(0, slash) : ''
  // Like docker: the first component is a registry only if it looks like a host name.
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')
  let domain = hasDomain ? first.toLowerCase() : DEFAULT_DOMAIN
  let path = hasDomain ? rest.slice(slash + 1) : rest
  if (domain === 'index.docker.io' || domain === 'registry-1.docker.io') domain = DEFAULT_DOMAIN
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = `library/${path}`
  return { domain, path, tag: tag ?? (digest ? undefined : 'latest'), digest }
}

export function canonicalImageRef(reference: string): string {
  const ref = parseImageRef(reference)
  return `${ref.domain}/${ref.path}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`
}

export function sameImageRef(a: string, b: string): boolean {
  return canonicalImageRef(a) === canonicalImageRef(b)
}
