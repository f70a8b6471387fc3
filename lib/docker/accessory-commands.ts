// Pure builders of the remote commands berth runs, in Kamal 2.x's shapes (lib/kamal/commands/accessory.rb).
// Nothing here runs anything: tests compare these arrays with Kamal's argv.
import { combine, pipe } from '../remote/joiners.ts'
import type { ShellWord } from '../remote/quote.ts'
import type { RemoteCommand } from '../remote/transport.ts'
import type { Accessory } from '../config/accessory.ts'
import type { DirectorySpec, Mount } from '../config/accessory-files.ts'
import { dumpEnvValue } from '../config/env-file.ts'
import { IMAGES_MARKER, LOGIN_DIRECTORY_MARKER, PROXY_MARKER } from './inspect.ts'
import { proxyList } from './proxy-commands.ts'
import { shellJoin } from '../remote/quote.ts'

// The one read-only round trip per host, in two docker processes and no other: `docker ps` must fail the host
// when the engine does not answer (a pipe into `docker inspect` would hide that as "no containers"); it prints
// each labelled container's id with its `service` label (url-escaped: a hostile label never splits into words).
// The shell keeps the ids of the given accessories' containers ($@ holds `service=ref` pairs; the verdicts read
// no other container, so an app's containers are never inspected). Then ONE `docker inspect` takes those ids
// and, beside them, the configured image references of the accessories that have a container here: an
// accessory without one is `missing` whatever its image, and a reference docker cannot find costs a long
// lookup. Without `--type`, docker looks each argument up as a container, an image, a network, ... in argument
// order, so the template branches on what it got and prints `null` for anything but a container or an image (a
// network may be named like an image reference; a reference always holds `:` or `@`, so no container name can
// shadow it). A container removed between ps and inspect, or a reference's image gone, makes `docker inspect`
// exit 1 with `No such object` and the rest is still printed (see parseHostInspection). Only the fields berth
// reads are asked for (docker's own JSON of them, one object a line: about a quarter of docker's full output).
// After a marker line, only in the rare case that a container runs an image not returned (another tag, or the
// tag moved on the host), a third process: `docker image inspect` of those image ids, found by the shell's own
// pattern matching over the lines (no sed, no subshell: each process costs a host CPU time at 200 hosts).
// Of the networks, only each one's aliases (`--network-alias`), as `[name, aliases, …, null]`. Last, after its
// own marker, the remote shell's working directory (the ssh user's login directory): docker makes a relative
// bind source (`./data:/data`, `"$PWD"/<service>/data`) absolute against it, and check compares what docker recorded.
const CONTAINER_FIELDS =
  '{"Id":{{json .Id}},"Name":{{json .Name}},"Image":{{json .Image}},' +
  '"Config":{{json .Config}},"HostConfig":{{json .HostConfig}},"State":{{json .State}},' +
  '"NetworkAliases":[{{range $n, $e := .NetworkSettings.Networks}}{{json $n}},{{json $e.Aliases}},{{end}}null]}'
const IMAGE_FIELDS =
  '{"Id":{{json .Id}},"RepoTags":{{json .RepoTags}},"RepoDigests":{{json .RepoDigests}},"Config":{{json .Config}}}'
