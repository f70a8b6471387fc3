// #22: the read-only round trip in two docker processes, parsed from docker's real output (captured on the lab,
// docker 20.10, one JSON object a line as the template prints them): one `docker inspect` of container ids and
// configured references together, a network named like a reference answered `null`, and after the marker only
// the containers' images the first call did not return.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { parseHostInspection } from '../../../lib/docker/inspect.ts'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/inspect/${name}`, import.meta.url), 'utf8')
const R = '127.0.42.10:5000'
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12)

// Captured with the pairs shop-db=postgres:16, shop-cache=redis:8 (the container runs redis:7),
// shop-search=search:1 (untagged on the host, and a network of that name exists) and shop-gone=gone:1 (no container).
test('containers and the configured images come from one docker inspect; null and the third call are read', () => {
  const host = parseHostInspection({ exitCode: 0, stdout: fixture('host-round-trip.txt'), stderr: '' })!
  assert.ok(host)
  assert.equal(
    host.containers.map((c) => [c.name, c.service, short(c.imageId)]),
    [
      ['shop-search', 'shop-search', 'da50dbe43310'],
      ['app-web', 'app-web', 'da50dbe43310'],
      ['odd', 'a b*', '2ef23f1077dc'],
      ['shop-cache', 'shop-cache', '6c285bc4bb64'],
      ['shop-db', 'shop-db', '2ccf12d3d6fc'],
    ],
  )
  // postgres:16 and redis:8 beside the containers (the network called search:1 is no image); after the marker the
  // images of shop-search (its tag gone) and shop-cache (another tag), fetched by id.
  assert.equal(
    host.images.map((i) => [short(i.id), i.repoTags]),
    [
      ['2ccf12d3d6fc', [`${R}/postgres:16`]],
      ['2ef23f1077dc', [`${R}/redis:8`]],
      ['da50dbe43310', [`${R}/search:keep`]],
      ['6c285bc4bb64', [`${R}/redis:7`]],
    ],
  )
  assert.is(host.loginDirectory, '/tmp/bl-floor/hosts/127.0.42.11/home')
  assert.ok(
    host.containers.every(
      (c) => c.settings?.restartPolicy && c.state === (c.name === 'app-web' ? 'created' : 'running'),
    ),
  )
})

test("a configured reference whose image is not on the host: docker's exit 1 and No such object still read", () => {
  const stderr = `Error: No such object: ${R}/postgres:17\n`
  const host = parseHostInspection({ exitCode: 1, stdout: fixture('host-round-trip-absent-ref.txt'), stderr })!
  assert.ok(host)
  assert.is(host.containers.length, 5)
  assert.equal(
    host.images.map((i) => i.repoTags),
    [[`${R}/postgres:16`]],
  )
})

test("the docker CLI's own WARNING lines beside No such object: the host is still read", () => {
  const warning = 'WARNING: Error loading config file: /root/.docker/config.json: unexpected end of JSON input'
  const stderr = `${warning}\nError: No such object: ${R}/postgres:17\n${warning}\n`
  const host = parseHostInspection({ exitCode: 1, stdout: fixture('host-round-trip-absent-ref.txt'), stderr })
  assert.is(host?.containers.length, 5)
  assert.is(parseHostInspection({ exitCode: 1, stdout: '[]', stderr: `${warning}\n` }), undefined, 'a warning alone')
})

test('a template error or an engine that does not answer is no reading of the host', () => {
  const stdout = fixture('host-round-trip.txt')
  const templateError =
    'template parsing error: template: :1:2: executing "" at <index . "State">: error calling index: cannot index'
  assert.is(parseHostInspection({ exitCode: 1, stdout, stderr: `${templateError}\n` }), undefined)
  const down = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'
  assert.is(parseHostInspection({ exitCode: 1, stdout: '', stderr: `${down}\n` }), undefined)
})

test('nothing labelled: no line, no image', () => {
  assert.equal(parseHostInspection({ exitCode: 0, stdout: '\n@@berth-images@@\n@@berth-pwd@@\n/root\n', stderr: '' }), {
    containers: [],
    images: [],
    loginDirectory: '/root',
  })
})

test('a line that is not one JSON object (an array, a number, cut short) is no reading of the host', () => {
  for (const line of ['[]', '[{"Id":"a"}]', '42', '{"Id":"a"', 'Error: no'])
    assert.throws(
      () =>
        parseHostInspection({ exitCode: 0, stdout: `${line}\n@@berth-images@@\n@@berth-pwd@@\n/root\n`, stderr: '' }),
      /docker inspect printed/,
      line,
    )
  const vanished = { exitCode: 1, stderr: 'Error: No such object: abc\n' }
  assert.is(parseHostInspection({ ...vanished, stdout: '{"Id":"a"\n@@berth-images@@\n' }), undefined)
  assert.is(parseHostInspection({ ...vanished, stdout: '\n@@berth-images@@\n' })?.containers.length, 0)
})

test('the working directory is the line after its marker, also before the kamal-proxy part', () => {
  const stdout = '\n@@berth-images@@\n@@berth-pwd@@\n/home/app\n@@berth-kamal-proxy@@\nexit 0\n'
  assert.is(parseHostInspection({ exitCode: 0, stdout, stderr: '' })?.loginDirectory, '/home/app')
})

test.run()
