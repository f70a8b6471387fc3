// Every value rule applied to a whole config (valueProblems), so a hostile or mistaken value is refused at
// load (exit 78) before any host is contacted: NUL bytes anywhere, `service`, `servers`, the root registry,
// `ssh`, `logging`, and each accessory (accessory-values.ts). The JSON schema (schema.ts) checks shapes and
// types; this checks contents. Pure; used by validation.ts for YAML and .mjs configs alike.
//
// Exempt by Kamal's design (documented in README.md): an accessory's `cmd` (appended for the remote shell
// to parse), `ssh.proxy_command` (a local command ssh runs) and `$(...)` in the secrets files.
import { isPlainObject } from './plain.ts'
import { Collector, type Path, type Problem } from './value-collector.ts'
import { CONTROL, IMAGE, MAX_NAME, hostProblem, matching, show } from './value-rules.ts'
import { accessoryProblems, registryProblems, uniqueServiceProblems } from './accessory-values.ts'

const SSH_USER = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/
const JUMP_HOST = /^(?:[a-zA-Z0-9_][a-zA-Z0-9_.-]*@)?[a-zA-Z0-9_][a-zA-Z0-9_.-]*(?::[0-9]{1,5})?$/
/** A built-in log driver (`json-file`, `local`); plugins are named by image reference. */
const LOG_DRIVER = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
const LOG_OPTION_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

const NUL_MESSAGE = 'contains a NUL byte, which no command line, file name or env file can carry; remove it.'

/** Every NUL byte, in keys and values, anywhere in the config. */
function nulProblems(value: unknown, path: Path, out: Collector): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) out.value(path, `The value ${NUL_MESSAGE}`)
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => nulProblems(item, [...path, i], out))
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\0')) out.key([...path, key], `The key ${NUL_MESSAGE}`)
      nulProblems(item, [...path, key], out)
    }
  }
}

/** Hosts under `servers`: a list, or roles holding lists or `{ hosts: [...] }`; entries `host` or `{host: tags}`. */
function serverProblems(servers: unknown, out: Collector): void {
  const entries = (list: unknown, base: Path) => {
    if (!Array.isArray(list)) return
    list.forEach((entry, i) => {
      if (typeof entry === 'string') out.string([...base, i], entry, hostProblem)
      else if (isPlainObject(entry))
        for (const host of Object.keys(entry))
          out.string([...base, i, host], host, (h) => hostProblem(h) && `(a host) ${hostProblem(h)}`)
    })
  }
  if (Array.isArray(servers)) entries(servers, ['servers'])
  else if (isPlainObject(servers)) {
    for (const [role, config] of Object.entries(servers)) {
      if (Array.isArray(config)) entries(config, ['servers', role])
      else if (isPlainObject(config)) entries(config.hosts, ['servers', role, 'hosts'])
    }
  }
}

function sshProblems(ssh: unknown, out: Collector): void {
  if (!isPlainObject(ssh)) return
  out.string(
    ['ssh', 'user'],
    ssh.user,
    matching(
      SSH_USER,
      'is not a user name ssh can take (letters, digits, ".", "-" and "_", not starting with "-"); fix it',
    ),
  )
  const port = ssh.port
  if (typeof port === 'number' || typeof port === 'string') {
    const n = typeof port === 'number' ? port : /^[0-9]+$/.test(port) ? Number(port) : NaN
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      out.value(['ssh', 'port'], `${show(port)} is not a port; ssh.port takes a number from 1 to 65535.`)
  }
  out.string(['ssh', 'proxy'], ssh.proxy, (v) =>
    v.split(',').every((hop) => JUMP_HOST.test(hop) && hop.length <= MAX_NAME)
      ? undefined
      : 'is not a jump host ssh can take: write `host`, `user@host` or `user@host:port` ' +
        '(several separated by ","), not starting with "-"; fix it',
  )
  out.string(['ssh', 'proxy_command'], ssh.proxy_command, (v) =>
    CONTROL.test(v)
      ? 'contains a control character (a newline...), but ssh reads ProxyCommand as one line; write it on one line'
      : undefined,
  )
  if (Array.isArray(ssh.keys))
    ssh.keys.forEach((key, i) => out.string(['ssh', 'keys', i], key, sshFileProblem('a key path')))
  logLevelProblems(ssh.log_level, out)
  const config = ssh.config
  if (typeof config === 'string') out.string(['ssh', 'config'], config, sshFileProblem('an ssh config path'))
  if (Array.isArray(config))
    config.forEach((file, i) => out.string(['ssh', 'config', i], file, sshFileProblem('an ssh config path')))
}

/** A file path ssh reads (a key, an ssh config): one line, no leading "-", no double quote, not empty. */
function sshFileProblem(what: string): (v: string) => string | undefined {
  return (v) => {
    if (CONTROL.test(v))
      return `contains a control character (a newline...), but ${what} must be one line; fix the path`
    if (v.startsWith('-')) return `starts with "-", so ssh would read it as an option; write it as ./${v}`
    if (v.includes('"'))
      return `contains a double quote, which ssh config files cannot carry in a path; rename the file`
    if (v === '') return 'is empty; name a file'
    return undefined
  }
}

function logLevelProblems(level: unknown, out: Collector): void {
  if (
    (typeof level === 'string' && !LOG_LEVELS.includes(level.toLowerCase())) ||
    (typeof level === 'number' && !(level >= 0 && level <= 5))
  ) {
    out.value(
      ['ssh', 'log_level'],
      `${show(level)} is not a log level; ssh.log_level takes ${LOG_LEVELS.join(', ')} (or 0 to 5), as Kamal's logger does.`,
    )
  }
}

/** Ruby Logger's levels, which Kamal hands net-ssh. */
const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'fatal', 'unknown']

function loggingProblems(logging: unknown, out: Collector): void {
  if (!isPlainObject(logging)) return
  out.string(['logging', 'driver'], logging.driver, (v) =>
    v.length <= MAX_NAME && (LOG_DRIVER.test(v) || IMAGE.test(v))
      ? undefined
      : "is not a docker log driver (a name like json-file, or a plugin's image reference); fix it",
  )
  if (!isPlainObject(logging.options)) return
  for (const [key, value] of Object.entries(logging.options)) {
    const path = ['logging', 'options', key]
    if (!key.includes('\0') && !(LOG_OPTION_KEY.test(key) && key.length <= MAX_NAME))
      out.key(
        path,
        `The log option name ${show(key)} is not one docker takes (letters, digits, ".", "-", "_"); fix it.`,
      )
    if (!['string', 'number', 'boolean'].includes(typeof value))
      out.value(path, `The log option ${show(key)} needs a string, number or boolean value; give it one.`)
  }
}

/** Every value rule, for a config that may still have type errors (those are skipped here). */
export function valueProblems(config: unknown): Problem[] {
  const out = new Collector()
  if (!isPlainObject(config)) return out.problems
  nulProblems(config, [], out)
  out.string(['service'], config.service, (v) =>
    /^[a-zA-Z0-9]/.test(v) || v === ''
      ? undefined
      : 'starts with neither a letter nor a digit, but it begins every container name; fix it',
  )
  serverProblems(config.servers, out)
  registryProblems(config.registry, ['registry'], out)
  sshProblems(config.ssh, out)
  loggingProblems(config.logging, out)
  const accessories = config.accessories
  if (isPlainObject(accessories)) {
    for (const [name, acc] of Object.entries(accessories))
      if (isPlainObject(acc)) accessoryProblems(config, name, acc, out)
    uniqueServiceProblems(config, accessories, out)
  }
  return out.problems
}
