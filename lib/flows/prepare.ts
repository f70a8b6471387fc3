// What a host needs before an accessory's container is created there, in Kamal's order: network, registry
// login, directories, files, env file. Boot and reboot both start with these steps.
import type { Accessory } from '../config/model.ts'
import {
  createNetwork,
  envFileContent,
  makeDirectory,
  networkNeedsCreating,
  registryLogin,
  writeFile,
} from '../docker/commands.ts'
import type { CommandResult } from '../remote/transport.ts'
import type { Step, StepEngine, StepsResult } from './engine.ts'

const alreadyExists = (result: CommandResult) => /already exists/i.test(result.stderr)

/** Marks a registry login as done on a host, so later steps on that host skip it. */
export function loginStepKey(login: { server?: string; username: string }): string {
  return `login:${login.server ?? ''}:${login.username}`
}

export function loginStep(login: NonNullable<Accessory['registryLogin']>): Step {
  return {
    description: `log in to ${login.server ?? 'Docker Hub'}`,
    command: registryLogin(login),
    oncePerHost: loginStepKey(login),
  }
}

/** Everything a container needs on the host before it is created; the env file is always rewritten. */
export function prepareSteps(accessory: Accessory): Step[] {
  const steps: Step[] = []
  if (networkNeedsCreating(accessory.network)) {
    steps.push({
      description: `create network ${accessory.network}`,
      command: createNetwork(accessory.network),
      oncePerHost: `network:${accessory.network}`,
      tolerate: alreadyExists,
    })
  }
  if (accessory.registryLogin) steps.push(loginStep(accessory.registryLogin))
  for (const directory of accessory.directories) {
    steps.push({ description: `create directory ${directory.path}`, command: makeDirectory(directory) })
  }
  for (const file of accessory.files) {
    steps.push({
      description: `upload ${file.source} to ${file.remotePath}`,
      command: writeFile(file.remotePath, file.content, file.mode, file.owner),
    })
  }
  steps.push({
    description: `write env file ${accessory.envFile}`,
    command: writeFile(accessory.envFile, envFileContent(accessory.envSecret), '600'),
  })
  return steps
}

/**
 * The prepare steps on one host, the network step beside the others (they never touch it, nor it them):
 * one round trip fewer before the new container is created. The others keep their order; a failure is
 * reported as the sequential run would have met it first (network first).
 */
export async function runPrepareSteps(
  engine: StepEngine,
  host: string,
  accessory: Accessory,
  done: Set<string>,
): Promise<StepsResult> {
  const steps = prepareSteps(accessory)
  const isNetwork = (step: Step) => step.oncePerHost?.startsWith('network:') === true
  const network = steps.filter(isNetwork)
  if (network.length === 0) return engine.steps(host, steps, done)
  const [first, rest] = await Promise.all([
    engine.steps(host, network, done),
    engine.steps(
      host,
      steps.filter((s) => !isNetwork(s)),
      done,
    ),
  ])
  if (!first.ok) return first
  if (!rest.ok)
    return { ...rest, completed: rest.completed + network.length, results: [...first.results, ...rest.results] }
  return { ok: true, results: [...first.results, ...rest.results] }
}
