// The one runner every script calls, in phases: parse the flags, load the config, select the accessories
// (here); start the agent, transport, engine and signal trap, run the pre-connect hook and the verb
// (run-session.ts); render how the run ended and decide its exit code (lib/report/output.ts), and write it
// (run-output.ts). A verb only returns what it found and did.
import { ConfigError, loadConfig } from '../config/load.ts'
import { resolveDeployment } from '../config/deployment.ts'
import { missingFiles } from '../config/preflight.ts'
import { checkCommandSizes } from '../flows/command-size-check.ts'
import { readFileSync } from 'node:fs'
import { colourWanted } from '../report/colour.ts'
import { githubConfigWarning } from '../report/github.ts'
import type { InvocationContext } from '../report/model.ts'
import { renderRun, type OutputView, type RunEnding } from '../report/output.ts'
import { selectionHosts, type Selection } from '../flows/selection.ts'
import { shardSelection } from '../flows/shard.ts'
import { selectAccessories } from './accessory-selection.ts'
import { asksForJson, parseVerbArgs, UsageError } from './args.ts'
import { requireAnswerable } from './confirm.ts'
import type { ScriptIO, Verb } from './context.ts'
import { writeRunOutput } from './run-output.ts'
import { runSession, type PreparedRun } from './run-session.ts'
import { helpText, verbOptions, type RunArgs } from './verb-options.ts'
import { VERBS } from './verbs.ts'

/**
 * Runs one script's verb and returns its exit code. `json`: the one --json decision, made from argv before
 * the flags are parsed (so a usage error still prints one JSON document); the entry script passes its own.
 */
export async function runScript(verbName: string, argv: string[], io: ScriptIO, json = asksForJson(argv)) {
  const verb = VERBS[verbName]
  if (!verb) throw new Error(`unknown verb ${verbName}`)
  const view: OutputView = {
    verb: verbName,
    json,
    quiet: false,
    colour: colourWanted(io.env, io.isTTY ?? false),
    invocation: { accessoryHosts: new Map() },
    actions: io.env.GITHUB_ACTIONS === 'true',
  }
  const finish = async (ending: RunEnding, invocation?: InvocationContext) =>
    writeRunOutput(io, await renderRun(ending, invocation ? { ...view, invocation } : view))
  try {
    const prepared = await prepareRun(verb, verbName, argv, io, json)
    if (typeof prepared === 'number') return prepared
    if ('ending' in prepared) return await finish(prepared.ending, prepared.invocation)
    view.quiet = prepared.args.quiet
    return await runSession(prepared, io, finish)
  } catch (error) {
    const message = `unexpected error: ${(error as Error).message ?? error}`
    const stderr = `berth: unexpected error: ${(error as Error).stack ?? error}\n`
    return finish({ failure: { kind: 'error', message }, stderr, summary: false })
  }
}

/** A run that ends before any host is contacted, with what it says. */
type EarlyEnd = { ending: RunEnding; invocation?: InvocationContext }

/** Flags, config, selection: a run ready to contact hosts, a run that ends here, or the exit code of --help. */
async function prepareRun(
  verb: Verb,
  verbName: string,
  argv: string[],
  io: ScriptIO,
  json: boolean,
): Promise<PreparedRun | EarlyEnd | number> {
  try {
    const args = parseVerbArgs(argv, verbOptions(verb), {
      defaultTarget: verb.defaultTarget,
      missing: verb.noTarget ?? 'Name an accessory, or `all`.',
    })
    if (args.help || args.version) {
      await io.stdout(args.help ? helpText(verb) : `berth ${berthVersion()}\n`)
      return 0
    }
    verb.validate?.(args, json)
    const loaded = await loadDeployment(verb, args, io)
    if ('ending' in loaded) return loaded
    const nothing = nothingToDo(verb, verbName, args, loaded.deployment.accessories.length, loaded.configFile)
    if (nothing) return nothing
    const selected =
      verb.selectsAccessories === false
        ? []
        : selectAccessories(loaded.deployment, args.target!, args.hosts, { roles: args.roles, primary: args.primary })
    const selection = args.flags.shard ? shardSelection(selected, args.flags.shard) : selected
    if (args.flags.shard && !selection.length) return emptyShard(verb, verbName, args, selected, loaded.configFile)
    await verb.validateSelection?.(args, selection)
    const missing = verb.uploadsFiles ? missingFiles(selection) : []
    if (missing.length) return { ending: configFailure(missing, ' for this verb', false) }
    // Before any host is contacted: nobody could answer the question, so nothing may change.
    if (verb.asks && !args.dryRun) requireAnswerable(args.flags.yes === true, `scripts/${verb.script}.mjs`)
    return { verb, args, json, selection, ...loaded }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    const stderr = `${error.message}\nRun \`npx zx scripts/${verb.script}.mjs --help\` for usage.\n`
    return { ending: { failure: { kind: 'usage', message: error.message }, stderr, summary: true } }
  }
}

