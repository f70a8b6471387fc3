// The value rules (value-rules.ts) applied to each accessory: its name and container name, image, registry,
// hosts, port, network, labels, env, docker options, volumes, files and directories; and to the registry
// sections, the root's and an accessory's. Pure.
import { isPlainObject } from './plain.ts'
import { Collector, type Path } from './value-collector.ts'
import {
  ACCESSORY_NAME,
  CONTROL,
  IMAGE,
  MAX_NAME,
  MOUNT_OPTION_WORDS,
  MOUNT_OPTIONS,
  REGISTRY_SERVER,
  containerPathProblem,
  hostProblem,
  insideServiceProblem,
  matching,
  pathProblem,
  publishProblem,
  publishValue,
  show,
  volumeProblem,
} from './value-rules.ts'

type Plain = Record<string, unknown>

/** Docker's container-name rule; `service` and accessory names become container names and folders. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/

/**
 * An env name docker sets (`--env NAME=v`, or a line of the `--env-file`): anything but `=`, whitespace and
 * control characters, so `discovery.type` and `server.http.listen-addr` too (docker reads the name up to the
 * first `=`, and refuses an env-file name with whitespace).
 */
const ENV_KEY = /^[^=\s\x00-\x1f\x7f]+$/
/** docker's env file skips a line that starts with `#` (a comment): a secret's name cannot. */
const ENV_FILE_KEY = /^[^#]/
/** A secret's name in the secrets files (dotenv keys). */
const SECRET_NAME = /^[a-zA-Z0-9_.]+$/
const LABEL_KEY = /^[a-zA-Z0-9][a-zA-Z0-9_./-]*$/
/** A `docker run` long option without its dashes (`memory`, `cap-add`, `health-cmd`). */
const OPTION_KEY = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/
const NETWORK = /^(?:container:)?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/
/** `chmod` modes: octal, or symbolic (`u+rwx,go-w`). */
const MODE = /^(?:[0-7]{3,4}|[ugoa]*[-+=][rwxXst]*(?:,[ugoa]*[-+=][rwxXst]*)*)$/
/** `chown` owners: `user`, `user:group`, numeric ids. */
const OWNER = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*(?::[a-zA-Z0-9_][a-zA-Z0-9_.-]*)?$/

export function registryProblems(registry: unknown, base: Path, out: Collector): void {
  if (!isPlainObject(registry)) return
  out.string(
    [...base, 'server'],
    registry.server,
    matching(
      REGISTRY_SERVER,
      'is not a registry server docker can log in to (like `ghcr.io` or `registry.example.com:5000`); fix it',
    ),
  )
  out.string([...base, 'username'], registry.username, (v) =>
    v === ''
      ? 'is empty, but docker login needs a user name; set it'
      : CONTROL.test(v)
        ? 'contains a control character (a newline...), which docker login cannot take; remove it'
        : v.length > MAX_NAME
          ? `is longer than ${MAX_NAME} characters, which no registry takes as a user name; fix it`
          : undefined,
  )
  if (registry.password === '')
    out.value(
      [...base, 'password'],
      'The password is empty, but docker login needs one; set it (or name a secret: [SECRET_NAME]).',
    )
}

/** `local:remote[:options]` or the hash form, as Kamal reads it. */
function pathEntry(
  entry: unknown,
): { local: string; remote: string; options?: string; mode?: unknown; owner?: unknown } | undefined {
  if (typeof entry === 'string') {
    const parts = entry.split(':')
    return {
      local: parts[0] ?? '',
      remote: parts[1] ?? '',
      options: parts.length > 2 ? parts.slice(2).join(':') : undefined,
    }
  }
  if (isPlainObject(entry) && typeof entry.local === 'string' && typeof entry.remote === 'string') {
    return {
      local: entry.local,
      remote: entry.remote,
      options: typeof entry.options === 'string' ? entry.options : undefined,
      mode: entry.mode,
      owner: entry.owner,
    }
  }
  return undefined
}

type MountEntry = NonNullable<ReturnType<typeof pathEntry>>

/**
 * Each `files:` or `directories:` entry, parsed: `check` gives the problems of its local and remote parts;
 * the mount options, mode and owner are checked here. `at(key)` points at the entry (string form) or its key.
 */
function mountEntriesProblems(
  list: unknown,
  base: Path,
  out: Collector,
  check: (entry: MountEntry, at: (key: string) => Path, shown: (key: 'local' | 'remote') => string) => void,
): void {
  if (!Array.isArray(list)) return
  list.forEach((raw, i) => {
    const entry = pathEntry(raw)
    if (!entry || (entry.local + entry.remote).includes('\0')) return
    const at = (key: string) => (typeof raw === 'string' ? [...base, i] : [...base, i, key])
    check(entry, at, (key) => show(typeof raw === 'string' ? raw : entry[key]))
    if (entry.options !== undefined && !entry.options.includes('\0') && !MOUNT_OPTIONS.test(entry.options)) {
      out.value(
        at('options'),
        `${show(entry.options)} are not mount options docker takes ` +
          `(${MOUNT_OPTION_WORDS.replaceAll('|', ', ')}, separated by ","); fix them.`,
      )
    }
    out.string(
      at('mode'),
      entry.mode,
      matching(MODE, 'is not a mode chmod takes (like "755", "0600" or "u+rwx"); fix it'),
    )
    out.string(
      at('owner'),
      entry.owner,
      matching(OWNER, 'is not an owner chown takes (like "999", "postgres" or "999:999"); fix it'),
    )
  })
}

function filesProblems(files: unknown, base: Path, out: Collector): void {
  mountEntriesProblems(files, base, out, (entry, at, shown) => {
    if (entry.local === '')
      out.value(
        at('local'),
        'The file entry has no local file (the part before ":"); write `local/file:/path/in/container`.',
      )
    const remote =
      containerPathProblem(entry.remote) ??
      (entry.remote.endsWith('/')
        ? `has the container path ${show(entry.remote)}, which names a folder; name the file`
        : undefined)
    if (remote) out.value(at('remote'), `The file entry ${shown('remote')} ${remote}.`)
  })
}

function directoriesProblems(directories: unknown, base: Path, out: Collector): void {
  mountEntriesProblems(directories, base, out, (entry, at, shown) => {
    const local =
      entry.local === ''
        ? 'has no host folder (the part before ":"); write `data:/path/in/container`'
        : entry.local.startsWith('/')
          ? pathProblem(entry.local, 'the host folder')
          : insideServiceProblem(entry.local, 'the host folder')
    if (local) out.value(at('local'), `The directory entry ${shown('local')} ${local}.`)
    const remote = containerPathProblem(entry.remote)
    if (remote) out.value(at('remote'), `The directory entry ${shown('remote')} ${remote}.`)
  })
}

function envProblems(env: unknown, base: Path, out: Collector): void {
  if (!isPlainObject(env)) return
  const special = 'clear' in env || 'secret' in env || 'tags' in env
  const clear = special ? env.clear : env
  const clearBase = special ? [...base, 'clear'] : base
  if (isPlainObject(clear)) {
    for (const key of Object.keys(clear)) {
      if (!key.includes('\0') && !(ENV_KEY.test(key) && key.length <= MAX_NAME)) {
        out.key(
          [...clearBase, key],
          `The env name ${show(key)} is not a name docker can set (it is empty, or holds "=", whitespace or a ` +
            `control character, where docker would split it); rename it.`,
        )
      }
    }
  }
  if (special && Array.isArray(env.secret)) {
    env.secret.forEach((spec, i) =>
      out.string([...base, 'secret', i], spec, (v) => {
        const [key = '', alias] = v.includes(':') ? [v.slice(0, v.indexOf(':')), v.slice(v.indexOf(':') + 1)] : [v, v]
        if (!ENV_KEY.test(key) || !ENV_FILE_KEY.test(key) || key.length > MAX_NAME)
          return (
            'does not start with a name docker can set from an env file (no "=", whitespace or control ' +
            'character, and no "#" first, which makes the line a comment); write `NAME` or `NAME:SECRET_NAME`'
          )
        if (alias === undefined || !SECRET_NAME.test(alias))
          return 'names no secret a secrets file can hold (letters, digits, "_", "."); write `NAME` or `NAME:SECRET_NAME`'
        return undefined
      }),
    )
  }
}

function optionsProblems(options: unknown, base: Path, out: Collector): void {
  if (!isPlainObject(options)) return
  for (const [key, value] of Object.entries(options)) {
    const path = [...base, key]
    if (key.includes('\0')) continue
    if (!(OPTION_KEY.test(key) && key.length <= MAX_NAME)) {
      out.key(
        path,
        `The option ${show(key)} is not a docker run option name (letters, digits and "-", without the leading "--"); fix it.`,
      )
      continue
    }
    if (key === 'restart') continue // kamal-rules.ts checks the restart policy with Kamal's messages
    const items = Array.isArray(value) ? value : [value]
    items.forEach((item, i) => {
      const at = Array.isArray(value) ? [...path, i] : path
      if (item === null || item === undefined)
        out.value(
          at,
          `The option ${show(key)} has no value; give it one, or \`true\` for a flag without a value (\`--${key}\`).`,
        )
      else if (!['string', 'number', 'boolean'].includes(typeof item))
        out.value(
          at,
          `The option ${show(key)} needs a string, number or boolean value (or a list of them); give it one.`,
        )
      else if (Array.isArray(value) && typeof item === 'boolean')
        out.value(
          at,
          `The option ${show(key)} lists a boolean; a list holds the values of a repeated option, so write strings or numbers.`,
        )
    })
  }
}

export function accessoryProblems(config: Plain, name: string, acc: Plain, out: Collector): void {
  const base = ['accessories', name]
  accessoryNameProblems(config, name, acc, out)
  imageProblems(acc, base, out)
  registryProblems(acc.registry, [...base, 'registry'], out)
  if (typeof acc.host === 'string') out.string([...base, 'host'], acc.host, hostProblem)
  if (Array.isArray(acc.hosts)) acc.hosts.forEach((host, i) => out.string([...base, 'hosts', i], host, hostProblem))
  portProblems(acc.port, [...base, 'port'], out)
  out.string(
    [...base, 'network'],
    acc.network,
    matching(
      NETWORK,
      'is not a docker network name (letters, digits, "_", ".", "-", starting with a letter or digit, or `container:NAME`); fix it',
    ),
  )
  labelsProblems(acc.labels, [...base, 'labels'], out)
  envProblems(acc.env, [...base, 'env'], out)
  optionsProblems(acc.options, [...base, 'options'], out)
  if (Array.isArray(acc.volumes))
    acc.volumes.forEach((volume, i) => out.string([...base, 'volumes', i], volume, volumeProblem))
  filesProblems(acc.files, [...base, 'files'], out)
  directoriesProblems(acc.directories, [...base, 'directories'], out)
}

/** The accessory's name, its `service`, and the container name `<service>-<name>` they make. */
function accessoryNameProblems(config: Plain, name: string, acc: Plain, out: Collector): void {
  const base = ['accessories', name]
  if (!name.includes('\0')) {
    if (!(ACCESSORY_NAME.test(name) && name.length <= MAX_NAME)) {
      out.key(
        base,
        `The accessory name ${show(name)} cannot name a container and its env file: ` +
          'use letters, digits, "_", "." and "-", starting with a letter or digit; rename it.',
      )
    } else if (name === 'all') {
      out.key(
        base,
        'The accessory name "all" cannot be selected on the command line, where `all` means every accessory; rename it.',
      )
    }
  }
  out.string(
    [...base, 'service'],
    acc.service,
    matching(
      CONTAINER_NAME,
      'is not a container name docker accepts (two or more letters, digits, "_", "." or "-", starting with a letter or digit); fix it',
    ),
  )
  if (typeof config.service === 'string' && acc.service === undefined && ACCESSORY_NAME.test(name)) {
    const derived = `${config.service}-${name}`
    if (derived.length > MAX_NAME)
      out.key(
        base,
        `The container name ${show(derived)} (service-accessory) is longer than ${MAX_NAME} characters; ` +
          'shorten the accessory name or set `service`.',
      )
  }
}

/** `image`, with the accessory's registry server before it, as docker pulls it. */
function imageProblems(acc: Plain, base: Path, out: Collector): void {
  const image = typeof acc.image === 'string' ? acc.image : undefined
  const server =
    isPlainObject(acc.registry) && typeof acc.registry.server === 'string' ? acc.registry.server : undefined
  if (image === undefined || image.includes('\0')) return
  const full = server ? `${server}/${image}` : image
  if (!(IMAGE.test(full) && full.length <= MAX_NAME)) {
    out.value(
      [...base, 'image'],
      `${show(full)} is not an image reference docker can pull: ` +
        'write `[registry/]name[:tag][@digest]` in lower case (for example "postgres:16"); fix it.',
    )
  }
}

function portProblems(port: unknown, path: Path, out: Collector): void {
  if (typeof port === 'number') {
    if (port < 1 || port > 65535) out.value(path, `${port} is not a port; ports go from 1 to 65535.`)
  } else {
    out.string(path, port, (v) => publishProblem(publishValue(v)))
  }
}

function labelsProblems(labels: unknown, base: Path, out: Collector): void {
  if (!isPlainObject(labels)) return
  for (const key of Object.keys(labels)) {
    if (!key.includes('\0') && !(LABEL_KEY.test(key) && key.length <= MAX_NAME)) {
      out.key(
        [...base, key],
        `The label name ${show(key)} is not one docker takes ` +
          '(letters, digits, ".", "-", "_", "/", starting with a letter or digit); rename it.',
      )
    }
  }
}

export /** Two accessories with one container name would replace each other's container and share a folder. */
function uniqueServiceProblems(config: Plain, accessories: Plain, out: Collector): void {
  const owner = new Map<string, string>()
  for (const [name, acc] of Object.entries(accessories)) {
    if (!isPlainObject(acc)) continue
    const service =
      typeof acc.service === 'string'
        ? acc.service
        : typeof config.service === 'string'
          ? `${config.service}-${name}`
          : undefined
    if (service === undefined) continue
    const first = owner.get(service)
    if (first === undefined) owner.set(service, name)
    else {
      out.value(
        typeof acc.service === 'string' ? ['accessories', name, 'service'] : ['accessories', name],
        `Accessories ${show(first)} and ${show(name)} both use the container name ${show(service)}, ` +
          "so one would replace the other's container and files; give each its own `service`.",
      )
    }
  }
}
