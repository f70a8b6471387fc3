// accessory-start/stop/restart/details/logs/exec/remove, run as a user would, on the lab's real hosts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { hostDocker } from '../lab/lab-info.mjs'
import {
  DOWN_HOST,
  HOST1,
  HOST2,
  HOST3,
  berth,
  homeOf,
  image,
  labSsh,
  onTerminal,
  project,
  useLab,
  writeConfig,
  bootedProject,
  re,
} from './support.ts'

/** db logs a few known lines at start, then waits for TERM like the lab images. */
const DB_CMD = `sh -c 'echo "boot on $KAMAL_HOST"; for i in 1 2 3 4 5 6; do echo "line $i"; done; echo "ERROR disk full"; trap "exit 0" TERM; sleep infinity & wait'`

function config(overrides: { db?: string; cacheHosts?: string[] } = {}) {
  return {
    service: 'mart',
    image: 'shop/app',
    ssh: labSsh(),
    accessories: {
      db: {
        image: image(overrides.db ?? 'postgres:16'),
        hosts: [HOST1, HOST2],
        directories: ['data:/var/lib/postgresql/data'],
        cmd: DB_CMD,
      },
      cache: { image: image('redis:7'), hosts: overrides.cacheHosts ?? [HOST3] },
      search: { image: image('search:1'), host: HOST1, volumes: ['mart-search:/data'] },
    },
  }
}

async function state(addr: string, name: string): Promise<string | undefined> {
  const r = await hostDocker(addr, ['inspect', name, '--format', '{{.State.Status}}'])
  return r.exitCode === 0 ? r.stdout.trim() : undefined
}

async function labelled(addr: string, service: string): Promise<string[]> {
  return (await hostDocker(addr, ['ps', '-aq', '--filter', `label=service=${service}`])).stdout
    .split('\n')
    .filter(Boolean)
}

async function volumeExists(addr: string, name: string): Promise<boolean> {
  return (await hostDocker(addr, ['volume', 'inspect', name])).exitCode === 0
}

async function imageExists(addr: string, ref: string): Promise<boolean> {
  return (await hostDocker(addr, ['image', 'inspect', ref])).exitCode === 0
}

/** A booted project: db on HOST1+2, cache on HOST3, search on HOST1. */
const booted = () => bootedProject(config())

useLab(test)

test('every lifecycle verb: an unknown accessory is a usage error (64) naming the known ones', async () => {
  const dir = project(config())
  for (const verb of ['start', 'stop', 'restart', 'details', 'logs', 'exec', 'remove']) {
    // remove needs -y (without a terminal it refuses first); exec needs a command.
    const extra = verb === 'remove' ? ['-y'] : verb === 'exec' ? ['--', 'true'] : []
    const r = await berth(verb, ['nope', ...extra], { cwd: dir })
    assert.is(r.code, 64, `${verb}: ${r.stdout}${r.stderr}`)
    assert.match(r.stderr, /No accessory named 'nope' \(known: db, cache, search\)/, verb)
  }
})

test('stop, start and restart act on the real containers, on every selected host', async () => {
  const dir = await booted()
  const stop = await berth('stop', ['db'], { cwd: dir })
  assert.is(stop.code, 0, stop.stdout + stop.stderr)
  assert.ok(stop.stdout.includes(`Stopped accessory \`db\` on ${HOST1}.`), stop.stdout)
  assert.ok(stop.stdout.includes('2 stopped on request (exit 0).'), stop.stdout)
  assert.equal(
    [await state(HOST1, 'mart-db'), await state(HOST2, 'mart-db'), await state(HOST1, 'mart-search')],
    ['exited', 'exited', 'running'],
  )

  const start = await berth('start', ['db', '--hosts', HOST2], { cwd: dir })
  assert.is(start.code, 0, start.stdout + start.stderr)
  assert.ok(start.stdout.includes(`Started accessory \`db\` on ${HOST2}.`), start.stdout)
  assert.equal([await state(HOST1, 'mart-db'), await state(HOST2, 'mart-db')], ['exited', 'running'])

  const again = await berth('start', ['db'], { cwd: dir })
  assert.is(again.code, 0, again.stdout + again.stderr)
  assert.ok(
    again.stdout.includes(`Nothing to do for accessory \`db\` on ${HOST2}: it is already running.`),
    again.stdout,
  )
  assert.equal([await state(HOST1, 'mart-db'), await state(HOST2, 'mart-db')], ['running', 'running'])

  const before = (await hostDocker(HOST3, ['inspect', 'mart-cache', '--format', '{{.State.StartedAt}} {{.Id}}'])).stdout
    .trim()
    .split(' ')
  const restart = await berth('restart', ['cache'], { cwd: dir })
  assert.is(restart.code, 0, restart.stdout + restart.stderr)
  assert.ok(restart.stdout.includes(`Restarted accessory \`cache\` on ${HOST3}.`), restart.stdout)
  const after = (
    await hostDocker(HOST3, ['inspect', 'mart-cache', '--format', '{{.State.StartedAt}} {{.Id}} {{.State.Status}}'])
  ).stdout
    .trim()
    .split(' ')
  assert.is(after[1], before[1], 'same container')
  assert.is.not(after[0], before[0], 'started again')
  assert.is(after[2], 'running')
})

