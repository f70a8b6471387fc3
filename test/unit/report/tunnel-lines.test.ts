import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  forwardLine,
  forwardsJson,
  lostMessage,
  notRunningMessage,
  takenPortMessage,
  tunnelFailureJson,
} from '../../../lib/report/tunnel-lines.ts'

const target = { accessory: 'db', host: '10.0.0.5', image: 'postgres:16' }

test('one line per forward, as the issue has it', () => {
  assert.is(
    forwardLine(target, { local: 5432, address: '172.18.0.2', port: 5432 }),
    'db on 10.0.0.5 (postgres:16): localhost:5432 → 172.18.0.2:5432; Ctrl-C closes\n',
  )
  assert.is(
    forwardLine(target, { local: 5433, address: 'fd00::2', port: 5432 }),
    'db on 10.0.0.5 (postgres:16): localhost:5433 → [fd00::2]:5432; Ctrl-C closes\n',
  )
})

test('one JSON document with every forward', () => {
  assert.equal(JSON.parse(forwardsJson(target, [{ local: 5433, address: '172.18.0.2', port: 5432 }])), {
    verb: 'tunnel',
    accessory: 'db',
    host: '10.0.0.5',
    image: 'postgres:16',
    forwards: [{ local: { address: '127.0.0.1', port: 5433 }, remote: { address: '172.18.0.2', port: 5432 } }],
  })
  assert.equal(JSON.parse(tunnelFailureJson(2, 'not_running', 'x')), {
    verb: 'tunnel',
    exitCode: 2,
    error: { kind: 'not_running', message: 'x' },
    forwards: [],
  })
})

test('not running: the command that boots or starts it, with -c/-d as given', () => {
  const invocation = { accessoryHosts: new Map(), configFlag: 'my deploy.yml' }
  assert.is(
    notRunningMessage({ accessory: 'db', host: '10.0.0.5', hosts: 1 }, undefined, invocation),
    "Accessory `db` has no container on 10.0.0.5, so there is nothing to tunnel to; run `npx zx scripts/accessory-boot.mjs db -c 'my deploy.yml'` to boot it.",
  )
  assert.match(
    notRunningMessage({ accessory: 'db', host: '10.0.0.5', hosts: 2 }, undefined, invocation),
    /accessory-boot.mjs db --hosts 10.0.0.5 /,
  )
  assert.is(
    notRunningMessage({ accessory: 'db', host: '10.0.0.5', hosts: 1 }, 'stopped', { accessoryHosts: new Map() }),
    'Accessory `db` is stopped on 10.0.0.5, so there is nothing to tunnel to; run `npx zx scripts/accessory-start.mjs db --hosts 10.0.0.5` to start it.',
  )
})

test('a taken port names its holder and another port; a lost connection its cause', () => {
  assert.is(
    takenPortMessage(5432, 5432, 'pid 7 (node x.js)', 5433),
    'Local port 5432 (--ports 5432:5432) is taken, by pid 7 (node x.js); free it, or pick another, e.g. --ports 5433:5432.',
  )
  assert.is(
    takenPortMessage(80, 80, undefined, 81),
    'Local port 80 (--ports 80:80) cannot be listened on here (a port below 1024 needs root; ' +
      'else a process this machine does not name holds it); free it, or pick another, e.g. --ports 81:80.',
  )
  assert.is(
    lostMessage('10.0.0.5', 'Warning: x\nConnection to 10.0.0.5 closed by remote host.\n'),
    'the tunnel to 10.0.0.5 closed: Connection to 10.0.0.5 closed by remote host; run it again once 10.0.0.5 answers.',
  )
  assert.match(lostMessage('h', ''), /closed: the ssh connection ended without saying why/)
})

test.run()
