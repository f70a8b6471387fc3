// Accessories behind kamal-proxy: Kamal's deploy options, kamal-proxy's `list` read back, route drift, and the
// kamal-proxy steps of each verb.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { resolveProxy } from '../../../lib/config/accessory-proxy.ts'
import type { ObservedContainer } from '../../../lib/docker/inspect.ts'
import { parseHostInspection } from '../../../lib/docker/inspect.ts'
import { inspectHost } from '../../../lib/docker/accessory-commands.ts'
import { parseProxyList, parseProxyView, proxyDeploy, proxyRemove } from '../../../lib/docker/proxy-commands.ts'
import { compareProxy } from '../../../lib/drift/proxy-drift.ts'
import { judge } from '../../../lib/drift/verdicts.ts'
import { actionSteps, planAction } from '../../../lib/flows/lifecycle.ts'
import { planRemove } from '../../../lib/flows/remove-plan.ts'
import { NEW_ID, plannedCommands, planReboot } from '../../../lib/flows/reboot-plan.ts'
import { shellJoin } from '../../../lib/remote/quote.ts'
import { fixCommand } from '../../../lib/report/messages.ts'
import { deploymentFrom } from '../../support/deployment.ts'
import { shellWords } from '../../support/shell-words.ts'

const deployment = deploymentFrom({
  service: 'shop',
  image: 'shop',
  accessories: {
    web: { image: 'nginx:1', host: 'h1', proxy: { host: 'web.example.test', app_port: 8080 } },
    db: { image: 'postgres:17', host: 'h1' },
  },
})
const web = deployment.accessories[0]!
const db = deployment.accessories[1]!
const container = (over: Partial<ObservedContainer> = {}): ObservedContainer => ({
  id: 'a1b2c3d4e5f6a7b8c9d0',
  name: 'shop-web',
  image: 'nginx:1',
  imageId: 'sha256:1',
  state: 'running',
  service: 'shop-web',
  labels: {},
  ...over,
})
const E = '\x1b'
const cell = (style: string, text: string, width: number) =>
  `${E}[${style}m${text}${E}[0m${' '.repeat(width - text.length + 2)}`

test("deploy options: Kamal's order and defaults, as its integration app's netcat accessory gets them", async () => {
  // Kamal's test/integration/docker/deployer/app_with_proxied_accessory: drain_timeout 2, a health check
  const proxy = resolveProxy(
    { host: 'netcat', ssl: false, healthcheck: { interval: 1, timeout: 1, path: '/' } },
    { service: 'app_with_proxied_accessory', drain_timeout: 2 },
  )!
  const kamal =
    '--host="netcat" --deploy-timeout="30s" --drain-timeout="2s" --health-check-interval="1s" ' +
    '--health-check-timeout="1s" --health-check-path="/" --buffer-requests --buffer-responses ' +
    '--log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"'
  assert.equal(proxy.deployOptions, (await shellWords(`docker ${kamal}`)).slice(1))
  assert.is(proxy.appPort, '80')
  assert.equal([proxy.hosts, proxy.pathPrefixes, proxy.tls], [['netcat'], [], false])
})

test('deploy options: every key of proxy.yml in its place; false is a value, nil and false-y defaults are left out', () => {
  const proxy = resolveProxy(
    {
      hosts: ['a.test', 'b.test'],
      ssl: { certificate_pem: 'CERT', private_key_pem: 'KEY' },
      app_port: 3000,
      response_timeout: 600,
      buffering: { requests: false, memory: 2000, max_request_body: 40 },
      path_prefix: 'api,/v2',
      strip_path_prefix: false,
      forward_headers: true,
      ssl_redirect: false,
      logging: { request_headers: [], response_headers: ['X-Id'] },
    },
    { service: 'shop', destination: 'staging', deploy_timeout: 90 },
  )!
  assert.equal(proxy.deployOptions, [
    '--host=a.test',
    '--host=b.test',
    '--tls',
    '--tls-certificate-path=/home/kamal-proxy/.apps-config/shop-staging/tls/cert.pem',
    '--tls-private-key-path=/home/kamal-proxy/.apps-config/shop-staging/tls/key.pem',
    '--deploy-timeout=90s',
    '--drain-timeout=30s',
    '--target-timeout=600s',
    '--buffer-requests=false',
    '--buffer-responses',
    '--buffer-memory=2000',
    '--max-request-body=40',
    '--path-prefix=api',
    '--path-prefix=/v2',
    '--strip-path-prefix=false',
    '--forward-headers',
    '--tls-redirect=false',
    '--log-response-header=X-Id',
  ])
  assert.equal([proxy.appPort, proxy.tls], ['3000', true])
  assert.is(resolveProxy(undefined, { service: 'shop' }), undefined)
})

