import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { canonicalImageRef, parseImageRef, sameImageRef } from '../../../lib/drift/image-ref.ts'

test('Docker Hub short names, library/ and explicit registries name the same image', () => {
  assert.ok(sameImageRef('postgres:16', 'docker.io/library/postgres:16'))
  assert.ok(sameImageRef('postgres:16', 'index.docker.io/library/postgres:16'))
  assert.ok(sameImageRef('redis', 'redis:latest'))
  assert.ok(sameImageRef('bitnami/redis:7', 'docker.io/bitnami/redis:7'))
})

test('different tags, registries, repositories or digests differ', () => {
  assert.not.ok(sameImageRef('postgres:16', 'postgres:17'))
  assert.not.ok(sameImageRef('127.0.1.10:5000/postgres:16', 'postgres:16'))
  assert.not.ok(sameImageRef('ghcr.io/a/db:1', 'ghcr.io/b/db:1'))
  assert.not.ok(sameImageRef('postgres@sha256:aaa', 'postgres@sha256:bbb'))
})

test('registry with a port is a domain, not a tag', () => {
  assert.equal(parseImageRef('127.0.1.10:5000/postgres'), {
    domain: '127.0.1.10:5000',
    path: 'postgres',
    tag: 'latest',
    digest: undefined,
  })
  assert.equal(parseImageRef('localhost/app:1'), { domain: 'localhost', path: 'app', tag: '1', digest: undefined })
})

test('digest-pinned references keep tag and digest', () => {
  assert.is(canonicalImageRef('postgres:16@sha256:abc'), 'docker.io/library/postgres:16@sha256:abc')
  assert.is(canonicalImageRef('postgres@sha256:abc'), 'docker.io/library/postgres@sha256:abc')
})

test.run()
