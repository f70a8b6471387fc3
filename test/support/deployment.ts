// Builds a resolved Deployment from a raw config object, as the loader would hand it over.
import { resolveDeployment, type Deployment } from '../../lib/config/deployment.ts'
import type { DeployConfig } from '../../lib/config/types.ts'

export function deploymentFrom(
  config: DeployConfig,
  options: { secrets?: Record<string, string>; destination?: string; cwd?: string } = {},
): Deployment {
  return resolveDeployment(
    {
      config,
      destination: options.destination,
      secrets: options.secrets ?? {},
      secretFiles: ['.kamal/secrets-common', '.kamal/secrets'],
      locate: () => 'config/deploy.yml',
    },
    { cwd: options.cwd ?? process.cwd(), env: {} },
  )
}
