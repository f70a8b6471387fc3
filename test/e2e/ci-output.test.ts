// Registry drift without pulling, and output for CI and for people, on the lab: --registry after new content
// is pushed to a tag (every host stale) and in sync after a reboot; GitHub annotations and the job summary;
// colour on a terminal only; progress on stderr during a reboot while stdout stays one JSON document.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { hostDocker, labNet, registry } from '../lab/lab-info.mjs'
import { HOST1, HOST2, HOST3, REPO, berth, labSsh, project, re, useLab } from './support.ts'
import { shellJoin } from '../../lib/remote/quote.ts'

const TAG = `${registry()}/rolling:1`

/** Points the lab registry's `rolling:1` at the content of `source` (pushed from HOST3's engine, never pulled elsewhere). */
async function pushAs(source: string) {
  assert.is((await hostDocker(HOST3, ['pull', `${registry()}/${source}`])).exitCode, 0)
  assert.is((await hostDocker(HOST3, ['tag', `${registry()}/${source}`, TAG])).exitCode, 0)
  const pushed = await hostDocker(HOST3, ['push', TAG])
  assert.is(pushed.exitCode, 0, pushed.stderr)
}

const config = () => ({
  service: 'ci',
  image: 'ci/app',
  ssh: labSsh(),
  accessories: { cache: { image: TAG, hosts: [HOST1, HOST2] } },
})

useLab(test)

test('--registry: new content pushed to the tag makes every host stale (check, boot, details); a reboot brings them in sync', async () => {
  await pushAs('redis:7')
  const dir = project(config())
  assert.is((await berth('boot', ['all'], { cwd: dir })).code, 0)
  assert.is((await berth('check', ['all', '--registry'], { cwd: dir })).code, 0)
  await pushAs('redis:8')
  const plain = await berth('check', ['all'], { cwd: dir })
  assert.is(plain.code, 0, 'without --registry nothing on the hosts differs')
  for (const verb of ['check', 'boot', 'details']) {
    const r = await berth(verb, ['all', '--registry'], { cwd: dir })
    assert.is(r.code, 2, `${verb}: ${r.stdout}${r.stderr}`)
    for (const host of [HOST1, HOST2])
      assert.ok(
        r.stdout.includes(`drifted on ${host} (the registry has another image for ${TAG}`),
        `${verb} ${host}: ${r.stdout}`,
      )
  }
  const json = JSON.parse((await berth('check', ['all', '--registry', '--json'], { cwd: dir })).stdout)
  assert.equal(
    json.results.map((r: { drift: Array<{ kind: string }> }) => r.drift.map((d) => d.kind)),
    [['registry'], ['registry']],
  )
  const reboot = await berth('reboot', ['all', '--drifted', '--registry', '-y'], { cwd: dir })
  assert.is(reboot.code, 0, reboot.stdout + reboot.stderr)
  assert.match(reboot.stdout, /2 rebooted/)
  assert.is((await berth('check', ['all', '--registry'], { cwd: dir })).code, 0)
})

test('a registry that cannot be reached is an error for those accessories (exit 1), not drift', async () => {
  const dir = project({
    service: 'ci',
    image: 'ci/app',
    ssh: labSsh(),
    accessories: { cache: { image: '127.0.0.1:1/nothing:1', hosts: [HOST1] } },
  })
  const r = await berth('check', ['all', '--registry'], { cwd: dir })
  assert.is(r.code, 1, r.stdout)
  assert.match(
    r.stdout,
    /could not ask the registry for 127\.0\.0\.1:1\/nothing:1: could not reach http:\/\/127\.0\.0\.1:1/,
  )
})

type Breakage = 'none' | 'head-without-digest-then-500' | 'html-200' | 'upper-case-digest' | 'malformed-digest'

/**
 * A registry in front of the lab's, on the lab's loopback block: it passes every request through, except that
 * a manifest's HEAD and GET break the way `mode` says (docker pulls through it as from any registry).
 */
