// Every script's verb: its flags, its help, and which flow it runs. The flows do the work; this table
// only wires them to the runner. A verb loads its flow and report modules when it runs (import()), so a
// run loads only what its verb needs and its ssh handshakes start sooner.
import { UsageError, argText, secondsFlag } from './args.ts'
import { confirm } from './confirm.ts'
import type { OptionSpec, ParsedArgs } from './args.ts'
import type { LifecycleAction } from '../flows/lifecycle.ts'
import type { Verb, VerbContext } from './context.ts'
import { followTarget, logsOptions } from './logs-flags.ts'
import { EXIT_ERROR, exitCodeOfEntries } from '../report/exit-codes.ts'

export type { Verb } from './context.ts'

/** What `docker logs --since` takes: a duration (`10m`), a date or time, or a Unix timestamp; never a flag. */
const SINCE = /^[0-9][0-9a-zA-Z.:+-]{0,63}$/

const YES_OPTION = {
  type: 'boolean',
  short: 'y',
  description: 'do not ask for confirmation',
} as const satisfies OptionSpec
const REGISTRY_OPTION = {
  type: 'boolean',
  description:
    'also ask the registry (once per image, from here) whether the tag now names another image than the running one',
} as const satisfies OptionSpec
const LOCK_WAIT_OPTION = {
  type: 'string',
  description: 'SECONDS  wait this long for a deploy lock held by another run (default 0)',
} as const satisfies OptionSpec

