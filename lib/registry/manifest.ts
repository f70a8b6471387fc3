// The digest a registry answers for a tag, from where berth runs: a HEAD of the manifest (asking for
// manifest lists and OCI indexes too, so a multi-arch tag gives the digest docker records in RepoDigests),
// anonymously or with the config's registry credentials through the token flow Docker registries use.
import { createHash } from 'node:crypto'
import { show } from '../config/value-rules.ts'
import { parseImageRef } from '../drift/image-ref.ts'

/** The manifest media types berth asks for; a GET's body is hashed only when it is one of them. */
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
] as const
export const MANIFEST_ACCEPT = MANIFEST_TYPES.join(', ')

export interface RegistryCredentials {
  username: string
  password: string
}

export type DigestAnswer = { ok: true; digest: string } | { ok: false; error: string }

/** Where a reference's manifest lives: Docker Hub's API host, plain http for loopback registries (as docker allows). */
export function manifestUrl(reference: string): string {
  const ref = parseImageRef(reference)
  const host = ref.domain === 'docker.io' ? 'registry-1.docker.io' : ref.domain
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  const loopback = hostname === 'localhost' || hostname === '::1' || /^127\./.test(hostname)
  return `${loopback ? 'http' : 'https'}://${host}/v2/${ref.path}/manifests/${ref.tag ?? 'latest'}`
}

/** `Bearer realm="…",service="…",scope="…"` → its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const space = header.indexOf(' ')
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase()
  const params: Record<string, string> = {}
  for (const match of header.slice(space + 1).matchAll(/([a-zA-Z_]+)="([^"]*)"/g))
    params[match[1]!.toLowerCase()] = match[2]!
  return { scheme, params }
}

/** OCI's digest grammar: `algorithm:hex` (sha256 and sha512 in practice), compared in lower case. */
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,}$/i

/** A digest as a registry sent it → its lower-case form, or why it is not one. */
export function parseDigest(text: string): { ok: true; digest: string } | { ok: false; error: string } {
  const trimmed = text.trim()
  return DIGEST.test(trimmed)
    ? { ok: true, digest: trimmed.toLowerCase() }
    : {
        ok: false,
        error:
          `sent ${show(text)} as the manifest's digest, which is not algorithm:hex; ` +
          'check that the image reference points at a registry and that the registry works',
      }
}

/** Docker's own limit on a manifest (distribution's maxManifestBodySize); token answers are far smaller. */
const MAX_BODY_BYTES = 4 << 20

/** At most `limit` bytes of a response's body, and whether it had more (the rest is never read). */
async function readAtMost(response: Response, limit = MAX_BODY_BYTES): Promise<{ body: Buffer; more: boolean }> {
  const chunks: Buffer[] = []
  let size = 0
  const reader = response.body?.getReader()
  for (;;) {
    const chunk = reader && (await reader.read())
    if (!chunk || chunk.done) return { body: Buffer.concat(chunks), more: false }
    chunks.push(Buffer.from(chunk.value))
    size += chunk.value.length
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      return { body: Buffer.concat(chunks).subarray(0, limit), more: true }
    }
  }
}

/**
 * A GET of the manifest → its digest: the sha256 of the body, only when the status and media type say the
 * body is a manifest (a 500 page or an HTML login page is an error, never a digest to compare).
 */
export function manifestBodyDigest(
  status: number,
  contentType: string | null,
  body: Buffer,
  more = false,
): { ok: true; digest: string } | { ok: false; error: string } {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (status === 200 && !more && (MANIFEST_TYPES as readonly string[]).includes(type))
    return { ok: true, digest: `sha256:${createHash('sha256').update(body).digest('hex')}` }
  const start = body.length ? ` starting ${show(body.toString('utf8', 0, 64))}` : ''
  const size = more ? `more than ${body.length}` : `${body.length}`
  const what = `${contentType ? show(contentType) : 'no content type'}, ${size} bytes${start}`
  return {
    ok: false,
    error:
      `answered the manifest's GET with ${status} (${what}), which is not a manifest; ` +
      'check that the image reference points at a registry and that the registry is up',
  }
}

