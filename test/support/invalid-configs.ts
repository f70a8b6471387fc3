// The invalid-config corpus: configs that must each exit 78 with a message naming the problem (file, key
// path, and line:col for YAML), before any host is contacted. Used by test/unit/config/invalid-configs.test.ts
// (the loader, directly) and test/e2e/hostile.test.ts (the real script, with a logging ssh on PATH).
//
// Placeholders, filled in by the caller: @HOST@ (a host that answers ssh), @REGISTRY@, @SSH_CONFIG@, and
// @CANARY@ (a file that would appear if a value were ever run as a command).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export interface InvalidConfig {
  id: string
  kind: 'yml' | 'mjs'
  /** config/deploy.yml or deploy.config.mjs, with placeholders. */
  text: string
  /** Other project files (secrets, uploads). */
  files?: Record<string, string>
  env?: Record<string, string>
  /** The key path the message names (a JSON pointer) and a fragment of the sentence. */
  pointer: string
  says: string
}

const HEAD = 'service: shop\nimage: shop/app\nssh:\n  config: @SSH_CONFIG@\n'
/** A YAML config with one accessory `db` whose body is `lines` (indented by 4). */
const dbYml = (lines: string, head = HEAD) => `${head}accessories:\n  db:\n    image: @REGISTRY@/postgres:16\n${lines}`
const onHost = (lines: string, head = HEAD) => dbYml(`    host: @HOST@\n${lines}`, head)
const sshYml = (ssh: string) =>
  `service: shop\nimage: shop/app\nssh:\n${ssh}accessories:\n  db:\n    image: @REGISTRY@/postgres:16\n    host: @HOST@\n`
/** A JS config: `body` is the module text after `const ssh = { config: ... }` and a valid `db`. */
const mjs = (body: string) =>
  `const ssh = { config: '@SSH_CONFIG@' }\nconst db = { image: '@REGISTRY@/postgres:16', host: '@HOST@' }\n${body}\n`

const yml = (
  id: string,
  text: string,
  pointer: string,
  says: string,
  extra: Partial<InvalidConfig> = {},
): InvalidConfig => ({ id, kind: 'yml', text, pointer, says, ...extra })
const js = (
  id: string,
  text: string,
  pointer: string,
  says: string,
  extra: Partial<InvalidConfig> = {},
): InvalidConfig => ({ id, kind: 'mjs', text: mjs(text), pointer, says, ...extra })

