// Hostile configs and arguments on the lab. Every value of the hostile corpus goes through every config
// field and CLI argument that reaches a host: it either arrives verbatim (read back with docker inspect,
// the host's files or the command's own output) or is refused with 78/64 before any ssh. No canary file
// ever appears, and the first test shows the canary check does find one when a command did run.
// The invalid-config corpus runs through the real script with a logging ssh first on PATH.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pMap from 'p-map'
import { ConfigError, loadConfig } from '../../lib/config/load.ts'
import { checkCommandSizes } from '../../lib/flows/command-size-check.ts'
import { resolveDeployment } from '../../lib/config/deployment.ts'
import { runScript } from '../../lib/cli/run.ts'
import { dumpEnvValue } from '../../lib/config/env-file.ts'
import { envFileContent } from '../../lib/docker/accessory-commands.ts'
import { assertLabUp, hostDocker, labHosts, registry, resetLab, sshConfigPath } from '../lab/lab-info.mjs'
import { INVALID_CONFIGS, namingLine, writeCorpusProject } from '../support/invalid-configs.ts'
import { canariesFound, canaryName, hostileValues } from '../support/hostile-values.ts'
import { asText } from '../support/run-script.ts'
import { HOST1, HOST2, HOST3, REPO, berth, homeOf, image, labSsh, loggingSsh } from './support.ts'

const CANARY = path.join(tmpdir(), canaryName('hv'))
const VALUES = hostileValues(CANARY)
const HOSTS = [HOST1, HOST2, HOST3]
/** Every project folder made here: a relative canary would land in one of them (or in REPO). */
const projects: string[] = []
const found = () => canariesFound(CANARY, [REPO, ...projects, ...labHosts().map((h) => h.home)])

// a logging ssh first on PATH (it forwards to the real one); `clearCalls` starts a new log
const ssh = loggingSsh()
const PATH_ENV = { PATH: ssh.PATH }
let callsBefore = ''
const clearCalls = () => void (callsBefore = ssh.calls())
const sshCalls = () => ssh.calls().slice(callsBefore.length)
const sshdLogs = () => labHosts().map((h) => readFileSync(h.sshdLog, 'utf8'))

function writeProject(prefix: string, files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), body)
  }
  return dir
}

/** A project folder kept until the end (a relative canary would land in it). */
function projectDir(files: Record<string, string>): string {
  const dir = writeProject('berth-hostile-', files)
  projects.push(dir)
  return dir
}

/** The scripts' runner, called in this process (the logging ssh is first on this process's PATH). */
async function inProcess(verb: string, argv: string[], cwd: string): Promise<{ code: number; output: string }> {
  let output = ''
  const write = (t: string | Uint8Array) => void (output += asText(t))
  const code = await runScript(verb, argv, {
    cwd,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdout: write,
    stderr: write,
  })
  return { code, output }
}

const mjs = (config: object) => `export default ${JSON.stringify(config, null, 2)}\n`

