// Talking to an OpenSSH master over its control socket, as `ssh -O exit` and `ssh -O check` do: OpenSSH's
// multiplexing protocol (PROTOCOL.mux), spoken by berth itself over the Unix socket, so no ssh process is
// started and no host is ever contacted.
import { createConnection } from 'node:net'

const MUX_MSG_HELLO = 0x00000001
const MUX_C_ALIVE_CHECK = 0x10000004
const MUX_C_TERMINATE = 0x10000005
const MUX_S_OK = 0x80000001
const MUX_S_ALIVE = 0x80000005
const MUX_PROTOCOL_VERSION = 4

type MuxEnd = 'reply' | 'closed' | 'error' | 'timeout'

/** Our hello and one `request` (id 1), as one write. */
function helloAndRequest(request: number): Buffer {
  const message = Buffer.alloc(24)
  message.writeUInt32BE(8, 0)
  message.writeUInt32BE(MUX_MSG_HELLO, 4)
  message.writeUInt32BE(MUX_PROTOCOL_VERSION, 8)
  message.writeUInt32BE(8, 12)
  message.writeUInt32BE(request, 16)
  message.writeUInt32BE(1, 20) // request id
  return message
}

/**
 * Reads whole length-prefixed messages as they arrive and hands over the type of each, the master's hello
 * left out.
 */
function messageTypes(onType: (type: number) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0)
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk])
    while (buffered.length >= 8 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const type = buffered.readUInt32BE(4)
      buffered = buffered.subarray(4 + buffered.readUInt32BE(0))
      if (type !== MUX_MSG_HELLO) onType(type)
    }
  }
}

/**
 * One request to the master listening on `socket`: hello, then `request`. Resolves with whether the request
 * was sent and the master's replies (its hello left out), once the master answers, closes the socket, fails,
 * or `timeoutMs` passes.
 */
function muxRequest(
  socket: string,
  request: number,
  timeoutMs: number,
): Promise<{ sent: boolean; replies: number[]; ended: MuxEnd }> {
  return new Promise((resolve) => {
    const connection = createConnection(socket)
    let sent = false
    const replies: number[] = []
    const finish = (ended: MuxEnd) => {
      clearTimeout(timer)
      connection.destroy()
      resolve({ sent, replies, ended })
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    connection.on('connect', () => connection.write(helloAndRequest(request), () => (sent = true)))
    const read = messageTypes((type) => replies.push(type))
    connection.on('data', (chunk: Buffer) => {
      read(chunk)
      if (replies.length) finish('reply')
    })
    connection.on('error', () => finish('error'))
    connection.on('close', () => finish('closed'))
  })
}

/**
 * Asks the master listening on `socket` to exit, as `ssh -O exit` does. The master exits at once (its reply
 * rarely makes it, as OpenSSH's own source notes), so the socket closing after the request counts as done;
 * an error, a refusal or no close within `timeoutMs` does not.
 */
export async function terminateMaster(socket: string, timeoutMs = 2000): Promise<boolean> {
  const { sent, replies, ended } = await muxRequest(socket, MUX_C_TERMINATE, timeoutMs)
  // Anything but MUX_S_OK is a refusal (MUX_S_PERMISSION_DENIED, MUX_S_FAILURE).
  return sent && (ended === 'closed' || ended === 'reply') && replies.every((type) => type === MUX_S_OK)
}

/** Whether a master listens on `socket` and answers, as `ssh -O check` asks (MUX_C_ALIVE_CHECK). */
export async function masterAlive(socket: string, timeoutMs = 2000): Promise<boolean> {
  return (await muxRequest(socket, MUX_C_ALIVE_CHECK, timeoutMs)).replies.includes(MUX_S_ALIVE)
}
