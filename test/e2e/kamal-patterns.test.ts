// Patterns from real Kamal projects (issue 20, section 1) on the lab's real engines and sshd: a relative host
// path in `volumes:` and env names with "." and "-" boot as Kamal boots them and check in sync (a change is
// drift); `hosts: []` and a missing `files:` entry give the exit codes they should.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { hostDocker, sshConfigPath } from '../lab/lab-info.mjs'
import { HOST1, berth, homeOf, hostSnapshot, image, project, useLab } from './support.ts'

useLab(test)

/** A config/deploy.yml for the lab (service `shop`, the lab's ssh config) with these lines under `accessories:`. */
function labYml(...accessories: string[]): string {
  return [
    'service: shop',
    'image: shop/app',
    'ssh:',
    `  config: ${sshConfigPath()}`,
    'accessories:',
    ...accessories,
    '',
  ].join('\n')
}

function yml(over: { volume?: string; listen?: string; secretValue?: string } = {}): Record<string, string> {
  return {
    'config/deploy.yml': labYml(
      '  search:',
      `    image: ${image('search:1')}`,
      `    host: ${HOST1}`,
      '    volumes:',
      `      - ${over.volume ?? './state/search'}:/data`,
      '    env:',
      '      clear:',
      '        discovery.type: single-node',
      `        server.http.listen-addr: "${over.listen ?? ':9400'}"`,
      '      secret:',
      '        - auth.key',
      '        - admin-pass:ADMIN_PASS',
    ),
    '.kamal/secrets': `auth.key=k-1\nADMIN_PASS=${over.secretValue ?? 'p-1'}\n`,
  }
}

async function inspect(format: string): Promise<string> {
  return (await hostDocker(HOST1, ['inspect', 'shop-search', '--format', format])).stdout.trim()
}

test('relative volume and env names with "." and "-": boot as written, check in sync, each change is drift', async () => {
  const files = yml()
  const dir = project(files['config/deploy.yml']!, { '.kamal/secrets': files['.kamal/secrets']! })
  const boot = await berth('boot', ['search', '-v'], { cwd: dir })
  assert.is(boot.code, 0, boot.stdout + boot.stderr)
  // Kamal's argv: the volume as written, clear env with --env, secrets in the env file
  assert.match(boot.stderr, /--env discovery\.type=single-node --env server\.http\.listen-addr=:9400 --env-file /)
  assert.match(boot.stderr, / --volume \.\/state\/search:\/data /)
  // docker made it absolute against the ssh user's login directory
  assert.is(await inspect('{{json .HostConfig.Binds}}'), JSON.stringify([`${homeOf(HOST1)}/state/search:/data`]))
  const env = (await inspect('{{json .Config.Env}}')) as string
  for (const pair of ['discovery.type=single-node', 'server.http.listen-addr=:9400', 'auth.key=k-1', 'admin-pass=p-1'])
    assert.ok(env.includes(JSON.stringify(pair)), `${pair} in ${env}`)

  const check = await berth('check', ['all', '--json'], { cwd: dir })
  assert.is(check.code, 0, check.stdout + check.stderr)
  const result = JSON.parse(check.stdout).results[0]
  assert.is(result.verdict, 'in_sync')
  assert.equal(result.notCompared, [])

  const changed = async (over: Parameters<typeof yml>[0], reason: RegExp) => {
    const next = yml(over)
    writeFileSync(path.join(dir, 'config/deploy.yml'), next['config/deploy.yml']!)
    writeFileSync(path.join(dir, '.kamal/secrets'), next['.kamal/secrets']!)
    const r = await berth('check', ['all'], { cwd: dir })
    assert.is(r.code, 2, r.stdout + r.stderr)
    assert.match(r.stdout, reason)
  }
  await changed({ listen: ':9500' }, /server\.http\.listen-addr/)
  await changed({ secretValue: 'p-2' }, /admin-pass/)
  await changed(
    { volume: './elsewhere/search' },
    /volume \.\/elsewhere\/search:\/data \(.*\/elsewhere\/search:\/data\) is not mounted/,
  )
  // the same relative folder written another way is the same folder
  const same = yml({ volume: './state/../state/search' })
  writeFileSync(path.join(dir, 'config/deploy.yml'), same['config/deploy.yml']!)
  writeFileSync(path.join(dir, '.kamal/secrets'), same['.kamal/secrets']!)
  const r = await berth('check', ['all'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
})

test('hosts: [] skips the accessory under `all` (exit 0) and is a usage error (64) named alone', async () => {
  const dir = project(
    labYml(
      '  parked:',
      `    image: ${image('redis:7')}`,
      '    hosts: []',
      '  cache:',
      `    image: ${image('redis:7')}`,
      `    host: ${HOST1}`,
    ),
  )
  const boot = await berth('boot', ['all'], { cwd: dir })
  assert.is(boot.code, 0, boot.stdout + boot.stderr)
  assert.match(boot.stderr, /Skipped accessory `parked` has no hosts \(`hosts: \[\]` at config\/deploy\.yml:8:12\)/)
  assert.not.match(boot.stdout, /parked/)
  const check = await berth('check', ['all'], { cwd: dir })
  assert.is(check.code, 0, check.stdout + check.stderr)
  const before = await hostSnapshot(HOST1)
  for (const verb of ['boot', 'check', 'reboot']) {
    const alone = await berth(verb, ['parked', ...(verb === 'reboot' ? ['-y'] : [])], { cwd: dir })
    assert.is(alone.code, 64, `${verb}: ${alone.stdout}${alone.stderr}`)
    assert.match(alone.stderr, /^Nothing to run: accessory `parked` has no hosts/)
  }
  assert.is(await hostSnapshot(HOST1), before)
})

test('a missing files: entry: check and config run; boot and reboot exit 78 naming it, the host untouched', async () => {
  const dir = project(
    labYml(
      '  db:',
      `    image: ${image('redis:7')}`,
      `    host: ${HOST1}`,
      '    files:',
      '      - conf/generated.conf:/usr/local/etc/redis/redis.conf',
    ),
    { 'conf/generated.conf': 'maxmemory 10mb\n' },
  )
  const boot = await berth('boot', ['db'], { cwd: dir })
  assert.is(boot.code, 0, boot.stdout + boot.stderr)
  const { rmSync } = await import('node:fs')
  rmSync(path.join(dir, 'conf/generated.conf'))
  const check = await berth('check', ['db'], { cwd: dir })
  assert.is(check.code, 0, check.stdout + check.stderr)
  assert.match(check.stdout, /Not compared for `db` on .*file conf\/generated\.conf \(the local file is missing here/)
  assert.is((await berth('config', ['db'], { cwd: dir })).code, 0)
  assert.is((await berth('details', ['db'], { cwd: dir })).code, 0)
  const before = await hostSnapshot(HOST1)
  for (const verb of ['boot', 'reboot']) {
    const r = await berth(verb, ['db', ...(verb === 'reboot' ? ['-y'] : [])], { cwd: dir })
    assert.is(r.code, 78, `${verb}: ${r.stdout}${r.stderr}`)
    assert.match(
      r.stderr,
      /^config\/deploy\.yml:10:9: \/accessories\/db\/files: Missing file: conf\/generated\.conf \(accessory `db`/,
    )
  }
  assert.is(await hostSnapshot(HOST1), before)
})

test.run()
