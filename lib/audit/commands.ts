// Kamal's audit log, command for command (lib/kamal/commands/auditor.rb, tags.rb), so `kamal audit` shows
// berth's changes too: `mkdir -p .kamal && echo <line> >> .kamal/<service>[-<destination>]-audit.log`, a line
// being `[<UTC ISO 8601>] [<performer>] [<destination, if any>] <message>`.
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
export function recordedAt(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

export function auditLine(context: AuditContext, message: string, now: Date): string {
  const tags = [recordedAt(now), context.performer, context.destination].filter((t): t is string => Boolean(t))
  return `${tags.map((t) => `[${t}]`).join(' ')} ${message}`
}

/** Appends one line per message, in order, as one remote command. */
export function recordAudit(context: AuditContext, messages: readonly string[], now: Date): RemoteCommand {
  const file = auditLogFile(context.service, context.destination)
  return {
    argv: [
      'mkdir',
      '-p',
      '.kamal',
      ...messages.flatMap((message) => [{ raw: '&&' }, 'echo', auditLine(context, message, now), { raw: '>>' }, file]),
    ],
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
