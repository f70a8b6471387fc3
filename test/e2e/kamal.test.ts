// A Kamal project on the lab: the ssh key exists only as `key_data` in `.kamal/secrets` (no key file, no
// agent in the environment), as in CI. berth loads it into a private ssh-agent for the run, boots and
// reboots, and leaves Kamal's audit lines on the host; no key is written anywhere and the agent is gone.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { labDir } from '../lab/lab-info.mjs'
import { HOST1, HOST2, berth, containerOn, homeOf, image, loggingSsh, project, useLab } from './support.ts'

useLab(test)

const LAB_KEY = () => readFileSync(path.join(labDir(), 'id_ed25519'), 'utf8')

/** Every file under `dir` (links not followed), for looking for a key written to disk. */
function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...filesUnder(full))
    else if (entry.isFile()) out.push(full)
  }
  return out
}

/** ssh-agent processes whose command line names `marker` (the run's own TMPDIR). */
function agentsUnder(marker: string): number[] {
  const pids: number[] = []
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmdline.startsWith('ssh-agent') && cmdline.includes(marker)) pids.push(Number(pid))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

function keyDataProject(redis: string, withKeyData = true): { dir: string; tmp: string } {
  const tmp = mkdtempSync(path.join(tmpdir(), 'berth-keydata-tmp-'))
  // known hosts still checked; no IdentityFile anywhere
  const sshConfig = `Host *\n  UserKnownHostsFile ${path.join(labDir(), 'known_hosts')}\n  StrictHostKeyChecking yes\n`
  const yml = `service: kd
image: kd/app
ssh:
  config: ssh_config
  keys_only: true
${withKeyData ? '  key_data:\n    - SSH_KEY\n' : ''}accessories:
  cache:
    image: ${image(redis)}
    hosts:
      - ${HOST1}
      - ${HOST2}
    options:
      memory: 64m
`
  const dir = project(yml, {
    ssh_config: sshConfig,
    '.kamal/secrets': `# the key, multi-line in double quotes as dotenv allows\nSSH_KEY="${LAB_KEY().trimEnd()}"\n`,
  })
  return { dir, tmp }
}

test('key_data only in .kamal/secrets: boot and reboot through a private agent; no key on disk, no agent left; audit lines on the host', async () => {
  const { dir, tmp } = keyDataProject('redis:7')
  const ssh = loggingSsh()
  const env = { SSH_AUTH_SOCK: undefined, TMPDIR: tmp, PATH: ssh.PATH }

  // without key_data the same config cannot log in: the key reaches ssh only through the agent
  const control = keyDataProject('redis:7', false)
  const denied = await berth('boot', ['all'], { cwd: control.dir, env: { ...env, TMPDIR: control.tmp } })
  assert.is(denied.code, 1, denied.stdout + denied.stderr)
  assert.match(denied.stdout, /could not connect to .* over ssh \(.*Permission denied/)

  const boot = await berth('boot', ['all', '-v'], { cwd: dir, env })
  assert.is(boot.code, 0, boot.stdout + boot.stderr)
  for (const host of [HOST1, HOST2]) {
    assert.ok(boot.stdout.includes(`Booted accessory \`cache\` on ${host} (${image('redis:7')}).`), boot.stdout)
    assert.equal((await containerOn(host, 'kd-cache'))?.status, 'running')
  }

  writeFileSync(
    path.join(dir, 'config/deploy.yml'),
    readFileSync(path.join(dir, 'config/deploy.yml'), 'utf8').replace('redis:7', 'redis:8'),
  )
  const drift = await berth('boot', ['all'], { cwd: dir, env })
  assert.is(drift.code, 2, drift.stdout + drift.stderr)
  const reboot = await berth('reboot', ['all', '--drifted', '-y'], { cwd: dir, env })
  assert.is(reboot.code, 0, reboot.stdout + reboot.stderr)
  for (const host of [HOST1, HOST2]) assert.equal((await containerOn(host, 'kd-cache'))?.image, image('redis:8'))

  // the key: never in an argv, never in berth's output, never in a file outside .kamal/secrets
  const key = LAB_KEY()
  const body = key.split('\n')[1]!
  assert.ok(ssh.calls().includes(' -i '), "keys_only offers the agent's key by its public half")
  for (const text of [ssh.calls(), boot.stdout, boot.stderr, reboot.stdout, reboot.stderr])
    assert.not.ok(text.includes(body))
  // (TMPDIR also holds tsx's compiled sources: those are berth's code, never a key)
  for (const file of [...filesUnder(tmp), ...filesUnder(dir)]) {
    if (file === path.join(dir, '.kamal/secrets')) continue
    if (statSync(file).size < 1_000_000) assert.not.ok(readFileSync(file, 'utf8').includes(body), file)
  }
  assert.equal(
    readdirSync(tmp).filter((f) => f.startsWith('berth-agent-')),
    [],
    "the agent's folder is removed",
  )
  assert.equal(agentsUnder(tmp), [], 'no ssh-agent of the run is left')

  // Kamal's audit lines, on the host
  const log = readFileSync(path.join(homeOf(HOST1), '.kamal/kd-audit.log'), 'utf8')
    .trimEnd()
    .split('\n')
  for (const line of log)
    assert.match(
      line,
      /^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] \[[^\]]+\] [A-Z][a-z]+ cache accessory( image| container)?$/,
    )
  assert.equal(
    log.map((l) => l.replace(/^\[[^\]]+\] \[[^\]]+\] /, '')),
    [
      'Booted cache accessory',
      'Pull cache accessory image',
      'Stopped cache accessory',
      'Remove cache accessory container',
      'Booted cache accessory',
    ],
  )
})

