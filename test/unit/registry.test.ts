// The registry look-up from where berth runs, against a real HTTP server on loopback that plays a registry
// with the token flow (as Docker Hub and most registries do), basic auth, and failures.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { MANIFEST_ACCEPT, manifestUrl, parseChallenge, registryDigest } from '../../lib/registry/manifest.ts'

const DIGEST = 'sha256:' + 'ab'.repeat(32)
let server: Server
let port = 0
const seen: Array<{ method: string; url: string; accept?: string; authorization?: string }> = []

test.before(async () => {
  server = createServer((req, res) => {
    seen.push({
      method: req.method!,
      url: req.url!,
      accept: req.headers.accept,
      authorization: req.headers.authorization,
    })
    const url = new URL(req.url!, 'http://x')
    if (url.pathname === '/token') {
      if (req.headers.authorization !== `Basic ${Buffer.from('deploy:pw').toString('base64')}`)
        return void res.writeHead(401).end()
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: `t-${url.searchParams.get('scope')}` }))
    }
    if (url.pathname === '/v2/private/app/manifests/1') {
      if (req.headers.authorization !== 'Bearer t-repository:private/app:pull') {
        return void res
          .writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="test"` })
          .end()
      }
      return void res.writeHead(200, { 'docker-content-digest': DIGEST }).end()
    }
    if (url.pathname === '/v2/basic/app/manifests/1') {
      if (req.headers.authorization !== `Basic ${Buffer.from('deploy:pw').toString('base64')}`)
        return void res.writeHead(401, { 'www-authenticate': 'Basic realm="r"' }).end()
      return void res.writeHead(200, { 'docker-content-digest': DIGEST }).end()
    }
    if (url.pathname === '/v2/noheader/app/manifests/1')
      return void res.writeHead(200).end(req.method === 'GET' ? '{"schemaVersion":2}' : undefined)
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
test.after(() => void server.close())

test('manifest URLs: Docker Hub by its API host, loopback registries over plain http, the tag or latest', () => {
  assert.is(manifestUrl('postgres:16'), 'https://registry-1.docker.io/v2/library/postgres/manifests/16')
  assert.is(manifestUrl('ghcr.io/acme/db'), 'https://ghcr.io/v2/acme/db/manifests/latest')
  assert.is(manifestUrl('127.0.1.10:5000/redis:7'), 'http://127.0.1.10:5000/v2/redis/manifests/7')
  assert.is(manifestUrl('localhost:5000/a/b:c'), 'http://localhost:5000/v2/a/b/manifests/c')
  assert.equal(
    parseChallenge(
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull"',
    ),
    {
      scheme: 'bearer',
      params: {
        realm: 'https://auth.docker.io/token',
        service: 'registry.docker.io',
        scope: 'repository:library/redis:pull',
      },
    },
  )
})

test("the token flow with the config's credentials; manifest lists and OCI indexes are asked for", async () => {
  const answer = await registryDigest(`127.0.0.1:${port}/private/app:1`, {
    credentials: { username: 'deploy', password: 'pw' },
  })
  assert.equal(answer, { ok: true, digest: DIGEST })
  const head = seen.filter((s) => s.method === 'HEAD' && s.url === '/v2/private/app/manifests/1')
  assert.is(head.at(-1)!.accept, MANIFEST_ACCEPT)
  assert.ok(MANIFEST_ACCEPT.includes('application/vnd.docker.distribution.manifest.list.v2+json'))
  assert.ok(MANIFEST_ACCEPT.includes('application/vnd.oci.image.index.v1+json'))
})

test('without credentials a private registry is an error that says so, never drift', async () => {
  const answer = await registryDigest(`127.0.0.1:${port}/private/app:1`)
  assert.equal(answer.ok, false)
  assert.match(!answer.ok ? answer.error : '', /token service .* answered 401 \(no credentials were sent\)/)
})

test('basic auth, a missing tag, a registry that cannot be reached, and a HEAD without the digest header', async () => {
  assert.equal(
    await registryDigest(`127.0.0.1:${port}/basic/app:1`, { credentials: { username: 'deploy', password: 'pw' } }),
    { ok: true, digest: DIGEST },
  )
  const missing = await registryDigest(`127.0.0.1:${port}/nope/app:1`)
  assert.match(!missing.ok ? missing.error : '', /the registry has no .*nope\/app:1 \(404/)
  const down = await registryDigest('127.0.0.1:1/app:1', { timeoutMs: 2000 })
  assert.match(!down.ok ? down.error : '', /could not reach http:\/\/127\.0\.0\.1:1\/v2\/app\/manifests\/1/)
  const computed = await registryDigest(`127.0.0.1:${port}/noheader/app:1`)
  assert.equal(computed, {
    ok: true,
    digest: 'sha256:' + (await import('node:crypto')).createHash('sha256').update('{"schemaVersion":2}').digest('hex'),
  })
})

test.run()
