// What a host needs before an accessory's container is created there, in Kamal's order: network, registry
// login, directories, files, env file. Boot and reboot both start with these steps.
import type { Accessory } from '../config/accessory.ts'
import {
  createNetwork,
  envFileContent,
  makeDirectory,
  networkNeedsCreating,
  registryLogin,
  writeFile,
} from '../docker/accessory-commands.ts'
import type { CommandResult } from '../remote/transport.ts'
import type { Step } from './engine.ts'

const alreadyExists = (result: CommandResult) => /already exists/i.test(result.stderr)

/** Marks a registry login as done on a host, so later steps on that host skip it. */
function loginStepKey(login: { server?: string; username: string }): string {
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
    // refused before any host is contacted (missingFiles in lib/cli/select.ts); never an empty upload
    if (file.content === undefined) throw new Error(`${file.source} is missing: nothing to upload`)
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