export const INVALID_CONFIGS: InvalidConfig[] = [
  // hosts: ssh options, shell characters, empty selections
  yml('host -V', dbYml('    host: -V\n'), '/accessories/db/host', 'starts with "-", so ssh would read it as an option'),
  yml(
    'host -oProxyCommand',
    dbYml('    host: "-oProxyCommand=touch @CANARY@"\n'),
    '/accessories/db/host',
    'starts with "-"',
  ),
  yml('host with a space', dbYml('    host: "db 1"\n'), '/accessories/db/host', 'is not a host name ssh can take'),
  yml('host with a newline', dbYml('    host: "db\\n1"\n'), '/accessories/db/host', 'is not a host name ssh can take'),
  yml(
    'hosts with $()',
    dbYml('    hosts: [@HOST@, "$(touch @CANARY@)"]\n'),
    '/accessories/db/hosts/1',
    'is not a host name ssh can take',
  ),
  yml('role host -x', dbYml('    role: web\n', `${HEAD}servers:\n  web: [-x]\n`), '/servers/web/0', 'starts with "-"'),
  yml(
    'tagged host with ;',
    dbYml('    tag: t\n', `${HEAD}servers:\n  web:\n    - "a;b": t\n`),
    '/servers/web/0/a;b',
    'is not a host name ssh can take',
  ),
  yml(
    'tag without hosts',
    dbYml('    tag: nope\n', `${HEAD}servers:\n  web: [@HOST@]\n`),
    '/accessories/db/tag',
    'No host under `servers` carries tag "nope"',
  ),
  yml(
    'unknown role',
    dbYml('    role: db\n', `${HEAD}servers:\n  web: [@HOST@]\n`),
    '/accessories/db/role',
    'Accessory "db" names role "db", but the only role under `servers` is "web"',
  ),
  yml(
    'role without hosts',
    dbYml('    role: web\n', `${HEAD}servers:\n  web: []\n`),
    '/accessories/db/role',
    'Role "web" has no hosts',
  ),
  // names and service
  yml(
    'accessory name ../evil',
    `${HEAD}accessories:\n  ../evil:\n    image: @REGISTRY@/postgres:16\n    host: @HOST@\n`,
    '/accessories/..~1evil',
    'cannot name a container and its env file',
  ),
  yml(
    'accessory name a/b',
    `${HEAD}accessories:\n  a/b:\n    image: @REGISTRY@/postgres:16\n    host: @HOST@\n`,
    '/accessories/a~1b',
    'cannot name a container',
  ),
  yml(
    'accessory name all',
    `${HEAD}accessories:\n  all:\n    image: @REGISTRY@/postgres:16\n    host: @HOST@\n`,
    '/accessories/all',
    'where `all` means every accessory',
  ),
  yml(
    'accessory name with a space',
    `${HEAD}accessories:\n  my db:\n    image: @REGISTRY@/postgres:16\n    host: @HOST@\n`,
    '/accessories/my db',
    'cannot name a container',
  ),
  yml(
    'service ../../etc',
    onHost('    service: ../../etc\n'),
    '/accessories/db/service',
    'is not a container name docker accepts',
  ),
  yml('service -rf', onHost('    service: -rf\n'), '/accessories/db/service', 'is not a container name docker accepts'),
  yml(
    'service of one character',
    onHost('    service: x\n'),
    '/accessories/db/service',
    'is not a container name docker accepts',
  ),
  yml(
    'two accessories, one service',
    `${onHost('    service: shop-cache\n')}  cache:\n    image: @REGISTRY@/redis:7\n    host: @HOST@\n`,
    '/accessories/cache',
    'both use the container name "shop-cache"',
  ),
  yml(
    'root service -x',
    onHost('', 'service: -x\nimage: shop/app\nssh:\n  config: @SSH_CONFIG@\n'),
    '/service',
    'starts with neither a letter nor a digit',
  ),
  // ports
  yml('port 70000', onHost('    port: 70000\n'), '/accessories/db/port', 'is not a port; ports go from 1 to 65535'),
  yml('port 0', onHost('    port: 0\n'), '/accessories/db/port', 'is not a port'),
  yml(
    'port 5432/tcp (doubled)',
    onHost('    port: "5432/tcp"\n'),
    '/accessories/db/port',
    'is not a port docker can publish',
  ),
  yml('port abc', onHost('    port: abc\n'), '/accessories/db/port', 'is not a port docker can publish'),
  yml(
    'port 127.0.0.1:5432:99999',
    onHost('    port: "127.0.0.1:5432:99999"\n'),
    '/accessories/db/port',
    'names port 99999',
  ),
  yml(
    'port 999.1.1.1:80:80',
    onHost('    port: "999.1.1.1:80:80"\n'),
    '/accessories/db/port',
    'which is not an IPv4 address',
  ),
  // images and registries
  yml(
    'image in upper case',
    `${HEAD}accessories:\n  db:\n    image: Postgres:16\n    host: @HOST@\n`,
    '/accessories/db/image',
    'is not an image reference docker can pull',
  ),
  yml(
    'image --privileged',
    `${HEAD}accessories:\n  db:\n    image: --privileged\n    host: @HOST@\n`,
    '/accessories/db/image',
    'is not an image reference',
  ),
  yml(
    'image with ; touch',
    `${HEAD}accessories:\n  db:\n    image: "redis:7; touch @CANARY@"\n    host: @HOST@\n`,
    '/accessories/db/image',
    'is not an image reference',
  ),
  yml(
    'registry server -x',
    onHost('    registry:\n      server: -x\n      username: u\n      password: p\n'),
    '/accessories/db/registry/server',
    'is not a registry server',
  ),
  // volumes, files, directories
  yml(
    'volume data: (no container path)',
    onHost('    volumes: ["data:"]\n'),
    '/accessories/db/volumes/0',
    'has no container path',
  ),
  yml(
    'volume vols/x:/y (docker reads a volume name, and refuses the "/")',
    onHost('    volumes: ["vols/x:/y"]\n'),
    '/accessories/db/volumes/0',
    'which docker reads as a volume name and refuses',
  ),
  yml(
    'volume options with ;',
    onHost('    volumes: ["/a:/b:rw;x"]\n'),
    '/accessories/db/volumes/0',
    'which docker does not take',
  ),
  yml(
    'volume with a relative container path',
    onHost('    volumes: ["data"]\n'),
    '/accessories/db/volumes/0',
    'which is not absolute',
  ),
  yml(
    'file escaping with ..',
    onHost('    files: ["init.sql:/../../etc/cron.d/berth"]\n'),
    '/accessories/db/files/0',
    'with a ".." segment',
  ),
  yml(
    'file with a relative remote',
    onHost('    files: ["init.sql:rel"]\n'),
    '/accessories/db/files/0',
    'which is not absolute',
  ),
  yml('file without a local part', onHost('    files: [":/x"]\n'), '/accessories/db/files/0', 'has no local file'),
  yml(
    'file remote with :',
    onHost('    files:\n      - local: init.sql\n        remote: "/a:b"\n'),
    '/accessories/db/files/0/remote',
    'contains ":"',
  ),
  yml(
    'file mode with a command',
    onHost('    files:\n      - local: init.sql\n        remote: /x.sql\n        mode: "u+s; rm -rf /"\n'),
    '/accessories/db/files/0/mode',
    'is not a mode chmod takes',
  ),
  yml(
    'file owner -root',
    onHost('    files:\n      - local: init.sql\n        remote: /x.sql\n        owner: -root\n'),
    '/accessories/db/files/0/owner',
    'is not an owner chown takes',
  ),
  yml(
    'directory escaping with ..',
    onHost('    directories: ["../../etc:/x"]\n'),
    '/accessories/db/directories/0',
    "would leave the accessory's folder",
  ),
  yml(
    'directory without a container path',
    onHost('    directories: ["data:"]\n'),
    '/accessories/db/directories/0',
    'has no container path',
  ),
  yml(
    'directory a/../../b',
    onHost('    directories: ["a/../../b:/x"]\n'),
    '/accessories/db/directories/0',
    'with a ".." segment',
  ),
  // env, labels, options, network
  yml(
    'env key A=B',
    onHost('    env:\n      clear:\n        A=B: x\n'),
    '/accessories/db/env/clear/A=B',
    'is not a name docker can set',
  ),
  yml(
    'env key with a space',
    onHost('    env:\n      "A B": x\n'),
    '/accessories/db/env/A B',
    'is not a name docker can set',
  ),
  yml(
    'secret env #BAD (an env-file comment)',
    onHost('    env:\n      secret: ["#BAD"]\n'),
    '/accessories/db/env/secret/0',
    'does not start with a name docker can set from an env file',
  ),
  yml(
    'secret env with a bad alias',
    onHost('    env:\n      secret: ["KEY:bad alias"]\n'),
    '/accessories/db/env/secret/0',
    'names no secret',
  ),
  yml(
    'label key -x',
    onHost('    labels:\n      -x: y\n'),
    '/accessories/db/labels/-x',
    'The label name "-x" is not one docker takes',
  ),
  yml('label key a=b', onHost('    labels:\n      a=b: y\n'), '/accessories/db/labels/a=b', 'is not one docker takes'),
  yml(
    'option key --privileged',
    onHost('    options:\n      --privileged: true\n'),
    '/accessories/db/options/--privileged',
    'is not a docker run option name',
  ),
  yml(
    'option key with a space',
    onHost('    options:\n      "cap-add SYS_ADMIN": true\n'),
    '/accessories/db/options/cap-add SYS_ADMIN',
    'is not a docker run option name',
  ),
  yml(
    'option with a null value',
    onHost('    options:\n      memory:\n'),
    '/accessories/db/options/memory',
    'has no value',
  ),
  yml(
    'option with an object value',
    onHost('    options:\n      memory: {a: 1}\n'),
    '/accessories/db/options/memory',
    'needs a string, number or boolean value',
  ),
  yml(
    'network --privileged',
    onHost('    network: --privileged\n'),
    '/accessories/db/network',
    'is not a docker network name',
  ),
  yml(
    'network with a space',
    onHost('    network: "a b"\n'),
    '/accessories/db/network',
    'is not a docker network name',
  ),
  // ssh
  yml(
    'ssh.port 70000',
    sshYml('  config: @SSH_CONFIG@\n  port: 70000\n'),
    '/ssh/port',
    'ssh.port takes a number from 1 to 65535',
  ),
  yml(
    'ssh.port with a command',
    sshYml('  config: @SSH_CONFIG@\n  port: "22; touch @CANARY@"\n'),
    '/ssh/port',
    'is not a port',
  ),
  yml(
    'ssh.user -oProxyCommand',
    sshYml('  config: @SSH_CONFIG@\n  user: "-oProxyCommand=touch @CANARY@"\n'),
    '/ssh/user',
    'is not a user name ssh can take',
  ),
  yml(
    'ssh.config entry with a ProxyCommand line',
    sshYml('  config:\n    - @SSH_CONFIG@\n    - "x\\nProxyCommand touch @CANARY@"\n'),
    '/ssh/config/1',
    'must be one line',
  ),
  yml(
    'ssh.proxy -oProxyCommand',
    sshYml('  config: @SSH_CONFIG@\n  proxy: "-oProxyCommand=touch @CANARY@"\n'),
    '/ssh/proxy',
    'is not a jump host ssh can take',
  ),
  yml('ssh.keys -oFoo', sshYml('  config: @SSH_CONFIG@\n  keys: [-oFoo]\n'), '/ssh/keys/0', 'starts with "-"'),
  yml(
    'ssh.proxy_command with a newline',
    sshYml('  config: @SSH_CONFIG@\n  proxy_command: "nc %h %p\\nHost *"\n'),
    '/ssh/proxy_command',
    'write it on one line',
  ),
  // logging
  yml(
    'logging driver --x',
    onHost('', `${HEAD}logging:\n  driver: --x\n`),
    '/logging/driver',
    'is not a docker log driver',
  ),
  yml(
    'logging option null',
    onHost('', `${HEAD}logging:\n  options:\n    max-size:\n`),
    '/logging/options/max-size',
    'needs a string, number or boolean value',
  ),
  // NUL, size
  yml('NUL in an env value', onHost('    env:\n      A: "a\\0b"\n'), '/accessories/db/env/A', 'contains a NUL byte'),
  yml(
    'NUL in a label key',
    onHost('    labels:\n      "a\\0b": x\n'),
    '/accessories/db/labels/a\\u0000b',
    'contains a NUL byte',
  ),
  yml(
    'env value too large for one command line',
    onHost('    env:\n      BIG: <%= ENV["BERTH_BIG"] %>\n'),
    '/accessories/db',
    'more than the 120000 one command line carries',
    { env: { BERTH_BIG: 'x'.repeat(121_000) } },
  ),
  yml(
    'registry user name secret with a newline',
    `${HEAD}accessories:\n  db:\n    image: postgres:16\n    host: @HOST@\n    registry:\n      server: @REGISTRY@\n      username: [REG_USER]\n      password: [REG_PASSWORD]\n`,
    '/accessories/db/registry/username',
    'The secret "REG_USER" holds a control character',
    {
      files: {
        '.kamal/secrets': 'DOTENV_LINEBREAK_MODE=legacy\nREG_USER="someone\\nProxyCommand x"\nREG_PASSWORD=pw\n',
      },
    },
  ),
  yml(
    'secret longer than an env file line',
    onHost('    env:\n      secret: [BIG]\n'),
    '/accessories/db/env/secret/0',
    'docker reads env files at most 65535 bytes a line',
    {
      files: { '.kamal/secrets': `BIG=${'s'.repeat(70_000)}\n` },
    },
  ),
  // YAML structure
  yml(
    'YAML alias bomb',
    `${HEAD}x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nx-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nx-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\naccessories:\n  db:\n    image: @REGISTRY@/postgres:16\n    host: @HOST@\n`,
    '(root)',
    'aliases expand to more than',
  ),
  yml(
    'YAML alias that contains itself',
    `${HEAD}accessories:\n  db: &db\n    image: @REGISTRY@/postgres:16\n    host: @HOST@\n    labels: *db\n`,
    '/accessories/db/labels',
    'a circular reference',
  ),
  // JavaScript configs
  js(
    'mjs: circular reference',
    'db.self = db\nexport default { service: "shop", image: "shop/app", ssh, accessories: { db } }',
    '/accessories/db/self',
    'refers back to /accessories/db',
  ),
  js(
    'mjs: getter that throws',
    'export default { service: "shop", image: "shop/app", ssh, accessories: { db: { ...db, get env() { throw new Error("no env today") } } } }',
    '/accessories/db/env',
    'threw an error when read (no env today)',
  ),
  js(
    'mjs: a function as a value',
    'export default { service: "shop", image: "shop/app", ssh, accessories: { db: { ...db, cmd: () => "sleep 1" } } }',
    '/accessories/db/cmd',
    'is a function, not data',
  ),
  js(
    'mjs: NaN port',
    'export default { service: "shop", image: "shop/app", ssh, accessories: { db: { ...db, port: NaN } } }',
    '/accessories/db/port',
    'is NaN',
  ),
  js(
    'mjs: a Date label',
    'export default { service: "shop", image: "shop/app", ssh, accessories: { db: { ...db, labels: { at: new Date(0) } } } }',
    '/accessories/db/labels/at',
    'is a Date object, not plain data',
  ),
  js(
    'mjs: a Proxy whose keys throw',
    'export default { service: "shop", image: "shop/app", ssh: new Proxy({}, { ownKeys() { throw new Error("trap") } }), accessories: { db } }',
    '/ssh',
    'could not be read (trap)',
  ),
  js(
    'mjs: a BigInt',
    'export default { service: "shop", image: "shop/app", ssh, accessories: { db: { ...db, port: 5432n } } }',
    '/accessories/db/port',
    'is a BigInt',
  ),
  js(
    'mjs: host -V',
    'export default { service: "shop", image: "shop/app", ssh, accessories: { db: { image: db.image, host: "-V" } } }',
    '/accessories/db/host',
    'starts with "-"',
  ),
  js(
    'mjs: a function export that throws',
    'export default () => { throw new Error("no config for you") }',
    '',
    'the default export threw: no config for you',
  ),
  js(
    'mjs: a deep nest',
    'let deep = {}\nconst top = deep\nfor (let i = 0; i < 100; i++) deep = deep.x = {}\nexport default { service: "shop", image: "shop/app", ssh, "x-deep": top, accessories: { db } }',
    `/x-deep${'/x'.repeat(63)}`,
    'is nested more than 64 levels deep',
  ),
  js(
    'mjs: option with a null value',
    'export default { service: "shop", image: "shop/app", ssh, accessories: { db: { ...db, options: { memory: null } } } }',
    '/accessories/db/options/memory',
    'has no value',
  ),
]

