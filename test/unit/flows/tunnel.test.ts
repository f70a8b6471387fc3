// accessory-tunnel's flow (lib/flows/tunnel.ts) over a fake Tunnel: every way it ends, and that the
// connection is closed on each of them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runTunnel, type TunnelDeps } from '../../../lib/flows/tunnel.ts'
import type { ForwardSpec, Tunnel, TunnelEnd } from '../../../lib/remote/transport.ts'
import { deploymentFrom } from '../../support/deployment.ts'

const deployment = deploymentFrom({
  service: 'shop',
  image: 'shop',
  accessories: { db: { image: 'postgres:16', hosts: ['h1'] } },
})
const db = deployment.accessories[0]!
const request = { accessory: db, host: 'h1', json: false, invocation: { accessoryHosts: new Map() } }

const inspectAnswer = (state = 'running', ports: object = { '5432/tcp': {} }) => ({
  exitCode: 0,
  stdout: JSON.stringify({
    State: state,
    Image: 'postgres:16',
    NetworkMode: 'kamal',
    Networks: ['kamal', state === 'running' ? '172.18.0.2' : '', '', null],
    ExposedPorts: ports,
  }),
  stderr: '',
})

/** A tunnel that connects, answers the lookup, binds every port but `refuse`, and ends when `end` is called. */
function fakeTunnel(options: { answer?: ReturnType<typeof inspectAnswer>; refuse?: number[]; connect?: string } = {}) {
  let end: (value: TunnelEnd) => void = () => {}
  const log: string[] = []
  const tunnel: Tunnel = {
    open: async () => (options.connect ? { ok: false, message: options.connect } : { ok: true }),
    run: async () => options.answer ?? inspectAnswer(),
    forward: async (spec: ForwardSpec) => {
      log.push(`forward ${spec.local}→${spec.address}:${spec.port}`)
      return options.refuse?.includes(spec.local) ? { ok: false, message: 'Port forwarding failed' } : { ok: true }
    },
    closed: new Promise((resolve) => (end = resolve)),
    close: async () => void log.push('close'),
  }
  return { tunnel, log, end: (stderr: string) => end({ exitCode: 255, stderr }) }
}

function deps(tunnel: Tunnel, taken: number[] = [], signal = new AbortController().signal) {
  const out: string[] = []
  const d: TunnelDeps = {
    tunnel,
    isFree: async (port) => !taken.includes(port),
    holderOf: (port) => (taken.includes(port) ? 'pid 7 (node hold.js)' : undefined),
    signal,
    stdout: (text) => void out.push(text),
  }
  return { d, out }
}

test('forwards, says so, waits; a signal ends it with 0 and the connection closed', async () => {
  const fake = fakeTunnel()
  const controller = new AbortController()
  const { d, out } = deps(fake.tunnel, [], controller.signal)
  const ending = runTunnel(request, d)
  await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(out, ['db on h1 (postgres:16): localhost:5432 → 172.18.0.2:5432; Ctrl-C closes\n'])
  controller.abort('SIGINT')
  assert.equal(await ending, { kind: 'tunnel', exitCode: 0, forwarded: true })
  assert.equal(fake.log, ['forward 5432→172.18.0.2:5432', 'close'])
})

test('the connection lost: exit 1 with ssh words, closed', async () => {
  const fake = fakeTunnel()
  const ending = runTunnel({ ...request, json: true }, deps(fake.tunnel).d)
  await new Promise((resolve) => setTimeout(resolve, 10))
  fake.end('Connection to h1 closed by remote host.\n')
  const result = await ending
  assert.is(result.exitCode, 1)
  assert.match(result.error!.message, 'the tunnel to h1 closed: Connection to h1 closed by remote host; ')
  assert.is(fake.log.at(-1), 'close')
})

test('a port taken between the probe and the bind moves on; one asked for is 64 naming its holder', async () => {
  const raced = fakeTunnel({ refuse: [5432] })
  const controller = new AbortController()
  const first = deps(raced.tunnel, [], controller.signal)
  // free when probed, taken once ssh binds it
  let probes = 0
  first.d.isFree = async (port) => port !== 5432 || probes++ === 0
  first.d.holderOf = () => 'pid 9 (x)'
  const ending = runTunnel(request, first.d)
  await new Promise((resolve) => setTimeout(resolve, 10))
  controller.abort('SIGTERM')
  assert.is((await ending).exitCode, 0)
  assert.equal(raced.log, ['forward 5432→172.18.0.2:5432', 'forward 5433→172.18.0.2:5432', 'close'])
  assert.match(first.out.join(''), 'localhost:5433 → 172.18.0.2:5432')

  const asked = fakeTunnel({ refuse: [6000] })
  const result = await runTunnel(
    { ...request, requested: [{ local: 6000, remote: 5432 }] },
    deps(asked.tunnel, [6000]).d,
  )
  assert.equal(result.exitCode, 64)
  assert.match(result.error!.message, 'Local port 6000 (--ports 6000:5432) is taken, by pid 7 (node hold.js)')
  assert.is(asked.log.at(-1), 'close')
})

test('not running is 2 with the start command, missing 2 with boot; no port exposed is 1 naming --ports', async () => {
  const stopped = await runTunnel(request, deps(fakeTunnel({ answer: inspectAnswer('exited') }).tunnel).d)
  assert.is(stopped.exitCode, 2)
  assert.match(stopped.error!.message, 'run `npx zx scripts/accessory-start.mjs db --hosts h1` to start it.')
  const missing = fakeTunnel({ answer: { exitCode: 1, stdout: '', stderr: 'Error: No such container: shop-db\n' } })
  const gone = await runTunnel(request, deps(missing.tunnel).d)
  assert.equal([gone.exitCode, gone.error!.kind], [2, 'not_running'])
  assert.match(gone.error!.message, 'run `npx zx scripts/accessory-boot.mjs db` to boot it.')
  assert.equal(missing.log, ['close'])
  const none = await runTunnel(request, deps(fakeTunnel({ answer: inspectAnswer('running', {}) }).tunnel).d)
  assert.is(none.exitCode, 1)
  assert.match(none.error!.message, 'name the ports with --ports LOCAL:REMOTE')
})

test('a host that cannot be reached is 1 with ssh words, closed', async () => {
  const fake = fakeTunnel({ connect: 'ssh: connect to host h1 port 22: Connection refused' })
  const result = await runTunnel(request, deps(fake.tunnel).d)
  assert.equal(result.error, {
    kind: 'error',
    message: 'could not connect to h1: ssh: connect to host h1 port 22: Connection refused',
  })
  assert.equal(fake.log, ['close'])
})

test.run()
