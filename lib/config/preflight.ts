// What a run checks in the config before any host is contacted, for the accessories it selected: a `files:`
// entry whose local file is missing (boot and reboot upload them), and accessories that have no hosts (`all`
// skips them, as Kamal does). Pure: the resolved config in, sentences out.
import type { Accessory } from './accessory.ts'
import type { Deployment } from './deployment.ts'

/** Why an accessory with `hosts: []` runs nowhere, and how to give it hosts. */
export function noHostsReason(accessory: Accessory, destination: string | undefined): string {
  const fix = destination
    ? `give it hosts there or in the destination file for "${destination}"`
    : 'give it hosts there, or pass the destination whose file adds them (`-d NAME`)'
  return `accessory \`${accessory.name}\` has no hosts (\`hosts: []\` at ${accessory.noHostsAt}); ${fix}`
}

/** For `all`: each accessory that has no hosts, with the sentence saying so (Kamal runs it nowhere; so does berth). */
export function skippedWithoutHosts(
  deployment: Deployment,
  target: string,
): Array<{ accessory: string; reason: string }> {
  if (target !== 'all') return []
  return deployment.accessories
    .filter((a) => a.noHostsAt !== undefined)
    .map((a) => ({ accessory: a.name, reason: `Skipped ${noHostsReason(a, deployment.destination)}.` }))
}

/**
 * For boot and reboot: each `files:` entry of a selected accessory whose local file is missing. Kamal's config
 * takes it and fails at upload, after the lock and the directories; berth says so before any host is touched.
 */
export function missingFiles(selection: ReadonlyArray<{ accessory: Accessory }>): string[] {
  return selection.flatMap(({ accessory }) =>
    accessory.files
      .filter((f) => f.content === undefined)
      .map(
        (f) =>
          `${f.at}: /accessories/${accessory.name}/files: Missing file: ${f.source} (accessory \`${accessory.name}\` ` +
          `uploads it to ${f.remotePath}); create it, or generate it before this step, then run again.`,
      ),
  )
}