test('a key_data secret that is no key is a config error naming the secret (78); nothing contacted, no agent left', async () => {
  const { dir, tmp } = keyDataProject('redis:7')
  writeFileSync(path.join(dir, '.kamal/secrets'), 'SSH_KEY=not-a-key-9f3a\n')
  const r = await berth('boot', ['all'], { cwd: dir, env: { SSH_AUTH_SOCK: undefined, TMPDIR: tmp } })
  assert.is(r.code, 78, r.stdout + r.stderr)
  assert.match(r.stderr, /^ssh\.key_data SSH_KEY could not be loaded into ssh-agent/)
  assert.not.ok(r.stderr.includes('not-a-key-9f3a'))
  assert.is(await containerOn(HOST1, 'kd-cache'), undefined)
  assert.equal(agentsUnder(tmp), [])
})

test('a key_data secret that holds no key is 78 for every verb that contacts hosts, before any ssh starts', async () => {
  const { dir, tmp } = keyDataProject('redis:7')
  const ssh = loggingSsh()
  // GitHub Actions without the repository secret: `SSH_KEY=$SSH_KEY` expands to nothing; or no secrets file at all
  const setups: [string, () => void, RegExp][] = [
    [
      'SSH_KEY=$SSH_KEY, unset',
      () => writeFileSync(path.join(dir, '.kamal/secrets'), 'SSH_KEY=$SSH_KEY\n'),
      /The secret "SSH_KEY" named by key_data is empty \(in \.kamal\/secrets-common or \.kamal\/secrets, a `\$VARIABLE` that is not set expands to nothing\)/,
    ],
    [
      'no .kamal/secrets',
      () => rmSync(path.join(dir, '.kamal/secrets')),
      /The secret "SSH_KEY" named by key_data is not set in \.kamal\/secrets-common or \.kamal\/secrets/,
    ],
  ]
  const runs: [string, string[]][] = [
    ['check', ['all']],
    ['check', ['all', '--json']],
    ['details', ['all']],
    ['logs', ['cache']],
    ['exec', ['cache', '--', 'true']],
    ['start', ['cache']],
    ['stop', ['cache']],
    ['restart', ['cache']],
    ['remove', ['cache', '-y']],
    ['lock', ['status']],
    ['lock', ['release']],
    ['boot', ['all']],
    ['reboot', ['all', '-y']],
  ]
  for (const [setup, write, says] of setups) {
    write()
    for (const [verb, args] of runs) {
      const env = { SSH_AUTH_SOCK: undefined, SSH_KEY: undefined, TMPDIR: tmp, PATH: ssh.PATH }
      const r = await berth(verb, args, { cwd: dir, env })
      const what = `${setup}: ${verb} ${args.join(' ')}: ${r.stdout}${r.stderr}`
      assert.is(r.code, 78, what)
      assert.match(r.stderr, says, what)
      assert.match(r.stderr, /so no host could be logged into; set `SSH_KEY=\.\.\.` to the private key there/, what)
      assert.match(r.stderr, /No host was contacted\.\n$/, what)
      assert.is(ssh.calls(), '', `${what}: no ssh was started`)
    }
    // accessory-config contacts no host: it prints the config, the secret shown as not set
    const config = await berth('config', ['all'], { cwd: dir, env: { SSH_KEY: undefined, PATH: ssh.PATH } })
    assert.is(config.code, 0, config.stdout + config.stderr)
    assert.match(config.stdout, /key_data SSH_KEY=\[not set here\]/)
  }
  assert.is(await containerOn(HOST1, 'kd-cache'), undefined)
  assert.equal(agentsUnder(tmp), [])
})

test.run()
