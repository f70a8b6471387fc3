// A fake Transport for orchestration tests, in the manner of Kamal's test/cli: it records every command
// and answers from a small model of each host's docker engine (containers, pulled images, the deploy lock),
// so a test can assert both the commands a flow sent and the state it left. No ssh, no docker.
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { IMAGES_MARKER, LOGIN_DIRECTORY_MARKER } from '../../lib/docker/inspect.ts'
import { shellJoin, type ShellWord } from '../../lib/remote/quote.ts'
import type { CommandResult, OutputSink, RemoteCommand, Transport } from '../../lib/remote/transport.ts'

export interface FakeContainer {
  id: string
  name: string
  image: string
  state: 'running' | 'exited' | 'created' | 'paused' | 'restarting' | 'removing'
  labels: Record<string, string>
  /** The `docker run`/`create` flags it was made with; containers added by hand have none. */
  runArgs?: string[]
}

/** How a container from an image behaves once started (`crash-loop`: restarted by its policy, as docker does). */
export type ImageBehaviour = 'ok' | 'crash' | 'crash-loop' | 'unhealthy'

export class FakeHost {
  containers: FakeContainer[] = []
  pulled = new Set<string>()
  networks = new Set<string>()
  locks = new Set<string>()
  unreachable = false
  engineDown = false
}

export interface SentCommand {
  host: string
  line: string
}

const ok = (stdout = ''): CommandResult => ({ exitCode: 0, stdout, stderr: '' })
const fail = (stderr: string, exitCode = 1): CommandResult => ({ exitCode, stdout: '', stderr })

export class FakeFleet implements Transport {
  readonly hosts = new Map<string, FakeHost>()
  readonly sent: SentCommand[] = []
  readonly behaviour = new Map<string, ImageBehaviour>()
  /** Images that cannot be pulled. */
  readonly unpullable = new Set<string>()
  /** Called with each command before it runs (`before`) and after it ran (`after`). */
  onCommand?: (command: SentCommand, phase: 'before' | 'after', index: number) => void
  /** Called before each `docker` command of a compound line runs (a race inside one remote command). */
  onDocker?: (host: string, words: string[]) => void

  host(name: string): FakeHost {
    let host = this.hosts.get(name)
    if (!host) {
      host = new FakeHost()
      this.hosts.set(name, host)
    }
    return host
  }

  /** A container as Kamal's `docker run` leaves it. */
  addContainer(hostName: string, container: Partial<FakeContainer> & { name: string; image: string }): FakeContainer {
    const c: FakeContainer = { id: newId(), state: 'running', labels: { service: container.name }, ...container }
    this.host(hostName).containers.push(c)
    return c
  }

  /** The commands sent to one host (or all), as text. */
  lines(host?: string): string[] {
    return this.sent.filter((c) => host === undefined || c.host === host).map((c) => c.line)
  }

  async run(hostName: string, command: RemoteCommand): Promise<CommandResult> {
    const sent = { host: hostName, line: shellJoin(command.argv) }
    const index = this.sent.push(sent) - 1
    this.onCommand?.(sent, 'before', index)
    await Promise.resolve()
    const host = this.host(hostName)
    const result = host.unreachable
      ? fail(`ssh: connect to host ${hostName} port 22: Connection refused`, 255)
      : this.execute(host, command.argv)
    this.onCommand?.(sent, 'after', index)
    return result
  }

  async stream(host: string, command: RemoteCommand, sink: OutputSink): Promise<CommandResult> {
    const result = await this.run(host, command)
    await sink.stdout(Buffer.from(result.stdout))
    await sink.stderr(Buffer.from(result.stderr))
    return result
  }

