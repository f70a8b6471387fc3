import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:net'
import { commandLineText, holderOf, isFree, listeningInodes } from '../../../lib/cli/local-ports.ts'

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
const row = (local: string, state: string, inode: string) =>
  `   0: ${local} 00000000:0000 ${state} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000 100 0 0 10 0\n`

test('the LISTEN rows on the port that take connections to 127.0.0.1', () => {
  const tcp =
    HEADER +
    row('0100007F:1538', '0A', '111') + // 127.0.0.1:5432
    row('00000000:1538', '0A', '222') + // 0.0.0.0:5432
    row('0B2C007F:1538', '0A', '333') + // 127.0.44.11:5432: another address
    row('0100007F:1538', '01', '444') + // established, not listening
    row('0100007F:1539', '0A', '555') // another port
  assert.equal(listeningInodes(tcp, 5432), ['111', '222'])
  const tcp6 =
    HEADER +
    row('00000000000000000000000000000000:1538', '0A', '666') +
    row('00000000000000000000000001000000:1538', '0A', '777')
  assert.equal(listeningInodes(tcp6, 5432), ['666'])
  assert.equal(listeningInodes('', 5432), [])
})

test('a command line shown on one printable line', () => {
  assert.is(commandLineText('node\0server.js\0--port\x005432\0'), 'node server.js --port 5432')
  assert.is(commandLineText('evil\n\x1b[31m\0'), 'evil??[31m')
  assert.is(commandLineText('x'.repeat(100)).length, 80)
})

const listen = (host: string, port = 0) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port, host, ipv6Only: false }, () => resolve(server))
  })
const portOf = (server: Server) => (server.address() as { port: number }).port

test('a port held on 127.0.0.1, 0.0.0.0 or [::] is taken, and its holder named (this process)', async () => {
  for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
    let server: Server
    try {
      server = await listen(host)
    } catch {
      continue // no IPv6 here
    }
    const port = portOf(server)
    assert.is(await isFree(port), false, host)
    assert.match(holderOf(port) ?? '', new RegExp(`^pid ${process.pid} \\(`), host)
    await new Promise((resolve) => server.close(resolve))
    assert.is(await isFree(port), true, host)
    assert.is(holderOf(port), undefined, host)
  }
})

test.run()