const CONTAINER_OR_IMAGE = `{{if index . "State"}}${CONTAINER_FIELDS}{{else if index . "RootFS"}}${IMAGE_FIELDS}{{else}}null{{end}}`
const INSPECT_HOST = [
  `ids=$(docker ps --all --no-trunc --filter label=service --format '{{.ID}}={{urlquery (.Label "service")}}') || exit`,
  `services=' '; for pair in "$@"; do services="$services\${pair%%=*} "; done`,
  `cids=; present=' '`,
  'for pair in $ids; do',
  '  case "$services" in *" ${pair#*=} "*) cids="$cids ${pair%%=*}"; present="$present${pair#*=} " ;; esac',
  'done',
  `refs=; for pair in "$@"; do case "$present" in *" \${pair%%=*} "*) refs="$refs \${pair#*=}" ;; esac; done`,
  'status=0',
  'out=',
  `if [ -n "$cids" ]; then out=$(docker inspect $cids $refs --format '${CONTAINER_OR_IMAGE}') || status=$?; fi`,
  `printf '%s\n' "$out"`,
  `echo '${IMAGES_MARKER}'`,
  // each container's image id, unless the same inspect returned that image (the lines split on newlines only,
  // never globbed)
  "missing=; set -f; IFS='",
  "'",
  'for line in $out; do',
  // a container's line (an image's Id is `sha256:…`, a container's bare hex; neither value can hold `","`)
  `  case "$line" in '{"Id":"sha256:'*) continue ;; '{"Id":"'*'","Name":"'*'","Image":"sha256:'*) ;; *) continue ;; esac`,
  `  image=\${line#*'","Image":"'}; image=\${image%%'"'*}`,
  '  case "$out$missing " in *"{\\"Id\\":\\"$image\\",\\"RepoTags\\""*|*" $image "*) ;; *) missing="$missing $image" ;; esac',
  'done',
  'unset IFS; set +f',
  `if [ -n "$missing" ]; then docker image inspect --format '${IMAGE_FIELDS}' $missing 2>/dev/null; fi`,
  `echo '${LOGIN_DIRECTORY_MARKER}'; printf '%s\\n' "$PWD"`,
  'exit $status',
].join('\n')

// For a host of an accessory with `proxy:`, the same round trip also asks kamal-proxy what it routes, after a
// marker line: `exit <status>` of `docker exec kamal-proxy kamal-proxy list`, then its output (or docker's error).
const INSPECT_HOST_AND_PROXY = INSPECT_HOST.replace(
  /\nexit \$status$/,
  `\necho '${PROXY_MARKER}'\n` +
    `routes=$(${shellJoin(proxyList().argv)} 2>&1); echo "exit $?"; printf "%s\\n" "$routes"\nexit $status`,
)

/** A reference with its tag: `redis` is `redis:latest`, as docker reads it, and no container name can match it. */
const tagged = (image: string) => (/@|:[^/]*$/.test(image) ? image : `${image}:latest`)

/**
 * Every container carrying a `service` label (Kamal's marker) inspected by id, and the configured image of
 * each accessory given that has a container here; with `proxy`, what kamal-proxy routes too.
 */
export function inspectHost(
  accessories: ReadonlyArray<Pick<Accessory, 'serviceName' | 'image'>> = [],
  proxy = false,
): RemoteCommand {
  const pairs = accessories.map((a) => `${a.serviceName}=${tagged(a.image)}`)
  return { argv: ['sh', '-c', proxy ? INSPECT_HOST_AND_PROXY : INSPECT_HOST, 'sh', ...pairs], readOnly: true }
}

/** Networks docker provides itself; Kamal only ever creates `kamal`, berth creates any other named one. */
const BUILTIN_NETWORKS = new Set(['bridge', 'host', 'none', 'default'])

export function networkNeedsCreating(network: string): boolean {
  return !BUILTIN_NETWORKS.has(network) && !network.startsWith('container:')
}

export function createNetwork(network: string): RemoteCommand {
  return { argv: ['docker', 'network', 'create', network] }
}

// `docker login` takes a user name only as an argument. It travels on stdin (first line, then the password),
// so neither is in the local ssh argv, in -v or in --dry-run output; on the host, docker login's own argv
// holds the user name for the moment it runs, as with Kamal.
const LOGIN_SCRIPT = 'IFS= read -r user && exec docker login "$@" --username "$user" --password-stdin'

/** `docker login` with the user name and password on stdin, never in argv. */
export function registryLogin(login: { server?: string; username: string; password: string }): RemoteCommand {
  return {
    argv: ['sh', '-c', LOGIN_SCRIPT, 'sh', ...(login.server ? [login.server] : [])],
    input: `${login.username}\n${login.password}`,
  }
}

