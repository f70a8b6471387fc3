// Patterns from real Kamal projects that Kamal 2.12 accepts (issue 20, section 1): each fixture under
// test/fixtures/config/<pattern>/ loads, means what it means to Kamal, and gives Kamal's `docker run` argv.
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ConfigError, loadConfig } from '../../lib/config/load.ts'
import { resolveDeployment, type Deployment } from '../../lib/config/model.ts'
import { envFileContent, runAccessory } from '../../lib/docker/commands.ts'
import { shellJoin } from '../../lib/remote/quote.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/config/', import.meta.url))

async function deploymentOf(fixture: string, destination?: string): Promise<Deployment> {
  const cwd = path.join(FIXTURES, fixture)
  const loaded = await loadConfig({ cwd, env: {}, ...(destination ? { destination } : {}) })
  return resolveDeployment(loaded, { cwd, env: {} })
}

async function problemsOf(fixture: string, destination?: string): Promise<string[]> {
  try {
    await deploymentOf(fixture, destination)
  } catch (e) {
    if (e instanceof ConfigError) return e.problems
    throw e
  }
  return []
}

/** The argv berth runs, as the words the remote shell sees. */
function runWords(deployment: Deployment, name: string, host: string): string {
  const accessory = deployment.accessories.find((a) => a.name === name)!
  return shellJoin(runAccessory(accessory, host, deployment.loggingArgs).argv)
}

test('env names with "." and "-": accepted, passed with --env and in the env file as Kamal writes them', async () => {
  assert.equal(await problemsOf('env-names'), [])
  const deployment = await deploymentOf('env-names')
  const search = deployment.accessories[0]!
  assert.equal(search.envClear, [
    ['cluster.mode', 'solo'],
    ['http-listen.addr', ':9400'],
    ['plain_name', 'yes-plain'],
  ])
  // Kamal: argumentize("--env", clear), then --env-file with `key=value` lines (Kamal::EnvFile)
  assert.is(
    runWords(deployment, 'search', '10.7.0.4'),
    'docker run --name shop-search --detach --restart unless-stopped --network kamal --log-opt max-size=10m ' +
      '--env KAMAL_HOST=10.7.0.4 --env cluster.mode=solo --env http-listen.addr=:9400 --env plain_name=yes-plain ' +
      '--env-file .kamal/apps/shop/env/accessories/search.env --label service=shop-search search:1',
  )
  assert.is(envFileContent(search.envSecret), 'api.token=tok-123\nadmin-pass=s3cret\n')
})

test.run()
