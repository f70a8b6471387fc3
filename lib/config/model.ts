// Temporary: split into deployment.ts, accessory.ts, accessory-files.ts, hosts-and-roles.ts, ssh-settings.ts,
// registry-login.ts and config-source.ts (imports rewritten in a later commit).
export type { ConfigSource, ResolveOptions } from './config-source.ts'
export { resolveDeployment, type Deployment } from './deployment.ts'
export type { Accessory } from './accessory.ts'
export type { DirectorySpec, Mount } from './accessory-files.ts'
export { SSH_LOG_LEVELS } from './ssh-settings.ts'
