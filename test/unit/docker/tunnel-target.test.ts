import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { inspectTunnelTarget, parseTunnelTarget } from '../../../lib/docker/tunnel-target.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'

const ok = (document: object) => ({ exitCode: 0, stdout: `${JSON.stringify(document)}\n`, stderr: '' })
const running = {
  State: 'running',
  Image: 'postgres:16',
  NetworkMode: 'kamal',
  Networks: ['bridge', '172.17.0.3', '', 'kamal', '172.18.0.2', 'fd00::2', null],
  ExposedPorts: { '5432/tcp': {}, '53/udp': {}, '80/tcp': {} },
}

test('one read-only docker inspect of the container only, the name one quoted word', () => {
  const command = inspectTunnelTarget('shop-db;$(id)')
  assert.is(command.readOnly, true)
  assert.equal(command.argv.slice(0, 4), ['docker', 'inspect', '--type', 'container'])
  assert.ok(shellJoin(command.argv).endsWith(" 'shop-db;$(id)'"))
})

test('running: the address on the accessory network, its TCP ports ascending (UDP left out)', () => {
  assert.equal(parseTunnelTarget(ok(running), 'kamal'), {
    kind: 'container',
    state: 'running',
    image: 'postgres:16',
    address: '172.18.0.2',
    tcpPorts: [80, 5432],
  })
})

test('the network mode, the first network, IPv6 only, and host networking', () => {
  assert.is(
    (parseTunnelTarget(ok({ ...running, NetworkMode: 'bridge' }), 'other') as { address: string }).address,
    '172.17.0.3',
  )
  const v6 = { ...running, Networks: ['kamal', '', 'fd00::7', null] }
  assert.is((parseTunnelTarget(ok(v6), 'kamal') as { address: string }).address, 'fd00::7')
  const host = { ...running, NetworkMode: 'host', Networks: ['host', '', '', null] }
  assert.is((parseTunnelTarget(ok(host), 'kamal') as { address: string }).address, '127.0.0.1')
  const none = { ...running, NetworkMode: 'none', Networks: ['none', '', '', null], ExposedPorts: null }
  assert.equal(parseTunnelTarget(ok(none), 'kamal'), {
    kind: 'container',
    state: 'running',
    image: 'postgres:16',
    tcpPorts: [],
  })
})

test('stopped: its state and ports, no address; missing: no such container', () => {
  const stopped = { ...running, State: 'exited', Networks: ['kamal', '', '', null] }
  assert.equal(parseTunnelTarget(ok(stopped), 'kamal'), {
    kind: 'container',
    state: 'stopped',
    image: 'postgres:16',
    tcpPorts: [80, 5432],
  })
  const missing = { exitCode: 1, stdout: '\n', stderr: 'Error response from daemon: No such container: shop-db\n' }
  assert.equal(parseTunnelTarget(missing, 'kamal'), { kind: 'missing' })
})

test('any other failure, or text that is not JSON, is an error with docker words', () => {
  assert.throws(
    () =>
      parseTunnelTarget({ exitCode: 1, stdout: '', stderr: 'permission denied while trying to connect\n' }, 'kamal'),
    /exit 1\): permission denied/,
  )
  assert.throws(() => parseTunnelTarget({ exitCode: 0, stdout: 'template: oops', stderr: '' }, 'kamal'), /not JSON/)
})

test('odd port keys are left out', () => {
  const odd = { ...running, ExposedPorts: { '0/tcp': {}, '70000/tcp': {}, 'x/tcp': {}, '22/tcp': {}, '22/sctp': {} } }
  assert.equal((parseTunnelTarget(ok(odd), 'kamal') as { tcpPorts: number[] }).tcpPorts, [22])
})

test.run()
