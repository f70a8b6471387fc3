// docker's own `docker inspect` output (a JSON array, as the fixtures were captured) read the way berth reads a
// host: as the read-only round trip prints it (one object a line, then its markers), through parseHostInspection.
import { IMAGES_MARKER, LOGIN_DIRECTORY_MARKER, parseHostInspection } from '../../lib/docker/inspect.ts'

/** The reading of `output` (a JSON array, or any other text as it is); undefined when the host could not be read. */
export function readRoundTrip(output: string, result: { exitCode?: number; stderr?: string } = {}) {
  const text = output.trim()
  const lines = text.startsWith('[')
    ? (JSON.parse(text) as unknown[]).map((object) => `${JSON.stringify(object)}\n`).join('')
    : text && `${text}\n`
  return parseHostInspection({
    exitCode: result.exitCode ?? 0,
    stderr: result.stderr ?? '',
    stdout: `${lines}${IMAGES_MARKER}\n${LOGIN_DIRECTORY_MARKER}\n/root\n`,
  })
}

/** The containers of `output` (a JSON array); a host that could not be read is a test failure. */
export function containersOf(output: string) {
  const read = readRoundTrip(output)
  if (!read) throw new Error('the round trip was not read')
  return read.containers
}