/** `mkdir -p`, then `chmod`/`chown` when set, as one command. */
export function makeDirectory(directory: DirectorySpec): RemoteCommand {
  const target = directory.path
  return {
    argv: combine(
      ['mkdir', '-p', target],
      directory.mode && ['chmod', directory.mode, target],
      directory.owner && ['chown', directory.owner, target],
    ),
  }
}

// A file arrives on stdin; its directory is created and its mode set before any content is written,
// so a secret is never readable by others even for a moment. Folders made for it get Kamal's 0755, so a
// non-root container user can reach a mounted file; under `.kamal/` (env files) they stay private (0700).
const WRITE_FILE_SCRIPT =
  'case "$1" in .kamal/*) umask 077 ;; *) umask 022 ;; esac && mkdir -p "$(dirname "$1")" && ' +
  'umask 077 && : > "$1" && chmod "$2" "$1" && cat > "$1"'

/** Writes `content` (sent over stdin) to a remote path with the given mode and optional owner. */
export function writeFile(remotePath: string, content: string, mode: string, owner?: string): RemoteCommand {
  return {
    argv: combine(['sh', '-c', WRITE_FILE_SCRIPT, 'sh', remotePath, mode], owner && ['chown', owner, remotePath]),
    input: content,
  }
}

/** Kamal's env file: one `KEY=value` line per secret, values escaped like Ruby's `String#dump`. */
export function envFileContent(secrets: Array<[string, string]>): string {
  if (secrets.length === 0) return '\n'
  return secrets.map(([key, value]) => `${key}=${dumpEnvValue(value)}\n`).join('')
}

function mountWord(mount: Mount): ShellWord {
  const spec = `${mount.containerPath}${mount.options ? `:${mount.options}` : ''}`
  return mount.relative ? { pwd: `${mount.hostPath}:${spec}` } : `${mount.hostPath}:${spec}`
}

/** The `docker run`/`docker create` settings Kamal gives an accessory, after the name and detach flag. */
function containerSettings(accessory: Accessory, host: string | undefined, loggingArgs: string[]): ShellWord[] {
  const argv: ShellWord[] = ['--restart', accessory.restartPolicy, '--network', accessory.network, ...loggingArgs]
  if (accessory.port) argv.push('--publish', accessory.port)
  // Kamal's `run(host:)`: every boot names the host; without one (Kamal's command tests) there is none
  if (host !== undefined) argv.push('--env', `KAMAL_HOST=${host}`)
  argv.push(...environmentArgs(accessory), ...volumeArgs(accessory))
  for (const [key, value] of accessory.labels) argv.push('--label', `${key}=${value}`)
  argv.push(...optionArgs(accessory), accessory.image)
  if (accessory.cmd) argv.push({ raw: accessory.cmd })
  return argv
}

function environmentArgs(accessory: Accessory): ShellWord[] {
  const argv: ShellWord[] = []
  for (const [key, value] of accessory.envClear) argv.push('--env', `${key}=${value}`)
  argv.push('--env-file', accessory.envFile)
  return argv
}

function volumeArgs(accessory: Accessory): ShellWord[] {
  const argv: ShellWord[] = []
  for (const volume of accessory.volumes) argv.push('--volume', volume)
  for (const mount of accessory.mounts) argv.push('--volume', mountWord(mount))
  return argv
}

function optionArgs(accessory: Accessory): ShellWord[] {
  return accessory.options.flatMap(([flag, value]): ShellWord[] => [
    `--${flag}`,
    ...(value === undefined ? [] : [value]),
  ])
}

/**
 * Kamal's `docker run` for an accessory:
 * `docker run --name <svc> --detach --restart <policy> --network <net> <logging> [--publish <port>]
 *  --env KAMAL_HOST=<host> --env K=v... --env-file <file> <volumes> --label k=v... <options> <image> [cmd]`
 */
export function runAccessory(accessory: Accessory, host: string | undefined, loggingArgs: string[]): RemoteCommand {
  return {
    argv: [
      'docker',
      'run',
      '--name',
      accessory.serviceName,
      '--detach',
      ...containerSettings(accessory, host, loggingArgs),
    ],
  }
}

