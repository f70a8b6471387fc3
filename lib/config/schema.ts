// The one JSON schema for a Kamal 2.x deploy config (YAML or .mjs), used by load.ts with
// `new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true })`.
//
// Sources (basecamp/kamal, lib/kamal/configuration/):
//   docs/configuration.yml  the root keys (plus `hooks_output` and `output` from newer versions)
//   docs/accessory.yml      the accessory keys          validator/accessory.rb  the extra accessory rules
//   docs/ssh.yml + ssh.rb   the ssh keys                 validator/registry.rb   username/password rules
//   docs/env.yml            env shapes                   validator/env.rb        clear/secret/tags rules
//   docs/logging.yml, servers.yml, role.yml, boot.yml, sshkit.yml, alias.yml, builder.yml, proxy.yml
//
// Kamal's validator treats a "String" as anything stringish (string, symbol, number, boolean); berth
// keeps that for free-form values (env, labels, app-only sections) and asks for real strings where
// berth itself consumes the value (accessory fields, ssh, registry).
//
// Annotation keyword `x-messages`: { <ajv keyword>: message } replaces ajv's message for errors raised
// by that keyword in that very schema node.
import type { SchemaObject } from 'ajv'

export const ANNOTATION_KEYWORDS = ['x-messages']

/** The root keys Kamal 2.x accepts (besides `x-*` extensions). */
export const ROOT_KEYS = [
  'service',
  'image',
  'labels',
  'volumes',
  'registry',
  'servers',
  'env',
  'asset_path',
  'hooks_path',
  'hooks_output',
  'secrets_path',
  'error_pages_path',
  'require_destination',
  'primary_role',
  'allow_empty_roles',
  'retain_containers',
  'minimum_version',
  'readiness_delay',
  'deploy_timeout',
  'drain_timeout',
  'run_directory',
  'ssh',
  'builder',
  'accessories',
  'proxy',
  'sshkit',
  'boot',
  'logging',
  'output',
  'aliases',
] as const

export const ACCESSORY_HOST_KEYS = ['host', 'hosts', 'role', 'roles', 'tag', 'tags'] as const

const string = { type: 'string' }
const stringish = { type: ['string', 'number', 'boolean'] }
const integer = { type: 'integer' }
const boolean = { type: 'boolean' }
const stringArray = { type: 'array', items: string }
const object = { type: 'object' }
const hashOfStringish = { type: 'object', additionalProperties: stringish }

// `[KEY]` (a secret name) or a literal string
const secretOrString = {
  type: ['string', 'array'],
  items: string,
  minItems: 1,
  maxItems: 1,
  'x-messages': {
    type: 'must be a string or an array with one string (for secret lookup)',
    minItems: 'must be a string or an array with one string (for secret lookup)',
    maxItems: 'must be a string or an array with one string (for secret lookup)',
  },
}

const registry = {
  type: 'object',
  properties: { server: string, username: secretOrString, password: secretOrString },
  additionalProperties: false,
  // validator/registry.rb: username and password are required unless the server is localhost:*
  if: { type: 'object', properties: { server: { type: 'string', pattern: '^localhost[:$]' } }, required: ['server'] },
  else: { type: 'object', properties: { username: {}, password: {} }, required: ['username', 'password'] },
}

// A host under `servers`: "1.2.3.4" or { "1.2.3.4": tag | [tags] }
const hostEntry = {
  type: ['string', 'object'],
  minProperties: 1,
  maxProperties: 1,
  additionalProperties: { type: ['string', 'array'], items: string },
  'x-messages': { minProperties: 'multiple hosts found', maxProperties: 'multiple hosts found' },
}
const hostList = { type: 'array', items: hostEntry }

const logging = {
  type: 'object',
  properties: { driver: string, options: object },
  additionalProperties: false,
}

// Proxy sections are app-only here (or handed to kamal-proxy): accept what Kamal's validator accepts.
const proxy = { type: ['object', 'boolean'] }

