// berth's temporary container names during a reboot. The new container is created as
// `<service>-berth-new-<stamp>` and the old one is renamed aside to `<service>-berth-old-<stamp>`; both
// carry the accessory's label, so they are recognised by name (a label cannot be added to the old container,
// and one on the new container would stay after the swap). Neither is ever the accessory itself.

export type TemporaryRole = 'new' | 'old'

/** A stamp that sorts by time: base-36 milliseconds. */
export function rebootStamp(now = Date.now()): string {
  return now.toString(36)
}

export function temporaryName(serviceName: string, role: TemporaryRole, stamp: string): string {
  return `${serviceName}-berth-${role}-${stamp}`
}

/** `new` or `old` when `name` is one of berth's temporary names for `serviceName`. */
export function temporaryRole(serviceName: string, name: string): TemporaryRole | undefined {
  if (!name.startsWith(`${serviceName}-berth-`)) return undefined
  const match = /^(new|old)-[0-9a-z]+$/.exec(name.slice(serviceName.length + '-berth-'.length))
  return match ? (match[1] as TemporaryRole) : undefined
}