const basic = (c: RegistryCredentials) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`

export async function registryDigest(
  reference: string,
  options: { credentials?: RegistryCredentials; timeoutMs?: number } = {},
): Promise<DigestAnswer> {
  const url = manifestUrl(reference)
  const timeout = options.timeoutMs ?? 10_000
  const ask = (method: 'HEAD' | 'GET', authorization?: string) =>
    fetch(url, {
      method,
      headers: { Accept: MANIFEST_ACCEPT, ...(authorization ? { Authorization: authorization } : {}) },
      signal: AbortSignal.timeout(timeout),
    })
  try {
    let authorization: string | undefined
    let response = await ask('HEAD')
    if (response.status === 401) {
      const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '')
      if (challenge.scheme === 'basic') {
        if (!options.credentials)
          return { ok: false, error: `${url} asks for credentials and the config has none for this registry` }
        authorization = basic(options.credentials)
      } else if (challenge.scheme === 'bearer' && challenge.params.realm) {
        const token = await bearerToken(challenge.params, parseImageRef(reference).path, options.credentials, timeout)
        if (!token.ok) return token
        authorization = `Bearer ${token.token}`
      } else
        return {
          ok: false,
          error: `${url} answered 401 with a challenge berth does not know (${challenge.scheme || 'none'})`,
        }
      response = await ask('HEAD', authorization)
    }
    if (response.status === 404) return { ok: false, error: `the registry has no ${reference} (404 from ${url})` }
    if (response.status === 401 || response.status === 403)
      return {
        ok: false,
        error: `the registry refused ${reference} (${response.status} from ${url}); check the registry credentials in the config`,
      }
    if (!response.ok) return { ok: false, error: `${url} answered ${response.status}` }
    const digest = response.headers.get('docker-content-digest')
    if (digest?.trim()) return from(url, parseDigest(digest))
    // Some registries leave the header off a HEAD: the digest is the sha256 of the manifest's bytes.
    const got = await ask('GET', authorization)
    const { body, more } = await readAtMost(got)
    return from(url, manifestBodyDigest(got.status, got.headers.get('content-type'), body, more))
  } catch (error) {
    const cause =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error)
    return { ok: false, error: `could not reach ${url} (${cause})` }
  }
}

/** A judged answer with the URL that gave it named in its error. */
const from = (url: string, answer: DigestAnswer): DigestAnswer =>
  answer.ok ? answer : { ok: false, error: `${url} ${answer.error}` }

/** The token flow: GET the realm with service and scope, with basic auth when credentials are configured. */
async function bearerToken(
  params: Record<string, string>,
  path: string,
  credentials: RegistryCredentials | undefined,
  timeoutMs: number,
): Promise<{ ok: true; token: string } | { ok: false; error: string }> {
  const realm = new URL(params.realm!)
  if (params.service) realm.searchParams.set('service', params.service)
  realm.searchParams.set('scope', params.scope ?? `repository:${path}:pull`)
  const response = await fetch(realm, {
    headers: credentials ? { Authorization: basic(credentials) } : {},
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (!response.ok)
    return {
      ok: false,
      error:
        `the registry's token service ${realm.origin}${realm.pathname} ` +
        `answered ${response.status}${credentials ? '' : ' (no credentials were sent)'}`,
    }
  const read = await readAtMost(response)
  if (read.more)
    return {
      ok: false,
      error: `the registry's token service ${realm.origin}${realm.pathname} sent more than ${MAX_BODY_BYTES} bytes, which is no token`,
    }
  let body: { token?: string; access_token?: string } = {}
  try {
    body = JSON.parse(read.body.toString('utf8')) as typeof body
  } catch {
    // not JSON: no token, said below
  }
  const token = body.token ?? body.access_token
  return token
    ? { ok: true, token }
    : { ok: false, error: `the registry's token service ${realm.origin}${realm.pathname} gave no token` }
}