/** A .kamal/secrets line that dotenv reads back as exactly `value`, or undefined when none can. */
function dotenvLine(key: string, value: string): string | undefined {
  if (value.includes('\r') || value.includes('\0')) return undefined
  if (!/['\\]/.test(value)) return `${key}='${value}'\n`
  return `${key}="${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"\n`
}

// -- counts for the closing note --
const tally = { tried: 0, verbatim: 0, refused: 0, kamalForm: 0 }
const refusedBy = new Map<string, number>()

/** Seconds per test, printed with the counts. */
const timings: string[] = []
let started = Date.now()
test.before.each(() => {
  started = Date.now()
})
test.after.each(() => {
  timings.push(`${((Date.now() - started) / 1000).toFixed(1)}s`)
})

const SAVED_PATH = process.env.PATH
test.before(async () => {
  process.env.PATH = PATH_ENV.PATH
  await assertLabUp()
  await resetLab()
})

test.after(() => {
  const lines = [
    `hostile values: ${VALUES.length}; value × field/argument pairs tried: ${tally.tried}; arrived verbatim: ${tally.verbatim}` +
      ` (+${tally.kamalForm} secrets in Kamal's escaped env-file form); refused: ${tally.refused} (${[...refusedBy].map(([k, n]) => `${n}×${k}`).join(', ')})`,
    `invalid configs: ${INVALID_CONFIGS.length}, each exit 78 with no ssh; canary files: ${found().length}; test durations: ${timings.join(' ')}`,
  ]
  console.log(`\n${lines.join('\n')}`)
  process.env.PATH = SAVED_PATH
  for (const dir of [...projects, ssh.dir]) rmSync(dir, { recursive: true, force: true })
})

test('the canary check can fail: the exempt cmd and $(...) in .kamal/secrets do run commands, and it sees their canaries', async () => {
  const dir = projectDir({
    'deploy.config.mjs': mjs({
      service: 'proof',
      image: 'proof/app',
      ssh: labSsh(),
      // Kamal appends cmd for the remote shell to parse: a `;` ends docker run and runs the rest on the host
      accessories: { p: { image: image('search:1'), host: HOST1, cmd: `true; touch ${CANARY}-proof-host` } },
    }),
    '.kamal/secrets': `X=$(touch ${CANARY}-proof-local)\n`,
  })
  const r = await berth('boot', ['all'], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.equal(found().sort(), [`${CANARY}-proof-host`, `${CANARY}-proof-local`])
  for (const file of found()) rmSync(file)
  assert.equal(found(), [])
  await resetLab()
})

test(`the invalid-config corpus (${INVALID_CONFIGS.length} configs) exits 78 naming each problem, and no ssh is attempted`, async () => {
  const before = sshdLogs()
  clearCalls()
  const values = { host: HOST1, registry: registry(), sshConfig: sshConfigPath(), canary: `${CANARY}-invalid` }
  const results = await pMap(
    INVALID_CONFIGS,
    async (entry) => {
      const cwd = writeCorpusProject(entry, values)
      projects.push(cwd)
      return { entry, r: await berth('boot', ['all'], { cwd, env: { ...PATH_ENV, ...entry.env } }) }
    },
    { concurrency: 8 },
  )
  for (const { entry, r } of results) {
    assert.is(r.code, 78, `${entry.id}: ${r.stdout}${r.stderr}`)
    assert.ok(
      namingLine(entry, r.stderr.split('\n')),
      `${entry.id}: no line names ${entry.pointer} with "${entry.says}":\n${r.stderr}`,
    )
    assert.match(r.stderr, /No host was contacted\./)
    assert.not.match(r.stderr, /unexpected error|    at /, entry.id)
  }
  assert.is(sshCalls(), '', 'ssh was called')
  // the lab's sshd logs: not even a connection attempt
  sshdLogs().forEach((log, i) => assert.is(log.slice(before[i]!.length), '', `sshd log of ${HOSTS[i]}`))
  assert.equal(found(), [])
})

// -- the value matrix --

type Config = Record<string, any>
interface Case {
  config: Config
  /** The accessory `v`. */
  acc: Config
  files: Record<string, string>
  secrets: Record<string, string>
}

function baseCase(service = 'hv'): Case {
  const acc: Config = { image: image('search:1'), host: HOST1 }
  return {
    config: { service, image: 'hv/app', ssh: labSsh(), accessories: { v: acc } },
    acc,
    files: { 'plain.txt': 'plain\n' },
    secrets: {},
  }
}

interface Field {
  id: string
  /** Packed: many values in one accessory; single: one value per project (root-level settings). */
  kind: 'packed' | 'single' | 'identity'
  place(c: Case, value: string, i: number): void
}

const push = (object: Config, key: string, item: unknown) => ((object[key] ??= []) as unknown[]).push(item)
const put = (object: Config, key: string, name: string, item: unknown) =>
  (((object[key] ??= {}) as Config)[name] = item)

const FIELDS: Field[] = [
  // values that must arrive verbatim
  { id: 'env.clear value', kind: 'packed', place: (c, v, i) => put((c.acc.env ??= {}), 'clear', `E${i}`, v) },
  { id: 'labels value', kind: 'packed', place: (c, v, i) => put(c.acc, 'labels', `l${i}`, v) },
  {
    id: 'options value',
    kind: 'packed',
    place: (c, v, i) => put(c.acc, 'options', 'label', [...(c.acc.options?.label ?? []), `o${i}=${v}`]),
  },
  {
    id: 'env.secret value',
    kind: 'packed',
    place: (c, v, i) => (push((c.acc.env ??= {}), 'secret', `S${i}`), (c.secrets[`S${i}`] = v)),
  },
  {
    id: 'files content',
    kind: 'packed',
    place: (c, v, i) => (push(c.acc, 'files', `f/${i}:/f/${i}`), (c.files[`f/${i}`] = v)),
  },
  {
    id: 'files remote path',
    kind: 'packed',
    place: (c, v, i) => push(c.acc, 'files', { local: 'plain.txt', remote: `/r${i}/${v}` }),
  },
  {
    id: 'directories host folder',
    kind: 'packed',
    place: (c, v, i) => push(c.acc, 'directories', { local: `d${i}/${v}`, remote: `/d${i}` }),
  },
  { id: 'volumes container path', kind: 'packed', place: (c, v, i) => push(c.acc, 'volumes', `/v${i}/${v}`) },
  {
    id: 'registry.username',
    kind: 'single',
    place: (c, v) => (c.acc.registry = { server: registry(), username: v, password: c.acc.registry?.password ?? 'pw' }),
  },
  {
    id: 'registry.password',
    kind: 'single',
    place: (c, v) =>
      (c.acc.registry = { server: registry(), username: c.acc.registry?.username ?? 'user', password: v }),
  },
  { id: 'logging.options value', kind: 'single', place: (c, v) => (c.config.logging = { options: { tag: v } }) },
  // names and settings: a hostile value is never one
  { id: 'accessory name', kind: 'identity', place: (c, v) => (c.config.accessories = { [v]: c.acc }) },
  { id: 'service', kind: 'identity', place: (c, v) => (c.acc.service = v) },
  { id: 'root service', kind: 'identity', place: (c, v) => (c.config.service = v) },
  { id: 'host', kind: 'identity', place: (c, v) => (c.acc.host = v) },
  { id: 'hosts item', kind: 'identity', place: (c, v) => (delete c.acc.host, (c.acc.hosts = [HOST1, v])) },
  {
    id: 'servers host',
    kind: 'identity',
    place: (c, v) => (delete c.acc.host, (c.acc.role = 'web'), (c.config.servers = { web: [v] })),
  },
  { id: 'image', kind: 'identity', place: (c, v) => (c.acc.image = v) },
  { id: 'port', kind: 'identity', place: (c, v) => (c.acc.port = v) },
  { id: 'network', kind: 'identity', place: (c, v) => (c.acc.network = v) },
  { id: 'env.secret name', kind: 'identity', place: (c, v) => put(c.acc, 'env', 'secret', [v]) },
  { id: 'label key', kind: 'identity', place: (c, v) => put(c.acc, 'labels', v, 'x') },
  { id: 'option key', kind: 'identity', place: (c, v) => put(c.acc, 'options', v, 'x') },
  // env names are docker's (`discovery.type`, `listen-addr`): anything without "=", whitespace or control characters
  { id: 'env key', kind: 'packed', place: (c, v) => put((c.acc.env ??= {}), 'clear', v, 'x') },
  // `volumes:` are written as docker takes them: a host path is a source by Kamal's design
  { id: 'volumes host path', kind: 'packed', place: (c, v, i) => push(c.acc, 'volumes', `${v}:/vs${i}`) },
  {
    id: 'files mode',
    kind: 'identity',
    place: (c, v) => push(c.acc, 'files', { local: 'plain.txt', remote: '/p', mode: v }),
  },
  {
    id: 'files owner',
    kind: 'identity',
    place: (c, v) => push(c.acc, 'files', { local: 'plain.txt', remote: '/p', owner: v }),
  },
  {
    id: 'mount options',
    kind: 'identity',
    place: (c, v) => push(c.acc, 'directories', { local: 'd', remote: '/d', options: v }),
  },
  {
    id: 'registry.server',
    kind: 'identity',
    place: (c, v) => (c.acc.registry = { server: v, username: 'u', password: 'p' }),
  },
  { id: 'ssh.user', kind: 'identity', place: (c, v) => (c.config.ssh.user = v) },
  { id: 'ssh.port', kind: 'identity', place: (c, v) => (c.config.ssh.port = v) },
  { id: 'ssh.proxy', kind: 'identity', place: (c, v) => (c.config.ssh.proxy = v) },
  { id: 'logging.driver', kind: 'identity', place: (c, v) => (c.config.logging = { driver: v }) },
  { id: 'logging.options key', kind: 'identity', place: (c, v) => (c.config.logging = { options: { [v]: 'x' } }) },
]

/** Loads a case as the scripts do (the real loader on a real .mjs file); problems, or none. */
async function load(c: Case): Promise<string[]> {
  // loading runs no command (no secrets file here), so this folder goes at once
  const cwd = writeProject('berth-hostile-load-', { ...c.files, 'deploy.config.mjs': mjs(c.config) })
  try {
    const loaded = await loadConfig({ cwd, env: {} })
    const withSecrets = { ...loaded, secrets: c.secrets }
    checkCommandSizes(withSecrets, resolveDeployment(withSecrets, { cwd, env: {} }))
    return []
  } catch (e) {
    if (e instanceof ConfigError) return e.problems
    throw e
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
}

/** accepted[field][i]: whether value i loads in that field. */
const accepted = new Map<string, boolean[]>()

test('every hostile value through every config field: loaded, or refused with a message that names the key path', async () => {
  await pMap(
    FIELDS,
    async (field) => {
      const row: boolean[] = []
      for (const [i, { id, value }] of VALUES.entries()) {
        const c = baseCase()
        field.place(c, value, i)
        const problems = await load(c)
        row[i] = problems.length === 0
        if (problems.length) {
          for (const line of problems)
            assert.not.match(
              line,
              /[\x00-\x08\x0b-\x1f\x7f]/,
              `${field.id} × ${id}: a raw control character in ${JSON.stringify(line)}`,
            )
          assert.ok(
            problems.every((line) => /^deploy\.config\.mjs: \//.test(line) && line.length < 1000),
            `${field.id} × ${id}:\n${problems.join('\n')}`,
          )
        }
      }
      accepted.set(field.id, row)
    },
    { concurrency: 4 },
  )
  for (const field of FIELDS) {
    const row = accepted.get(field.id)!
    VALUES.forEach(({ id }, i) => {
      if (field.kind === 'identity')
        assert.not.ok(row[i], `${field.id} accepted ${id}, but no hostile value is a name or setting`)
      // a file's content is bytes read from the file, not a config value: a NUL arrives like any byte
      if (id === 'NUL' && field.id !== 'files content') assert.not.ok(row[i], `${field.id} accepted a NUL byte`)
    })
  }
  // the value channels take what they can carry
  const envValues = accepted.get('env.clear value')!
  assert.equal(
    VALUES.filter((_, i) => !envValues[i]).map((v) => v.id),
    ['NUL', '200 KB (more than one command line carries)'],
  )
  assert.ok(accepted.get('files content')!.every(Boolean), 'file content takes any bytes')
  // docker reads env files at most 64 KiB a line
  assert.equal(
    VALUES.filter((_, i) => !accepted.get('env.secret value')![i]).map((v) => v.id),
    ['NUL', '100 KB', '200 KB (more than one command line carries)'],
  )
  // a refused config is refused by the script too: 78, no ssh (one value per identity field)
  clearCalls()
  await pMap(
    FIELDS.filter((f) => f.kind === 'identity'),
    async (field) => {
      const c = baseCase()
      field.place(c, `-oProxyCommand=touch ${CANARY}-script`, 0)
      const r = await berth('boot', ['all'], {
        cwd: projectDir({ ...c.files, 'deploy.config.mjs': mjs(c.config) }),
        env: PATH_ENV,
      })
      assert.is(r.code, 78, `${field.id}: ${r.stderr}`)
    },
    { concurrency: 8 },
  )
  assert.is(sshCalls(), '')
})

interface Inspected {
  Config: { Env: string[]; Labels: Record<string, string> }
  Mounts: Array<{ Source: string; Destination: string }>
}

/** A value too big to share one docker run with the others (a command line holds 128 KiB) gets its own accessory. */
const BIG = 10_000
const ARGV_FIELDS = new Set(['env.clear value', 'labels value', 'options value'])

test("the accepted values arrive verbatim: docker inspect, the host's files and folders", async () => {
  const c = baseCase()
  const packed = FIELDS.filter((f) => f.kind === 'packed')
  /** `${field}:${i}` → the accessory holding it; `v` on HOST1, big ones on HOST2. */
  const holder = new Map<string, string>()
  for (const field of packed) {
    VALUES.forEach(({ value }, i) => {
      if (!accepted.get(field.id)![i]) return
      if (ARGV_FIELDS.has(field.id) && value.length > BIG) {
        const name = `big${holder.size}`
        const acc: Config = { image: image('search:1'), host: HOST2 }
        c.config.accessories[name] = acc
        field.place({ ...c, acc }, value, i)
        holder.set(`${field.id}:${i}`, name)
      } else {
        field.place(c, value, i)
        holder.set(`${field.id}:${i}`, 'v')
      }
    })
  }
  // each secret as a literal dotenv line, or (a carriage return, which dotenv cannot hold) as the output of
  // the user's own `$(printf ...)` of an environment variable
  const secretEnv: Record<string, string> = {}
  const secrets = Object.entries(c.secrets).map(([key, value]) => {
    const line = dotenvLine(key, value)
    if (line) return line
    secretEnv[`BERTH_HV_${key}`] = value
    return `${key}=$(printf %s "$BERTH_HV_${key}")\n`
  })
  const dir = projectDir({ ...c.files, 'deploy.config.mjs': mjs(c.config), '.kamal/secrets': secrets.join('') })
  // the secrets files give each value back exactly (so a difference on the host is berth's, not the test's)
  const loaded = await loadConfig({ cwd: dir, env: secretEnv })
  for (const [key, value] of Object.entries(c.secrets)) assert.is(loaded.secrets[key], value, key)

  const r = await berth('boot', ['all'], { cwd: dir, env: { ...PATH_ENV, ...secretEnv } })
  assert.is(r.code, 0, r.stdout + r.stderr)
  const containers = new Map<string, Inspected>()
  for (const name of new Set(holder.values())) {
    const inspect = await hostDocker(name === 'v' ? HOST1 : HOST2, ['inspect', `hv-${name}`])
    assert.is(inspect.exitCode, 0, inspect.stderr)
    containers.set(name, (JSON.parse(inspect.stdout) as Inspected[])[0]!)
  }
  const envOf = (container: Inspected) =>
    new Map(container.Config.Env.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
  const home = homeOf(HOST1)
  // docker keeps paths in clean form (`/a//b/` is `/a/b`): compare them so
  const clean = (p: string) => path.posix.normalize(p).replace(/(.)\/$/, '$1')
  const mounted = (container: Inspected, source: string | undefined, destination: string | undefined) =>
    container.Mounts.some(
      (m) =>
        (source === undefined || m.Source === clean(source)) &&
        (destination === undefined || m.Destination === clean(destination)),
    )
  const arrived = (field: string, i: number, ok: boolean, what: string) => {
    tally.tried++
    assert.ok(ok, `${field} × ${VALUES[i]!.id}: ${what}`)
    tally.verbatim++
  }
  for (const field of packed) {
    VALUES.forEach(({ value }, i) => {
      if (!accepted.get(field.id)![i]) return
      const container = containers.get(holder.get(`${field.id}:${i}`)!)!
      switch (field.id) {
        case 'env.clear value':
          return arrived(
            field.id,
            i,
            envOf(container).get(`E${i}`) === value,
            `env E${i} is ${JSON.stringify(envOf(container).get(`E${i}`))?.slice(0, 80)}`,
          )
        case 'labels value':
          return arrived(field.id, i, container.Config.Labels[`l${i}`] === value, 'label differs')
        case 'options value':
          return arrived(field.id, i, container.Config.Labels[`o${i}`] === value, 'option label differs')
        case 'files content':
          return arrived(
            field.id,
            i,
            readFileSync(path.join(home, `hv-v/f/${i}`), 'utf8') === value,
            'file content differs',
          )
        case 'files remote path': {
          const host = path.join(home, `hv-v/r${i}`, value)
          return arrived(
            field.id,
            i,
            readFileSync(host, 'utf8') === 'plain\n' && mounted(container, host, `/r${i}/${value}`),
            `no file at ${host} mounted at /r${i}/...`,
          )
        }
        case 'directories host folder': {
          const host = path.join(home, `hv-v/d${i}`, value)
          return arrived(
            field.id,
            i,
            statSync(host).isDirectory() && mounted(container, host, `/d${i}`),
            `no folder ${host} mounted`,
          )
        }
        case 'volumes host path':
          // the docker CLI makes a source starting with "." absolute against the login directory
          return arrived(
            field.id,
            i,
            mounted(container, value.startsWith('.') ? path.posix.resolve(home, value) : value, `/vs${i}`),
            'no such mount',
          )
        case 'env key':
          return arrived(field.id, i, envOf(container).get(value) === 'x', `env ${JSON.stringify(value)} differs`)
        case 'volumes container path':
          return arrived(field.id, i, mounted(container, undefined, `/v${i}/${value}`), 'no such mount')
        case 'env.secret value': {
          // the env file holds Kamal's escaped form (Ruby String#dump); docker reads its lines literally
          tally.tried++
          const line = readFileSync(path.join(home, '.kamal/apps/hv/env/accessories/v.env'), 'utf8')
            .split('\n')
            .find((l) => l.startsWith(`S${i}=`))
          assert.is(`${line}\n`, envFileContent([[`S${i}`, value]]), `secret S${i} in the env file`)
          assert.is(envOf(container).get(`S${i}`), dumpEnvValue(value), `secret S${i} in the container`)
          if (dumpEnvValue(value) === value) tally.verbatim++
          else tally.kamalForm++
          return
        }
      }
      throw new Error(`no read-back for ${field.id}`)
    })
  }
  assert.equal(found(), [])
})

test("registry user name, password and log options arrive verbatim: the host's docker config.json, docker inspect", async () => {
  const registryFields = FIELDS.filter((f) => f.id.startsWith('registry.'))
  const indexes = VALUES.map((_, i) => i)
  // registry logins: `exec --new` logs in, then runs a fresh container. A host keeps one login per registry
  // (in its docker config.json), so each host reads back one login at a time.
  const logins = HOSTS.map(async (host, h) => {
    const base = baseCase('hvreg')
    base.acc.host = host
    const dir = projectDir({ ...base.files, 'deploy.config.mjs': mjs(base.config) })
    assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
    for (const i of indexes.filter((i) => i % HOSTS.length === h)) {
      const used = registryFields.filter((f) => accepted.get(f.id)![i])
      if (used.length === 0) continue
      const c = baseCase('hvreg')
      c.acc.host = host
      for (const field of used) field.place(c, VALUES[i]!.value, i)
      writeFileSync(path.join(dir, 'deploy.config.mjs'), mjs(c.config))
      const r = await inProcess('exec', ['v', '--new', '--', 'true'], dir)
      assert.is(r.code, 0, `${VALUES[i]!.id}: ${r.output}`)
      const configJson = JSON.parse(readFileSync(path.join(labHosts()[h]!.dockerConfig, 'config.json'), 'utf8')) as {
        auths: Record<string, { auth: string }>
      }
      const login = c.acc.registry as { username: string; password: string }
      assert.is(
        Buffer.from(configJson.auths[registry()]!.auth, 'base64').toString('utf8'),
        `${login.username}:${login.password}`,
        VALUES[i]!.id,
      )
      tally.tried += used.length
      tally.verbatim += used.length
    }
  })
  // log options: a root setting, so one project per value (projects share nothing on a host). These runs go
  // through the scripts' runner in this process (runScript: what every script calls), which saves starting
  // a node process per value.
  const logging = FIELDS.find((f) => f.id === 'logging.options value')!
  const tags = pMap(
    indexes.filter((i) => accepted.get(logging.id)![i]),
    async (i) => {
      const c = baseCase(`hvlog${i}`)
      c.acc.host = HOSTS[i % HOSTS.length]!
      logging.place(c, VALUES[i]!.value, i)
      const r = await inProcess('boot', ['all'], projectDir({ ...c.files, 'deploy.config.mjs': mjs(c.config) }))
      assert.is(r.code, 0, `${VALUES[i]!.id}: ${r.output}`)
      const tag = await hostDocker(c.acc.host as string, [
        'inspect',
        `hvlog${i}-v`,
        '--format',
        '{{json .HostConfig.LogConfig.Config}}',
      ])
      assert.is((JSON.parse(tag.stdout) as { tag: string }).tag, VALUES[i]!.value, VALUES[i]!.id)
      tally.tried++
      tally.verbatim++
    },
    { concurrency: 4 },
  )
  await Promise.all([...logins, tags])
  assert.equal(found(), [])
})

test('every hostile value as a command-line argument: exec words arrive verbatim; the others are usage errors (64)', async () => {
  // its own service: the value matrix above leaves its `hv-v` on HOST1, which this config would find drifted
  const c = baseCase('hvarg')
  const dir = projectDir({ ...c.files, 'deploy.config.mjs': mjs(c.config) })
  const io = (out: string[]) => ({
    cwd: dir,
    env: { ...process.env },
    stdout: (t: string | Uint8Array) => void out.push(asText(t)),
    stderr: (t: string | Uint8Array) => void out.push(asText(t)),
  })
  const ARGS: Array<{ id: string; argv: (v: string) => [string, string[]]; expect: number | number[] }> = [
    { id: 'NAME', argv: (v) => ['details', [v]], expect: 64 },
    { id: '--hosts', argv: (v) => ['details', ['v', '--hosts', v]], expect: 64 },
    { id: '-d', argv: (v) => ['details', ['v', '-d', v]], expect: 64 },
    { id: '--since', argv: (v) => ['logs', ['v', '--since', v]], expect: 64 },
    { id: '--lines', argv: (v) => ['logs', ['v', '--lines', v]], expect: 64 },
    { id: '--lock-wait', argv: (v) => ['boot', ['v', '--lock-wait', v]], expect: 64 },
    { id: '--health-timeout', argv: (v) => ['reboot', ['v', '-y', '--health-timeout', v]], expect: 64 },
    // a file that does not exist or is no config: 78; a value that looks like a flag: 64
    { id: '-c', argv: (v) => ['details', ['v', '-c', v]], expect: [64, 78] },
    { id: 'lock status|release', argv: (v) => ['lock', [v]], expect: 64 },
  ]
  clearCalls()
  for (const arg of ARGS) {
    for (const { id, value } of VALUES) {
      // `--hosts '*'` is a wildcard that selects every host, which is its job
      if (arg.id === '--hosts' && value === '*') continue
      const out: string[] = []
      const [verb, argv] = arg.argv(value)
      const code = await runScript(verb, argv, io(out))
      tally.tried++
      assert.ok([arg.expect].flat().includes(code), `${arg.id} ${id}: exit ${code}: ${out.join('')}`)
      assert.not.match(
        out.join(''),
        /[\x00-\x08\x0b-\x1f\x7f]/,
        `${arg.id} ${id}: a raw control character in the message`,
      )
      tally.refused++
      refusedBy.set(String(code), (refusedBy.get(String(code)) ?? 0) + 1)
    }
  }
  assert.is(sshCalls(), '', 'a refused argument reached ssh')

  // exec: every word arrives as typed (a process argv cannot hold NUL; 200 KB is more than a command line: 64)
  const booted = await berth('boot', ['all'], { cwd: dir })
  assert.is(booted.code, 0, booted.stdout + booted.stderr)
  const tooLong = (v: { value: string }) => Buffer.byteLength(v.value) > 120_000
  const words = VALUES.filter((v) => v.id !== 'NUL' && !tooLong(v))
  const script = 'for a; do printf "%s" "$a"; printf "\\036"; done'
  const r = await berth('exec', ['v', '--json', '--', 'sh', '-c', script, 'sh', ...words.map((w) => w.value)], {
    cwd: dir,
    env: PATH_ENV,
  })
  assert.is(r.code, 0, r.stderr)
  const { results } = JSON.parse(r.stdout) as { results: Array<{ stdout: string }> }
  assert.equal(
    results[0]!.stdout.split('\x1e').slice(0, -1),
    words.map((w) => w.value),
  )
  tally.tried += words.length
  tally.verbatim += words.length
  for (const { value } of VALUES.filter((v) => v.id === 'NUL' || tooLong(v))) {
    const out: string[] = []
    assert.is(await runScript('exec', ['v', '--', 'printf', '%s', value], io(out)), 64, out.join(''))
    tally.tried++
    tally.refused++
  }
  assert.equal(found(), [])
})

test('config refusals are counted', () => {
  for (const field of FIELDS) {
    const row = accepted.get(field.id)!
    const refused = row.filter((ok) => !ok).length
    tally.tried += refused
    tally.refused += refused
    refusedBy.set('78', (refusedBy.get('78') ?? 0) + refused)
  }
  assert.ok(tally.tried >= 40 * FIELDS.length)
})

test('no canary file was ever created, locally or on a host', () => {
  assert.equal(found(), [])
})

test.run()
