// The lab's bridge bookkeeping that needs no machine: names, ownership, dockerd endpoints, messages.
// The real thing (labs started, booted, stopped, killed) is test/lab/bridges.test.mjs.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  bridgeName,
  dockerdHosts,
  isDockerBridgeName,
  leftoverBridges,
  poolsExhaustedMessage,
  readRecorded,
  record,
} from '../lab/bridges.mjs'

const ID1 = 'c49adda20ff43b49c49e83e695a825002255eee097705ddee0c06486f4dc64f9'
const ID2 = '7bf405082fda699905cd0ef86c021347389b3a61030c3345f2b39200a650dfc8'

test('a network id names its bridge br-<first 12 hex>; only such names count as docker bridges', () => {
  assert.is(bridgeName(ID1), 'br-c49adda20ff4')
  assert.ok(isDockerBridgeName('br-c49adda20ff4'))
  for (const n of [
    'docker0',
    'br-c49adda20ff',
    'br-c49adda20ff4a',
    'br-C49ADDA20FF4',
    'br-keep12345',
    'virbr0',
    'xbr-c49adda20ff4',
  ])
    assert.not.ok(isDockerBridgeName(n), n)
})

test('leftovers: docker-named bridges that no answering engine owns', () => {
  const bridges = ['br-c49adda20ff4', 'br-7bf405082fda', 'br-aaaaaaaaaaaa', 'br-keep1', 'docker0']
  assert.equal(leftoverBridges(bridges, [ID1, ID2]), ['br-aaaaaaaaaaaa'])
  assert.equal(leftoverBridges(bridges, []), ['br-c49adda20ff4', 'br-7bf405082fda', 'br-aaaaaaaaaaaa'])
})

test("dockerd endpoints: -H in every spelling, else the config file's hosts, else the default socket", () => {
  const none = () => undefined
  assert.equal(
    dockerdHosts(['/usr/sbin/dockerd', '--data-root', '/x', '-H', 'unix:///lab/docker.sock', '--bridge', 'none'], none),
    ['unix:///lab/docker.sock'],
  )
  assert.equal(
    dockerdHosts(
      ['dockerd', '-H=unix:///a.sock', '--host=tcp://127.0.0.1:2375', '--host', 'unix:///b.sock', '-Hunix:///c.sock'],
      none,
    ),
    ['unix:///a.sock', 'tcp://127.0.0.1:2375', 'unix:///b.sock', 'unix:///c.sock'],
  )
  assert.equal(dockerdHosts(['dockerd'], none), ['unix:///var/run/docker.sock'])
  assert.equal(dockerdHosts(['dockerd', '-H', 'fd://'], none), ['unix:///var/run/docker.sock'])
  const files: Record<string, string> = {
    '/etc/docker/daemon.json': '{"hosts":["unix:///etc.sock"]}',
    '/my.json': '{"hosts":["unix:///my.sock"]}',
  }
  const read = (f: string) => files[f]
  assert.equal(dockerdHosts(['dockerd'], read), ['unix:///etc.sock'])
  assert.equal(dockerdHosts(['dockerd', '--config-file', '/my.json'], read), ['unix:///my.sock'])
  assert.equal(dockerdHosts(['dockerd', '--config-file=/my.json', '-H', 'unix:///flag.sock'], read), [
    'unix:///flag.sock',
  ])
  assert.equal(
    dockerdHosts(['dockerd', '--config-file', '/broken.json'], () => '{not json'),
    ['unix:///var/run/docker.sock'],
  )
})

test('the exhausted-pools line names who holds the bridges and the fix', () => {
  const owners = new Map([
    ['br-c49adda20ff4', '/tmp/berth-lab-a'],
    ['br-7bf405082fda', '/tmp/berth-lab-b'],
  ])
  const labNets = new Map([
    ['/tmp/berth-lab-a', '127.0.1'],
    ['/tmp/berth-lab-b', '127.0.5'],
  ])
  const line = poolsExhaustedMessage(
    ['br-c49adda20ff4', 'br-7bf405082fda', 'br-aaaaaaaaaaaa'],
    { removed: [], skipped: 'dockerd 7 (unix:///x.sock) did not answer', owners, labNets, failed: [] },
    '/tmp/berth-lab-a',
  )
  assert.not.match(line, /\n/)
  assert.match(
    line,
    /^docker's default address pools are exhausted .*could not find an available, non-overlapping IPv4 address pool/,
  )
  assert.match(
    line,
    /3 br-\* bridges on this machine, held by running engines \/tmp\/berth-lab-a \(this lab\): 1, \/tmp\/berth-lab-b: 1/,
  )
  assert.match(
    line,
    /delete the 1 owned by no engine that answered \(sweep skipped: dockerd 7 \(unix:\/\/\/x.sock\) did not answer\): ip link delete br-aaaaaaaaaaaa/,
  )
  assert.match(line, /BERTH_LAB_DIR=\/tmp\/berth-lab-a BERTH_LAB_NET=127.0.1 node test\/lab\/lab.mjs reset/)
  assert.match(line, /BERTH_LAB_DIR=\/tmp\/berth-lab-b BERTH_LAB_NET=127.0.5 node test\/lab\/lab.mjs stop --purge/)
  const routes = poolsExhaustedMessage(
    [],
    { removed: [], skipped: undefined, owners: new Map(), labNets: new Map(), failed: [] },
    '/x',
  )
  assert.match(routes, /0 br-\* bridges on this machine; fix: other routes overlap .*ip route/)
})

test('the recorded network ids survive a second stop: appended once each, read back', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-unit-'))
  const file = path.join(dir, 'bridge-networks')
  try {
    assert.equal(readRecorded(file), [])
    record(file, [
      { addr: '127.0.1.11', ids: [ID1] },
      { addr: '127.0.1.12', ids: [] },
    ])
    record(file, [
      { addr: '127.0.1.11', ids: [ID1] },
      { addr: '127.0.1.12', ids: [ID2] },
    ])
    assert.is(fs.readFileSync(file, 'utf8'), `127.0.1.11 ${ID1}\n127.0.1.12 ${ID2}\n`)
    assert.equal(readRecorded(file), [ID1, ID2])
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test.run()