  private execute(host: FakeHost, argv: ShellWord[]): CommandResult {
    const line = shellJoin(argv)
    // The read-only round trip (inspectHost): the labelled containers; the fake engine knows no image.
    if (line.startsWith("sh -c 'ids=$(docker ps --all --no-trunc --filter label=service --format ")) {
      if (host.engineDown)
        return fail('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?')
      const services = new Set(argv.slice(4).map((pair) => String(pair).split('=')[0]))
      const containers = host.containers.filter((c) => c.labels.service && services.has(c.labels.service))
      const lines = containers.map((c) => `${JSON.stringify(inspectJson(c))}\n`).join('')
      return ok(`${lines}${IMAGES_MARKER}\n${LOGIN_DIRECTORY_MARKER}\n${FAKE_HOME}\n`)
    }
    if (line.startsWith('docker ps --all --quiet --filter label=service=')) {
      // Boot's cleanup: remove this service's created-but-never-started containers.
      const service = /label=service=(\S+)/.exec(line)![1]
      host.containers = host.containers.filter((c) => !(c.labels.service === service && c.state === 'created'))
      return ok()
    }
    const lock = /^mkdir -p \.kamal && mkdir (\S+) /.exec(line)
    if (lock) {
      if (host.locks.has(lock[1]!)) return fail(`mkdir: cannot create directory '${lock[1]}': File exists`)
      host.locks.add(lock[1]!)
      return ok()
    }
    const release = /^(?:rm \S+\/details && )?rm -r (\S+)$/.exec(line)
    if (release) return host.locks.delete(release[1]!) ? ok() : fail('rm: cannot remove: No such file or directory')
    const status = /^sh -c '\{ \[ -e "\$1" \] \|\| \[ -L "\$1" \]; \} \|\| exit (\d+);.*' sh (\S+)$/.exec(line)
    if (status)
      return host.locks.has(status[2]!)
        ? ok(
            `${Buffer.from('Locked by: test at 2026-01-01T00:00:00Z\nVersion: berth\nMessage: test').toString('base64')}\n`,
          )
        : fail('', Number(status[1]))
    if (line.startsWith('sh -c ') || line.startsWith('mkdir -p ')) return ok()
    if (host.engineDown && line.startsWith('docker '))
      return fail('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?')
    return this.chain(host, segments(argv))
  }

  /** `a && b ; c`: each segment a docker command. */
  private chain(host: FakeHost, parts: Array<{ words: string[]; after?: '&&' | ';' }>): CommandResult {
    let last = ok()
    for (const [i, part] of parts.entries()) {
      const before = parts[i - 1]?.after
      if (before === '&&' && last.exitCode !== 0) break
      this.onDocker?.(this.nameOf(host), part.words)
      const result = this.docker(host, part.words)
      last = { exitCode: result.exitCode, stdout: last.stdout + result.stdout, stderr: last.stderr + result.stderr }
    }
    return last
  }

  private docker(host: FakeHost, words: string[]): CommandResult {
    const [tool, ...rest] = words
    if (tool !== 'docker') return fail(`fake: unknown command ${words.join(' ')}`, 127)
    const find = (ref: string) => host.containers.find((c) => c.id.startsWith(ref) || c.name === ref)
    const noSuch = (ref: string) => fail(`Error response from daemon: No such container: ${ref}`)
    const verb =
      rest[0] === 'container' || rest[0] === 'image' || rest[0] === 'network' ? `${rest[0]} ${rest[1]}` : rest[0]!
    const args = rest.slice(verb.split(' ').length)
    switch (verb) {
      case 'login':
      case 'logs':
        return ok()
      case 'network create':
        if (host.networks.has(args[0]!)) return fail(`network with name ${args[0]} already exists`)
        host.networks.add(args[0]!)
        return ok()
      case 'image pull':
        if (this.unpullable.has(args[0]!)) return fail(`Error response from daemon: manifest for ${args[0]} not found`)
        host.pulled.add(args[0]!)
        return ok()
      case 'create':
      case 'run': {
        const name = args[args.indexOf('--name') + 1]!
        if (find(name)) return fail(`Conflict. The container name "/${name}" is already in use`, 125)
        const image = imageOf(args)
        const labels = Object.fromEntries(
          args.flatMap((w, i) => (args[i - 1] === '--label' ? [w.split('=') as [string, string]] : [])),
        )
        const c: FakeContainer = { id: newId(), name, image, state: 'created', labels, runArgs: args }
        host.containers.push(c)
        if (verb === 'run') this.start(c)
        return ok(`${c.id}\n`)
      }
      case 'stop':
      case 'container stop': {
        const c = find(args[0]!)
        if (!c) return noSuch(args[0]!)
        if (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') c.state = 'exited'
        return ok(`${args[0]}\n`)
      }
      case 'start':
      case 'container start': {
        const c = find(args[0]!)
        if (!c) return noSuch(args[0]!)
        this.start(c)
        return ok(`${args[0]}\n`)
      }
      case 'unpause':
      case 'container unpause': {
        const c = find(args[0]!)
        if (!c) return noSuch(args[0]!)
        if (c.state !== 'paused') return fail(`Error response from daemon: Container ${c.id} is not paused`)
        c.state = 'running'
        return ok(`${args[0]}\n`)
      }
      case 'rename':
      case 'container rename': {
        const c = find(args[0]!)
        if (!c) return noSuch(args[0]!)
        // docker cannot rename a container its restart policy is restarting (its network sandbox is gone).
        if (c.state === 'restarting') return fail(`Error response from daemon: sandbox ${c.id} not found`)
        if (find(args[1]!)) return fail(`Conflict. The container name "/${args[1]}" is already in use`)
        c.name = args[1]!
        return ok()
      }
      case 'rm':
      case 'container rm': {
        const ref = args.filter((a) => !a.startsWith('-'))[0]!
        const c = find(ref)
        if (!c) return noSuch(ref)
        host.containers = host.containers.filter((x) => x !== c)
        return ok()
      }
      case 'inspect': {
        const c = find(args[0]!)
        if (!c) return noSuch(args[0]!)
        // Which container holds a name (the rollback looks before it removes anything).
        if (args.includes('{{.Id}} {{.State.Status}} {{.Config.Image}}')) return ok(`${c.id} ${c.state} ${c.image}\n`)
        const behaviour = this.behaviour.get(c.image) ?? 'ok'
        const health = behaviour === 'unhealthy' ? 'unhealthy' : 'none'
        return ok(`${c.state === 'running' ? 'running' : c.state} 0 ${health}\n`)
      }
      default:
        return fail(`fake: unknown docker command ${words.join(' ')}`, 127)
    }
  }

  private nameOf(host: FakeHost): string {
    return [...this.hosts].find(([, h]) => h === host)![0]
  }

  private start(c: FakeContainer): void {
    const behaviour = this.behaviour.get(c.image)
    c.state = behaviour === 'crash' ? 'exited' : behaviour === 'crash-loop' ? 'restarting' : 'running'
  }
}

/** Splits argv at the operators berth writes as raw words. */
function segments(argv: ShellWord[]): Array<{ words: string[]; after?: '&&' | ';' }> {
  const parts: Array<{ words: string[]; after?: '&&' | ';' }> = [{ words: [] }]
  for (const word of argv) {
    if (typeof word === 'string') parts[parts.length - 1]!.words.push(word)
    else if ('raw' in word && (word.raw === '&&' || word.raw === ';')) {
      parts[parts.length - 1]!.after = word.raw
      parts.push({ words: [] })
    } else if ('pwd' in word) parts[parts.length - 1]!.words.push(`$PWD/${word.pwd}`)
    // other raw words (`2>/dev/null`, an accessory's cmd) do not change what the fake does
  }
  return parts.filter((p) => p.words.length > 0)
}

/** The image of `docker run/create`: the first word after the flags that is not a flag's value. */
function imageOf(args: string[]): string {
  const withValue = new Set([
    '--name',
    '--restart',
    '--network',
    '--log-opt',
    '--log-driver',
    '--publish',
    '--env',
    '--env-file',
    '--volume',
    '--label',
    '--memory',
  ])
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!
    if (withValue.has(word)) i++
    else if (!word.startsWith('-')) return word
  }
  throw new Error(`fake: no image in ${args.join(' ')}`)
}