test('start of an accessory that was never booted fails (1) and names the boot command; other hosts still start', async () => {
  const dir = await booted()
  await hostDocker(HOST1, ['rm', '-f', 'mart-db'])
  await hostDocker(HOST2, ['stop', 'mart-db'])
  const r = await berth('start', ['db'], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.ok(
    r.stdout.includes(
      `Accessory \`db\` failed on ${HOST1}: it has no container there, so there is nothing to start; run \`npx zx scripts/accessory-boot.mjs db --hosts ${HOST1}\` to boot it.`,
    ),
    r.stdout,
  )
  assert.ok(r.stdout.includes(`Started accessory \`db\` on ${HOST2}.`), r.stdout)
  assert.is(await state(HOST2, 'mart-db'), 'running')
})

test('--dry-run of stop and restart observes only: planned commands, exit 2, nothing changed', async () => {
  const dir = await booted()
  const stop = await berth('stop', ['all', '--dry-run'], { cwd: dir })
  assert.is(stop.code, 2, stop.stdout + stop.stderr)
  assert.ok(
    stop.stdout.includes(
      `Would stop accessory \`db\` on ${HOST1}; run without --dry-run to do it.\n    docker container stop mart-db\n`,
    ),
    stop.stdout,
  )
  assert.ok(stop.stdout.includes('Dry run: 4 to change (exit 2).'), stop.stdout)
  const restart = await berth('restart', ['cache', '--dry-run', '--json'], { cwd: dir })
  assert.is(restart.code, 2, restart.stderr)
  assert.equal(JSON.parse(restart.stdout).entries[0].plannedCommands, [
    'docker container stop mart-cache && docker container start mart-cache',
  ])
  for (const [addr, name] of [
    [HOST1, 'mart-db'],
    [HOST2, 'mart-db'],
    [HOST3, 'mart-cache'],
    [HOST1, 'mart-search'],
  ] as const) {
    assert.is(await state(addr, name), 'running', `${name} on ${addr}`)
  }
})

test('details: a table and the same rows as JSON; a stopped container or drift exits 2, an unreachable host 1', async () => {
  const dir = await booted()
  await hostDocker(HOST1, ['stop', 'mart-search'])
  const clean = await berth('details', ['all'], { cwd: dir })
  assert.is(clean.code, 2, clean.stdout + clean.stderr)
  const header = clean.stdout.split('\n')[0]!
  assert.match(header, /^ACCESSORY +HOST +STATE +RUNNING-IMAGE +CONFIGURED-IMAGE +VERDICT$/)
  assert.match(
    clean.stdout,
    new RegExp(`search +${HOST1.replaceAll('.', '\\.')} +stopped +\\S+search:1 +\\S+search:1 +stopped`),
  )
  assert.ok(
    clean.stdout.includes(`run \`npx zx scripts/accessory-start.mjs search --hosts ${HOST1}\` to start it.`),
    clean.stdout,
  )

  writeConfig(dir, config({ db: 'postgres:17' }))
  const drift = await berth('details', ['all'], { cwd: dir })
  assert.is(drift.code, 2, drift.stdout + drift.stderr)
  assert.match(
    drift.stdout,
    new RegExp(`db +${HOST2.replaceAll('.', '\\.')} +running +\\S+postgres:16 +\\S+postgres:17 +drift`),
  )
  assert.ok(drift.stdout.includes('run `npx zx scripts/accessory-reboot.mjs db` to update'), drift.stdout)
  const driftJson = await berth('details', ['all', '--json'], { cwd: dir })
  assert.is(driftJson.code, 2, driftJson.stderr)
  const doc = JSON.parse(driftJson.stdout)
  assert.is(doc.exitCode, 2)
  assert.equal(
    doc.rows.map((r: { accessory: string; host: string; state: string; verdict: string }) => [
      r.accessory,
      r.host,
      r.state,
      r.verdict,
    ]),
    [
      ['db', HOST1, 'running', 'drift'],
      ['db', HOST2, 'running', 'drift'],
      ['cache', HOST3, 'running', 'in_sync'],
      ['search', HOST1, 'stopped', 'stopped'],
    ],
  )
  assert.is(doc.rows[0].runningImage, image('postgres:16'))
  assert.is(doc.rows[0].configuredImage, image('postgres:17'))

  writeConfig(dir, config({ db: 'postgres:17', cacheHosts: [HOST3, DOWN_HOST] }))
  const down = await berth('details', ['all'], { cwd: dir })
  assert.is(down.code, 1, down.stdout + down.stderr)
  assert.match(down.stdout, new RegExp(`cache +${DOWN_HOST.replaceAll('.', '\\.')} +- +- +\\S+redis:7 +unreachable`))
  assert.ok(
    down.stdout.includes(`Accessory \`cache\` failed on ${DOWN_HOST}: could not connect to ${DOWN_HOST} over ssh`),
    down.stdout,
  )
  assert.ok(down.stdout.includes(`image has changed on ${HOST1}`), 'drift still shown beside the unreachable host')
  const downJson = JSON.parse((await berth('details', ['all', '--json'], { cwd: dir })).stdout)
  assert.is(downJson.exitCode, 1)
  assert.equal(downJson.rows.find((r: { host: string }) => r.host === DOWN_HOST).verdict, 'unreachable')
})

test('logs: a header per host in host order, --lines and --grep (plain text; no match is fine)', async () => {
  const dir = await booted()
  const all = await berth('logs', ['db'], { cwd: dir })
  assert.is(all.code, 0, all.stdout + all.stderr)
  const sections = all.stdout.split(/^== /m).filter(Boolean)
  assert.equal(
    sections.map((s) => s.split('\n')[0]),
    [`db on ${HOST1} ==`, `db on ${HOST2} ==`],
  )
  assert.match(
    sections[1]!,
    new RegExp(`^\\S+ boot on ${HOST2.replaceAll('.', '\\.')}$`, 'm'),
    'lines carry timestamps',
  )

  const grep = await berth('logs', ['db', '--grep', 'ERROR'], { cwd: dir })
  assert.is(grep.code, 0, grep.stderr)
  const grepLines = grep.stdout.split('\n').filter(Boolean)
  assert.is(grepLines.length, 4, grep.stdout)
  assert.equal([grepLines[0], grepLines[2]], [`== db on ${HOST1} ==`, `== db on ${HOST2} ==`])
  assert.match(grepLines[1]!, /ERROR disk full$/)

  const lines = await berth('logs', ['db', '--lines', '2', '--hosts', HOST2], { cwd: dir })
  assert.is(lines.code, 0, lines.stderr)
  assert.equal(
    lines.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+Z /, '')),
    [`== db on ${HOST2} ==`, 'line 6', 'ERROR disk full'],
  )

  const none = await berth('logs', ['db', '--grep', '[no such text]', '-g', 'x'], { cwd: dir })
  assert.is(none.code, 0, none.stderr)
  assert.is(none.stdout, `== db on ${HOST1} ==\n== db on ${HOST2} ==\n`)

  await hostDocker(HOST2, ['rm', '-f', 'mart-db'])
  const failed = await berth('logs', ['db'], { cwd: dir })
  assert.is(failed.code, 1)
  assert.ok(failed.stdout.includes(`== db on ${HOST1} ==\n`), failed.stdout)
  assert.ok(
    failed.stderr.includes(`Could not read the log of accessory \`db\` on ${HOST2}:`) &&
      failed.stderr.includes('No such container: mart-db'),
    failed.stderr,
  )
})

