// Why a remote command failed, told apart and put in words: ssh could not connect (exit 255 with ssh's own
// words, or a transport that knows), the per-host time limit, an interrupted run, or the command's own exit.
// No I/O: it reads a CommandResult.
import type { CommandResult } from './transport.ts'

/** ssh exits 255 when it could not connect or authenticate. */
export const SSH_CONNECTION_FAILED = 255

// What ssh itself prints when it could not reach, log in to or stay connected to a host: OpenSSH's own
// messages (sshconnect.c, kex.c, packet.c's sshpkt_vfatal, clientloop.c, mux.c, readconf.c). These begin a line:
const SSH_LINE_STARTS = [
  'ssh: ', // ssh: connect to host H port P: Connection timed out/refused, ssh: Could not resolve hostname
  'ssh_', // ssh_exchange_identification:, ssh_dispatch_run_fatal:
  'kex_', // kex_exchange_identification: read: Connection reset by peer
  'banner exchange: ', // banner exchange: Connection to H port P: invalid format
  'Connection to \\S+ port \\d+ timed out', // packet.c: a handshake or connection that stopped answering
  'Connection to \\S+ closed by remote host', // clientloop.c
  'Connection (closed|reset) by ', // packet.c: Connection closed by H port P
  'Disconnected from ',
  'Received disconnect',
  'Timeout, server \\S+ not responding',
  'Unable to negotiate with ',
  'client_loop: ',
  'Bad owner',
  'no such identity',
  'could not run the local ssh client',
  'channel \\d+: open failed',
  'stdio forwarding failed',
  'mux_client',
  'Control socket',
  'ControlPath',
].join('|')
// These may stand anywhere in its output:
const SSH_ANYWHERE =
  'Permission denied \\(|Host key verification failed|Connection (closed|reset|timed out|refused)|Could not resolve hostname|' +
  ': line \\d+: Bad configuration option: |: terminating, \\d+ bad configuration options'
const SSH_OWN_ERROR = new RegExp(`(^|\\n)(${SSH_LINE_STARTS})|${SSH_ANYWHERE}`)

/**
 * ssh exits 255 when it could not connect, and so may the remote command itself (`exit 255`, or a
 * failed `docker exec`). A transport that could tell says so (`connectionFailed`: the ssh transport asks
 * the shared connection whether it is still up); otherwise only 255 with ssh's own words on stderr (or
 * none) is a connection failure.
 */
export function isConnectionFailure(result: CommandResult): boolean {
  if (result.timedOut || result.interrupted) return false
  if (result.connectionFailed !== undefined) return result.connectionFailed
  return result.exitCode === SSH_CONNECTION_FAILED && (result.stderr.trim() === '' || SSH_OWN_ERROR.test(result.stderr))
}

// docker's pointers to its usage text, which bury the cause when only the last lines are kept.
const USAGE_BOILERPLATE = /^(See '.*--help'\.?|Run '.*--help' for more information\.?|Usage:.*)$/

/** The lines of a failed command's output that say why, docker's usage pointers left out (at most 600 characters). */
export function failureDetail(result: CommandResult): string {
  const lines = (result.stderr.trim() || result.stdout.trim())
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !USAGE_BOILERPLATE.test(l))
  const detail = lines.slice(-3).join(' ')
  return detail.length > 600 ? `${detail.slice(0, 597)}...` : detail
}

/** A failure as one sentence that names the host and says what to do. */
export function describeFailure(host: string, what: string, result: CommandResult): string {
  if (result.interrupted) return `${what} did not run to its end on ${host}: the run was interrupted.`
  if (result.timedOut) {
    return (
      `${what} got no answer from ${host} within ${result.timedOut.seconds}s (the per-host time limit, --host-timeout); ` +
      `check the host and its Docker engine (\`ssh ${host} docker info\`), then run again.`
    )
  }
  if (isConnectionFailure(result)) {
    // ssh speaks on stderr only: whatever came on stdout is the remote command's, never the reason
    const sshSaid = failureDetail({ ...result, stdout: '' })
    return (
      `could not connect to ${host} over ssh (${sshSaid || 'ssh exited 255'}); ` +
      `check that the host is up and that \`ssh ${host}\` works with the configured user and keys, then run again.`
    )
  }
  const detail = failureDetail(result)
  return `${what} exited ${result.exitCode}${detail ? ` (${detail})` : ''}; fix the cause on ${host} and run again.`
}