/** The login directory of every fake host (what `$PWD` is in its shell). */
const FAKE_HOME = '/home/fake'

function newId(): string {
  return randomBytes(32).toString('hex')
}

function inspectJson(c: FakeContainer) {
  return {
    Id: c.id,
    Name: `/${c.name}`,
    Image: `sha256:${c.image.length}`,
    Config: {
      Image: c.image,
      Labels: c.labels,
      ...(c.runArgs ? { Env: flagValues(c.runArgs, '--env'), Cmd: null } : {}),
    },
    State: { Status: c.state, StartedAt: '2026-01-01T00:00:00Z' },
    ...(c.runArgs ? { HostConfig: hostConfig(c.runArgs) } : {}),
  }
}

const flagValues = (args: string[], flag: string) => args.flatMap((w, i) => (args[i - 1] === flag ? [w] : []))

/** What docker records in HostConfig for the flags berth passes. */
function hostConfig(args: string[]) {
  const [restart = 'no', retries = '0'] = (flagValues(args, '--restart')[0] ?? 'no').split(':')
  const logOptions = Object.fromEntries(
    flagValues(args, '--log-opt').map((o) => [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)]),
  )
  const portBindings = Object.fromEntries(
    flagValues(args, '--publish').map((p) => {
      const parts = p.split(':')
      return [`${parts.at(-1)}/tcp`, [{ HostIp: parts.length === 3 ? parts[0] : '', HostPort: parts.at(-2) }]]
    }),
  )
  return {
    Binds: flagValues(args, '--volume')
      .filter((v) => v.includes(':'))
      // the shell expands "$PWD"; the docker CLI makes a source starting with "." absolute (filepath.Abs)
      .map((v) => v.replace('$PWD/', `${FAKE_HOME}/`))
      .map((v) =>
        v.startsWith('.') ? `${path.posix.resolve(FAKE_HOME, v.split(':')[0]!)}:${v.split(':').slice(1).join(':')}` : v,
      ),
    NetworkMode: flagValues(args, '--network')[0] ?? 'default',
    RestartPolicy: { Name: restart, MaximumRetryCount: Number(retries) },
    LogConfig: { Type: flagValues(args, '--log-driver')[0] ?? 'json-file', Config: logOptions },
    PortBindings: portBindings,
    Memory: 0,
    NanoCpus: 0,
  }
}