/** An invalid config (78): its problems, and the sentence that says no host was contacted. */
function configFailure(problems: string[], forWhat: string, summary: boolean): RunEnding {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`
  const message = `Invalid config (${count})${forWhat}; fix it and run again. No host was contacted.`
  return { failure: { kind: 'config', message, problems }, stderr: `${problems.join('\n')}\n${message}\n`, summary }
}

type Loaded = Pick<PreparedRun, 'configFile' | 'deployment' | 'connections' | 'hookConfig'>

async function loadDeployment(verb: Verb, args: RunArgs, io: ScriptIO): Promise<Loaded | EarlyEnd> {
  try {
    const loaded = await loadConfig({ file: args.config, destination: args.destination, cwd: io.cwd, env: io.env })
    if (loaded.kamalRefuses) warnKamalRefuses(loaded.kamalRefuses, io)
    const deployment = checkCommandSizes(
      loaded,
      resolveDeployment(loaded, {
        cwd: io.cwd,
        env: io.env,
        unresolvedSecrets: verb.toleratesUnresolvedSecrets ? 'allow' : 'error',
        contactsHosts: verb.contactsHosts?.(args) !== false,
      }),
    )
    return {
      configFile: loaded.file,
      deployment,
      connections: {
        maxConcurrentStarts: args.flags.concurrency ?? deployment.maxConcurrentStarts,
        hostTimeoutSeconds: args.flags['host-timeout'],
      },
      hookConfig: {
        hooksPath: loaded.config.hooks_path,
        hooksOutput: loaded.config.hooks_output,
        secrets: loaded.secrets,
      },
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    return { ending: configFailure(error.problems, '', true) }
  }
}

/** `all` on a config without accessories: an app repository may carry the CI recipe before its first one. */
function nothingToDo(verb: Verb, verbName: string, args: RunArgs, accessories: number, configFile: string) {
  if (verb.selectsAccessories === false || args.target !== 'all' || accessories > 0) return undefined
  const empty = verb.emptyResult?.() ?? { kind: 'report', report: { verb: verbName, dryRun: args.dryRun, entries: [] } }
  const invocation = { configFlag: args.config, destination: args.destination, accessoryHosts: new Map() }
  return {
    ending: { result: { kind: 'nothing', configFile, empty }, releaseErrors: [] },
    invocation,
  } satisfies EarlyEnd
}

/** `--shard K/N` left no host: a CI matrix wider than the fleet, not a failure (exit 0, an empty report). */
function emptyShard(verb: Verb, verbName: string, args: RunArgs, selected: Selection[], configFile: string): EarlyEnd {
  const { index, count } = args.flags.shard!
  const hosts = selectionHosts(selected).length
  const sentence =
    `Shard ${index}/${count} holds none of the ${hosts} selected host${hosts === 1 ? '' : 's'} ` +
    `(${count} shards split them, so ${count - hosts} hold none), so there is nothing to do.\n`
  const empty = verb.emptyResult?.() ?? { kind: 'report', report: { verb: verbName, dryRun: args.dryRun, entries: [] } }
  const invocation = {
    configFlag: args.config,
    destination: args.destination,
    accessoryHosts: new Map(),
    shard: args.flags.shard,
  }
  return { ending: { result: { kind: 'nothing', configFile, empty, sentence }, releaseErrors: [] }, invocation }
}

/** The version in berth's own package.json (next to lib/, wherever lib/ was copied with it). */
function berthVersion(): string {
  try {
    return (
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string })
        .version ?? 'unknown'
    )
  } catch {
    return 'unknown (no package.json beside lib/)'
  }
}

/** Once per run, before anything else: Kamal 2.12 refuses this config where berth does not look. */
function warnKamalRefuses(refusal: { at: string; kamal: string; fix: string }, io: ScriptIO): void {
  const message =
    `Kamal 2.12 refuses this config ("${refusal.kamal}"), so \`kamal deploy\` fails on it; ` +
    `berth does not use that part of it and carries on. Fix: ${refusal.fix}.`
  void io.stderr(`berth: warning: ${refusal.at}: ${message}\n`)
  if (io.env.GITHUB_ACTIONS === 'true')
    (io.annotate ?? io.stderr)(githubConfigWarning(refusal.at, 'berth: Kamal refuses this config', message))
}
