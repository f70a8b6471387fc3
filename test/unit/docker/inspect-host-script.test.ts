// The read-only round trip's shell script (inspectHost), run by a real /bin/sh against a fake `docker` that prints
// what a test gives it and logs each call: which containers are inspected, and when the third process runs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { inspectHost } from '../../../lib/docker/accessory-commands.ts'
import { parseHostInspection } from '../../../lib/docker/inspect.ts'
import { LocalTransport } from '../../support/local-transport.ts'

const hex = (c: string) => c.repeat(64)
const container = (id: string, name: string, image: string, env: string[] = []) =>
  JSON.stringify({
    Id: id,
    Name: `/${name}`,
    Image: image,
    Config: { Env: env, Labels: {} },
    HostConfig: {},
    State: {},
  })
const imageLine = (id: string, labels: Record<string, string> = {}, configImage = '') =>
  JSON.stringify({ Id: id, RepoTags: [], RepoDigests: [], Config: { Labels: labels, User: 'u', Image: configImage } })

/** Runs inspectHost's script with a fake docker: `ps` prints `ps`, `inspect` prints `inspect`; returns the calls. */
async function roundTrip(
  fake: { ps: string; inspect: string },
  accessories: Array<{ serviceName: string; image: string }>,
) {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-inspect-host-'))
  writeFileSync(path.join(dir, 'ps.out'), fake.ps)
  writeFileSync(path.join(dir, 'inspect.out'), fake.inspect)
  writeFileSync(path.join(dir, '*'), '') // a file a glob of the line's `*` would find
  writeFileSync(
    path.join(dir, 'docker'),
    [
      '#!/bin/sh',
      `echo "$*" >> '${dir}/calls'`,
      `case "$1" in ps) cat '${dir}/ps.out' ;; inspect) cat '${dir}/inspect.out' ;;`,
      `  image) for id in "$@"; do case "$id" in sha256:*) printf '{"Id":"%s","RepoTags":["x"],"RepoDigests":[],"Config":{}}\\n' "$id" ;; esac; done ;; esac`,
    ].join('\n'),
    { mode: 0o755 },
  )
  const command = inspectHost(accessories)
  const result = await new LocalTransport(dir).run('local', {
    argv: ['env', `PATH=${dir}:/usr/bin:/bin`, ...command.argv],
  })
  const calls = existsSync(path.join(dir, 'calls'))
    ? readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n')
    : []
  // the containers' and images' inspect: what comes before the template (the image inspect's ids come after it)
  return { result, calls: calls.map((c) => (c.startsWith('image ') ? c : c.split(' --format ')[0]!)) }
}

test("only the given accessories' containers are inspected, with the configured images of those that have one", async () => {
  const { calls, result } = await roundTrip(
    {
      ps: `${hex('a')}=shop-db\n${hex('b')}=shop\n${hex('c')}=shop-cache\n${hex('d')}=shop-db\n`,
      inspect: `${container(hex('a'), 'shop-db', `sha256:${hex('1')}`)}\n${imageLine(`sha256:${hex('1')}`)}\n`,
    },
    [
      { serviceName: 'shop-db', image: 'postgres:16' },
      { serviceName: 'shop-search', image: 'search:1' },
    ],
  )
  assert.is(result.exitCode, 0, result.stderr)
  assert.equal(calls, ['ps --all --no-trunc --filter label=service', `inspect ${hex('a')} ${hex('d')} postgres:16`])
  const host = parseHostInspection(result)!
  assert.equal(
    host.containers.map((c) => c.name),
    ['shop-db'],
  )
})

test('the third process runs only for a container image the inspect did not return; lines are never globbed', async () => {
  // the image line carries a label called Name and a Config.Image: it is still no container's line
  const own = container(hex('a'), 'shop-db', `sha256:${hex('2')}`, ['STAR=*', 'Q=?'])
  const tricky = imageLine(`sha256:${hex('1')}`, { a: 'y', Name: 'x' }, `sha256:${hex('9')}`)
  const { calls, result } = await roundTrip({ ps: `${hex('a')}=shop-db\n`, inspect: `${own}\n${tricky}\n` }, [
    { serviceName: 'shop-db', image: 'postgres:17' },
  ])
  assert.is(result.exitCode, 0, result.stderr)
  assert.ok(calls.at(-1)!.startsWith('image inspect') && calls.at(-1)!.endsWith(` sha256:${hex('2')}`), calls.at(-1))
  assert.is(calls.length, 3)
  const host = parseHostInspection(result)!
  assert.equal(host.containers[0]!.settings?.env, ['STAR=*', 'Q=?'])
  assert.equal(
    host.images.map((i) => i.id),
    [`sha256:${hex('1')}`, `sha256:${hex('2')}`],
  )
  // the container's image among those returned: two processes
  const same = await roundTrip(
    { ps: `${hex('a')}=shop-db\n`, inspect: `${own}\n${imageLine(`sha256:${hex('2')}`)}\n` },
    [{ serviceName: 'shop-db', image: 'postgres:17' }],
  )
  assert.is(same.calls.length, 2, same.calls.join('\n'))
})

test('no container of the given accessories: docker ps only, and an empty reading', async () => {
  const { calls, result } = await roundTrip({ ps: `${hex('b')}=shop\n`, inspect: '' }, [
    { serviceName: 'shop-db', image: 'postgres:16' },
  ])
  assert.equal(calls, ['ps --all --no-trunc --filter label=service'])
  assert.equal(parseHostInspection(result)?.containers, [])
})

test.run()
