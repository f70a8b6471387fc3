// `--shard K/N` on the lab: `check all --shard 1/2` and `2/2` read disjoint halves that together are every host
// of `check all`, their documents merged by scripts/merge-check-shards.mjs give the unsharded verdict (exit code
// and results), and a verb that changes hosts refuses --shard (64) without touching any host.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Ajv } from 'ajv'
import {
  DOWN_HOST,
  HOST1,
  HOST2,
  HOST3,
  REPO,
  SECRETS,
  berth,
  bootedProject,
  hostSnapshot,
  threeAccessories,
  useLab,
  writeConfig,
  type RunResult,
} from './support.ts'

const schema = JSON.parse(readFileSync(path.join(REPO, 'schemas/check.schema.json'), 'utf8'))
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema)

interface Result {
  accessory: string
  host: string
  [key: string]: unknown
}

/** `check all --json` with extra flags: its exit code and its document, valid against the published schema. */
async function check(dir: string, extra: string[] = []) {
  const r = await berth('check', ['all', '--json', ...extra], { cwd: dir })
  const doc = JSON.parse(r.stdout)
  assert.ok(validate(doc) as boolean, `${extra.join(' ')}: ${JSON.stringify(validate.errors)}`)
  return { code: r.code, doc, stdout: r.stdout }
}

/** The merge script on the shards' documents, as the workflow's last job runs it (plain node). */
function merge(stdouts: string[]): Promise<RunResult & { summary: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-shards-'))
  const files = stdouts.map((_, i) => path.join(dir, `check-${i + 1}.json`))
  stdouts.forEach((text, i) => writeFileSync(files[i]!, text))
  const summary = path.join(dir, 'summary.md')
  writeFileSync(summary, '')
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'scripts/merge-check-shards.mjs'), ...files], {
      env: { PATH: process.env.PATH, GITHUB_STEP_SUMMARY: summary },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, summary: readFileSync(summary, 'utf8') }))
  })
}

const hostsOf = (doc: { results: Result[] }) => [...new Set(doc.results.map((r) => r.host))].sort()
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
/** The unsharded results in the merge's order (by accessory, then host): config order is not in the documents. */
const sorted = (results: Result[]) =>
  [...results].sort((a, b) => byText(a.accessory, b.accessory) || byText(a.host, b.host))

/** The shards of `check all` are disjoint halves of its hosts, and their merge is its verdict. */
async function assertShardsMergeToWhole(dir: string, expectedCode: number) {
  const whole = await check(dir)
  assert.is(whole.code, expectedCode, whole.stdout)
  const halves = [await check(dir, ['--shard', '1/2']), await check(dir, ['--shard', '2/2'])]
  halves.forEach((half, i) => assert.equal(half.doc.shard, { index: i + 1, count: 2 }))
  const [one, two] = halves.map((half) => hostsOf(half.doc))
  assert.ok(one!.length > 0 && two!.length > 0, `both halves hold hosts: ${one} | ${two}`)
  assert.equal(
    one!.filter((h) => two!.includes(h)),
    [],
    'disjoint',
  )
  assert.equal([...one!, ...two!].sort(), hostsOf(whole.doc), 'together every host of check all')
  const merged = await merge(halves.map((half) => half.stdout))
  const doc = JSON.parse(merged.stdout)
  assert.ok(validate(doc) as boolean, JSON.stringify(validate.errors))
  assert.is(merged.code, whole.code, merged.stderr)
  assert.is(doc.exitCode, whole.doc.exitCode)
  assert.equal(doc.summary, whole.doc.summary)
  assert.equal(doc.results, sorted(whole.doc.results))
  assert.match(merged.summary, new RegExp(`^### berth check, 2 shards merged: exit ${whole.code} `))
  return doc
}

useLab(test)

test('check all --shard 1/2 and 2/2: disjoint, every host, merged to the unsharded drift verdict (2)', async () => {
  const dir = await bootedProject(threeAccessories(), SECRETS)
  writeConfig(dir, threeAccessories({ cache: 'redis:8' }))
  const doc = await assertShardsMergeToWhole(dir, 2)
  const drifted = doc.results
    .filter((r: Result) => r.verdict === 'drift')
    .map((r: Result) => `${r.accessory}@${r.host}`)
  assert.equal(drifted, [`cache@${HOST3}`])
})

test('with a host down, the shards merge to the unsharded failure (1), the host unreachable in one shard', async () => {
  const dir = await bootedProject(threeAccessories(), SECRETS)
  const config = threeAccessories()
  config.accessories.search.hosts = [HOST1, HOST2, HOST3, DOWN_HOST]
  writeConfig(dir, config)
  const doc = await assertShardsMergeToWhole(dir, 1)
  const down = doc.results.filter((r: Result) => r.verdict === 'unreachable').map((r: Result) => r.host)
  assert.equal(down, [DOWN_HOST])
})

test('a lost shard is no verdict: merging 1/2 alone fails (1), naming the shard that sent nothing', async () => {
  const dir = await bootedProject(threeAccessories(), SECRETS)
  const merged = await merge([(await check(dir, ['--shard', '1/2'])).stdout])
  assert.is(merged.code, 1)
  assert.match(JSON.parse(merged.stdout).error.message, /Shard 2\/2 sent no check document/)
})

test('boot all --shard 1/2 is a usage error (64) naming the deploy lock, and no host is touched', async () => {
  const dir = await bootedProject(threeAccessories(), SECRETS)
  writeConfig(dir, threeAccessories({ cache: 'redis:8' }))
  const before = await Promise.all([HOST1, HOST2, HOST3].map(hostSnapshot))
  const r = await berth('boot', ['all', '--shard', '1/2'], { cwd: dir })
  assert.is(r.code, 64, r.stdout + r.stderr)
  assert.match(r.stderr, /accessory-boot changes hosts under Kamal's deploy lock, which one run per config takes/)
  assert.equal(await Promise.all([HOST1, HOST2, HOST3].map(hostSnapshot)), before)
})

test.run()
