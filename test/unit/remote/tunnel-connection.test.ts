import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { forwardArgument } from '../../../lib/remote/tunnel-connection.ts'

test('-L binds 127.0.0.1 only; an IPv6 address goes in brackets', () => {
  assert.is(forwardArgument({ local: 5432, address: '172.18.0.2', port: 5432 }), '127.0.0.1:5432:172.18.0.2:5432')
  assert.is(forwardArgument({ local: 15432, address: 'fd00::2', port: 5432 }), '127.0.0.1:15432:[fd00::2]:5432')
})

test.run()
