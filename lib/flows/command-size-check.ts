// An accessory whose `docker run` would not fit on one command line is a config problem (exit 78), found before
// any host is contacted and named by its largest value. The measuring is docker's (run-command-size.ts).
import { ConfigError } from '../config/load.ts'
import type { ConfigSource } from '../config/config-source.ts'
import type { Deployment } from '../config/deployment.ts'
import { isPlainObject, pointer } from '../config/plain.ts'
import { oversizedRunCommands } from '../docker/run-command-size.ts'
import { MAX_REMOTE_COMMAND_BYTES } from '../remote/ssh.ts'

/** Throws a ConfigError naming each accessory whose `docker run` would not fit on one command line. */
export function checkCommandSizes(source: ConfigSource, deployment: Deployment): Deployment {
  const problems = oversizedRunCommands(deployment).map(({ accessory, bytes }) => {
    const base = ['accessories', accessory.name]
    const largest = largestString(source.config.accessories?.[accessory.name], base)
    const where = largest ? largest.path : base
    const what = largest ? `; its largest value is ${pointer(largest.path)} (${largest.length} characters)` : ''
    return (
      `${source.locate(where)}: ${pointer(base)}: Its docker run command would be ${bytes} bytes, ` +
      `more than the ${MAX_REMOTE_COMMAND_BYTES} one command line carries${what}; ` +
      'put large content in a file under `files:` or in a secret, which travel on stdin.'
    )
  })
  if (problems.length) throw new ConfigError(problems)
  return deployment
}

function largestString(
  value: unknown,
  path: Array<string | number>,
): { path: Array<string | number>; length: number } | undefined {
  if (typeof value === 'string') return { path, length: value.length }
  const children: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : isPlainObject(value)
      ? Object.entries(value)
      : []
  let best: { path: Array<string | number>; length: number } | undefined
  for (const [key, child] of children) {
    const found = largestString(child, [...path, key])
    if (found && (!best || found.length > best.length)) best = found
  }
  return best
}