async function brokenRegistry(): Promise<{ address: string; mode: (m: Breakage) => void; close: () => void }> {
  let mode: Breakage = 'none'
  const [upstreamHost, upstreamPort] = registry().split(':') as [string, string]
  const server = createServer((req, res) => {
    const manifest = /\/manifests\//.test(req.url ?? '')
    if (manifest && mode !== 'none' && req.method === 'GET' && mode === 'head-without-digest-then-500')
      return void res.writeHead(500, { 'content-type': 'text/html' }).end('<html><h1>502 Bad Gateway</h1></html>\n')
    if (manifest && mode === 'html-200' && req.method === 'GET')
      return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Sign in</title>\n')
    const upstream = request(
      { host: upstreamHost, port: upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const headers = { ...answer.headers }
        if (manifest && req.method === 'HEAD') {
          const digest = headers['docker-content-digest'] as string | undefined
          if (mode === 'head-without-digest-then-500' || mode === 'html-200') delete headers['docker-content-digest']
          if (mode === 'upper-case-digest' && digest) headers['docker-content-digest'] = digest.toUpperCase()
          if (mode === 'malformed-digest') headers['docker-content-digest'] = 'sha256:<html>'
        }
        res.writeHead(answer.statusCode ?? 502, headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, `${labNet()}.20`, resolve))
  return {
    address: `${labNet()}.20:${(server.address() as AddressInfo).port}`,
    mode: (m) => void (mode = m),
    close: () => void server.close(),
  }
}

test('--registry: a registry that answers with no manifest is an error (exit 1) naming what came back, never drift', async () => {
  const broken = await brokenRegistry()
  try {
    const tag = `${broken.address}/redis:7`
    const dir = project({
      service: 'ci',
      image: 'ci/app',
      ssh: labSsh(),
      accessories: { cache: { image: tag, hosts: [HOST1] } },
    })
    const boot = await berth('boot', ['all'], { cwd: dir })
    assert.is(boot.code, 0, boot.stdout + boot.stderr)
    const healthy = await berth('check', ['all', '--registry'], { cwd: dir })
    assert.is(healthy.code, 0, healthy.stdout + healthy.stderr)
    const url = `http://${broken.address}/v2/redis/manifests/7`
    for (const [mode, what] of [
      ['head-without-digest-then-500', `answered the manifest's GET with 500 ("text/html", 38 bytes starting "<html>`],
      ['html-200', `answered the manifest's GET with 200 ("text/html", 38 bytes starting "<!doctype html>`],
      ['malformed-digest', `sent "sha256:<html>" as the manifest's digest, which is not algorithm:hex`],
    ] as const) {
      broken.mode(mode)
      const r = await berth('check', ['all', '--registry'], { cwd: dir })
      assert.is(r.code, 1, `${mode}: ${r.stdout}${r.stderr}`)
      assert.match(r.stdout, new RegExp(re(`could not ask the registry for ${tag}: ${url} ${what}`)), mode)
      assert.not.match(r.stdout, /drifted/, mode)
      const json = JSON.parse((await berth('check', ['all', '--registry', '--json'], { cwd: dir })).stdout)
      assert.equal([json.exitCode, json.results[0].verdict], [1, 'unreachable'], mode)
    }
    broken.mode('upper-case-digest')
    const upper = await berth('check', ['all', '--registry'], { cwd: dir })
    assert.is(upper.code, 0, `the same digest in upper case is no drift: ${upper.stdout}`)
  } finally {
    broken.close()
  }
})

test('GitHub Actions: annotations on stderr, a table in the job summary, stdout still one JSON document', async () => {
  await pushAs('redis:7')
  const dir = project(config())
  await berth('boot', ['all'], { cwd: dir })
  await pushAs('redis:8')
  const summary = path.join(mkdtempSync(path.join(tmpdir(), 'berth-gh-')), 'summary.md')
  const r = await berth('check', ['all', '--registry', '--json'], {
    cwd: dir,
    env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
  })
  assert.is(r.code, 2)
  assert.is(JSON.parse(r.stdout).exitCode, 2)
  const annotations = r.stderr.split('\n').filter((l) => l.startsWith('::'))
  assert.is(annotations.length, 2, r.stderr)
  assert.ok(
    annotations[0]!.startsWith(`::warning title=berth check%3A cache on ${HOST1}::Accessory \`cache\` has drifted`),
    annotations[0],
  )
  const table = readFileSync(summary, 'utf8')
  assert.ok(table.startsWith('### berth check: exit 2'), table)
  assert.ok(table.includes(`| cache | ${HOST2} | drift |`), table)
  const quietCi = await berth('check', ['all'], { cwd: project(config()) })
  assert.not.match(quietCi.stderr, /^::/m, 'no annotations outside GitHub Actions')
})

test('GitHub Actions: no value, log line or remote output starts a workflow command; only annotations do', async () => {
  // Values with a newline and then a workflow command, as an ERB `ENV[…]` (a branch name, a PR title) gives them.
  const inject = (what: string) => `${what}\n::error::${what}\n::add-mask::${what}\n::stop-commands::${what}`
  const dir = project({
    service: 'ci',
    image: 'ci/app',
    ssh: labSsh(),
    accessories: {
      cache: {
        image: `${registry()}/redis:7`,
        hosts: [HOST1],
        env: { clear: { BRANCH: inject('env'), TITLE: `pr\r::warning::carriage` } },
        labels: { pr: inject('label') },
        // The container's own log lines try it too (printed by `logs`); the shell never reaches the last line.
        cmd: `sh -c 'echo ::add-mask::from-the-log; echo "  ::error::indented"; echo "x ##[error]old form"; exec sleep 1000\n::warning::cmd'`,
      },
    },
  })
  const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: undefined }
  const runs: Array<[string, string[]]> = [
    ['config', ['all']],
    ['boot', ['all', '--dry-run']],
    ['boot', ['all', '-v']],
    ['details', ['all', '-v']],
    ['check', ['all', '-v']],
    ['logs', ['all', '-v']],
    ['reboot', ['all', '--dry-run', '-v']],
    ['exec', ['cache', '-v', '--', 'sh', '-c', `echo 'out\n::error::exec'; echo '::add-mask::exec-stderr' >&2`]],
  ]
  const own = /^::(warning|error) title=berth [a-z]+%3A /
  const seen: string[] = []
  for (const [verb, args] of runs) {
    const r = await berth(verb, args, { cwd: dir, env })
    assert.ok([0, 2].includes(r.code), `${verb} ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`)
    for (const line of `${r.stdout}\n${r.stderr}`.split(/\r\n|\r|\n/)) {
      if (line.trimStart().startsWith('::')) assert.match(line, own, `${verb}: a line that is not berth's annotation`)
      assert.not.ok(line.includes('##['), `${verb}: ${line}`)
    }
    seen.push(r.stdout + r.stderr)
  }
  const [config, dryBoot, boot, , , logs, , exec] = seen
  // The values are there, as the shell quotes them: ANSI-C quoting for the newline, nothing left raw.
  assert.ok(config!.includes(`--env 'BRANCH=env'$'\\n''::error::env'$'\\n''::add-mask::env'`), config)
  assert.ok(config!.includes(`--label 'pr=label'$'\\n''::error::label'`), config)
  assert.ok(config!.includes(`--env 'TITLE=pr'$'\\r''::warning::carriage'`), config)
  assert.ok(dryBoot!.includes(`exec sleep 1000'$'\\n''::warning::cmd'`), dryBoot)
  assert.match(boot!, /\[[\d.]+\] docker run .*--label 'pr=label'\$'\\n''::error::label'/)
  // What a container or a command prints is escaped as GitHub escapes command data.
  // (`logs` puts docker's timestamp first: only the older form, anywhere in a line, needs escaping there.)
  assert.match(logs!, /Z ::add-mask::from-the-log\n/)
  assert.ok(logs!.includes('x ##%5Berror]old form'), logs)
  assert.ok(exec!.includes('%3A:error::exec') && exec!.includes('%3A:add-mask::exec-stderr'), exec)
})

/** Runs a script on a pseudo-terminal with the given environment; returns what the terminal showed. */
function onPty(script: string, args: string[], cwd: string, env: Record<string, string | undefined>): Promise<string> {
  const line = shellJoin([
    process.execPath,
    path.join(REPO, 'node_modules/zx/build/cli.js'),
    path.join(REPO, `scripts/${script}.mjs`),
    ...args,
  ])
  const childEnv: Record<string, string> = {}
  for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) childEnv[k] = v
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', line, '/dev/null'], {
      cwd,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.on('close', () => resolve(out))
  })
}

