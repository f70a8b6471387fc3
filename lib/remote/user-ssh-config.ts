// The user's own ssh configuration, as far as berth's connection sharing needs it: which keywords their
// config files (and every file they `Include`) set, read from disk without running ssh, and whether
// `ssh -G HOST` output shows their own connection sharing for a host.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'

/**
 * What the user's ssh config files say, read once per run without running ssh: the files ssh reads for
 * these settings and every file they `Include`. Only when one of them names ControlMaster/ControlPath is
 * `ssh -G HOST` asked per host (about 10 ms each) whether the user's own sharing applies there.
 */
export class UserSshConfig {
  readonly keywords: Set<string>
  constructor(files: readonly string[]) {
    this.keywords = configKeywords(files)
  }

  /** The user's files may set up sharing for some host: ask `ssh -G` per host. */
  get mentionsSharing(): boolean {
    return this.keywords.has('controlmaster') || this.keywords.has('controlpath')
  }

  /** The user's files set keepalives: berth leaves them as configured. */
  get setsKeepalive(): boolean {
    return this.keywords.has('serveraliveinterval')
  }
}

/** The files ssh reads: `config: true` → ~/.ssh/config and /etc/ssh/ssh_config; `false` → none; paths → those (-F). */
export function sshConfigFiles(configFiles: boolean | string[], home = homedir()): string[] {
  if (configFiles === false) return []
  if (configFiles === true) return [path.join(home, '.ssh', 'config'), '/etc/ssh/ssh_config']
  return configFiles.map((f) => expandHome(f, home))
}

const expandHome = (file: string, home: string) =>
  file === '~' ? home : file.startsWith('~/') ? path.join(home, file.slice(2)) : file

/** Every keyword (lower case) set in these files and in the files they Include (ssh's rules for relative paths). */
export function configKeywords(files: readonly string[], home = homedir()): Set<string> {
  const keywords = new Set<string>()
  const seen = new Set<string>()
  const read = (file: string, system: boolean, depth: number) => {
    if (depth > 16 || seen.has(file)) return
    seen.add(file)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      return
    }
    for (const line of text.split('\n')) {
      const match = /^\s*([A-Za-z]+)(?:\s*=\s*|\s+)(.*)$/.exec(line)
      if (!match) continue
      const keyword = match[1]!.toLowerCase()
      keywords.add(keyword)
      if (keyword !== 'include') continue
      for (const word of match[2]!.trim().split(/\s+/)) {
        const pattern = expandHome(word.replace(/^"(.*)"$/, '$1'), home)
        const absolute = path.isAbsolute(pattern)
          ? pattern
          : path.join(system ? '/etc/ssh' : path.join(home, '.ssh'), pattern)
        for (const included of globFiles(absolute)) read(included, system, depth + 1)
      }
    }
  }
  for (const file of files) read(file, file.startsWith('/etc/ssh/'), 0)
  return keywords
}

/** Files matching a path whose components may hold `*` and `?` (ssh's Include globs). */
function globFiles(pattern: string): string[] {
  const parts = pattern.split('/').filter(Boolean)
  let paths = ['/']
  for (const part of parts) {
    if (!/[*?[]/.test(part)) {
      paths = paths.map((p) => path.join(p, part))
      continue
    }
    const regex = new RegExp(
      `^${part
        .replace(/[.+^${}()|\\]/g, '\\$&')
        .replaceAll('*', '.*')
        .replaceAll('?', '.')}$`,
    )
    paths = paths.flatMap((dir) => {
      try {
        return readdirSync(dir)
          .filter((name) => !name.startsWith('.') && regex.test(name))
          .sort()
          .map((name) => path.join(dir, name))
      } catch {
        return []
      }
    })
  }
  return paths.filter((p) => {
    try {
      return statSync(p).isFile()
    } catch {
      return false
    }
  })
}

/** `ssh -G` output → does the user's own config share connections for that host? */
export function userSharesConnections(effective: string): boolean {
  const value = (key: string) => new RegExp(`^${key} (.*)$`, 'im').exec(effective)?.[1]?.trim().toLowerCase()
  const master = value('controlmaster')
  const controlPath = value('controlpath')
  return (
    (master !== undefined && master !== 'false' && master !== 'no') ||
    (controlPath !== undefined && controlPath !== 'none')
  )
}
