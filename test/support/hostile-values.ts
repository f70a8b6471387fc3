// The hostile-value corpus: strings that break naive quoting, paths, ssh options or sizes. Each goes
// through every config field and CLI argument that reaches a host; it must either arrive verbatim or be
// refused (78 for config, 64 for arguments). Several carry a canary command: if any shell ever ran one,
// a canary file would appear (see canary.ts).
import { existsSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface HostileValue {
  id: string
  value: string
}

/** A name unique to this run; every canary file starts with it. */
export function canaryName(tag: string): string {
  return `berth-canary-${tag}-${process.pid}`
}

/** The values. `canary` is a path (absolute) whose creation would prove a command ran. */
export function hostileValues(canary: string): HostileValue[] {
  const rel = path.basename(canary)
  const list: Array<[string, string]> = [
    ['single quote', "'"],
    ['double quote', '"'],
    ['mixed quotes', `it's "quoted"`],
    ['$() canary', `$(touch ${canary}-a)`],
    ['backtick canary', `\`touch ${canary}-b\``],
    ['; canary', `; touch ${canary}-c`],
    ['&& canary', `x && touch ${canary}-d`],
    ['| canary', `x | touch ${canary}-e`],
    ["'$()' canary", `'$(touch ${canary}-f)'`],
    ['"$()" canary', `"$(touch ${canary}-g)"`],
    ['quote-break canary', `'; touch ${canary}-h; echo '`],
    ['newline canary', `a\ntouch ${canary}-i`],
    ['relative canary', `$(touch ${rel}-j)`],
    ['redirect canary', `> ${canary}-k`],
    ['carriage return', 'a\rb'],
    ['tab', 'a\tb'],
    ['NUL', 'a\0b'],
    ['leading dash -V', '-V'],
    ['--privileged', '--privileged'],
    ['-oProxyCommand canary', `-oProxyCommand=touch ${canary}-l`],
    ['glob *', '*'],
    ['glob ?', '?'],
    ['glob [a-z]*', '[a-z]*'],
    ['tilde', '~'],
    ['~root', '~root/x'],
    ['$HOME', '$HOME'],
    ['${HOME}', '${HOME}'],
    ['arithmetic', '$((6*7))'],
    ['backslash', '\\'],
    ['backslash-n', '\\n'],
    ['unicode', 'héllo wörld'],
    ['emoji', '🐳🚢'],
    ['RTL override', '\u202Etxt.exe'],
    ['zero-width space', 'a\u200Bb'],
    ['ssh tokens', '%h %p %r %%'],
    ['ERB', '<%= ENV["HOME"] %>'],
    ['ruby interpolation', '#{`id`}'],
    ['history !!', 'a!!b'],
    ['braces', '{a,b}'],
    ['dot-dot path', '../../etc/passwd'],
    ['absolute path', '/etc/passwd'],
    ['empty', ''],
    ['padded', '  padded  '],
    ['equals', 'a=b=c'],
    ['colons', 'a:b:c'],
    ['escape sequence', '\x1b[31mred'],
    ['format string', '%s%n%x'],
    ['long line (4 KB)', 'y'.repeat(4096)],
    ['100 KB', 'x'.repeat(100 * 1024)],
    ['200 KB (more than one command line carries)', 'z'.repeat(200 * 1024)],
  ]
  return list.map(([id, value]) => ({ id, value }))
}

/** Every canary file a run may have created: locally (/tmp, the given folders) and in each host's home. */
export function canariesFound(canary: string, folders: string[]): string[] {
  const prefix = path.basename(canary)
  const found: string[] = []
  for (const folder of [path.dirname(canary), tmpdir(), ...folders]) {
    if (!existsSync(folder)) continue
    for (const name of readdirSync(folder)) if (name.startsWith(prefix)) found.push(path.join(folder, name))
  }
  return [...new Set(found)]
}
