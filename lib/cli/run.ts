// The one runner every script calls: parse flags, load config, pick accessories, run the verb's flow,
// print the report, and turn every outcome into the documented exit code.
import { loadConfig, ConfigError } from '../config/load.ts'
import { resolveDeployment, type Deployment } from '../config/model.ts'
import { bootAccessories } from '../flows/boot.ts'
import { SshTransport } from '../remote/ssh.ts'
import { EXIT_CONFIG, EXIT_ERROR, EXIT_USAGE, exitCodeFor } from '../report/exit-codes.ts'
import type { InvocationContext } from '../report/model.ts'
import { renderJson, renderText } from '../report/render.ts'
import { parseCommonArgs, UsageError, type CommonOptions } from './args.ts'
import { selectAccessories } from './select.ts'

export interface ScriptIO {
  cwd: string
  env: Record<string, string | undefined>
  stdout: (text: string) => void
  stderr: (text: string) => void
}

const HELP: Record<string, string> = {
  boot: `Usage: npx zx scripts/accessory-boot.mjs NAME|all [options]

Boots accessories that have no container yet, and reports (without touching them) those whose running
image differs from the configured one.

Options:
  -c, --config FILE       config file (default: deploy.config.mjs, else config/deploy.yml)
  -d, --destination NAME  merge deploy.<NAME>.yml / deploy.config.<NAME>.mjs and .kamal/secrets.<NAME>
      --hosts H1,H2       only these hosts (wildcards * and ? allowed)
      --dry-run           inspect only, print the commands a boot would run
      --json              print the report as one JSON document
  -q, --quiet             print only what needs attention
  -v, --verbose           print every remote command (secrets are never in commands)
  -h, --help              this help

Exit codes: 0 in sync or done, 1 error on any host, 2 drift (and nothing failed), 64 usage, 78 invalid config.
`,
}

export async function runScript(verb: string, argv: string[], io: ScriptIO): Promise<number> {
  let options: CommonOptions
  try {
    options = parseCommonArgs(argv)
  } catch (error) {
    return usageFailure(error as Error, verb, io)
  }
  if (options.help) {
    io.stdout(HELP[verb] ?? '')
    return 0
  }
  if (!options.target) return usageFailure(new UsageError('Name an accessory, or `all`.'), verb, io)

  let deployment: Deployment
  try {
    const loaded = await loadConfig({ file: options.config, destination: options.destination, cwd: io.cwd, env: io.env })
    deployment = resolveDeployment(loaded, { cwd: io.cwd, env: io.env })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    io.stderr(`${error.problems.join('\n')}\n`)
    io.stderr(`Invalid config (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}); fix it and run again. No host was contacted.\n`)
    return EXIT_CONFIG
  }

  let selection
  try {
    selection = selectAccessories(deployment, options.target, options.hosts)
  } catch (error) {
    return usageFailure(error as Error, verb, io)
  }

  const transport = new SshTransport(deployment.ssh, {
    observe: options.verbose
      ? (host, line, stdinBytes) => io.stderr(`[${host}] ${line}${stdinBytes ? `  # stdin: ${stdinBytes} bytes, not shown` : ''}\n`)
      : undefined,
  })
  const context: InvocationContext = {
    configFlag: options.config,
    destination: options.destination,
    accessoryHosts: new Map(deployment.accessories.map((a) => [a.name, a.hosts])),
  }
  try {
    const report = await bootAccessories(deployment, selection, transport, { dryRun: options.dryRun })
    io.stdout(options.json ? renderJson(report, context) : renderText(report, context, { quiet: options.quiet }))
    return exitCodeFor(report.entries)
  } catch (error) {
    io.stderr(`berth: ${(error as Error).message}\n`)
    return EXIT_ERROR
  }
}

function usageFailure(error: Error, verb: string, io: ScriptIO): number {
  if (!(error instanceof UsageError)) throw error
  io.stderr(`${error.message}\nRun \`npx zx scripts/accessory-${verb}.mjs --help\` for usage.\n`)
  return EXIT_USAGE
}
