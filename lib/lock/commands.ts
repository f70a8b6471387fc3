// Kamal's deploy lock, command for command (lib/kamal/commands/lock.rb): a directory made with `mkdir`
// (atomic: only one run can create it) holding a base64 `details` file, on one host.
import type { RemoteCommand } from '../remote/transport.ts'

/** `.kamal/lock-<service>[-<destination>]`, relative to the login directory. */
export function lockDirectory(service: string, destination?: string): string {
  return `.kamal/lock-${service}${destination ? `-${destination}` : ''}`
}

export interface LockDetails {
  lockedBy: string
  at: string
  version: string
  message: string
}

/** Kamal's text: `Locked by: <who> at <iso8601>\nVersion: <v>\nMessage: <m>`. */
export function formatLockDetails(details: LockDetails): string {
  return `Locked by: ${details.lockedBy} at ${details.at}\nVersion: ${details.version}\nMessage: ${details.message}`
}

export function parseLockDetails(text: string): LockDetails | undefined {
  const match = /^Locked by: (.*) at (\S+)\nVersion: (.*)\nMessage: ([\s\S]*?)\n?$/.exec(text)
  if (!match) return undefined
  const [, lockedBy, at, version, message] = match
  return { lockedBy: lockedBy!, at: at!, version: version!, message: message! }
}

/** Base64 in 60-character lines, as Ruby's `Base64.encode64` writes it. */
export function encodeDetails(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,60}/g) ?? []
  ).join('\n')
}

export function acquireLock(directory: string, details: string): RemoteCommand {
  return {
    argv: [
      'mkdir',
      '-p',
      '.kamal',
      { raw: '&&' },
      'mkdir',
      directory,
      { raw: '&&' },
      'sh',
      '-c',
      'cat > "$1"/details',
      'sh',
      directory,
    ],
    input: `${encodeDetails(details)}\n`,
  }
}

export function releaseLock(directory: string): RemoteCommand {
  return { argv: ['rm', `${directory}/details`, { raw: '&&' }, 'rm', '-r', directory] }
}

/** Prints the decoded details, or fails when there is no lock. */
export function lockStatus(directory: string): RemoteCommand {
  return {
    argv: ['stat', directory, { raw: '> /dev/null &&' }, 'cat', `${directory}/details`, { raw: '|' }, 'base64', '-d'],
    readOnly: true,
  }
}
