// Every script's verb, by name: each a module of its own under lib/cli/verbs/ (its flags, its help, and its
// run, which calls its flow and returns what it found and did). A verb loads its flow when it runs
// (import()), so a run initialises only what its verb needs (through tsx, it also reads only those files).
import type { Verb } from './context.ts'
import { bootVerb } from './verbs/boot-verb.ts'
import { checkVerb } from './verbs/check-verb.ts'
import { configVerb } from './verbs/config-verb.ts'
import { detailsVerb } from './verbs/details-verb.ts'
import { execVerb } from './verbs/exec-verb.ts'
import { restartVerb, startVerb, stopVerb } from './verbs/lifecycle-verbs.ts'
import { lockVerb } from './verbs/lock-verb.ts'
import { logsVerb } from './verbs/logs-verb.ts'
import { rebootVerb } from './verbs/reboot-verb.ts'
import { removeVerb } from './verbs/remove-verb.ts'
import { tunnelVerb } from './verbs/tunnel-verb.ts'

export const VERBS: Record<string, Verb> = {
  boot: bootVerb,
  reboot: rebootVerb,
  lock: lockVerb,
  start: startVerb,
  stop: stopVerb,
  restart: restartVerb,
  config: configVerb,
  check: checkVerb,
  details: detailsVerb,
  logs: logsVerb,
  exec: execVerb,
  remove: removeVerb,
  tunnel: tunnelVerb,
}
