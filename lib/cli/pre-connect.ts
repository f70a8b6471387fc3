// What the runner needs from the machine it runs on before the first host is contacted: Kamal's audit performer,
// and Kamal's pre-connect hook run with the variables of this run.
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import type { Deployment } from '../config/deployment.ts'
import type { ParsedArgs } from './args.ts'
import type { ScriptIO, Verb } from './context.ts'
import { hookEnv, hookOutputShown, kamalCommand, PRE_CONNECT } from './hook-env.ts'
import { localVersion, runHook, type HookOutcome } from './hooks.ts'

/** What the pre-connect hook needs from the loaded config: where hooks are, how loud, and the secrets. */
export interface HookConfig {
  hooksPath: unknown
  hooksOutput: unknown
  secrets: Record<string, string>
}

/** Kamal's audit performer: the local git user.email, else the user name. */
export function auditPerformer(cwd: string): string {
  try {
    const email = execFileSync('git', ['config', 'user.email'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim()
    if (email) return email
  } catch {
    // no git, or no user.email: the user name, as Kamal's `whoami`
  }
  return os.userInfo().username
}

/** Runs `<hooks_path>/pre-connect` (`file`) with Kamal's variables for this run. */
export async function preConnectHook(
  file: string,
  run: { verb: Verb; args: ParsedArgs; deployment: Deployment; hookConfig: HookConfig },
  hosts: string[],
  performer: string,
  io: ScriptIO,
  signal: AbortSignal,
): Promise<HookOutcome> {
  const { verb, args, deployment, hookConfig } = run
  const env = hookEnv({
    now: new Date(),
    performer,
    service: deployment.service,
    destination: deployment.destination,
    version: localVersion(io.cwd, io.env),
    hosts,
    roles: args.roles,
    knownRoles: deployment.roles.map((r) => r.name),
    // before the first connection no lock can be held yet
    lock: false,
    ...kamalCommand(verb.script, verb.selectsAccessories === false ? args.target : undefined),
    secrets: hookConfig.secrets,
  })
  const showOutput = hookOutputShown(hookConfig.hooksOutput, PRE_CONNECT, args)
  return runHook({ file, cwd: io.cwd, env: { ...io.env, ...env }, showOutput, stderr: io.stderr, signal })
}