test('logs --follow: several hosts is a usage error; one host streams until the container stops', async () => {
  const dir = await booted()
  const several = await berth('logs', ['db', '--follow'], { cwd: dir })
  assert.is(several.code, 64)
  assert.ok(
    several.stderr.includes(`--follow needs one host; pass --hosts with one of: ${HOST1}, ${HOST2}`),
    several.stderr,
  )
  assert.is(
    (await berth('logs', ['all', '-f', '--hosts', HOST1], { cwd: dir })).code,
    64,
    'two accessories on one host',
  )

  const following = berth('logs', ['db', '--follow', '--hosts', HOST2, '--grep', 'line'], { cwd: dir })
  await new Promise((resolve) => setTimeout(resolve, 4000))
  assert.is((await hostDocker(HOST2, ['stop', 'mart-db'])).exitCode, 0)
  const r = await following
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.equal(
    r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\S+Z /, '')),
    ['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6'],
  )
})

test('logs --follow of a container that is not there: exit 1, and the sentence names the accessory, host and cause', async () => {
  const dir = await booted()
  assert.is((await hostDocker(HOST2, ['rm', '-f', 'mart-db'])).exitCode, 0)
  const r = await berth('logs', ['db', '--follow', '--hosts', HOST2], { cwd: dir })
  assert.is(r.code, 1, r.stdout + r.stderr)
  assert.match(
    r.stderr,
    new RegExp(`Following the log of accessory \`db\` failed on ${re(HOST2)}: .*No such container`),
  )
})

