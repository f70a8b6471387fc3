// `docker inspect` JSON → what berth knows about a container. Pure: parses text, never throws on odd
// fields, so a container created by hand or by another tool still yields a usable observation.

import { parseProxyView, type ProxyView } from './proxy-commands.ts'
export type ContainerState = 'running' | 'stopped' | 'paused' | 'restarting' | 'created' | 'dead'

/** A container with a process that a stop would end: running, paused, or between restarts. */
export function isUp(state: ContainerState): boolean {
  return state === 'running' || state === 'paused' || state === 'restarting'
}

export interface ObservedContainer {
  id: string
  name: string
  /** `.Config.Image`: the reference the container was created from, as given to `docker run`. */
  image: string
  /** `.Image`: the image ID the container runs. */
  imageId: string
  state: ContainerState
  service?: string
  labels: Record<string, string>
  startedAt?: string
  /** What `docker run` set, for the field-level drift comparison (absent in hand-made test fixtures). */
  settings?: ContainerSettings
}

/** The parts of `docker inspect` that berth's `docker run` flags set. */
export interface ContainerSettings {
  env: string[]
  cmd?: string[]
  entrypoint?: string[]
  /** `HostConfig.PortBindings`: `5432/tcp` → host IP and port pairs. */
  portBindings: Record<string, Array<{ hostIp: string; hostPort: string }>>
  /** `HostConfig.Binds`: named volumes and bind mounts as docker recorded them (relative paths made absolute). */
  binds: string[]
  /** `Config.Volumes`: anonymous volumes and those the image declares. */
  volumes: string[]
  networkMode: string
  restartPolicy: { name: string; maximumRetryCount: number }
  logConfig: { type: string; config: Record<string, string> }
  /** Each network's aliases (`--network-alias`); absent when docker inspect did not say. */
  networkAliases?: Record<string, string[]>
  /** Everything else in `HostConfig` and `Config`, for the options berth can compare. */
  hostConfig: Record<string, unknown>
  config: Record<string, unknown>
}

/** `docker image inspect`: what an image brings of its own, and which registry digests it has. */
export interface ObservedImage {
  id: string
  repoTags: string[]
  repoDigests: string[]
  env: string[]
  labels: Record<string, string>
  cmd?: string[]
  entrypoint?: string[]
}

export class InspectParseError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InspectParseError'
  }
}

/**
 * What one `docker inspect` of container ids and image references printed, or undefined when the host could not
 * be read. Exit 1 with only `No such object` errors: a container removed meanwhile, or a reference whose image
 * is not there; the rest was printed.
 */
function readInspected(result: { exitCode: number; stdout: string; stderr: string }): InspectedObjects | undefined {
  if (result.exitCode === 0) return parseInspectedLines(result.stdout)
  // The docker CLI's own warnings (`WARNING: Error loading config file …`) say nothing about what was read.
  const errors = result.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('WARNING:'))
  const onlyVanished =
    result.exitCode === 1 && errors.length > 0 && errors.every((l) => /^Error: No such (object|container)/i.test(l))
  if (!onlyVanished) return undefined
  try {
    return parseInspectedLines(result.stdout)
  } catch (error) {
    if (error instanceof InspectParseError) return undefined
    throw error
  }
}

interface InspectedObjects {
  containers: ObservedContainer[]
  images: ObservedImage[]
}

/** A `--format` of one JSON object (or `null`) a line, as the read-only round trip asks for. */
function parseInspectedLines(stdout: string): InspectedObjects {
  return sortInspected(
    stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const value = parseJson(line)
        if (value === null || (typeof value === 'object' && !Array.isArray(value))) return value
        throw new InspectParseError(`docker inspect printed a line that is no object: ${line.slice(0, 120)}`)
      }),
  )
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new InspectParseError(`docker inspect printed something that is not JSON: ${text.slice(0, 120)}`)
  }
}

/**
 * Containers and images inspected together: an object with `RepoTags` is an image, `null` (the template's
 * answer for a network or volume named like a reference) is nothing, any other object a container.
 */
function sortInspected(data: unknown[]): InspectedObjects {
  const objects = data.filter((entry) => entry !== null)
  const isImage = (entry: unknown) => 'RepoTags' in record(entry)
  return {
    containers: objects.filter((e) => !isImage(e)).map(toObservedContainer),
    images: objects.filter(isImage).map(toObservedImage),
  }
}

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
const text = (value: unknown): string => (typeof value === 'string' ? value : '')
const texts = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
const optionalTexts = (value: unknown): string[] | undefined => (Array.isArray(value) ? texts(value) : undefined)
const textMap = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(record(value)).map(([k, v]) => [k, text(v)]))