// `local:remote[:options]` or { local, remote, mode?, owner?, options? }
const pathEntry = {
  type: ['string', 'object'],
  properties: { local: string, remote: string, mode: string, owner: string, options: string },
  required: ['local', 'remote'],
  additionalProperties: false,
}

const ENV_SPECIAL = {
  anyOf: ['clear', 'secret', 'tags'].map((k) => ({ type: 'object', properties: { [k]: {} }, required: [k] })),
}

/** env: a plain hash of clear values, or { clear, secret[, tags] } (validator/env.rb). */
function envSchema(tags: 'root' | 'accessory' | 'tag'): SchemaObject {
  const complexProps: Record<string, unknown> = { clear: hashOfStringish, secret: stringArray }
  if (tags === 'root') {
    complexProps.tags = { type: 'object', additionalProperties: envSchema('tag') }
  } else if (tags === 'accessory') {
    // reported by load.ts with Kamal's message: "tags are only allowed in the root env"
    complexProps.tags = {}
  }
  return {
    type: 'object',
    if: { type: 'object', ...ENV_SPECIAL },
    then: { type: 'object', properties: complexProps, additionalProperties: false },
    else: hashOfStringish,
  }
}

const accessory = {
  type: 'object',
  properties: {
    service: string,
    image: string,
    registry,
    host: string,
    hosts: stringArray,
    role: string,
    roles: stringArray,
    tag: string,
    tags: stringArray,
    cmd: string,
    port: { type: ['string', 'integer'] },
    labels: hashOfStringish,
    options: object,
    env: envSchema('accessory'),
    files: { type: 'array', items: pathEntry },
    directories: { type: 'array', items: pathEntry },
    volumes: stringArray,
    network: string,
    proxy: object,
  },
  required: ['image'],
  additionalProperties: false,
}

// Role options are app-only: checked at the type level, with `hosts` understood.
const role = {
  type: ['array', 'object'],
  items: hostEntry,
  properties: {
    hosts: hostList,
    cmd: string,
    options: object,
    logging,
    proxy,
    labels: hashOfStringish,
    env: object,
    asset_path: string,
  },
}

const ssh = {
  type: 'object',
  properties: {
    user: string,
    port: { type: ['string', 'integer'] },
    proxy: string,
    proxy_command: string,
    log_level: { type: ['string', 'integer'] },
    keys_only: boolean,
    keys: stringArray,
    key_data: stringArray,
    config: { type: ['boolean', 'string', 'array'], items: string },
    forward_agent: boolean,
  },
  additionalProperties: false,
}

export const deployConfigSchema: SchemaObject = {
  type: 'object',
  properties: {
    service: {
      type: 'string',
      pattern: '^[a-zA-Z0-9_-]+$',
      'x-messages': { pattern: 'Service name can only include alphanumeric characters, hyphens, and underscores' },
    },
    image: string,
    labels: hashOfStringish,
    volumes: stringArray,
    registry,
    servers: {
      type: ['array', 'object'],
      items: hostEntry,
      additionalProperties: role,
    },
    env: envSchema('root'),
    asset_path: string,
    hooks_path: string,
    hooks_output: { type: ['string', 'object'], additionalProperties: string },
    secrets_path: string,
    error_pages_path: string,
    require_destination: boolean,
    primary_role: string,
    allow_empty_roles: boolean,
    retain_containers: integer,
    minimum_version: stringish,
    readiness_delay: integer,
    deploy_timeout: integer,
    drain_timeout: integer,
    run_directory: string,
    ssh,
    builder: object,
    accessories: { type: 'object', additionalProperties: accessory },
    proxy,
    // Kamal's sshkit.yml; honoured by the connection handling in lib/remote/ (see README "ssh")
    sshkit: {
      type: 'object',
      properties: { max_concurrent_starts: integer, pool_idle_timeout: integer, dns_retries: integer },
      additionalProperties: false,
    },
    boot: object,
    logging,
    output: object,
    aliases: { type: 'object', additionalProperties: string },
  },
  patternProperties: { '^x-': {} },
  required: ['service', 'image'],
  additionalProperties: false,
}
