// Kamal's audit log (lib/kamal/commands/auditor.rb, tags.rb), so `kamal audit` shows berth's changes too:
// `mkdir -p .kamal && echo <line> >> .kamal/<service>[-<destination>]-audit.log`, a line being
// `[<UTC ISO 8601>] [<performer>] [<destination, if any>] <message>`, written byte for byte as Kamal's lands
// in the file (kamalAuditText): one line per record, whatever newline a performer or a command holds.
import { RUBY_ESCAPES } from '../config/env-file.ts'
import { append, combine } from '../remote/joiners.ts'
import type { RemoteCommand } from '../remote/transport.ts'

export interface AuditContext {
  service: string
  destination?: string
  /** Kamal's performer: the local `git config user.email`, else the user name. */
  performer: string
}

export function auditLogFile(service: string, destination?: string): string {
  return `.kamal/${[service, destination, 'audit.log'].filter(Boolean).join('-')}`
}

/** Ruby's `Time#iso8601` in UTC: seconds, no fraction. */
function recordedAt(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function auditLine(context: AuditContext, message: string, now: Date): string {
  const tags = [recordedAt(now), context.performer, context.destination].filter((t): t is string => Boolean(t))
  return `${tags.map((t) => `[${t}]`).join(' ')} ${message}`
}

/**
 * What Kamal's `echo <escape_shell_value(line)>` leaves in the log once the remote shell (bash) has read it:
 * each ASCII run as Ruby's `String#dump` writes it (a newline is the two characters `\n`, other control
 * characters `\t`, `\e`, `\xNN`…; `#{`, `#$`, `#@` get a backslash), less the escapes the double quotes
 * take back (`\"`, `\\`, `\$`, `` \` ``); non-ASCII runs raw. So no text can start a second record.
 * Kamal leaves `${...}` for the remote shell to expand; berth's text is never read by a shell (it travels
 * single-quoted to `printf`), so it stays as written.
 */
export function kamalAuditText(line: string): string {
  let out = ''
  const chars = [...line]
  chars.forEach((char, i) => {
    const code = char.codePointAt(0)!
    if (char === '\\' || code >= 0x80) out += char
    else if (RUBY_ESCAPES[char]) out += RUBY_ESCAPES[char]
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).toUpperCase().padStart(2, '0')}`
    else if (char === '#' && /^[{$@]$/.test(chars[i + 1] ?? '')) out += '\\#'
    else out += char
  })
  return out
}

/**
 * Appends one line per message, in order, as one remote command. `printf '%s\n'` rather than Kamal's `echo`:
 * the same bytes, and no shell's `echo` (dash's reads `\n`) can turn the escaped text back into a newline.
 */
export function recordAudit(context: AuditContext, messages: readonly string[], now: Date): RemoteCommand {
  const file = auditLogFile(context.service, context.destination)
  return {
    argv: combine(
      ['mkdir', '-p', '.kamal'],
      ...messages.map((message) =>
        append(['printf', '%s\\n', kamalAuditText(auditLine(context, message, now))], [file]),
      ),
    ),
  }
}

/** Kamal's messages for accessory changes (lib/kamal/cli/accessory.rb). */
export const AUDIT = {
  booted: (name: string) => `Booted ${name} accessory`,
  started: (name: string) => `Started ${name} accessory`,
  stopped: (name: string) => `Stopped ${name} accessory`,
  pulled: (name: string) => `Pull ${name} accessory image`,
  removedContainer: (name: string) => `Remove ${name} accessory container`,
  removedImage: (name: string) => `Removed ${name} accessory image`,
  executed: (name: string, command: string) => `Executed cmd '${command}' on ${name} accessory`,
}