function toObservedContainer(entry: unknown): ObservedContainer {
  const root = record(entry)
  const config = record(root.Config)
  const hostConfig = record(root.HostConfig)
  const state = record(root.State)
  const labels = textMap(config.Labels)
  const restart = record(hostConfig.RestartPolicy)
  const log = record(hostConfig.LogConfig)
  const portBindings = Object.fromEntries(
    Object.entries(record(hostConfig.PortBindings)).map(([port, list]) => [
      port,
      (Array.isArray(list) ? list : []).map((b) => ({
        hostIp: text(record(b).HostIp),
        hostPort: text(record(b).HostPort),
      })),
    ]),
  )
  return {
    id: text(root.Id),
    name: text(root.Name).replace(/^\//, ''),
    image: text(config.Image),
    imageId: text(root.Image),
    state: containerState(text(state.Status)),
    service: labels.service,
    labels,
    startedAt: text(state.StartedAt) || undefined,
    ...(root.HostConfig === undefined
      ? {}
      : {
          settings: {
            env: texts(config.Env),
            cmd: optionalTexts(config.Cmd),
            entrypoint: optionalTexts(config.Entrypoint),
            portBindings,
            binds: texts(hostConfig.Binds),
            volumes: Object.keys(record(config.Volumes)),
            networkMode: text(hostConfig.NetworkMode),
            restartPolicy: {
              name: text(restart.Name),
              maximumRetryCount: typeof restart.MaximumRetryCount === 'number' ? restart.MaximumRetryCount : 0,
            },
            logConfig: { type: text(log.Type), config: textMap(log.Config) },
            ...(Array.isArray(root.NetworkAliases) ? { networkAliases: networkAliases(root.NetworkAliases) } : {}),
            hostConfig,
            config,
          },
        }),
  }
}

function toObservedImage(entry: unknown): ObservedImage {
  const root = record(entry)
  const config = record(root.Config)
  return {
    id: text(root.Id),
    repoTags: texts(root.RepoTags),
    repoDigests: texts(root.RepoDigests),
    env: texts(config.Env),
    labels: textMap(config.Labels),
    cmd: optionalTexts(config.Cmd),
    entrypoint: optionalTexts(config.Entrypoint),
  }
}

/** Marks where a host's image inspection starts in the one read-only round trip's output. */
export const IMAGES_MARKER = '@@berth-images@@'
export const PROXY_MARKER = '@@berth-kamal-proxy@@'

/** Marks the last line of the round trip: the remote shell's working directory (`$PWD`). */
export const LOGIN_DIRECTORY_MARKER = '@@berth-pwd@@'

/**
 * The one read-only round trip's result: containers (or why the host could not be read), the images berth
 * asked about (configured references, beside the containers in the one `docker inspect`, and after the marker
 * the containers' images not among them; missing ones are left out), and the remote shell's working
 * directory, against which docker made relative bind sources absolute. Each part is one JSON object a line.
 */
export function parseHostInspection(result: {
  exitCode: number
  stdout: string
  stderr: string
}):
  { containers: ObservedContainer[]; images: ObservedImage[]; proxy?: ProxyView; loginDirectory?: string } | undefined {
  // containers, IMAGES_MARKER, images, LOGIN_DIRECTORY_MARKER, $PWD, then (with `proxy:`) PROXY_MARKER and the routes
  const [read, routes] = splitAtLine(result.stdout, PROXY_MARKER) ?? [result.stdout, undefined]
  const [inspected, pwdPart] = splitAtLine(read, LOGIN_DIRECTORY_MARKER, 'last') ?? [read, '']
  const [containersPart, imagesPart] = splitAtLine(inspected, IMAGES_MARKER) ?? [inspected, '']
  const objects = readInspected({ ...result, stdout: containersPart })
  if (!objects) return undefined
  const pwd = pwdPart.split('\n')[0] ?? ''
  let extraImages: ObservedImage[] = []
  try {
    extraImages = parseInspectedLines(imagesPart).images
  } catch {
    // an image that could not be read is no image (its tag or digest is then not compared)
  }
  return {
    containers: objects.containers,
    images: [...objects.images, ...extraImages],
    ...(pwd.startsWith('/') ? { loginDirectory: pwd } : {}),
    ...(routes !== undefined ? { proxy: parseProxyView(routes) } : {}),
  }
}

/** The text before and after a line that is exactly `marker` (the first such line, or the last). */
function splitAtLine(text: string, marker: string, which: 'first' | 'last' = 'first'): [string, string] | undefined {
  const padded = `\n${text}`
  const line = `\n${marker}\n`
  const at = which === 'last' ? padded.lastIndexOf(line) : padded.indexOf(line)
  return at < 0 ? undefined : [padded.slice(1, at + 1), padded.slice(at + line.length)]
}

/** `[name, aliases, name, aliases, …, null]` (the inspect template's form) → aliases by network. */
function networkAliases(list: unknown[]): Record<string, string[]> {
  const byNetwork: Record<string, string[]> = {}
  for (let i = 0; i + 1 < list.length; i += 2)
    if (typeof list[i] === 'string') byNetwork[list[i] as string] = texts(list[i + 1])
  return byNetwork
}

export function containerState(status: string): ContainerState {
  switch (status) {
    case 'running':
    case 'paused':
    case 'restarting':
    case 'created':
    case 'dead':
      return status
    default:
      return 'stopped' // exited, removing, or anything newer docker may add
  }
}