/** The corpus with its placeholders filled in. */
export interface Placeholders {
  host: string
  registry: string
  sshConfig: string
  canary: string
}

function fillIn(text: string, values: Placeholders): string {
  return text
    .replaceAll('@HOST@', values.host)
    .replaceAll('@REGISTRY@', values.registry)
    .replaceAll('@SSH_CONFIG@', values.sshConfig)
    .replaceAll('@CANARY@', values.canary)
}

/** Every corpus project has this file to upload, so only the entry under test is wrong. */
const CORPUS_FILES = { 'init.sql': 'select 1;\n' }

/** A project folder holding the entry's config and files, placeholders filled in. */
export function writeCorpusProject(entry: InvalidConfig, values: Placeholders): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-invalid-'))
  const files: Record<string, string> = { ...CORPUS_FILES, ...entry.files }
  files[entry.kind === 'yml' ? 'config/deploy.yml' : 'deploy.config.mjs'] = fillIn(entry.text, values)
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), body)
  }
  return dir
}

/** The problem line that names the entry's key path and problem, or undefined. */
export function namingLine(entry: InvalidConfig, lines: string[]): string | undefined {
  const file = entry.kind === 'yml' ? /^config\/deploy\.yml:\d+:\d+: / : /^deploy\.config\.mjs: /
  return lines.find(
    (line) =>
      file.test(line) && (entry.pointer === '' || line.includes(`: ${entry.pointer}: `)) && line.includes(entry.says),
  )
}
