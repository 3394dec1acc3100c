import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { signatureMethods, type SignatureMethod } from '../../src/core.js'

/** The OAuth 1.0a provider the app connects to. */
export interface ProviderConfig {
  consumerKey: string
  /** Required for HMAC-* and PLAINTEXT. */
  consumerSecret: string | undefined
  signatureMethod: SignatureMethod
  /** Required for RSA-*. */
  privateKey: KeyObject | undefined
  requestTokenUrl: string
  authorizeUrl: string
  accessTokenUrl: string
  /** The provider API that `/me` and the home page call (a JSON profile). */
  resourceUrl: string
  /**
   * The provider's token revocation endpoint (X `POST /1.1/oauth/invalidate_token`), where it has
   * one (OAUTH_REVOKE_URL): "Disconnect" revokes the token there first. Unset: the token is only
   * forgotten here.
   */
  revokeUrl?: string | undefined
}

/** Everything the example app reads from the environment, validated. */
export interface AppConfig {
  host: string
  port: number
  /** External origin of the app, without a trailing slash (`https://app.example.com`). */
  publicUrl: string
  /** `${publicUrl}/oauth/callback`, registered at the provider. */
  callbackUrl: string
  /** Fastify's `trustProxy`: `false`, `true`, or a comma-separated list of addresses/CIDRs. */
  trustProxy: boolean | string
  sessionSecret: string
  /** True when SESSION_SECRET was not set and a random one was made (sessions die on restart). */
  sessionSecretGenerated: boolean
  /**
   * The plugin's `secret` (OAUTH1_SECRET): it seals the flow cookies and the credentials in the
   * session, with a key derived per purpose. Unset: SESSION_SECRET when that is set (what earlier
   * versions of this app derived those keys from), else a random one per start. A comma-separated
   * OAUTH1_SECRET is a list, newest first: the first seals, every one opens (rotation).
   */
  oauth1Secret: string | string[]
  /** Where {@link AppConfig.oauth1Secret} came from. */
  oauth1SecretFrom: 'OAUTH1_SECRET' | 'SESSION_SECRET' | 'generated'
  /** FLOW_SECRET of an older .env: passed as the plugin's `flowSecret`, which overrides `secret` for the flow cookies. */
  flowSecret: string | undefined
  /** CREDENTIALS_SECRET of an older .env: passed as `credentialsSecret`, which overrides `secret` for the credentials. */
  credentialsSecret: string | undefined
  /** Session cookie `Secure` attribute: on when PUBLIC_URL is https. */
  secureCookies: boolean
  /** Sessions live in Redis when set; in memory otherwise. */
  redisUrl: string | undefined
  /** Prefix of the session keys in Redis (REDIS_KEY_PREFIX). Default `sess:`. */
  redisKeyPrefix: string
  /** `undefined`: nothing configured, run the embedded demo provider. */
  provider: ProviderConfig | undefined
  /** Shown on the home page (PROVIDER_NAME); default the provider's host name, or "demo". */
  providerName: string | undefined
  demoProvider: { host: string, port: number }
  logLevel: string
}

/** An {@link AppConfig} whose provider is known (configured, or the started demo provider). */
export type ResolvedConfig = AppConfig & { provider: ProviderConfig }

/** Invalid or incomplete configuration. The message is one line saying what to set. */
export class ConfigError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

/** Options of {@link loadConfig}, for tests. */
export interface LoadConfigOptions {
  /** Reads OAUTH_PRIVATE_KEY_FILE. Default `fs.readFileSync`. */
  readFile?: (path: string) => string
}

/** The provider variables; setting any of them means "use my provider, not the demo". */
export const providerVariables = [
  'OAUTH_CONSUMER_KEY', 'OAUTH_CONSUMER_SECRET', 'OAUTH_REQUEST_TOKEN_URL', 'OAUTH_AUTHORIZE_URL',
  'OAUTH_ACCESS_TOKEN_URL', 'OAUTH_SIGNATURE_METHOD', 'OAUTH_PRIVATE_KEY_FILE', 'OAUTH_RESOURCE_URL',
  'OAUTH_REVOKE_URL'
] as const

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const proxyKeywords = new Set(['loopback', 'linklocal', 'uniquelocal'])

type Env = Record<string, string | undefined>

function read (env: Env, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

function fail (message: string): never {
  throw new ConfigError(message)
}

function parsePort (env: Env, name: string, fallback: number): number {
  const text = read(env, name)
  if (text === undefined) return fallback
  const port = Number(text)
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) fail(`${name}=${text} is not a port: set ${name} to a number from 1 to 65535`)
  return port
}

