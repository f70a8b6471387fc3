// An accessory's `proxy:` → what Kamal 2.12 tells kamal-proxy about it (lib/kamal/configuration/proxy.rb:
// `deploy_options`, `deploy_command_args`), and what `kamal-proxy list` shows of it (hosts, paths, TLS). Pure.

/** What `kamal-proxy deploy` is told for an accessory, and what its `list` row must show. */
export interface AccessoryProxy {
  /** `proxy.app_port` (Kamal's default 80): the target is `<container id>:<app_port>`. */
  appPort: string
  /** The options after `--target`, in Kamal's order, one word each (`--host=a.example`, `--tls`). */
  deployOptions: string[]
  /** `hosts`, or `host` split at commas; none: every host (kamal-proxy lists `*`). */
  hosts: string[]
  /** `path_prefixes`, or `path_prefix` split at commas; none: `/`. */
  pathPrefixes: string[]
  tls: boolean
}

/** The root settings Kamal reads for an accessory's proxy options. */
export interface ProxyRoot {
  service: string
  destination?: string
  deploy_timeout?: unknown
  drain_timeout?: unknown
}

const DEFAULT_LOG_REQUEST_HEADERS = ['Cache-Control', 'Last-Modified', 'User-Agent']
/** Kamal's proxy_boot.apps_container_directory. */
const APPS_CONTAINER_DIRECTORY = '/home/kamal-proxy/.apps-config'

type Hash = Record<string, unknown>
const hash = (value: unknown): Hash | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Hash) : undefined
/** Ruby's truthiness: everything but nil and false. */
const truthy = (value: unknown): boolean => value !== undefined && value !== null && value !== false
/** ActiveSupport's `present?` for a string value. */
const present = (value: unknown): boolean => truthy(value) && String(value).trim() !== ''
const seconds = (value: unknown): string | undefined => (truthy(value) ? `${String(value)}s` : undefined)
const list = (plural: unknown, single: unknown): string[] =>
  Array.isArray(plural)
    ? plural.map(String)
    : typeof single === 'string'
      ? single.split(',')
      : single === undefined || single === null
        ? []
        : [String(single)]

/** Kamal's `optionize(…, with: "=")`: `true` a bare flag, a list one flag per item, nil left out; values as words. */
function optionize(options: Array<[string, unknown]>): string[] {
  return options.flatMap(([key, value]): string[] => {
    if (value === undefined || value === null) return []
    if (Array.isArray(value)) return value.map((v) => (v === true ? `--${key}` : `--${key}=${String(v)}`))
    return value === true ? [`--${key}`] : [`--${key}=${String(value)}`]
  })
}

/** Kamal's accessory proxy settings; undefined when the accessory has no `proxy:` (Kamal's `running_proxy?`). */
export function resolveProxy(proxy: unknown, root: ProxyRoot): AccessoryProxy | undefined {
  if (proxy === undefined || proxy === null) return undefined
  const config = hash(proxy) ?? {}
  const hosts = list(config.hosts, config.host)
  const pathPrefixes = list(config.path_prefixes, config.path_prefix)
  const ssl = config.ssl
  const tls = truthy(ssl)
  const customCertificate =
    hash(ssl) !== undefined && present(hash(ssl)!.certificate_pem) && present(hash(ssl)!.private_key_pem)
  const tlsDirectory = `${APPS_CONTAINER_DIRECTORY}/${[root.service, root.destination].filter(Boolean).join('-')}/tls`
  const healthcheck = hash(config.healthcheck)
  const buffering = hash(config.buffering)
  const logging = hash(config.logging)
  const buffer = (key: 'requests' | 'responses') =>
    buffering === undefined ? true : buffering[key] === undefined ? true : buffering[key]
  const deployOptions = optionize([
    ['host', hosts],
    ['tls', tls ? true : undefined],
    ['tls-certificate-path', customCertificate ? `${tlsDirectory}/cert.pem` : undefined],
    ['tls-private-key-path', customCertificate ? `${tlsDirectory}/key.pem` : undefined],
    ['deploy-timeout', seconds(root.deploy_timeout ?? 30)],
    ['drain-timeout', seconds(root.drain_timeout ?? 30)],
    ['health-check-interval', seconds(healthcheck?.interval)],
    ['health-check-timeout', seconds(healthcheck?.timeout)],
    ['health-check-path', healthcheck?.path],
    ['target-timeout', seconds(config.response_timeout)],
    ['buffer-requests', buffer('requests')],
    ['buffer-responses', buffer('responses')],
    ['buffer-memory', buffering?.memory],
    ['max-request-body', buffering?.max_request_body],
    ['max-response-body', buffering?.max_response_body],
    ['path-prefix', pathPrefixes],
    ['strip-path-prefix', config.strip_path_prefix],
    ['forward-headers', config.forward_headers],
    ['tls-redirect', config.ssl_redirect],
    ['log-request-header', truthy(logging?.request_headers) ? logging!.request_headers : DEFAULT_LOG_REQUEST_HEADERS],
    ['log-response-header', logging?.response_headers],
  ])
  return { appPort: String(config.app_port ?? 80), deployOptions, hosts, pathPrefixes, tls }
}