test('exec: a tricky argument arrives intact, in the running container and with --new; a failure on several hosts exits 1', async () => {
  const dir = await booted()
  const tricky = `it's a "quoted" $HOME  word; echo pwned`
  const running = await berth('exec', ['db', '--', 'sh', '-c', 'printf "[%s]\\n" "$@"; hostname', 'sh', tricky, ''], {
    cwd: dir,
  })
  assert.is(running.code, 0, running.stdout + running.stderr)
  const id1 = (await hostDocker(HOST1, ['inspect', 'mart-db', '--format', '{{.Id}}'])).stdout.trim().slice(0, 12)
  assert.ok(
    running.stdout.startsWith(`== db on ${HOST1} ==\n[${tricky}]\n[]\n${id1}\n== db on ${HOST2} ==\n[${tricky}]\n[]\n`),
    running.stdout,
  )

  const fresh = await berth(
    'exec',
    ['db', '--new', '--hosts', HOST1, '--', 'sh', '-c', 'printf "[%s]\\n" "$1"; hostname', 'sh', tricky],
    { cwd: dir },
  )
  assert.is(fresh.code, 0, fresh.stdout + fresh.stderr)
  const [arg, host] = fresh.stdout.split('\n')
  assert.is(arg, `[${tricky}]`, "one host: the command's own output, no header")
  assert.is.not(host, id1, 'a new container')
  assert.equal(await labelled(HOST1, 'mart-db'), [id1], '--rm left nothing behind')

  const failing = await berth('exec', ['db', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { cwd: dir })
  assert.is(failing.code, 1)
  assert.is(failing.stdout, `== db on ${HOST1} ==\nout\n== db on ${HOST2} ==\nout\n`)
  assert.ok(
    failing.stderr.includes(
      `Accessory \`db\` on ${HOST1}: \`sh -c 'echo out; echo err >&2; exit 3'\` exited 3 on ${HOST1}.`,
    ),
    failing.stderr,
  )
  assert.ok(failing.stderr.includes('2 of 2 runs failed (exit 1).'), failing.stderr)

  const noCommand = await berth('exec', ['db'], { cwd: dir })
  assert.is(noCommand.code, 64)
  assert.match(noCommand.stderr, /Give the command after `--`/)
})

test('remove without -y and without a terminal refuses (64) and removes nothing; "no" on a terminal aborts (1)', async () => {
  const dir = await booted()
  const r = await berth('remove', ['all', '--directory', '--volumes'], { cwd: dir })
  assert.is(r.code, 64, r.stdout + r.stderr)
  assert.match(r.stderr, /Refusing to ask for confirmation without a terminal; nothing was changed/)
  const no = await onTerminal('remove', ['db'], dir, 'n\n')
  assert.is(no.code, 1, no.stdout)
  assert.ok(
    no.stdout.includes(
      `This will remove the containers of accessory \`db\` on ${HOST1}, ${HOST2}. Are you sure? [y/N]`,
    ),
    no.stdout,
  )
  assert.ok(no.stdout.includes('Aborted; nothing was changed.'), no.stdout)
  assert.is(await state(HOST1, 'mart-db'), 'running')
  assert.is(await state(HOST3, 'mart-cache'), 'running')
  assert.ok(await volumeExists(HOST1, 'mart-search'))
})

test('remove -y removes every labelled container and keeps directory, volume and image; the flags remove them', async () => {
  const dir = await booted()
  // A second container with the accessory's label (left over by hand): removed too, by id.
  assert.is(
    (await hostDocker(HOST1, ['create', '--name', 'mart-db-old', '--label', 'service=mart-db', image('postgres:16')]))
      .exitCode,
    0,
  )
  const dryRun = await berth('remove', ['all', '--dry-run', '--directory'], { cwd: dir })
  assert.is(dryRun.code, 2, dryRun.stdout + dryRun.stderr)
  assert.ok(dryRun.stdout.includes('    rm -rf mart-db'), dryRun.stdout)
  assert.is((await labelled(HOST1, 'mart-db')).length, 2)

  const r = await berth('remove', ['all', '-y'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  const dbLine = r.stdout.split('\n').find((l) => l.startsWith(`Removed accessory \`db\` on ${HOST1} (`)) ?? r.stdout
  assert.match(dbLine, /container mart-db \(\w{12}\)/)
  assert.match(dbLine, /container mart-db-old \(\w{12}\)/)
  assert.ok(r.stdout.includes('4 removed (exit 0).'), r.stdout)
  for (const [addr, service] of [
    [HOST1, 'mart-db'],
    [HOST2, 'mart-db'],
    [HOST3, 'mart-cache'],
    [HOST1, 'mart-search'],
  ] as const) {
    assert.equal(await labelled(addr, service), [], `${service} on ${addr}`)
  }
  assert.ok(existsSync(path.join(homeOf(HOST1), 'mart-db/data')), 'directory kept')
  assert.ok(await volumeExists(HOST1, 'mart-search'), 'volume kept')
  assert.ok(await imageExists(HOST1, image('postgres:16')), 'image kept')

  const nothing = await berth('remove', ['db', '-y'], { cwd: dir })
  assert.is(nothing.code, 0, nothing.stdout + nothing.stderr)
  assert.ok(
    nothing.stdout.includes(
      `Accessory \`db\` was not touched on ${HOST1}: it has no container there; nothing to remove.`,
    ),
    nothing.stdout,
  )

  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  const all = await berth('remove', ['all', '-y', '--image', '--directory', '--volumes'], { cwd: dir })
  assert.is(all.code, 0, all.stdout + all.stderr)
  assert.match(
    all.stdout,
    new RegExp(
      `Removed accessory \`search\` on ${HOST1.replaceAll('.', '\\.')} \\(container mart-search \\(\\w{12}\\), image \\S+search:1, directory mart-search, volume mart-search\\)\\.`,
    ),
  )
  assert.not.ok(existsSync(path.join(homeOf(HOST1), 'mart-db')), 'directory removed')
  assert.not.ok(existsSync(path.join(homeOf(HOST2), 'mart-db')), 'directory removed')
  assert.not.ok(await volumeExists(HOST1, 'mart-search'), 'volume removed')
  assert.not.ok(await imageExists(HOST1, image('postgres:16')), 'image removed')
  assert.not.ok(await imageExists(HOST3, image('redis:7')), 'image removed')
  assert.ok(existsSync(path.join(homeOf(HOST1), '.kamal/apps/mart/env/accessories/db.env')), 'env file kept, as Kamal')
})

test.run()