function parseHttpUrl (env: Env, name: string, example: string): URL {
  const text = read(env, name) as string
  let url: URL
  try {
    url = new URL(text)
  } catch {
    fail(`${name} is not a URL: set it to an absolute http(s) URL such as ${example}`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${name} must be an http(s) URL, such as ${example}`)
  return url
}

function parseTrustProxy (env: Env): boolean | string {
  const text = read(env, 'TRUST_PROXY')
  if (text === undefined || text === 'false') return false
  if (text === 'true') return true
  for (const entry of text.split(',').map((item) => item.trim())) {
    const [address, bits, extra] = entry.split('/')
    const valid = proxyKeywords.has(entry) ||
      (extra === undefined && address !== undefined && isIP(address) !== 0 && (bits === undefined || /^\d{1,3}$/.test(bits)))
    if (!valid) fail(`TRUST_PROXY=${text} is not understood: set it to your proxies' addresses or CIDRs (127.0.0.1,10.0.0.0/8), loopback, or true`)
  }
  return text
}

/** A secret of 32+ characters; with `list`, a comma-separated list of them too (newest first, for rotation). */
function parseSecret (env: Env, name: string): string | undefined
function parseSecret (env: Env, name: string, list: true): string | string[] | undefined
function parseSecret (env: Env, name: string, list = false): string | string[] | undefined {
  const text = env[name] ?? ''
  if (text === '') return undefined
  const secrets = list ? text.split(',').map((secret) => secret.trim()) : [text]
  secrets.forEach((secret, index) => {
    const which = secrets.length === 1 ? name : `${name}'s secret number ${index + 1}`
    if (secret.length < 32) fail(`${which} is ${secret.length} characters: set it to at least 32 random characters (openssl rand -base64 32)`)
  })
  return secrets.length === 1 ? secrets[0] : secrets
}

function hostForUrl (host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return isIP(host) === 6 ? `[${host}]` : host
}

function parseProvider (env: Env, options: LoadConfigOptions): ProviderConfig | undefined {
  if (!providerVariables.some((name) => read(env, name) !== undefined)) return undefined
  const method = (read(env, 'OAUTH_SIGNATURE_METHOD') ?? 'HMAC-SHA1').toUpperCase()
  if (!signatureMethods.includes(method as SignatureMethod)) {
    fail(`OAUTH_SIGNATURE_METHOD=${method} is not supported: set it to one of ${signatureMethods.join(', ')}`)
  }
  const rsa = method.startsWith('RSA-')
  const required = ['OAUTH_CONSUMER_KEY', rsa ? 'OAUTH_PRIVATE_KEY_FILE' : 'OAUTH_CONSUMER_SECRET',
    'OAUTH_REQUEST_TOKEN_URL', 'OAUTH_AUTHORIZE_URL', 'OAUTH_ACCESS_TOKEN_URL', 'OAUTH_RESOURCE_URL']
  const missing = required.filter((name) => read(env, name) === undefined)
  if (missing.length > 0) {
    const given = providerVariables.filter((name) => read(env, name) !== undefined)
    fail(`Incomplete provider configuration: set ${missing.join(', ')} (or unset ${given.join(', ')} to run the embedded demo provider)`)
  }
  const urls = {
    requestTokenUrl: parseHttpUrl(env, 'OAUTH_REQUEST_TOKEN_URL', 'https://api.example.com/oauth/request_token'),
    authorizeUrl: parseHttpUrl(env, 'OAUTH_AUTHORIZE_URL', 'https://api.example.com/oauth/authorize'),
    accessTokenUrl: parseHttpUrl(env, 'OAUTH_ACCESS_TOKEN_URL', 'https://api.example.com/oauth/access_token'),
    resourceUrl: parseHttpUrl(env, 'OAUTH_RESOURCE_URL', 'https://api.example.com/1/account/me.json'),
    ...(read(env, 'OAUTH_REVOKE_URL') === undefined ? {} : { revokeUrl: parseHttpUrl(env, 'OAUTH_REVOKE_URL', 'https://api.example.com/1.1/oauth/invalidate_token') })
  }
  if (method === 'PLAINTEXT' && Object.values(urls).some((url) => url.protocol !== 'https:')) {
    fail('OAUTH_SIGNATURE_METHOD=PLAINTEXT sends the secrets as they are: every OAUTH_*_URL must be https (RFC 5849 §3.4.4)')
  }
  let privateKey: KeyObject | undefined
  const keyFile = read(env, 'OAUTH_PRIVATE_KEY_FILE')
  if (keyFile !== undefined) {
    if (!rsa) fail('OAUTH_PRIVATE_KEY_FILE is only used by RSA-SHA1 and RSA-SHA256: set OAUTH_SIGNATURE_METHOD=RSA-SHA1 or unset OAUTH_PRIVATE_KEY_FILE')
    privateKey = loadPrivateKey(keyFile, options.readFile ?? ((path) => readFileSync(path, 'utf8')))
  }
  return {
    consumerKey: read(env, 'OAUTH_CONSUMER_KEY') as string,
    consumerSecret: read(env, 'OAUTH_CONSUMER_SECRET'),
    signatureMethod: method as SignatureMethod,
    privateKey,
    requestTokenUrl: urls.requestTokenUrl.href,
    authorizeUrl: urls.authorizeUrl.href,
    accessTokenUrl: urls.accessTokenUrl.href,
    resourceUrl: urls.resourceUrl.href,
    revokeUrl: urls.revokeUrl?.href
  }
}

function loadPrivateKey (path: string, readFile: (path: string) => string): KeyObject {
  let pem: string
  try {
    pem = readFile(path)
  } catch (error) {
    fail(`OAUTH_PRIVATE_KEY_FILE=${path} cannot be read (${(error as { code?: string }).code ?? 'error'}): set it to the path of your RSA private key (PEM)`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey(pem)
  } catch {
    fail(`OAUTH_PRIVATE_KEY_FILE=${path} does not hold a PEM private key: set it to an RSA private key file (-----BEGIN PRIVATE KEY-----)`)
  }
  if (key.asymmetricKeyType !== 'rsa') fail(`OAUTH_PRIVATE_KEY_FILE=${path} holds a ${String(key.asymmetricKeyType)} key: RSA-SHA1/RSA-SHA256 need an RSA private key`)
  return key
}

/**
 * Reads and validates the example app's environment. Pure apart from reading
 * OAUTH_PRIVATE_KEY_FILE and generating the secrets that are not given.
 *
 * @throws {ConfigError} with a one-line message naming the variable to set.
 */
export function loadConfig (env: Env, options: LoadConfigOptions = {}): AppConfig {
  const host = read(env, 'HOST') ?? '127.0.0.1'
  const port = parsePort(env, 'PORT', 3000)
  const demoPort = parsePort(env, 'DEMO_PROVIDER_PORT', 3001)
  const trustProxy = parseTrustProxy(env)

  let publicUrl: string
  const publicText = read(env, 'PUBLIC_URL')
  if (publicText === undefined) {
    publicUrl = `http://${hostForUrl(host)}:${port}`
  } else {
    const url = parseHttpUrl(env, 'PUBLIC_URL', 'https://app.example.com')
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      fail(`PUBLIC_URL=${publicText} must be an origin without a path, such as https://app.example.com (the app serves /oauth/callback at its root)`)
    }
    publicUrl = url.origin
  }
  const secureCookies = publicUrl.startsWith('https:')
  if (secureCookies && trustProxy === false) {
    fail('PUBLIC_URL is https but the app itself serves plain http: set TRUST_PROXY to your TLS proxy\'s address (e.g. TRUST_PROXY=loopback) so secure session cookies can be set')
  }

  const givenSessionSecret = parseSecret(env, 'SESSION_SECRET')
  const sessionSecret = givenSessionSecret ?? randomBytes(32).toString('base64url')
  const givenOAuth1Secret = parseSecret(env, 'OAUTH1_SECRET', true)
  const oauth1SecretFrom = givenOAuth1Secret !== undefined ? 'OAUTH1_SECRET' : givenSessionSecret !== undefined ? 'SESSION_SECRET' : 'generated'
  const oauth1Secret = givenOAuth1Secret ?? givenSessionSecret ?? randomBytes(32).toString('base64url')
  const flowSecret = parseSecret(env, 'FLOW_SECRET')
  const credentialsSecret = parseSecret(env, 'CREDENTIALS_SECRET')

  const redisUrl = read(env, 'REDIS_URL')
  if (redisUrl !== undefined) {
    let protocol = ''
    try {
      protocol = new URL(redisUrl).protocol
    } catch {}
    if (protocol !== 'redis:' && protocol !== 'rediss:') fail('REDIS_URL is not a Redis URL: set it like redis://localhost:6379 (or rediss:// for TLS)')
  }
  const redisKeyPrefix = read(env, 'REDIS_KEY_PREFIX') ?? 'sess:'

  const logLevel = read(env, 'LOG_LEVEL') ?? 'info'
  if (!logLevels.includes(logLevel)) fail(`LOG_LEVEL=${logLevel} is not a level: set it to one of ${logLevels.join(', ')}`)

  const provider = parseProvider(env, options)
  const demoHost = read(env, 'DEMO_PROVIDER_HOST') ?? 'localhost'
  if (provider === undefined && demoPort === port) fail(`DEMO_PROVIDER_PORT and PORT are both ${port}: set DEMO_PROVIDER_PORT to another port`)

  return {
    host,
    port,
    publicUrl,
    callbackUrl: `${publicUrl}/oauth/callback`,
    trustProxy,
    sessionSecret,
    sessionSecretGenerated: givenSessionSecret === undefined,
    oauth1Secret,
    oauth1SecretFrom,
    flowSecret,
    credentialsSecret,
    secureCookies,
    redisUrl,
    redisKeyPrefix,
    provider,
    providerName: read(env, 'PROVIDER_NAME'),
    demoProvider: { host: demoHost, port: demoPort },
    logLevel
  }
}
