// The registry look-up from where berth runs, against a real HTTP server on loopback that plays a registry
// with the token flow (as Docker Hub and most registries do), basic auth, and failures.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  MANIFEST_ACCEPT,
  manifestBodyDigest,
  manifestUrl,
  parseChallenge,
  parseDigest,
  registryDigest,
} from '../../../lib/registry/manifest.ts'

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
      return void res
        .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
        .end(req.method === 'GET' ? '{"schemaVersion":2}' : undefined)
    // Broken registries: a HEAD without the digest header, then a GET that is no manifest.
    if (url.pathname === '/v2/error500/app/manifests/1') {
      if (req.method === 'HEAD') return void res.writeHead(200).end()
      return void res
        .writeHead(500, { 'content-type': 'text/html' })
        .end('<html><body>Internal Server Error</body></html>')
    }
    if (url.pathname === '/v2/html/app/manifests/1') {
      if (req.method === 'HEAD') return void res.writeHead(200).end()
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html>\n::error::x')
    }
    if (url.pathname === '/v2/emptyheader/app/manifests/1')
      return void res
        .writeHead(200, { 'docker-content-digest': ' ', 'content-type': 'application/vnd.oci.image.index.v1+json' })
        .end(req.method === 'GET' ? '{"schemaVersion":2}' : undefined)
    if (url.pathname === '/v2/upper/app/manifests/1')
      return void res.writeHead(200, { 'docker-content-digest': DIGEST.toUpperCase() }).end()
    if (url.pathname === '/v2/malformed/app/manifests/1')
      return void res.writeHead(200, { 'docker-content-digest': 'sha256:<html>' }).end()
    // Endless bodies: a manifest, a 500 page and a token answer that never end.
    const endless = (status: number, type: string, start = '') => {
      res.writeHead(status, { 'content-type': type })
      res.write(start)
      const chunk = Buffer.alloc(1 << 16, 32)
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      }
      res.on('drain', pump)
      pump()
    }
    if (url.pathname === '/v2/endless/app/manifests/1')
      return req.method === 'HEAD'
        ? void res.writeHead(200).end()
        : endless(200, 'application/vnd.oci.image.index.v1+json')
    if (url.pathname === '/v2/endless500/app/manifests/1')
      return req.method === 'HEAD' ? void res.writeHead(200).end() : endless(500, 'text/html')
    if (url.pathname === '/endless-token') return endless(200, 'application/json', '{"token":"')
    if (url.pathname === '/v2/endlesstoken/app/manifests/1')
      return void res
        .writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${port}/endless-token"` })
        .end()
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

test('a HEAD without the digest and a GET that is no manifest (500 page, HTML) is an error naming what came back', async () => {
  const error500 = await registryDigest(`127.0.0.1:${port}/error500/app:1`)
  assert.equal(error500.ok, false)
  assert.match(
    !error500.ok ? error500.error : '',
    /answered the manifest's GET with 500 \("text\/html", 47 bytes starting "<html>/,
  )
  const html = await registryDigest(`127.0.0.1:${port}/html/app:1`)
  assert.equal(html.ok, false)
  const message = !html.ok ? html.error : ''
  assert.match(
    message,
    /GET with 200 \("text\/html; charset=utf-8", 26 bytes starting "<!doctype html>\\n::error::x"\)/,
  )
  assert.not.match(message, /\n/, 'what came back is shown escaped, on one line')
})

test('a body that never ends (manifest, error page, token) is read up to 4 MiB, then an error saying so', async () => {
  for (const name of ['endless', 'endless500']) {
    const answer = await registryDigest(`127.0.0.1:${port}/${name}/app:1`, { timeoutMs: 60_000 })
    assert.equal(answer.ok, false, name)
    assert.match(
      !answer.ok ? answer.error : '',
      /more than 4194304 bytes starting " +…" \(64 characters\)\), which is not a manifest/,
      name,
    )
  }
  const token = await registryDigest(`127.0.0.1:${port}/endlesstoken/app:1`, { timeoutMs: 60_000 })
  assert.match(
    !token.ok ? token.error : '',
    /token service http:\/\/127\.0\.0\.1:\d+\/endless-token sent more than 4194304 bytes/,
  )
})

test('a digest is checked to be algorithm:hex and compared in lower case', async () => {
  assert.equal(await registryDigest(`127.0.0.1:${port}/upper/app:1`), { ok: true, digest: DIGEST })
  const empty = await registryDigest(`127.0.0.1:${port}/emptyheader/app:1`)
  assert.ok(empty.ok && empty.digest.startsWith('sha256:'), 'an empty header is no header: the manifest is fetched')
  const malformed = await registryDigest(`127.0.0.1:${port}/malformed/app:1`)
  assert.match(
    !malformed.ok ? malformed.error : '',
    /sent "sha256:<html>" as the manifest's digest, which is not algorithm:hex/,
  )
  assert.equal(parseDigest(` SHA256:${'AB'.repeat(32)}`), { ok: true, digest: DIGEST })
  assert.equal(parseDigest(`sha512:${'0f'.repeat(64)}`), { ok: true, digest: `sha512:${'0f'.repeat(64)}` })
  for (const bad of ['', 'sha256:', 'ab'.repeat(32), 'sha256:xyz', `sha256:${'ab'.repeat(32)}\n::error::x`, ':abcd'])
    assert.equal(parseDigest(bad).ok, false, JSON.stringify(bad))
})

test('only a 200 whose media type is a manifest is hashed', () => {
  const body = Buffer.from('{}')
  for (const type of [
    'application/vnd.oci.image.index.v1+json',
    'application/vnd.docker.distribution.manifest.v2+json; x=y',
  ])
    assert.ok(manifestBodyDigest(200, type, body).ok, type)
  for (const [status, type] of [
    [200, null],
    [200, 'application/json'],
    [200, 'text/html'],
    [203, 'application/vnd.oci.image.manifest.v1+json'],
    [500, 'application/vnd.oci.image.manifest.v1+json'],
  ] as const)
    assert.equal(manifestBodyDigest(status, type, body).ok, false, `${status} ${type}`)
  assert.match(
    (manifestBodyDigest(502, null, Buffer.alloc(0)) as { error: string }).error,
    /502 \(no content type, 0 bytes\)/,
  )
})

test.run()