export const VERBS: Record<string, Verb> = {
  boot: {
    script: 'accessory-boot',
    usage: 'NAME|all [options]',
    summary:
      'Boots accessories that have no container yet, and reports (without touching them) those whose running\n' +
      'image differs from the configured one.',
    options: { 'lock-wait': LOCK_WAIT_OPTION, registry: REGISTRY_OPTION },
    changesHosts: true,
    uploadsFiles: true,
    run: async ({ deployment, selection, engine, args, withLock, printReport, judging, invocation }) => {
      const { bootAccessories } = await import('../flows/boot.ts')
      return printReport(
        await bootAccessories(deployment, selection, engine, { dryRun: args.dryRun, withLock, judging, invocation }),
      )
    },
  },
  // -- reboot and lock verbs (lib/flows/reboot.ts, lib/lock/) --
  reboot: {
    script: 'accessory-reboot',
    usage: 'NAME|all [options]',
    summary:
      'Replaces accessory containers with new ones from the configured image: pulls first on every host, creates the\n' +
      'new container before stopping the old one, verifies it stays up (and healthy), and rolls back if not.\n' +
      'Directories, files and named volumes are kept. Asks first; without a terminal it needs -y.',
    options: {
      yes: YES_OPTION,
      drifted: { type: 'boolean', description: 'reboot only the accessory × host pairs whose image drifted' },
      rolling: { type: 'boolean', description: 'one host at a time, stopping at the first failure' },
      'health-timeout': {
        type: 'string',
        description: 'SECONDS  how long a new container may take to become healthy (default 60)',
      },
      'lock-wait': LOCK_WAIT_OPTION,
      registry: REGISTRY_OPTION,
    },
    asks: true,
    changesHosts: true,
    uploadsFiles: true,
    validate: (args) => void secondsFlag(args.flags['health-timeout'], 'health-timeout', 60),
    run: async ({ deployment, selection, engine, args, io, withLock, printReport, judging }) => {
      const { executeReboot, previewReboot } = await import('../flows/reboot.ts')
      const options = {
        dryRun: args.dryRun,
        drifted: args.flags.drifted === true,
        rolling: args.flags.rolling === true,
        healthTimeoutSeconds: secondsFlag(args.flags['health-timeout'], 'health-timeout', 60),
        settleMs: io.settleMs,
        judging,
      }
      if (!args.dryRun && args.flags.yes !== true) {
        const preview = await previewReboot(engine, judging, selection, options.drifted)
        if (preview.targets.length === 0) {
          const { entriesFor } = await import('../flows/entries.ts')
          return printReport({ verb: 'reboot', dryRun: false, entries: entriesFor(preview.verdicts, new Map()) })
        }
        const pairs = preview.targets.map((t) => `${t.accessory.name} on ${t.host}`).join(', ')
        if (!(await confirm(`Reboot ${pairs}? Each container is stopped and replaced by a new one.`, false)))
          return aborted(io, args, 'reboot')
      }
      const report = args.dryRun
        ? await executeReboot(deployment, selection, engine, options)
        : await withLock(() => executeReboot(deployment, selection, engine, options))
      return printReport(report)
    },
  },
  lock: {
    script: 'lock',
    usage: 'status|release [options]',
    summary:
      'Shows or releases the deploy lock (Kamal-compatible: .kamal/lock-<service>[-<destination>]), also one whose\n' +
      'details cannot be read. release --dry-run says what it would release and changes nothing.',
    options: {},
    selectsAccessories: false,
    noTarget: 'Name a lock action: `status` (show the deploy lock) or `release` (remove it).',
    validate: (args) => {
      if (args.target !== 'status' && args.target !== 'release')
        throw new UsageError(`Expected a lock action, \`status\` or \`release\`, got ${argText(args.target ?? '')}.`)
    },
    run: async ({ deployment, transport, args, io, invocation }) => {
      const [{ lockCommand }, { scriptCommand }] = await Promise.all([
        import('../flows/lock-status.ts'),
        import('../report/messages.ts'),
      ])
      const action = args.target as 'status' | 'release'
      const report = await lockCommand(deployment, transport, action, {
        dryRun: args.dryRun,
        releaseCommand: scriptCommand('lock', 'release', invocation),
      })
      await io.stdout(
        args.json
          ? `${JSON.stringify({ verb: 'lock', action, dryRun: args.dryRun, exitCode: report.exitCode, lines: report.lines }, null, 2)}\n`
          : `${report.lines.join('\n')}\n`,
      )
      return report.exitCode
    },
  },
  // -- lifecycle verbs: start, stop, restart, details, logs, exec, remove --
  start: lifecycleVerb(
    'start',
    'Starts the stopped containers of accessories (`docker container start`), under the deploy lock.',
  ),
  stop: lifecycleVerb(
    'stop',
    'Stops the containers of accessories (`docker container stop`), under the deploy lock. Nothing is removed.',
  ),
  restart: lifecycleVerb('restart', 'Stops, then starts the containers of accessories, under the deploy lock.'),
  config: {
    script: 'accessory-config',
    usage: '[NAME|all] [options]',
    summary:
      'Prints the config berth acts on, resolved (as `kamal config` does): per accessory its container, image, hosts,\n' +
      'env, files, directories, options and the docker run it boots with; the ssh settings and the lock host.\n' +
      'Secret values are never printed ([REDACTED]). Contacts no host.',
    options: {},
    defaultTarget: 'all',
    contactsHosts: () => false,
    toleratesUnresolvedSecrets: true,
    run: async ({ deployment, selection, args, io, configFile }) => {
      const { configDocument, renderConfigJson, renderConfigText } = await import('../report/config.ts')
      const document = configDocument(deployment, selection, configFile)
      await io.stdout(args.json ? renderConfigJson(document) : renderConfigText(document))
      return 0
    },
  },
  check: {
    script: 'accessory-check',
    usage: 'NAME|all [options]',
    summary:
      'Compares what runs with the config, read-only (docker inspect and docker image inspect only; no pull, no\n' +
      'lock, nothing written): image, a tag moved on the host, cmd, port, volumes, env, labels, network, restart,\n' +
      'logging, options and secrets (named, never shown). Exit 2 on drift, with the command that fixes it.',
    options: { registry: REGISTRY_OPTION },
    toleratesUnresolvedSecrets: true,
    nothingJson: async (invocation) => (await import('../report/check.ts')).renderCheckJson([], invocation),
    run: async ({ selection, engine, args, invocation, io, judging, publish, colour }) => {
      const [{ accessoryDetails }, { renderCheckJson, renderCheckText }] = await Promise.all([
        import('../flows/accessory-details.ts'),
        import('../report/check.ts'),
      ])
      const entries = await accessoryDetails(selection, engine, judging)
      publish('check', entries)
      const interrupted = engine.interruptedBy
      await io.stdout(
        args.json
          ? renderCheckJson(entries, invocation, interrupted)
          : renderCheckText(entries, invocation, { quiet: args.quiet, colour, interrupted }),
      )
      return exitCodeOfEntries(entries, interrupted)
    },
  },
  details: {
    script: 'accessory-details',
    usage: 'NAME|all [options]',
    summary:
      'Shows, per accessory and host, the container state, running and configured image, and a verdict\n' +
      '(in sync, drift, missing, unreachable). Read-only; takes no lock.',
    options: { registry: REGISTRY_OPTION },
    toleratesUnresolvedSecrets: true,
    nothingJson: async (invocation) => (await import('../report/details.ts')).renderDetailsJson([], invocation),
    run: async ({ selection, engine, args, invocation, io, judging, publish }) => {
      const [{ accessoryDetails }, { renderDetailsJson, renderDetailsText }] = await Promise.all([
        import('../flows/accessory-details.ts'),
        import('../report/details.ts'),
      ])
      const rows = await accessoryDetails(selection, engine, judging)
      publish('details', rows)
      const interrupted = engine.interruptedBy
      await io.stdout(
        args.json
          ? renderDetailsJson(rows, invocation, interrupted)
          : renderDetailsText(rows, invocation, { quiet: args.quiet, interrupted }),
      )
      return exitCodeOfEntries(rows, interrupted)
    },
  },
  logs: {
    script: 'accessory-logs',
    usage: 'NAME|all [--since D] [--lines N] [--grep TEXT] [--follow] [options]',
    summary:
      "Prints the containers' logs, per accessory and host (100 lines unless --since or --grep), or follows\n" +
      "one container's log on one host. Read-only.",
    options: {
      since: {
        type: 'string',
        short: 's',
        description: 'DURATION  only lines since then (docker logs --since: 10m, 2h, a timestamp)',
      },
      lines: {
        type: 'string',
        short: 'n',
        description: 'N  the last N lines (default 100, or all with --since/--grep; 10 with --follow)',
      },
      grep: { type: 'string', short: 'g', description: 'TEXT  only lines containing TEXT (plain text, matched here)' },
      follow: {
        type: 'boolean',
        short: 'f',
        description: 'keep printing new lines until interrupted (one host: pass --hosts)',
      },
    },
    validate: (args) => {
      const { since } = args.flags
      if (typeof since === 'string' && since.trim() !== '' && !SINCE.test(since)) {
        throw new UsageError(
          `--since takes a duration (10m, 2h30m) or a time (2024-01-31, 2024-01-31T12:00:00Z, a Unix timestamp), got ${argText(since)}.`,
        )
      }
      // --lines is read (and refused when it is no whole number) by logsOptions
      if (logsOptions(args.flags).follow && args.json)
        throw new UsageError('--follow prints lines as they come; it cannot be combined with --json.')
    },
    validateSelection: (args, selection) => void (args.flags.follow === true && followTarget(selection)),
    nothingJson: async () => (await import('../report/sections.ts')).renderSectionsJson('logs', 'logs', [], 0),
    run: async ({ selection, engine, args, io }) => {
      const [{ followLogs, readLogs }, { renderLogs, renderSectionsJson }] = await Promise.all([
        import('../flows/logs.ts'),
        import('../report/sections.ts'),
      ])
      const options = logsOptions(args.flags)
      if (options.follow) return followLogs(followTarget(selection), engine, options, io)
      const logs = await readLogs(selection, engine, options)
      return printSections(
        io,
        args.json,
        renderLogs(logs, { quiet: args.quiet, interrupted: engine.interruptedBy }),
        (exitCode) => renderSectionsJson('logs', 'logs', logs, exitCode),
      )
    },
  },
  exec: {
    script: 'accessory-exec',
    usage: 'NAME|all [--new] [options] -- COMMAND [ARG...]',
    summary:
      'Runs a command in the running container of accessories (docker exec), or with --new in a fresh\n' +
      'container of the configured image (docker run --rm), on each selected host. Takes no lock, as Kamal.',
    options: { new: { type: 'boolean', description: 'run in a new container instead of the running one' } },
    nothingJson: async () => (await import('../report/sections.ts')).renderSectionsJson('exec', 'results', [], 0),
    contactsHosts: (args) => !args.dryRun,
    validate: (args) => {
      if (args.command.length === 0)
        throw new UsageError("Give the command after `--`, e.g. `accessory-exec.mjs db -- psql -c 'select 1'`.")
    },
    validateSelection: async (args, selection) => {
      const [{ planExec }, { shellJoin }, { MAX_REMOTE_COMMAND_BYTES }] = await Promise.all([
        import('../flows/exec.ts'),
        import('../remote/quote.ts'),
        import('../remote/ssh.ts'),
      ])
      for (const { accessory } of selection) {
        const last = planExec(accessory, args.command, args.flags.new === true).at(-1)!
        const bytes = Buffer.byteLength(shellJoin(last.command.argv))
        if (bytes > MAX_REMOTE_COMMAND_BYTES) {
          throw new UsageError(
            `\`${last.description}\` with this command would be ${bytes} bytes, ` +
              `more than the ${MAX_REMOTE_COMMAND_BYTES} one remote command line carries; ` +
              'put the command in a script in the container instead.',
          )
        }
      }
    },
    run: async ({ selection, engine, args, io, printReport }) => {
      const [
        { execOnHosts, planExecReport },
        { collected, passThrough, sections },
        { execOutcome, renderSectionsJson },
      ] = await Promise.all([import('../flows/exec.ts'), import('./exec-output.ts'), import('../report/sections.ts')])
      const fresh = args.flags.new === true
      if (args.dryRun) return printReport(planExecReport(selection, args.command, fresh))
      if (args.json) {
        const json = collected()
        const { exitCode } = execOutcome(
          await execOnHosts(selection, engine, args.command, fresh, json),
          engine.interruptedBy,
        )
        await io.stdout(renderSectionsJson('exec', 'results', json.results, exitCode))
        return exitCode
      }
      const one = selection.length === 1 && selection[0]!.hosts.length === 1
      const output = one ? passThrough(io) : sections(io, args.quiet)
      const results = await execOnHosts(selection, engine, args.command, fresh, output)
      const { exitCode, summary } = execOutcome(results, engine.interruptedBy)
      if (summary) await io.stderr(summary)
      return exitCode
    },
  },
  remove: {
    script: 'accessory-remove',
    usage: 'NAME|all [--image] [--directory] [--volumes] [-y] [options]',
    summary:
      "Stops and removes the containers of accessories (every container with the accessory's label), under\n" +
      'the deploy lock. Data is removed only when asked: --image, --directory, --volumes. Asks first.',
    asks: true,
    changesHosts: true,
    options: {
      yes: YES_OPTION,
      'lock-wait': LOCK_WAIT_OPTION,
      image: { type: 'boolean', description: 'also remove the image (docker image rm --force)' },
      directory: {
        type: 'boolean',
        description: 'also remove the service directory (uploaded files, relative directories: data!)',
      },
      volumes: { type: 'boolean', description: "also remove the named volumes in the accessory's volumes: (data!)" },
    },
    run: async ({ selection, engine, args, io, invocation, withLock, printReport, judging }) => {
      const { removeAccessories, removeQuestion } = await import('../flows/lifecycle.ts')
      const what = {
        image: args.flags.image === true,
        directory: args.flags.directory === true,
        volumes: args.flags.volumes === true,
      }
      if (!args.dryRun && !(await confirm(removeQuestion(selection, what), args.flags.yes === true)))
        return aborted(io, args, 'remove')
      return printReport(
        await removeAccessories(selection, engine, { ...what, dryRun: args.dryRun, withLock, invocation, judging }),
      )
    },
  },
}

