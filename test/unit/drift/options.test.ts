// `options:` values read the way docker reads them, into the form docker inspect shows (observed on the lab:
// docker 28 client, 20.10 engine).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  capability,
  deviceMapping,
  extraHost,
  mountSpec,
  optionValues,
  parsePortSpec,
  tmpfs,
  ulimit,
} from '../../../lib/drift/options.ts'

test('publish: protocol in lower case, IPv6 without brackets, ranges one binding a port, a host range kept', () => {
  const b = (key: string, hostIp: string, hostPort: string) => ({ key, hostIp, hostPort })
  assert.equal(parsePortSpec('8080:80'), [b('80/tcp', '', '8080')])
  assert.equal(parsePortSpec('127.0.0.1:8081:81/UDP'), [b('81/udp', '127.0.0.1', '8081')])
  assert.equal(parsePortSpec('82'), [b('82/tcp', '', '')])
  assert.equal(parsePortSpec('127.0.0.1::83'), [b('83/tcp', '127.0.0.1', '')])
  assert.equal(parsePortSpec('[::1]:8084:84'), [b('84/tcp', '::1', '8084')])
  assert.equal(parsePortSpec('::1:8084:84'), [b('84/tcp', '::1', '8084')])
  assert.equal(parsePortSpec('9000-9001:90-91/tcp'), [b('90/tcp', '', '9000'), b('91/tcp', '', '9001')])
  assert.equal(parsePortSpec('9500-9510:95'), [b('95/tcp', '', '9500-9510')])
  assert.equal(parsePortSpec('08080:080'), [b('80/tcp', '', '8080')])
  for (const refused of ['', 'x:80', '80/icmp', '1-3:1-2', '70000', 'host.example:80:80', '80:'])
    assert.is(parsePortSpec(refused), undefined, refused)
})

test('add-host, cap-add, device, ulimit, tmpfs: each spelling docker accepts is the value it records', () => {
  assert.equal(['db:10.0.0.1', 'x=10.0.0.2', 'v6:[::1]', 'v6=::1', 'gw:host-gateway'].map(extraHost), [
    'db:10.0.0.1',
    'x:10.0.0.2',
    'v6:::1',
    'v6:::1',
    'gw:host-gateway',
  ])
  assert.equal(['net_admin', 'CAP_NET_ADMIN', 'Net_Admin', 'all'].map(capability), [
    'CAP_NET_ADMIN',
    'CAP_NET_ADMIN',
    'CAP_NET_ADMIN',
    'ALL',
  ])
  assert.equal(
    ['/dev/zero', '/dev/full:r', '/dev/null:/dev/xnull', '/dev/u:/dev/v:wr', '/dev/a:/dev/b:rwm'].map(deviceMapping),
    [
      '/dev/zero:/dev/zero:rwm',
      '/dev/full:/dev/full:r',
      '/dev/null:/dev/xnull:rwm',
      '/dev/u:/dev/v:rw',
      '/dev/a:/dev/b:rwm',
    ],
  )
  assert.is(deviceMapping('vendor.com/gpu=all'), undefined)
  assert.equal(ulimit('nofile=1024:2048'), { name: 'nofile', soft: 1024, hard: 2048 })
  assert.equal(ulimit('nproc=512'), { name: 'nproc', soft: 512, hard: 512 })
  assert.equal(ulimit('core=-1'), { name: 'core', soft: -1, hard: -1 })
  assert.is(ulimit('nofile=lots'), undefined)
  assert.equal(tmpfs('/run:rw,size=64m'), { path: '/run', options: 'rw,size=64m' })
  assert.equal(tmpfs('/run'), { path: '/run', options: '' })
})

test("mount: docker's CSV, its key spellings, readonly forms; a mount without a target is not read", () => {
  assert.equal(mountSpec('type=bind,src=/tmp,dst=/host-tmp,readonly'), {
    type: 'bind',
    source: '/tmp',
    target: '/host-tmp',
    readOnly: true,
  })
  assert.equal(mountSpec('target=/anon'), { type: 'volume', source: '', target: '/anon', readOnly: false })
  assert.equal(mountSpec('"type=bind","source=/a,b",destination=/c,ro=false'), {
    type: 'bind',
    source: '/a,b',
    target: '/c',
    readOnly: false,
  })
  assert.equal(mountSpec('type=volume,"source=a""b",target=/d,ro=1'), {
    type: 'volume',
    source: 'a"b',
    target: '/d',
    readOnly: true,
  })
  for (const refused of [
    'type=bind,src=/a',
    '"unterminated,target=/x',
    'target=/x,readonly=maybe',
    'src=a"b,target=/x',
  ])
    assert.is(mountSpec(refused), undefined, refused)
})

test('options by docker name: short spellings, repeated flags add up, any other flag keeps its last value', () => {
  const values = optionValues([
    ['l', 'a=1'],
    ['label', 'b=2'],
    ['m', '1g'],
    ['memory', '64m'],
    ['e', 'X=1'],
    ['net-alias', 'db1'],
    ['privileged', undefined],
  ])
  assert.equal(Object.fromEntries(values), {
    label: ['a=1', 'b=2'],
    memory: ['64m'],
    env: ['X=1'],
    'network-alias': ['db1'],
    privileged: ['true'],
  })
})

test.run()
