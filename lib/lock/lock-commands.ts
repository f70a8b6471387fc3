// Kamal's deploy lock, command for command (lib/kamal/commands/lock.rb): a directory made with `mkdir`
// (atomic: only one run can create it) holding a base64 `details` file, on one host.
import { combine } from '../remote/joiners.ts'
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
  const match = /^Locked by: ([^\n]*) at (\S+)\nVersion: ([^\n]*)\nMessage: ([\s\S]*?)\n?$/.exec(text)
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
    argv: combine(['mkdir', '-p', '.kamal'], ['mkdir', directory], ['sh', '-c', 'cat > "$1"/details', 'sh', directory]),
    input: `${encodeDetails(details)}\n`,
  }
}

/**
 * Kamal's release (`rm details && rm -r dir`); a lock without a details file (a run killed between `mkdir`
 * and writing them) is removed with `rm -r` alone, as Kamal's own `rm` of the missing file would stop it.
 */
export function releaseLock(directory: string, hasDetails = true): RemoteCommand {
  return { argv: combine(hasDetails && ['rm', `${directory}/details`], ['rm', '-r', directory]) }
}

/** lockStatus's exit when there is no lock directory, and when the directory has no details file. */
export const NO_LOCK = 3
export const NO_DETAILS = 4
/** lockStatus's exit when `details` is not a readable regular file (a directory, a pipe, a device). */
export const NOT_A_FILE = 5
/** The exits of a lockStatus that ran to its end (any other is a failure to look). */
export const LOCK_STATUS_EXITS: readonly number[] = [0, NO_LOCK, NO_DETAILS, NOT_A_FILE]
/** At most this many bytes of a details file are read (Kamal's are a few hundred). */
const DETAILS_MAX_BYTES = 65536

/**
 * Prints the details file as it is (base64, decoded here by readLockStatus, so a file that does not decode
 * is still seen), at most DETAILS_MAX_BYTES + 1 bytes of it; exits NO_LOCK without a lock (a symlink to
 * nothing is a lock: `mkdir` fails on it), NO_DETAILS for a lock directory without details, and NOT_A_FILE
 * for details that `cat` would hang on (a pipe), fail on (a directory) or never finish (/dev/zero).
 */
export function lockStatus(directory: string): RemoteCommand {
  return {
    argv: [
      'sh',
      '-c',
      `{ [ -e "$1" ] || [ -L "$1" ]; } || exit ${NO_LOCK}; { [ -e "$1"/details ] || [ -L "$1"/details ]; } || exit ${NO_DETAILS}; ` +
        `{ [ -f "$1"/details ] && [ -r "$1"/details ]; } || exit ${NOT_A_FILE}; head -c ${DETAILS_MAX_BYTES + 1} "$1"/details`,
      'sh',
      directory,
    ],
    readOnly: true,
  }
}

/** What lockStatus found: no lock, or a lock with its details, or a lock whose details could not be read (why, and what could). */
export type LockState =
  | { held: false }
  | { held: true; details: LockDetails; text: string }
  | { held: true; details?: undefined; problem: string }

/** Control characters of a file someone else wrote, made visible (they would drive the terminal). */
function controlsEscaped(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

/** At most 200 characters of `text`, control characters shown as escapes. */
function excerpt(text: string): string {
  const cut = text.length > 200 ? `${text.slice(0, 200)}… (${text.length} characters)` : text
  return controlsEscaped(cut)
}

/** Reads the output of a lockStatus that ran to its end (an exit in LOCK_STATUS_EXITS); pure. */
export function readLockStatus(exitCode: number, stdout: string): LockState {
  if (exitCode === NO_LOCK) return { held: false }
  if (exitCode === NO_DETAILS)
    return {
      held: true,
      problem: 'it has no details file, as when a run was killed between taking the lock and writing who holds it',
    }
  if (exitCode === NOT_A_FILE)
    return { held: true, problem: 'its details are not a file that can be read (a directory, a pipe or a device)' }
  if (Buffer.byteLength(stdout) > DETAILS_MAX_BYTES)
    return {
      held: true,
      problem: `its details file is larger than ${DETAILS_MAX_BYTES} bytes, far more than Kamal writes`,
    }
  const encoded = stdout.replace(/\s+/g, '')
  if (encoded === '') return { held: true, problem: 'its details file is empty' }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 === 1)
    return { held: true, problem: `its details file is not base64; it reads: ${excerpt(stdout.trim())}` }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'))
  } catch {
    return { held: true, problem: 'its details file decodes to bytes that are not text' }
  }
  const details = parseLockDetails(text)
  if (!details)
    return { held: true, problem: `its details are not in Kamal's form; they read: ${excerpt(text.trim())}` }
  return { held: true, details, text: controlsEscaped(text.trim()) }
}