/** A "no" at the confirmation question: nothing was changed, exit 1 (with --json, still one document). */
function aborted(io: VerbContext['io'], args: ParsedArgs, verb: string): number {
  void io.stderr('Aborted; nothing was changed.\n')
  if (args.json) {
    const message = 'Aborted at the confirmation question; nothing was changed.'
    const report = { verb, exitCode: EXIT_ERROR, error: { kind: 'aborted', message }, entries: [] }
    void io.stdout(`${JSON.stringify(report, null, 2)}\n`)
  }
  return EXIT_ERROR
}

/** Per-host output sections (logs, exec) as text chunks on stdout/stderr, or as one JSON document. */
function printSections(
  io: VerbContext['io'],
  json: boolean,
  rendered: { chunks: Array<{ stream: 'stdout' | 'stderr'; text: string }>; exitCode: number },
  renderJson: (exitCode: number) => string,
): number {
  if (json) void io.stdout(renderJson(rendered.exitCode))
  else for (const chunk of rendered.chunks) void io[chunk.stream](chunk.text)
  return rendered.exitCode
}

function lifecycleVerb(action: LifecycleAction, summary: string): Verb {
  return {
    script: `accessory-${action}`,
    usage: 'NAME|all [options]',
    summary,
    options: { 'lock-wait': LOCK_WAIT_OPTION },
    changesHosts: true,
    run: async ({ selection, engine, args, withLock, invocation, printReport, judging }) => {
      const { changeAccessories } = await import('../flows/lifecycle.ts')
      return printReport(
        await changeAccessories(action, selection, engine, { dryRun: args.dryRun, withLock, invocation, judging }),
      )
    },
  }
}