/** The same container as `runAccessory`, created under another name and not started (for a reboot). */
export function createAccessory(
  accessory: Accessory,
  host: string,
  loggingArgs: string[],
  name: string,
): RemoteCommand {
  return { argv: ['docker', 'create', '--name', name, ...containerSettings(accessory, host, loggingArgs)] }
}

/** Kamal's `execute_in_new_container`: no name, labels, ports, restart or logging. */
export function runInNewContainer(accessory: Accessory, command: string[]): RemoteCommand {
  return {
    argv: [
      'docker',
      'run',
      '--rm',
      '--network',
      accessory.network,
      ...environmentArgs(accessory),
      ...volumeArgs(accessory),
      ...optionArgs(accessory),
      accessory.image,
      ...command,
    ],
  }
}

export function execInContainer(container: string, command: string[]): RemoteCommand {
  return { argv: ['docker', 'exec', container, ...command] }
}

export function pullImage(image: string): RemoteCommand {
  return { argv: ['docker', 'image', 'pull', image] }
}

export function startContainer(container: string): RemoteCommand {
  return { argv: ['docker', 'container', 'start', container] }
}

export function stopContainer(container: string): RemoteCommand {
  return { argv: ['docker', 'container', 'stop', container] }
}

/** accessory-restart's one command: stop, then start only if the stop succeeded. */
export function restartContainer(container: string): RemoteCommand {
  return { argv: combine(stopContainer(container).argv, startContainer(container).argv) }
}

export function removeContainer(container: string): RemoteCommand {
  return { argv: ['docker', 'container', 'rm', '--force', container] }
}

export function removeImage(image: string): RemoteCommand {
  return { argv: ['docker', 'image', 'rm', '--force', image] }
}

export function removeVolume(volume: string): RemoteCommand {
  return { argv: ['docker', 'volume', 'rm', volume] }
}

/** Kamal's `remove_service_directory`: `rm -rf <service_name>` in the login directory. */
export function removeServiceDirectory(serviceName: string): RemoteCommand {
  return { argv: ['rm', '-rf', serviceName] }
}

/** `docker logs` with Kamal's options; grep is applied locally so a missing match is not an error. */
export function containerLogs(
  container: string,
  options: { since?: string; lines?: number; follow?: boolean; timestamps?: boolean },
): RemoteCommand {
  const argv: ShellWord[] = ['docker', 'logs', container]
  if (options.since) argv.push('--since', options.since)
  // Kamal's `logs` puts --timestamps after --tail, its `follow_logs` before it
  if (options.follow && options.timestamps !== false) argv.push('--timestamps')
  if (options.lines !== undefined) argv.push('--tail', String(options.lines))
  if (!options.follow && options.timestamps !== false) argv.push('--timestamps')
  if (options.follow) argv.push('--follow')
  argv.push({ raw: '2>&1' })
  // A followed log runs until it is interrupted: only a one-off read has the per-host time limit.
  return options.follow ? { argv } : { argv, readOnly: true }
}

/** State, restart count and health of one container, for verifying a (re)started accessory. */
export function containerHealth(container: string): RemoteCommand {
  return {
    argv: [
      'docker',
      'inspect',
      container,
      '--format',
      '{{.State.Status}} {{.RestartCount}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
    ],
    readOnly: true,
  }
}

/**
 * Removes what a failed `docker run` left behind: this accessory's containers that were created but never
 * started. A running one (booted meanwhile by another run, say) is never touched.
 */
export function removeLabelledContainers(serviceName: string): RemoteCommand {
  return {
    argv: pipe(
      ['docker', 'ps', '--all', '--quiet', '--filter', `label=service=${serviceName}`, '--filter', 'status=created'],
      ['xargs', '-r', 'docker', 'rm', '--force'],
    ),
  }
}

export function unpauseContainer(container: string): RemoteCommand {
  return { argv: ['docker', 'container', 'unpause', container] }
}

export function renameContainer(container: string, name: string): RemoteCommand {
  return { argv: ['docker', 'container', 'rename', container, name] }
}