test('deploy and remove: `docker exec kamal-proxy kamal-proxy …`; a hostile value stays one word', async () => {
  const deploy = shellJoin(proxyDeploy(web as typeof web & { proxy: object }, 'a1b2c3d4e5f6').argv)
  assert.equal(
    await shellWords(deploy),
    await shellWords(
      'docker exec kamal-proxy kamal-proxy deploy shop-web --target="a1b2c3d4e5f6:8080" --host="web.example.test" ' +
        '--deploy-timeout="30s" --drain-timeout="30s" --buffer-requests --buffer-responses ' +
        '--log-request-header="Cache-Control" --log-request-header="Last-Modified" --log-request-header="User-Agent"',
    ),
  )
  assert.is(shellJoin(proxyRemove(web).argv), 'docker exec kamal-proxy kamal-proxy remove shop-web')
  const hostile = resolveProxy({ host: '$(touch x) `y` "q"', healthcheck: { path: '/a b' } }, { service: 's' })!
  const words = await shellWords(shellJoin(proxyDeploy({ ...web, proxy: hostile }, 'id').argv))
  assert.ok(words.includes('--host=$(touch x) `y` "q"'))
  assert.ok(words.includes('--health-check-path=/a b'))
})

test("kamal-proxy's list table: styled cells, sorted rows, `*` for every host, with or without the escapes", () => {
  const table = [
    ['Service', 'Host', 'Path', 'Target', 'State', 'TLS'],
    ['shop-api', '*', '/api,/v2', 'c0ffee000000:3000', 'running', 'no'],
    ['shop-web', 'a.test,b.test', '/', 'a1b2c3d4e5f6:8080', 'paused', 'yes'],
  ]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
  const styled = table
    .map((row, r) => row.map((c, i) => cell(r === 0 ? '3;94' : i === 0 ? '1;34' : '', c, widths[i]!)).join(''))
    .join('\n')
  const expected = [
    {
      service: 'shop-api',
      hosts: [],
      paths: ['/api', '/v2'],
      targets: ['c0ffee000000:3000'],
      state: 'running',
      tls: false,
    },
    {
      service: 'shop-web',
      hosts: ['a.test', 'b.test'],
      paths: ['/'],
      targets: ['a1b2c3d4e5f6:8080'],
      state: 'paused',
      tls: true,
    },
  ]
  assert.equal(parseProxyList(`${styled}\n`), expected)
  assert.equal(parseProxyList(styled.replace(/\x1b\[[0-9;]*m/g, '')), expected)
  assert.equal(parseProxyList(cell('3;94', 'Service', 7) + cell('3;94', 'Host', 4) + '\n'), [])
  assert.equal(parseProxyList(''), [])
})

test("the round trip's kamal-proxy part: its list, or docker's error when kamal-proxy does not run", () => {
  assert.equal(parseProxyView('exit 0\n'), { running: true, services: [] })
  assert.equal(parseProxyView('exit 1\nError response from daemon: No such container: kamal-proxy\n'), {
    running: false,
    error: 'Error response from daemon: No such container: kamal-proxy',
  })
  assert.equal(parseProxyView('exit 126\n'), {
    running: false,
    error: '`docker exec kamal-proxy kamal-proxy list` exit 126',
  })
  const inspected = parseHostInspection({
    exitCode: 0,
    stdout: '\n@@berth-images@@\n@@berth-kamal-proxy@@\nexit 1\nError: container kamal-proxy is not running\n',
    stderr: '',
  })
  assert.equal(inspected, {
    containers: [],
    images: [],
    proxy: { running: false, error: 'Error: container kamal-proxy is not running' },
  })
  // only hosts of proxied accessories are asked
  assert.not.match(inspectHost([]).argv.join(' '), 'kamal-proxy')
  assert.match(inspectHost([], true).argv.join(' '), 'docker exec kamal-proxy kamal-proxy list')
})

test('route drift: missing, another target, other hosts, paths or TLS; none while stopped or in sync', () => {
  const route = (over: object = {}) => ({
    running: true as const,
    services: [
      {
        service: 'shop-web',
        hosts: ['web.example.test'],
        paths: ['/'],
        targets: ['a1b2c3d4e5f6:8080'],
        state: 'running',
        tls: false,
        ...over,
      },
    ],
  })
  assert.is(compareProxy(web, container(), route()), undefined)
  assert.equal(compareProxy(web, container(), { running: true, services: [] }), {
    kind: 'proxy',
    reasons: ['kamal-proxy does not route shop-web'],
  })
  assert.equal(compareProxy(web, container(), route({ targets: ['0123456789ab:8080'] }))?.reasons, [
    'kamal-proxy routes shop-web to 0123456789ab:8080, not a1b2c3d4e5f6:8080',
  ])
  assert.equal(compareProxy(web, container(), route({ hosts: [], paths: ['/api'], tls: true }))?.reasons, [
    'proxy host * → web.example.test',
    'proxy path /api → /',
    'proxy TLS on → off',
  ])
  assert.is(compareProxy(web, container({ state: 'stopped' }), { running: true, services: [] }), undefined)
  assert.is(compareProxy(db, container(), { running: true, services: [] }), undefined)
})

test('no kamal-proxy on a host: its proxied accessories are an error there (with the fix), the others are judged', () => {
  const down = {
    ok: true as const,
    containers: [],
    proxy: { running: false as const, error: 'No such container: kamal-proxy' },
  }
  const verdict = judge(web, 'h1', down)
  assert.is(verdict.kind, 'unreachable')
  assert.match(verdict.kind === 'unreachable' ? verdict.error : '', /does not answer on h1 .*`kamal proxy boot`/)
  assert.is(judge(db, 'h1', down).kind, 'missing')
})

test("each verb's kamal-proxy step: route after start and restart, unroute after stop and before a remove", () => {
  const found = {
    kind: 'in_sync' as const,
    accessory: web,
    host: 'h1',
    container: container(),
    leftovers: [],
    repoDigests: [],
    notCompared: [],
  }
  const commands = (action: 'start' | 'stop' | 'restart', c = container()) =>
    actionSteps(action, { ...found, container: c }, planAction(action, c)).map((s) => shellJoin(s.command.argv))
  const route = shellJoin(proxyDeploy(web as typeof web & { proxy: object }, 'a1b2c3d4e5f6').argv)
  assert.equal(commands('start', container({ state: 'stopped' })), ['docker container start shop-web', route])
  assert.equal(commands('restart'), ['docker container stop shop-web && docker container start shop-web', route])
  assert.equal(commands('stop'), [
    'docker container stop shop-web',
    'docker exec kamal-proxy kamal-proxy remove shop-web',
  ])
  assert.equal(commands('start'), [], 'a running, routed accessory: nothing to do')
  const drifted = { ...found, kind: 'drift' as const, findings: [{ kind: 'proxy' as const, reasons: ['x'] }] }
  assert.equal(
    actionSteps('start', drifted, planAction('start', container())).map((s) => shellJoin(s.command.argv)),
    [route],
    'a running accessory whose route drifted is routed again',
  )
  const remove = planRemove(web, [container()], { image: false, directory: false, volumes: false })
  assert.equal(
    remove.steps.map((s) => shellJoin(s.command.argv)),
    [
      'docker container stop a1b2c3d4e5f6',
      'docker exec kamal-proxy kamal-proxy remove shop-web',
      'docker container rm --force a1b2c3d4e5f6',
    ],
  )
  assert.ok(remove.steps[1]!.tolerate!({ exitCode: 1, stdout: '', stderr: 'Error: service not found\n' }))
  assert.equal(
    actionSteps('stop', { ...found, accessory: db }, planAction('stop', container())).map((s) => s.description),
    ['stop shop-web'],
  )
})

test('reboot plan: kamal-proxy is pointed at the new container right after the swap, before the old one goes', () => {
  const plan = planReboot(web, 'h1', deployment.loggingArgs, container(), 'STAMP')
  const listed = plannedCommands([plan]).get(plan)!
  const swap = listed.findIndex((c) => c.includes('docker rename'))
  assert.match(listed[swap + 1]!, `docker exec kamal-proxy kamal-proxy deploy shop-web --target=${NEW_ID}:8080`)
  assert.match(listed[swap + 2]!, 'docker container rm --force a1b2c3d4e5f6')
  assert.is(planReboot(db, 'h1', deployment.loggingArgs, undefined, 'STAMP').route, undefined)
})

test('the fix for a route that drifted alone is a start; with any other drift, the reboot', () => {
  const entry = {
    accessory: 'web',
    service: 'shop-web',
    host: 'h1',
    configuredImage: 'nginx:1',
    found: 'drift' as const,
    drift: [{ kind: 'proxy' as const, reasons: ['kamal-proxy does not route shop-web'] }],
  }
  const context = { accessoryHosts: new Map([['web', ['h1']]]) }
  assert.is(fixCommand(entry, context), 'npx zx scripts/accessory-start.mjs web --hosts h1')
  assert.is(
    fixCommand({ ...entry, drift: [...entry.drift, { kind: 'config' as const, reasons: ['x'] }] }, context),
    'npx zx scripts/accessory-reboot.mjs web',
  )
})

test.run()