test('colour on a terminal; none with NO_COLOR, and none when piped', async () => {
  const dir = project(config())
  const { FORCE_COLOR: _unset, ...env } = process.env
  void _unset
  const coloured = await onPty('accessory-check', ['all'], dir, { ...env, FORCE_COLOR: undefined })
  assert.match(coloured, /\u001b\[33mAccessory `cache` has no container/)
  const noColour = await onPty('accessory-check', ['all'], dir, { ...env, FORCE_COLOR: undefined, NO_COLOR: '1' })
  assert.match(noColour, /Accessory `cache` has no container/)
  assert.not.match(noColour, /\u001b\[/)
  // Piped (stdout not a terminal), with neither NO_COLOR nor FORCE_COLOR set.
  const { spawnSync } = await import('node:child_process')
  const pipedEnv = { ...process.env }
  delete pipedEnv.FORCE_COLOR
  delete pipedEnv.NO_COLOR
  const piped = spawnSync(
    process.execPath,
    [path.join(REPO, 'node_modules/zx/build/cli.js'), path.join(REPO, 'scripts/accessory-check.mjs'), 'all'],
    { cwd: dir, env: pipedEnv, encoding: 'utf8' },
  )
  assert.match(piped.stdout, /Accessory `cache` has no container/)
  assert.not.match(piped.stdout, /\u001b\[/)
})

test('a reboot says what it does on stderr as it happens; with --json stdout is still one JSON document', async () => {
  await pushAs('redis:7')
  const dir = project(config())
  await berth('boot', ['all'], { cwd: dir })
  const r = await berth('reboot', ['cache', '-y', '--json', '--hosts', HOST1], { cwd: dir })
  assert.is(r.code, 0, r.stdout + r.stderr)
  assert.is(JSON.parse(r.stdout).entries[0].outcome, 'rebooted')
  for (const step of [
    `berth: ${HOST1}: pull ${TAG}…`,
    `berth: ${HOST1}: creating the new ci-cache container beside the old one…`,
    `berth: ${HOST1}: swapping ci-cache for the new container…`,
    `berth: ${HOST1}: checking that the new container stays up`,
  ]) {
    assert.ok(r.stderr.includes(step), `${step}\n${r.stderr}`)
  }
  const quiet = await berth('reboot', ['cache', '-y', '-q', '--hosts', HOST1], { cwd: dir })
  assert.not.match(quiet.stderr, /berth: .*…/)
})

test.run()
