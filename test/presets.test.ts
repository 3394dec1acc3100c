// Every preset against a local provider that behaves like the real one: the preset's own paths,
// its required authorize parameters, its access-token fields, its denial style. Signatures are
// checked with oauth-sign (HMAC, PLAINTEXT) or with node:crypto and a base string built here (RSA).
import { createHash, generateKeyPairSync, type KeyObject, verify as rsaVerify } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { type ClientOptions, createClient } from '../src/http/client.js'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { type FastifyOAuth1Options, fastifyOAuth1 } from '../src/fastify/plugin.js'
import {
  applyPreset, type DenialStyle, discogs, evernote, flickr, garmin, jira, magento, mastercard, netsuite, presetFactories, presets,
  type PresetName, presetFacts, presetOptionKeys, type ProviderPreset, resolvePreset, schoology, smugmug, trello, tumblr, userOf, woocommerce, x, zotero
} from '../src/presets/presets.js'
import { Browser, buildApp, callbackUrl, sessionSecret } from './helpers/build-app.js'
import {
  baseUriOf, checkSignature, okJson, type Pairs, parseAuthorizationHeader, parseFormPairs, type RecordedRequest, rfc3986, startServer
} from './helpers/signature-check.js'

const consumerKey = 'preset-consumer-key'
const consumerSecret = 'preset consumer/secret+&='

// ---------------------------------------------------------------------------------------------
// Independent helpers (nothing from src/ but the code under test)

/** The preset with every endpoint's origin replaced by `origin`, path and query kept. */
function rewrite (preset: Readonly<ProviderPreset>, origin: string): ProviderPreset {
  const local = (value: string | undefined): string | undefined => {
    if (value === undefined) return undefined
    const url = new URL(value)
    return origin + url.pathname + url.search
  }
  const out: ProviderPreset = { ...preset }
  for (const name of ['baseUrl', 'requestTokenUrl', 'authorizeUrl', 'accessTokenUrl'] as const) {
    const value = local(preset[name])
    if (value !== undefined) out[name] = value
  }
  return out
}

const pathOf = (url: string | undefined): string => new URL(url as string).pathname

function queryPairs (request: RecordedRequest): Pairs {
  const q = request.url.indexOf('?')
  return q === -1 ? [] : parseFormPairs(request.url.slice(q + 1))
}

function isFormRequest (request: RecordedRequest): boolean {
  return String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded'
}

interface Verified {
  valid: boolean
  problems: string[]
  oauth: Record<string, string>
  realm: string | undefined
  base: string
}

/**
 * RSA-SHA1 / RSA-SHA256 as a provider checks it, knowing only the public key: the signature base
 * string of RFC 5849 §3.4.1 built here, then `crypto.verify`.
 */
function verifyRsa (request: RecordedRequest, publicKey: KeyObject, hash: 'sha1' | 'sha256'): Verified {
  const header = typeof request.headers.authorization === 'string' ? parseAuthorizationHeader(request.headers.authorization) : undefined
  const params: Pairs = []
  if (header !== undefined) for (const name in header.params) params.push([name, header.params[name] as string])
  params.push(...queryPairs(request))
  if (isFormRequest(request)) params.push(...parseFormPairs(request.body.toString('utf8')))
  const oauth: Record<string, string> = {}
  for (const [name, value] of params) if (name.startsWith('oauth_')) oauth[name] = value
  const encoded = params.filter(([name]) => name !== 'oauth_signature').map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
  encoded.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)
  const normalized = encoded.map(([name, value]) => `${name}=${value}`).join('&')
  const base = `${request.method.toUpperCase()}&${rfc3986(baseUriOf(request))}&${rfc3986(normalized)}`
  const problems: string[] = []
  if (oauth.oauth_consumer_key !== consumerKey) problems.push('wrong oauth_consumer_key')
  if (oauth.oauth_signature === undefined) problems.push('no oauth_signature')
  else if (!rsaVerify(hash, Buffer.from(base, 'utf8'), publicKey, Buffer.from(oauth.oauth_signature, 'base64'))) problems.push('signature mismatch')
  return { valid: problems.length === 0, problems, oauth, realm: header?.realm, base }
}

function rsaKeys (): { privateKey: string, publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey }
}

/** Fetches an authorize URL as a browser would and returns where the provider redirects. */
async function visit (url: string): Promise<{ status: number, location: string | null, body: string }> {
  const response = await fetch(url, { redirect: 'manual' })
  return { status: response.status, location: response.headers.get('location'), body: await response.text() }
}

// ---------------------------------------------------------------------------------------------
// A local provider shaped by a preset

interface ThreeLeggedSpec {
  /** The name the plugin knows the preset by (`provider: 'x'`); factories have none. */
  name?: PresetName
  /** The preset with local URLs, given the local origin. */
  local: (origin: string) => ProviderPreset
  /** The request-token, authorize and access-token paths the real provider serves. */
  paths: [string, string, string]
  /** Authorize parameters the provider requires, with the values it accepts. */
  authorizeRequires?: Record<string, RegExp>
  /** Request-token query parameters the provider checks when present. */
  requestTokenChecks?: Record<string, RegExp>
  /** Fields of the access-token response besides the token and secret. */
  accessFields?: Record<string, string>
  /** The token secret the access-token response carries (Evernote sends an empty one). */
  accessSecret?: string
  expectedUser: { id?: string, name?: string }
  /** A User-Agent every request must carry (Discogs). */
  userAgent?: string
  /** RSA: the provider holds the public key. */
  rsa?: { privateKey: string, publicKey: KeyObject }
  /** More plugin options (caller options on top of the preset). */
  options?: Partial<FastifyOAuth1Options>
  /** An API path (relative to the preset's baseUrl) to call as the user. */
  apiPath: string
}

/** Approve, refuse in one of the denial styles, or report `oauth_problem=token_rejected` on the callback. */
type Mode = 'approve' | DenialStyle | 'token-rejected'

interface LocalProvider {
  origin: string
  preset: ProviderPreset
  mode: Mode
  /** Every request with what the provider concluded ('' when accepted). */
  log: Array<{
    step: string
    path: string
    method: string
    oauth: Record<string, string>
    realm: string | undefined
    userAgent: string | undefined
    refused: string
  }>
  /** The authorize pages visited, with their query. */
  authorizeQueries: Array<Record<string, string>>
  requestTokenQueries: Array<Record<string, string>>
}

async function startLocalProvider (t: Test, spec: ThreeLeggedSpec): Promise<LocalProvider> {
  const nonces = new Set<string>()
  const requestTokens = new Map<string, { secret: string, callback: string, verifier: string, used: boolean }>()
  const accessTokens = new Map<string, string>()
  let counter = 0
  const next = (prefix: string): string => `${prefix}${++counter}-${Math.random().toString(36).slice(2, 10)}`
  const provider: LocalProvider = {
    origin: '',
    preset: undefined as unknown as ProviderPreset,
    mode: 'approve',
    log: [],
    authorizeQueries: [],
    requestTokenQueries: []
  }

  const refuse = (response: ServerResponse, status: number, problem: string, extra = ''): void => {
    response.writeHead(status, {
      'www-authenticate': `OAuth realm="local", oauth_problem="${problem}"`,
      'content-type': 'application/x-www-form-urlencoded'
    })
    response.end(`oauth_problem=${problem}${extra}`)
  }
  const page = (response: ServerResponse, status: number, body: string): void => {
    response.statusCode = status
    response.end(body)
  }
  const form = (response: ServerResponse, fields: Record<string, string>): void => {
    response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
    response.end(Object.entries(fields).map(([name, value]) => `${rfc3986(name)}=${rfc3986(value)}`).join('&'))
  }

  /** Checks the request as the provider would; returns an oauth_problem or ''. */
  const check = (step: string, request: RecordedRequest, tokenSecret: string): { problem: string, oauth: Record<string, string> } => {
    const preset = provider.preset
    let result: Verified
    if (spec.rsa !== undefined) {
      result = verifyRsa(request, spec.rsa.publicKey, preset.signatureMethod === 'RSA-SHA256' ? 'sha256' : 'sha1')
    } else {
      const checked = checkSignature(request, { consumerKey, consumerSecret, tokenSecret })
      result = { valid: checked.valid, problems: checked.problems, oauth: checked.oauth, realm: checked.realm, base: '' }
    }
    const userAgent = request.headers['user-agent']
    let problem = ''
    if (spec.userAgent !== undefined && userAgent !== spec.userAgent) problem = 'user_agent_required'
    else if (result.oauth.oauth_signature_method !== preset.signatureMethod) problem = 'signature_method_rejected'
    else if (!result.valid) problem = result.problems.includes('wrong oauth_consumer_key') ? 'consumer_key_unknown' : 'signature_invalid'
    else if (Math.abs(Number(result.oauth.oauth_timestamp) - Date.now() / 1000) > 300) problem = 'timestamp_refused'
    else {
      const key = `${result.oauth.oauth_timestamp}:${result.oauth.oauth_nonce}`
      if (nonces.has(key)) problem = 'nonce_used'
      nonces.add(key)
    }
    const path = new URL(request.url, 'http://x').pathname
    provider.log.push({ step, path, method: request.method, oauth: result.oauth, realm: result.realm, userAgent, refused: problem })
    return { problem, oauth: result.oauth }
  }

  const server = await startServer((request, response) => {
    const preset = provider.preset
    const url = new URL(request.url, provider.origin)
    const path = url.pathname
    const header = typeof request.headers.authorization === 'string' ? parseAuthorizationHeader(request.headers.authorization) : undefined
    const carriesToken = header?.params.oauth_token !== undefined
    const [requestTokenPath, authorizePath, accessTokenPath] = [pathOf(preset.requestTokenUrl), pathOf(preset.authorizeUrl), pathOf(preset.accessTokenUrl)]
    const apiPath = pathOf(preset.baseUrl)

    if (path === authorizePath && request.method === 'GET') {
      const query = Object.fromEntries(url.searchParams)
      provider.authorizeQueries.push(query)
      const entry = requestTokens.get(query.oauth_token ?? '')
      if (entry === undefined) return page(response, 400, 'unknown or missing oauth_token')
      for (const [name, allowed] of Object.entries(spec.authorizeRequires ?? {})) {
        if (query[name] === undefined || !allowed.test(query[name] as string)) return page(response, 400, `invalid or missing ${name}`)
      }
      const target = new URL(entry.callback)
      const token = query.oauth_token as string
      switch (provider.mode) {
        case 'approve':
          target.searchParams.set('oauth_token', token)
          target.searchParams.set('oauth_verifier', entry.verifier)
          break
        case 'denied-param':
          target.searchParams.set('denied', token)
          break
        case 'oauth-problem':
          target.searchParams.set('oauth_token', token)
          target.searchParams.set('oauth_problem', 'user_refused')
          break
        case 'verifier-denied':
          target.searchParams.set('oauth_token', token)
          target.searchParams.set('oauth_verifier', 'denied')
          break
        case 'authorize-0':
          target.searchParams.set('oauth_token', token)
          target.searchParams.set('authorize', '0')
          break
        case 'missing-verifier':
          target.searchParams.set('oauth_token', token)
          break
        case 'token-rejected':
          target.searchParams.set('oauth_token', token)
          target.searchParams.set('oauth_problem', 'token_rejected')
          break
      }
      response.setHeader('location', target.href)
      return page(response, 302, '')
    }

    // Evernote serves both token steps on one path: the access step carries the token.
    if (path === requestTokenPath && !(requestTokenPath === accessTokenPath && carriesToken)) {
      provider.requestTokenQueries.push(Object.fromEntries(url.searchParams))
      const { problem, oauth } = check('request-token', request, '')
      if (problem !== '') return refuse(response, 401, problem)
      if (oauth.oauth_callback === undefined) return refuse(response, 400, 'parameter_absent', '&oauth_parameters_absent=oauth_callback')
      for (const [name, allowed] of Object.entries(spec.requestTokenChecks ?? {})) {
        const value = url.searchParams.get(name)
        if (value !== null && !allowed.test(value)) return refuse(response, 400, 'parameter_rejected', `&oauth_parameters_rejected=${name}`)
      }
      const token = next('rt-')
      const secret = next('rs-') + '/+='
      requestTokens.set(token, { secret, callback: oauth.oauth_callback, verifier: next('v-'), used: false })
      return form(response, { oauth_token: token, oauth_token_secret: secret, oauth_callback_confirmed: 'true' })
    }

    if (path === accessTokenPath) {
      const entry = requestTokens.get(header?.params.oauth_token ?? '')
      if (entry === undefined) return refuse(response, 401, 'token_rejected')
      const { problem, oauth } = check('access-token', request, entry.secret)
      if (problem !== '') return refuse(response, 401, problem)
      if (entry.used) return refuse(response, 401, 'token_used')
      if (oauth.oauth_verifier !== entry.verifier) return refuse(response, 401, 'verifier_invalid')
      entry.used = true
      const token = next('at-')
      const secret = spec.accessSecret ?? next('as-') + '&%'
      accessTokens.set(token, secret)
      return form(response, { oauth_token: token, oauth_token_secret: secret, ...spec.accessFields })
    }

    if (path.startsWith(apiPath)) {
      const secret = accessTokens.get(header?.params.oauth_token ?? '')
      if (secret === undefined) return refuse(response, 401, 'token_rejected')
      const { problem } = check('api', request, secret)
      if (problem !== '') return refuse(response, 401, problem)
      response.setHeader('content-type', 'application/json')
      return page(response, 200, JSON.stringify({ path }))
    }
    page(response, 404, 'not found')
  })
  t.teardown(() => server.close())
  provider.origin = server.origin
  provider.preset = spec.local(server.origin)
  return provider
}

t.test('the RSA check used here agrees with oauth-sign and rejects tampering', async (t) => {
  const keys = rsaKeys()
  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const client = createClient({ consumerKey, signatureMethod: 'RSA-SHA1', privateKey: keys.privateKey, token: 'tok' })
  t.teardown(() => client.close())
  await client.post(`${server.origin}/path?b=2&a=1`, { form: { c: 'x y', a: '0' } })
  const request = server.requests[0] as RecordedRequest
  t.same(verifyRsa(request, keys.publicKey, 'sha1').problems, [], 'verifies with the public key')
  t.same(checkSignature(request, { consumerKey, privateKey: keys.privateKey }).problems, [], 'oauth-sign\'s rsasign agrees')
  t.same(verifyRsa(request, rsaKeys().publicKey, 'sha1').problems, ['signature mismatch'], 'another key')
  t.same(verifyRsa(request, keys.publicKey, 'sha256').problems, ['signature mismatch'], 'another hash')
  t.same(verifyRsa({ ...request, url: '/path?b=3&a=1' }, keys.publicKey, 'sha1').problems, ['signature mismatch'], 'a changed query')
  t.same(verifyRsa({ ...request, body: Buffer.from('c=x%20y&a=1') }, keys.publicKey, 'sha1').problems, ['signature mismatch'], 'a changed form body')
})

// ---------------------------------------------------------------------------------------------
// Three-legged presets through the plugin

const jiraKeys = rsaKeys()

const threeLegged: Record<string, ThreeLeggedSpec> = {
  x: {
    name: 'x',
    local: (origin) => rewrite(x, origin),
    paths: ['/oauth/request_token', '/oauth/authorize', '/oauth/access_token'],
    requestTokenChecks: { x_auth_access_type: /^(read|write)$/ },
    options: { requestTokenParams: { x_auth_access_type: 'write' } },
    accessFields: { user_id: '783214', screen_name: 'twitterapi' },
    expectedUser: { id: '783214', name: 'twitterapi' },
    apiPath: '1.1/account/verify_credentials.json'
  },
  trello: {
    name: 'trello',
    local: (origin) => rewrite(trello, origin),
    paths: ['/1/OAuthGetRequestToken', '/1/OAuthAuthorizeToken', '/1/OAuthGetAccessToken'],
    authorizeRequires: { name: /^.+$/, scope: /^(read|write|account)(,(read|write|account))*$/, expiration: /^(1hour|1day|30days|never)$/ },
    expectedUser: {},
    apiPath: 'members/me'
  },
  flickr: {
    name: 'flickr',
    local: (origin) => rewrite(flickr, origin),
    paths: ['/services/oauth/request_token', '/services/oauth/authorize', '/services/oauth/access_token'],
    authorizeRequires: { perms: /^(read|write|delete)$/ },
    accessFields: { fullname: 'Jamal Fanaian', user_nsid: '21207597@N07', username: 'jamalfanaian' },
    expectedUser: { id: '21207597@N07', name: 'jamalfanaian' },
    apiPath: '?method=flickr.test.login'
  },
  tumblr: {
    name: 'tumblr',
    local: (origin) => rewrite(tumblr, origin),
    paths: ['/oauth/request_token', '/oauth/authorize', '/oauth/access_token'],
    expectedUser: {},
    apiPath: 'user/info'
  },
  garmin: {
    name: 'garmin',
    local: (origin) => rewrite(garmin, origin),
    paths: ['/oauth-service/oauth/request_token', '/oauthConfirm', '/oauth-service/oauth/access_token'],
    expectedUser: {},
    apiPath: 'wellness-api/rest/user/id'
  },
  discogs: {
    name: 'discogs',
    local: (origin) => rewrite(discogs, origin),
    paths: ['/oauth/request_token', '/oauth/authorize', '/oauth/access_token'],
    userAgent: 'PresetTest/1.0 +https://app.example',
    options: { userAgent: 'PresetTest/1.0 +https://app.example' },
    expectedUser: {},
    apiPath: 'oauth/identity'
  },
  smugmug: {
    name: 'smugmug',
    local: (origin) => rewrite(smugmug, origin),
    paths: ['/services/oauth/1.0a/getRequestToken', '/services/oauth/1.0a/authorize', '/services/oauth/1.0a/getAccessToken'],
    authorizeRequires: { Access: /^(Public|Full)$/, Permissions: /^(Read|Add|Modify)$/ },
    expectedUser: {},
    apiPath: '!authuser'
  },
  zotero: {
    name: 'zotero',
    local: (origin) => rewrite(zotero, origin),
    paths: ['/oauth/request', '/oauth/authorize', '/oauth/access'],
    authorizeRequires: { name: /^.+$/, library_access: /^[01]$/, write_access: /^[01]$/, all_groups: /^(n|read|write)$/ },
    accessFields: { userID: '475425', username: 'zotero-user' },
    expectedUser: { id: '475425', name: 'zotero-user' },
    apiPath: 'keys/current'
  },
  evernote: {
    local: (origin) => rewrite(evernote(), origin),
    paths: ['/oauth', '/OAuth.action', '/oauth'],
    accessSecret: '',
    accessFields: {
      edam_shard: 's1',
      edam_userId: '161',
      edam_expires: String(Date.parse('2027-01-01T00:00:00Z')),
      edam_noteStoreUrl: 'https://www.evernote.com/shard/s1/notestore',
      edam_webApiUrlPrefix: 'https://www.evernote.com/shard/s1/'
    },
    expectedUser: { id: '161' },
    apiPath: 'edam/user'
  },
  'evernote sandbox': {
    local: (origin) => rewrite(evernote({ sandbox: true }), origin),
    paths: ['/oauth', '/OAuth.action', '/oauth'],
    accessSecret: '',
    accessFields: { edam_shard: 's1', edam_userId: '7', edam_expires: '1798761600000', edam_noteStoreUrl: 'https://sandbox.evernote.com/shard/s1/notestore' },
    expectedUser: { id: '7' },
    apiPath: 'edam/user'
  },
  jira: {
    local: (origin) => jira({ baseUrl: `${origin}/jira/` }),
    paths: ['/jira/plugins/servlet/oauth/request-token', '/jira/plugins/servlet/oauth/authorize', '/jira/plugins/servlet/oauth/access-token'],
    rsa: jiraKeys,
    options: { privateKey: jiraKeys.privateKey, consumerSecret: undefined },
    accessFields: { oauth_expires_in: '157680000', oauth_session_handle: 'sh-1', oauth_authorization_expires_in: '160272000' },
    expectedUser: {},
    apiPath: 'rest/api/2/myself'
  }
}

/** How the app gets the preset: named (`provider: 'x'`), as an object (`provider: x`), or spread (`{ ...x }`). */
type Way = 'named' | 'object' | 'spread'

const waysOf = (spec: ThreeLeggedSpec): Way[] => spec.name === undefined ? ['object', 'spread'] : ['named', 'object', 'spread']

/** The plugin options for the local provider, the preset given the `way` asked. */
function optionsFor (provider: LocalProvider, spec: ThreeLeggedSpec, way: Way): FastifyOAuth1Options {
  const local = provider.preset
  const own = { consumerKey, consumerSecret, callbackUrl, ...spec.options }
  if (way === 'spread') return { ...local, ...own }
  if (way === 'named') {
    const { baseUrl, requestTokenUrl, authorizeUrl, accessTokenUrl } = local
    return { provider: spec.name, baseUrl, requestTokenUrl, authorizeUrl, accessTokenUrl, ...own }
  }
  return { provider: local, ...own }
}

async function presetApp (t: Test, provider: LocalProvider, spec: ThreeLeggedSpec, failureRedirect: string | undefined,
  way: Way = 'object'): Promise<FastifyInstance> {
  const options = optionsFor(provider, spec, way)
  if (failureRedirect !== undefined) options.failureRedirect = failureRedirect
  const app = await buildApp(options, {
    setup (app) {
      app.get('/whoami', async (request) => ({ connected: await request.oauth1.isConnected(), credentials: (await request.oauth1.getCredentials()) ?? null }))
      app.get('/api-call', async (request) => {
        const response = await request.oauth1.get(spec.apiPath)
        return { status: response.status, body: response.text() }
      })
    }
  })
  t.teardown(() => app.close())
  return app
}

/** Start, the provider's page in `mode`, then the callback: the callback's answer and the browser. */
async function roundTrip (app: FastifyInstance, provider: LocalProvider,
  mode: Mode): Promise<{ browser: Browser, callback: Awaited<ReturnType<Browser['get']>> }> {
  provider.mode = mode
  const browser = new Browser(app)
  const started = await browser.start()
  const page = await visit(started.headers.location as string)
  return { browser, callback: await browser.callback(page.location as string) }
}

const connectedIn = async (browser: Browser): Promise<boolean> => ((await browser.get('/whoami')).json() as { connected: boolean }).connected

for (const [name, spec] of Object.entries(threeLegged)) {
  for (const way of waysOf(spec)) {
    t.test(`${name} (${way}): connects through the preset's own endpoints and names the user`, async (t) => {
      const provider = await startLocalProvider(t, spec)
      const preset = provider.preset
      t.same([pathOf(preset.requestTokenUrl), pathOf(preset.authorizeUrl), pathOf(preset.accessTokenUrl)], spec.paths, 'the preset\'s paths')
      t.equal(preset.legs, 3)
      const app = await presetApp(t, provider, spec, '/failed', way)
      const browser = new Browser(app)

      const started = await browser.start()
      t.equal(started.statusCode, 302, 'start redirects')
      const authorizeUrl = new URL(started.headers.location as string)
      t.equal(authorizeUrl.origin + authorizeUrl.pathname, provider.origin + spec.paths[1], 'to the preset\'s authorize page')
      for (const [param, value] of Object.entries(preset.authorizeParams ?? {})) {
        t.equal(authorizeUrl.searchParams.get(param), value, `authorize carries the preset's ${param}`)
      }
      const page = await visit(authorizeUrl.href)
      t.equal(page.status, 302, `the provider accepted the authorize parameters (${page.body})`)
      const callback = await browser.callback(page.location as string)
      t.equal(callback.statusCode, 302, `callback succeeds (${callback.body})`)
      t.equal(callback.headers.location, '/')

      t.same(provider.log.filter((entry) => entry.refused !== '').map((entry) => `${entry.step}: ${entry.refused}`), [], 'no request refused')
      t.same(provider.log.map((entry) => [entry.step, entry.path]), [['request-token', spec.paths[0]], ['access-token', spec.paths[2]]],
        'token steps hit the preset\'s paths')
      for (const entry of provider.log) {
        t.equal(entry.oauth.oauth_signature_method, preset.signatureMethod, `${entry.step} signed with ${preset.signatureMethod}`)
        t.equal(entry.method, 'POST')
        if (spec.userAgent !== undefined) t.equal(entry.userAgent, spec.userAgent, `${entry.step} carries the User-Agent`)
      }
      t.equal(provider.log[0]?.oauth.oauth_callback, callbackUrl, 'oauth_callback signed in')
      if (spec.requestTokenChecks !== undefined) {
        for (const param of Object.keys(spec.requestTokenChecks)) t.ok(provider.requestTokenQueries[0]?.[param] !== undefined, `request token carried ${param}`)
      }

      type Who = { connected: boolean, credentials: { user: unknown, extra: Record<string, string>, tokenSecret: string } }
      const who = (await browser.get('/whoami')).json() as Who
      t.equal(who.connected, true, 'connected')
      t.strictSame(who.credentials.user, spec.expectedUser, 'credentials.user per the preset\'s userFields')
      t.strictSame(who.credentials.user, userOf(preset, who.credentials.extra), 'the same as userOf')
      for (const [field, value] of Object.entries(spec.accessFields ?? {})) t.equal(who.credentials.extra[field], value, `extra.${field}`)
      if (spec.accessSecret !== undefined) t.equal(who.credentials.tokenSecret, spec.accessSecret, 'the token secret as sent (empty)')

      const api = (await browser.get('/api-call')).json() as { status: number, body: string }
      t.equal(api.status, 200, `a signed call as the user, relative to the preset's baseUrl (${api.body})`)
      t.equal(provider.log.at(-1)?.step, 'api')
    })

    const styles = spec.local('http://x').denial.join(', ')
    t.test(`${name} (${way}): a refusal in the preset's style (${styles}) is OAUTH1_ACCESS_DENIED; token_rejected is OAUTH1_CALLBACK_PROBLEM`, async (t) => {
      const provider = await startLocalProvider(t, spec)
      const withRedirect = await presetApp(t, provider, spec, '/failed', way)
      const plain = await presetApp(t, provider, spec, undefined, way)
      t.ok(provider.preset.denial.length > 0, 'the preset names its denial style')
      const cases: Array<[Mode, string, number]> = [
        ...provider.preset.denial.map((style): [Mode, string, number] => [style, ErrorCodes.ACCESS_DENIED, 403]),
        ['token-rejected', ErrorCodes.CALLBACK_PROBLEM, 400]
      ]
      for (const [mode, code, status] of cases) {
        const redirected = await roundTrip(withRedirect, provider, mode)
        t.equal(redirected.callback.statusCode, 302, `${mode}: redirected`)
        t.equal(redirected.callback.headers.location, `/failed?oauth1_error=${code}`, `${mode}: to the failure page with ${code}`)
        t.equal(await connectedIn(redirected.browser), false, `${mode}: not connected`)

        const answered = await roundTrip(plain, provider, mode)
        t.equal(answered.callback.statusCode, status, `${mode}: without failureRedirect a ${status}`)
        const body = answered.callback.json() as { code: string, message: string }
        t.equal(body.code, code)
        if (mode === 'token-rejected') t.match(body.message, /oauth_problem=token_rejected/, 'the provider\'s problem is named')
        t.notMatch(answered.callback.body, /rt-\d/, 'no request token in the answer')
        t.equal(await connectedIn(answered.browser), false, `${mode}: not connected`)
      }
      t.same(provider.log.filter((entry) => entry.step === 'access-token'), [], 'no token was exchanged after a refusal or a problem')
    })
  }
}

t.test('every denial style, through a preset object that declares it (object and spread)', async (t) => {
  const styles: DenialStyle[] = ['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0', 'missing-verifier']
  const spec: ThreeLeggedSpec = {
    local: (origin) => ({ ...rewrite(tumblr, origin), id: 'custom', denial: styles }),
    paths: ['/oauth/request_token', '/oauth/authorize', '/oauth/access_token'],
    expectedUser: {},
    apiPath: 'user/info'
  }
  const provider = await startLocalProvider(t, spec)
  for (const way of ['object', 'spread'] as const) {
    const app = await presetApp(t, provider, spec, '/failed', way)
    for (const style of styles) {
      const { browser, callback } = await roundTrip(app, provider, style)
      t.equal(callback.headers.location, `/failed?oauth1_error=${ErrorCodes.ACCESS_DENIED}`, `${way}: ${style}`)
      t.equal(await connectedIn(browser), false, `${way}: ${style}: not connected`)
    }
  }
})

t.test('without a preset: the default denial styles; a missing verifier stays OAUTH1_MISSING_VERIFIER', async (t) => {
  const spec: ThreeLeggedSpec = {
    local: (origin) => rewrite(tumblr, origin),
    paths: ['/oauth/request_token', '/oauth/authorize', '/oauth/access_token'],
    expectedUser: {},
    apiPath: 'user/info'
  }
  const provider = await startLocalProvider(t, spec)
  const { requestTokenUrl, authorizeUrl, accessTokenUrl } = provider.preset
  const app = await buildApp({ consumerKey, consumerSecret, callbackUrl, requestTokenUrl, authorizeUrl, accessTokenUrl, failureRedirect: '/failed' })
  t.teardown(() => app.close())
  const expected: Array<[Mode, string]> = [
    ['denied-param', ErrorCodes.ACCESS_DENIED],
    ['oauth-problem', ErrorCodes.ACCESS_DENIED],
    ['verifier-denied', ErrorCodes.ACCESS_DENIED],
    ['authorize-0', ErrorCodes.ACCESS_DENIED],
    ['missing-verifier', ErrorCodes.MISSING_VERIFIER],
    ['token-rejected', ErrorCodes.CALLBACK_PROBLEM]
  ]
  for (const [mode, code] of expected) {
    const { callback } = await roundTrip(app, provider, mode)
    t.equal(callback.headers.location, `/failed?oauth1_error=${code}`, `${mode}: ${code}`)
  }
  const { callback } = await roundTrip(app, provider, 'approve')
  t.equal(callback.headers.location, '/', 'approve still connects')
  t.same(provider.log.filter((entry) => entry.step === 'access-token').length, 1, 'one exchange, for the approval only')
})

t.test('a caller\'s own denial and userFields win over the preset\'s, named or spread', async (t) => {
  const spec = threeLegged.flickr as ThreeLeggedSpec
  const provider = await startLocalProvider(t, spec)
  for (const way of ['named', 'spread'] as const) {
    const own: ThreeLeggedSpec = { ...spec, options: { denial: ['authorize-0'], userFields: { id: 'fullname' } } }
    const app = await presetApp(t, provider, own, '/failed', way)
    t.equal((await roundTrip(app, provider, 'missing-verifier')).callback.headers.location, `/failed?oauth1_error=${ErrorCodes.MISSING_VERIFIER}`,
      `${way}: missing-verifier is no longer declared`)
    t.equal((await roundTrip(app, provider, 'authorize-0')).callback.headers.location, `/failed?oauth1_error=${ErrorCodes.ACCESS_DENIED}`,
      `${way}: authorize-0 is`)
    const { browser } = await roundTrip(app, provider, 'approve')
    t.strictSame(((await browser.get('/whoami')).json() as { credentials: { user: unknown } }).credentials.user, { id: 'Jamal Fanaian' },
      `${way}: the caller's userFields`)
  }
})

t.test('the local providers really require their parameters', async (t) => {
  await t.test('Trello without name/scope/expiration: the authorize page refuses', async (t) => {
    const trelloSpec = threeLegged.trello as ThreeLeggedSpec
    const spec = { ...trelloSpec, local: (origin: string) => ({ ...trelloSpec.local(origin), authorizeParams: {} }) }
    const provider = await startLocalProvider(t, spec)
    const browser = new Browser(await presetApp(t, provider, spec, '/failed'))
    const page = await visit((await browser.start()).headers.location as string)
    t.equal(page.status, 400)
    t.match(page.body, /invalid or missing name/)
  })
  await t.test('Flickr with perms=admin: refused', async (t) => {
    const spec = { ...threeLegged.flickr as ThreeLeggedSpec, options: { authorizeParams: { perms: 'admin' } } }
    const provider = await startLocalProvider(t, spec)
    const browser = new Browser(await presetApp(t, provider, spec, '/failed'))
    const page = await visit((await browser.start()).headers.location as string)
    t.equal(page.status, 400)
  })
  await t.test('Discogs without a User-Agent: refused when the app is built (requiresUserAgent), named, as an object or spread', async (t) => {
    const spec = { ...threeLegged.discogs as ThreeLeggedSpec, options: {} }
    const provider = await startLocalProvider(t, spec)
    for (const way of waysOf(spec)) {
      await t.rejects(presetApp(t, provider, spec, '/failed', way),
        { code: ErrorCodes.INVALID_OPTION, message: /"userAgent".*Discogs refuses requests without one/ }, way)
      await t.rejects(presetApp(t, provider, { ...spec, options: { userAgent: ' ' } }, '/failed', way), { code: ErrorCodes.INVALID_OPTION },
        `${way}: a blank one`)
    }
    t.throws(() => createClient({ provider: 'discogs', consumerKey, consumerSecret }), { code: ErrorCodes.INVALID_OPTION, message: /"userAgent"/ },
      'createClient too')
    t.throws(() => createClient({ ...discogs, consumerKey, consumerSecret }), { code: ErrorCodes.INVALID_OPTION, message: /"userAgent"/ },
      'spread into createClient too')
    t.same(provider.log, [], 'nothing was sent')

    const app = await presetApp(t, provider, { ...spec, options: { requiresUserAgent: false } }, '/failed')
    const started = await new Browser(app).start()
    t.equal(started.statusCode, 502, 'opting out: the provider refuses, a provider error, not a crash')
    t.equal((started.json() as { code: string }).code, ErrorCodes.PROVIDER_ERROR)
    t.equal(provider.log[0]?.refused, 'user_agent_required', 'the local Discogs really requires it')
  })
  await t.test('Jira signed with HMAC-SHA1 instead of RSA-SHA1: signature_method_rejected', async (t) => {
    const spec = threeLegged.jira as ThreeLeggedSpec
    const provider = await startLocalProvider(t, spec)
    const flowError = await (async () => {
      const app = await buildApp({ provider: provider.preset, consumerKey, consumerSecret, signatureMethod: 'HMAC-SHA1', callbackUrl })
      t.teardown(() => app.close())
      return app.oauth1.getRequestToken(callbackUrl).then(() => undefined, (error: unknown) => error)
    })()
    t.ok(flowError instanceof OAuth1Error)
    t.equal((flowError as OAuth1Error).problem, 'signature_method_rejected', 'the provider\'s problem is on the error')
  })
})

t.test('caller options override the preset\'s', async (t) => {
  const provider = await startLocalProvider(t, threeLegged.trello as ThreeLeggedSpec)
  const params = { name: 'Board Sync', scope: 'read,write', expiration: 'never' }
  const app = await presetApp(t, provider, { ...threeLegged.trello as ThreeLeggedSpec, options: { authorizeParams: params } }, '/failed')
  const started = new URL((await new Browser(app).start()).headers.location as string)
  t.same(Object.fromEntries(started.searchParams), { ...params, oauth_token: started.searchParams.get('oauth_token') }, 'the caller\'s authorize parameters')

  t.same(applyPreset(x, { signatureMethod: 'HMAC-SHA256' as const, authorizeUrl: 'https://api.x.com/oauth/authenticate', realm: undefined }), {
    signatureMethod: 'HMAC-SHA256',
    baseUrl: x.baseUrl,
    apiOrigins: ['https://api.x.com', 'https://upload.x.com'],
    requestTokenUrl: x.requestTokenUrl,
    authorizeUrl: 'https://api.x.com/oauth/authenticate',
    accessTokenUrl: x.accessTokenUrl,
    revokeUrl: x.revokeUrl
  }, 'the caller wins, undefined leaves the preset\'s value, descriptive fields are dropped, apiOrigins kept')
  const spread = applyPreset(undefined, { ...flickr, consumerKey })
  t.strictSame(Object.keys(spread).sort(),
    ['accessTokenUrl', 'apiOrigins', 'authorizeParams', 'authorizeUrl', 'baseUrl', 'consumerKey', 'requestTokenUrl', 'signMultipartFields', 'signatureMethod'],
    'a spread preset loses its descriptive fields the same way')
  t.strictSame(applyPreset('flickr', { consumerKey }), spread, 'named and spread merge to the same options')
  t.equal(applyPreset(undefined, { a: 1 }).a, 1, 'no preset: the options as they are')
  t.same(applyPreset(trello, { authorizeParams: { name: 'Board Sync' } }).authorizeParams,
    { name: 'Board Sync', scope: 'read', expiration: '30days' }, 'authorize parameters merge key by key: the preset\'s scope and expiration stay')
  t.same(trello.authorizeParams, { name: 'My App', scope: 'read', expiration: '30days' }, 'the preset itself is unchanged')

  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const rewritten = rewrite(schoology, server.origin)
  const client = createClient({
    provider: rewritten,
    consumerKey,
    consumerSecret,
    realm: 'Custom',
    token: 'tok',
    tokenSecret: 'ts',
    signatureMethod: 'HMAC-SHA256'
  })
  t.teardown(() => client.close())
  await client.get('users/me')
  const check = checkSignature(server.requests[0] as RecordedRequest, { consumerKey, consumerSecret, tokenSecret: 'ts' })
  t.same(check.problems, [])
  t.equal(check.realm, 'Custom')
  t.equal(check.oauth.oauth_token, 'tok')
  t.equal(check.oauth.oauth_signature_method, 'HMAC-SHA256')
  t.equal(server.requests[0]?.url, '/v1/users/me', 'the preset\'s baseUrl still applies')
})

// ---------------------------------------------------------------------------------------------
// Two-legged presets through createClient

async function twoLegged (t: Test, preset: ProviderPreset, options: Partial<ClientOptions>) {
  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const client = createClient({ provider: rewrite(preset, server.origin), consumerKey, ...options })
  t.teardown(() => client.close())
  return { server, client }
}

t.test('NetSuite: realm from the account id, HMAC-SHA256 with the TBA token', async (t) => {
  const original = netsuite({ accountId: '1234567-sb1' })
  t.equal(original.realm, '1234567_SB1')
  t.equal(original.baseUrl, 'https://1234567-sb1.suitetalk.api.netsuite.com/')
  t.equal(original.legs, 2)
  const { server, client } = await twoLegged(t, original, { consumerSecret, token: 'tba-token', tokenSecret: 'tba secret' })
  t.equal((await client.get('services/rest/record/v1/customer/42', { query: { expandSubResources: true } })).status, 200)
  t.equal((await client.post('services/rest/record/v1/customer', { json: { companyName: 'Acme' } })).status, 200)
  for (const request of server.requests) {
    const check = checkSignature(request, { consumerKey, consumerSecret, tokenSecret: 'tba secret' })
    t.same(check.problems, [], `${request.method} verifies with oauth-sign (HMAC-SHA256)`)
    t.equal(check.realm, '1234567_SB1')
    t.equal(check.oauth.oauth_signature_method, 'HMAC-SHA256')
    t.equal(check.oauth.oauth_token, 'tba-token')
    t.equal(check.placement, 'header')
    t.equal(check.oauth.oauth_body_hash, undefined, 'no body hash')
    t.match(String(request.headers.authorization), /^OAuth realm="1234567_SB1", /)
  }
  t.equal(server.requests[0]?.url, '/services/rest/record/v1/customer/42?expandSubResources=true')
  t.equal(netsuite({ accountId: '1234567' }).realm, '1234567')
  t.equal(netsuite({ accountId: '1234567_SB1' }).baseUrl, 'https://1234567-sb1.suitetalk.api.netsuite.com/', 'either spelling of a sandbox id')
})

t.test('Mastercard: RSA-SHA256 and a SHA-256 oauth_body_hash on every request, GET included', async (t) => {
  const keys = rsaKeys()
  const original = mastercard()
  t.equal(original.baseUrl, 'https://api.mastercard.com/')
  t.equal(mastercard({ sandbox: true }).baseUrl, 'https://sandbox.api.mastercard.com/')
  const { server, client } = await twoLegged(t, original, { privateKey: keys.privateKey })
  t.equal((await client.get('atms/v1/atm', { query: { Country: 'USA', PageLength: 10 } })).status, 200)
  const payload = { amount: 10.5, currency: 'EUR', note: 'café & co' }
  t.equal((await client.post('send/v1/partners/p1/crossborder/payment', { json: payload })).status, 200)
  const [get, post] = server.requests as [RecordedRequest, RecordedRequest]
  const sha256 = (body: Buffer | string): string => createHash('sha256').update(body).digest('base64')
  t.equal(get.body.length, 0)
  t.equal(post.body.toString('utf8'), JSON.stringify(payload))
  t.equal(post.headers['content-type'], 'application/json')
  for (const [request, expected] of [[get, sha256('')], [post, sha256(post.body)]] as const) {
    const verified = verifyRsa(request, keys.publicKey, 'sha256')
    t.same(verified.problems, [], `${request.method}: RSA-SHA256 verifies with the public key`)
    t.equal(verified.oauth.oauth_signature_method, 'RSA-SHA256')
    t.equal(verified.oauth.oauth_body_hash, expected, `${request.method}: oauth_body_hash = base64(sha256(body or ''))`)
    t.match(verified.base, /oauth_body_hash%3D/, 'the body hash is signed')
    t.notMatch(verified.base, /currency/, 'the JSON body itself is not in the base string')
  }
  t.equal(sha256(''), '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')
})

t.test('WooCommerce over HTTP: one-legged, everything in the query, no Authorization header', async (t) => {
  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const preset = woocommerce({ baseUrl: `${server.origin}/shop/` })
  t.equal(preset.baseUrl, `${server.origin}/shop/wp-json/wc/v3/`)
  t.equal(preset.placement, 'query')
  const client = createClient({ provider: preset, consumerKey: 'ck_123', consumerSecret: 'cs_456' })
  t.teardown(() => client.close())
  await client.get('products', { query: { per_page: 5, search: 'blue shirt' } })
  await client.post('orders', { json: { status: 'processing' } })
  for (const request of server.requests) {
    t.equal(request.headers.authorization, undefined, `${request.method}: no Authorization header`)
    const check = checkSignature(request, { consumerKey: 'ck_123', consumerSecret: 'cs_456' })
    t.same(check.problems, [], `${request.method}: verifies with oauth-sign`)
    t.equal(check.placement, 'query')
    t.equal(check.oauth.oauth_signature_method, 'HMAC-SHA256')
    t.equal(check.oauth.oauth_token, undefined, 'one-legged: no token')
    t.ok(queryPairs(request).some(([name]) => name === 'oauth_signature'), 'oauth_signature in the query')
  }
  t.match(server.requests[0]?.url, /^\/shop\/wp-json\/wc\/v3\/products\?per_page=5&search=blue%20shirt&oauth_/)
  t.equal(server.requests[1]?.body.toString('utf8'), '{"status":"processing"}', 'the JSON body is untouched')
})

t.test('Schoology: realm "Schoology API" and an empty oauth_token', async (t) => {
  const { server, client } = await twoLegged(t, schoology, { consumerSecret })
  await client.get('users/me')
  const request = server.requests[0] as RecordedRequest
  t.equal(request.url, '/v1/users/me')
  t.match(String(request.headers.authorization), /^OAuth realm="Schoology API", /)
  t.match(String(request.headers.authorization), /oauth_token=""/, 'the empty token is sent')
  const check = checkSignature(request, { consumerKey, consumerSecret })
  t.same(check.problems, [], 'verifies with oauth-sign (the empty token signed in)')
  t.equal(check.realm, 'Schoology API')
  t.equal(check.oauth.oauth_token, '')
  t.equal(check.oauth.oauth_signature_method, 'HMAC-SHA1')
})

t.test('Magento 2: HMAC-SHA256 with the integration token', async (t) => {
  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const preset = magento({ baseUrl: server.origin })
  t.equal(preset.baseUrl, `${server.origin}/rest/V1/`)
  const client = createClient({ provider: preset, consumerKey, consumerSecret, token: 'integration-token', tokenSecret: 'integration-secret' })
  t.teardown(() => client.close())
  await client.get('products', { query: { 'searchCriteria[pageSize]': 10 } })
  const request = server.requests[0] as RecordedRequest
  t.equal(request.url, '/rest/V1/products?searchCriteria%5BpageSize%5D=10')
  const check = checkSignature(request, { consumerKey, consumerSecret, tokenSecret: 'integration-secret' })
  t.same(check.problems, [], 'verifies with oauth-sign')
  t.equal(check.oauth.oauth_signature_method, 'HMAC-SHA256')
  t.equal(check.oauth.oauth_token, 'integration-token')
})

// ---------------------------------------------------------------------------------------------
// Names, factories, immutability

t.test('resolvePreset by name and by object', async (t) => {
  t.equal(resolvePreset('x'), x)
  t.equal(resolvePreset('twitter'), x, 'twitter is an alias of x')
  t.equal(presets.twitter, x)
  t.equal(resolvePreset('trello'), trello)
  t.equal(resolvePreset(undefined), undefined)
  const custom = { ...x, id: 'mine' }
  t.equal(resolvePreset(custom), custom, 'an object is used as given')
  for (const name of Object.keys(presets)) t.equal(resolvePreset(name as keyof typeof presets), presets[name as keyof typeof presets], name)
  t.throws(() => resolvePreset('myspace' as 'x'), { code: ErrorCodes.INVALID_OPTION, message: /"provider".*one of x, twitter, trello/ })
  t.throws(() => resolvePreset('jira' as 'x'), { code: ErrorCodes.INVALID_OPTION, message: /presetFactories for evernote, jira/ }, 'factories are not names')
  t.throws(() => resolvePreset('toString' as 'x'), { code: ErrorCodes.INVALID_OPTION }, 'no prototype keys')
  t.throws(() => resolvePreset(42 as unknown as 'x'), { code: ErrorCodes.INVALID_OPTION })
  t.throws(() => resolvePreset(null as unknown as 'x'), { code: ErrorCodes.INVALID_OPTION })
  t.throws(() => createClient({ provider: 'myspace' as 'x', consumerKey, consumerSecret }), { code: ErrorCodes.INVALID_OPTION })
})

t.test('the plugin takes a preset by name, and refuses an unknown name at ready()', async (t) => {
  const app = await buildApp({ provider: 'trello', consumerKey, consumerSecret, callbackUrl })
  t.teardown(() => app.close())
  t.equal(app.oauth1.authorizeUrl('tok'), 'https://trello.com/1/OAuthAuthorizeToken?name=My%20App&scope=read&expiration=30days&oauth_token=tok')

  await t.rejects(readyError(t, { provider: 'myspace' as 'x', consumerKey, consumerSecret, callbackUrl }),
    { code: ErrorCodes.INVALID_OPTION, message: /"provider"/ })
  await t.rejects(readyError(t, { provider: netsuite({ accountId: '1' }), consumerKey, consumerSecret, callbackUrl }),
    { code: ErrorCodes.INVALID_OPTION, message: /requestTokenUrl/ },
    'a two-legged preset has no endpoints for the plugin')
})

/** Registers the plugin and resolves `ready()` (which should reject). */
async function readyError (t: Test, options: FastifyOAuth1Options): Promise<void> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: false } })
  app.register(fastifyOAuth1, options)
  await app.ready()
}

t.test('factories validate their parameters', async (t) => {
  const invalid = { code: ErrorCodes.INVALID_OPTION }
  t.throws(() => jira(undefined as unknown as { baseUrl: string }), { ...invalid, message: /"baseUrl"/ }, 'jira without options')
  t.throws(() => jira({} as { baseUrl: string }), { ...invalid, message: /"baseUrl"/ }, 'jira without baseUrl')
  t.throws(() => jira({ baseUrl: 'jira.example.com' }), invalid, 'not absolute')
  t.throws(() => jira({ baseUrl: 'ftp://jira.example.com' }), invalid, 'not http(s)')
  t.throws(() => jira({ baseUrl: 42 as unknown as string }), invalid)
  const j = jira({ baseUrl: 'https://jira.example.com/jira//?x=1#y' })
  t.equal(j.requestTokenUrl, 'https://jira.example.com/jira/plugins/servlet/oauth/request-token', 'context path kept, slashes, query and fragment dropped')
  t.equal(j.signatureMethod, 'RSA-SHA1')
  t.same(j.denial, ['verifier-denied'])
  t.throws(() => netsuite({ accountId: '1234567 sb1' }), { ...invalid, message: /"accountId"/ }, 'netsuite with a space')
  t.throws(() => netsuite({ accountId: '' }), invalid, 'empty account id')
  t.throws(() => netsuite({ accountId: '1234567.sb1' }), invalid, 'a dot')
  t.throws(() => netsuite({ accountId: 'x.evil.com/' }), invalid, 'a host injection')
  t.throws(() => netsuite({ accountId: 1234567 as unknown as string }), invalid, 'a number')
  t.throws(() => netsuite({} as { accountId: string }), invalid)
  t.throws(() => netsuite(undefined as unknown as { accountId: string }), invalid)
  t.equal(netsuite({ accountId: 'TSTDRV1234567' }).baseUrl, 'https://tstdrv1234567.suitetalk.api.netsuite.com/')
  t.throws(() => woocommerce({} as { baseUrl: string }), invalid)
  t.throws(() => magento({ baseUrl: 'not a url' }), invalid)
  t.equal(evernote(undefined).id, 'evernote')
  t.equal(evernote(null as unknown as { sandbox?: boolean }).id, 'evernote', 'null options are no options')
  t.equal(mastercard(null as unknown as { sandbox?: boolean }).baseUrl, 'https://api.mastercard.com/')
  t.equal(evernote({ sandbox: true }).requestTokenUrl, 'https://sandbox.evernote.com/oauth')
  t.same(Object.keys(presetFactories).sort(), ['evernote', 'jira', 'magento', 'mastercard', 'netsuite', 'woocommerce'])
})

t.test('presets are frozen, deeply, and merging copies them', async (t) => {
  const all = [
    ...Object.values(presets), evernote(), evernote({ sandbox: true }), jira({ baseUrl: 'https://j.example' }), netsuite({ accountId: '1' }),
    mastercard(), woocommerce({ baseUrl: 'http://w.example' }), magento({ baseUrl: 'https://m.example' })
  ]
  t.ok(Object.isFrozen(presets) && Object.isFrozen(presetFactories), 'the registries')
  for (const preset of all) {
    t.ok(Object.isFrozen(preset), `${preset.id}`)
    for (const [field, value] of Object.entries(preset)) {
      if (typeof value === 'object' && value !== null) t.ok(Object.isFrozen(value), `${preset.id}.${field}`)
    }
  }
  t.throws(() => { (trello as { authorizeUrl?: string }).authorizeUrl = 'https://evil.example' }, TypeError)
  t.throws(() => { (trello.authorizeParams as Record<string, string>).scope = 'read,write,account' }, TypeError, 'nested records too')
  t.throws(() => { (x.userFields as { id?: string }).id = 'other' }, TypeError)
  t.throws(() => { (x.denial as DenialStyle[]).push('authorize-0') }, TypeError)
  t.equal(trello.authorizeParams?.scope, 'read')
  const merged = applyPreset(x, { consumerKey }) as Record<string, unknown>
  merged.authorizeUrl = 'https://changed.example'
  t.equal(x.authorizeUrl, 'https://api.x.com/oauth/authorize', 'a merged copy does not write through')
})

t.test('every preset carries what the field notes say', async (t) => {
  const three = [x, trello, flickr, tumblr, garmin, discogs, smugmug, zotero, evernote(), evernote({ sandbox: true }), jira({ baseUrl: 'https://j.example' })]
  for (const preset of three) {
    t.equal(preset.legs, 3, preset.id)
    for (const name of ['requestTokenUrl', 'authorizeUrl', 'accessTokenUrl', 'baseUrl'] as const) t.match(preset[name], /^https:\/\//, `${preset.id}.${name}`)
    t.ok(preset.denial.length > 0, `${preset.id} denial`)
  }
  t.equal(x.requestTokenUrl, 'https://api.x.com/oauth/request_token')
  t.same(x.denial, ['denied-param'])
  t.equal(garmin.authorizeUrl, 'https://connect.garmin.com/oauthConfirm')
  t.equal(discogs.authorizeUrl, 'https://www.discogs.com/oauth/authorize')
  t.equal(discogs.requiresUserAgent, true)
  t.equal(discogs.signatureMethod, 'PLAINTEXT')
  t.same(Object.keys(zotero.authorizeParams ?? {}), ['name', 'library_access', 'write_access', 'all_groups'])
  t.equal(evernote().authorizeUrl, 'https://www.evernote.com/OAuth.action')
  t.same(evernote().userFields, { id: 'edam_userId' })
  const twoLegged = [
    netsuite({ accountId: '1' }), mastercard(), woocommerce({ baseUrl: 'http://w.example' }), schoology, magento({ baseUrl: 'https://m.example' })
  ]
  for (const preset of twoLegged) {
    t.equal(preset.legs, 2, preset.id)
  }
  t.equal(netsuite({ accountId: '1' }).signatureMethod, 'HMAC-SHA256')
  t.equal(mastercard().signatureMethod, 'RSA-SHA256')
  t.equal(mastercard().bodyHash, 'sha256')
  t.equal(schoology.token, '')
})

t.test('userOf reads the preset\'s userFields', async (t) => {
  t.same(userOf(undefined, { user_id: '1', screen_name: 'a' }), { id: '1', name: 'a' }, 'default: X\'s field names')
  t.same(userOf(flickr, { user_nsid: 'n', username: 'u', fullname: 'F' }), { id: 'n', name: 'u' })
  t.same(userOf(trello, { user_id: '1' }), {}, 'a preset without user fields names nobody')
  t.same(userOf(zotero, { userID: '9' }), { id: '9' }, 'a missing field is left out')
})

// ---------------------------------------------------------------------------------------------
// Effective preset facts, named or spread

const allPresets = (): Array<Readonly<ProviderPreset>> => [
  ...new Set(Object.values(presets)), evernote(), evernote({ sandbox: true }), jira({ baseUrl: 'https://j.example/jira' }),
  netsuite({ accountId: '1234567_SB1' }), mastercard(), mastercard({ sandbox: true }), woocommerce({ baseUrl: 'http://w.example' }),
  magento({ baseUrl: 'https://m.example' })
]

t.test('presetFacts: the same facts whether the preset is named, an object or spread', async (t) => {
  for (const preset of allPresets()) {
    const fromObject = presetFacts({ provider: preset })
    t.strictSame(presetFacts({ ...preset }), fromObject, `${preset.id}: spread = object`)
    t.strictSame(fromObject, {
      id: preset.id,
      legs: preset.legs,
      denial: preset.denial,
      userFields: preset.userFields,
      apiOrigins: preset.apiOrigins,
      requiresUserAgent: preset.requiresUserAgent === true
    }, `${preset.id}: the preset's own fields`)
  }
  for (const name of Object.keys(presets) as PresetName[]) {
    t.strictSame(presetFacts({ provider: name }), presetFacts({ ...presets[name] }), `${name}: named = spread`)
  }
  t.strictSame(presetFacts({}), {
    id: undefined,
    legs: undefined,
    denial: ['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0'],
    userFields: { id: 'user_id', name: 'screen_name' },
    apiOrigins: [],
    requiresUserAgent: false
  }, 'no preset: the defaults')
  t.strictSame(presetFacts({ provider: 'x', denial: ['authorize-0'], userFields: {} }).denial, ['authorize-0'], 'the caller\'s fields win')
  t.strictSame(presetFacts({ ...trello, provider: 'x' }).userFields, {}, 'a spread field wins over the named preset\'s')
  const invalid = { code: ErrorCodes.INVALID_OPTION }
  t.throws(() => presetFacts({ denial: ['nope' as DenialStyle] }), { ...invalid, message: /"denial"/ })
  t.throws(() => presetFacts({ denial: 'denied-param' as unknown as DenialStyle[] }), { ...invalid, message: /"denial"/ })
  t.throws(() => presetFacts({ userFields: { id: 1 as unknown as string } }), { ...invalid, message: /"userFields"/ })
  t.throws(() => presetFacts({ userFields: null as unknown as { id: string } }), { ...invalid, message: /"userFields"/ })
  t.throws(() => presetFacts({ apiOrigins: ['https://upload.x.com/path'] }), { ...invalid, message: /"apiOrigins"/ }, 'an origin, not a URL')
  t.throws(() => presetFacts({ apiOrigins: ['ftp://x.example'] }), { ...invalid, message: /"apiOrigins"/ })
  t.throws(() => presetFacts({ requiresUserAgent: 'yes' as unknown as boolean }), { ...invalid, message: /"requiresUserAgent"/ })
  t.throws(() => presetFacts({ provider: 'myspace' as PresetName }), { ...invalid, message: /"provider"/ })
})

t.test('every preset lists its API origins, the baseUrl\'s first; presetOptionKeys names every field', async (t) => {
  for (const preset of allPresets()) {
    const origins = preset.apiOrigins ?? []
    t.equal(origins[0], new URL(preset.baseUrl as string).origin, `${preset.id}: baseUrl's origin first`)
    for (const origin of origins) t.equal(new URL(origin).origin, origin, `${preset.id}: ${origin} is an origin`)
    t.ok(Object.isFrozen(origins), `${preset.id}: frozen`)
    for (const key of Object.keys(preset)) t.ok(presetOptionKeys.has(key), `${preset.id}.${key} is a known option key`)
  }
  t.strictSame(x.apiOrigins, ['https://api.x.com', 'https://upload.x.com'])
  t.strictSame(flickr.apiOrigins, ['https://www.flickr.com', 'https://up.flickr.com'])
  t.strictSame(netsuite({ accountId: '1234567_SB1' }).apiOrigins,
    ['https://1234567-sb1.suitetalk.api.netsuite.com', 'https://1234567-sb1.restlets.api.netsuite.com'])
})

t.test('denial data as the field notes have it', async (t) => {
  t.strictSame(x.denial, ['denied-param'], 'X: ?denied=<token>')
  t.strictSame(jira({ baseUrl: 'https://j.example' }).denial, ['verifier-denied'], 'Jira: oauth_verifier=denied')
  for (const preset of [trello, flickr, tumblr, garmin, discogs, smugmug, zotero, evernote(), evernote({ sandbox: true })]) {
    t.strictSame(preset.denial, ['missing-verifier'], `${preset.id}: back without a verifier`)
  }
  for (const preset of [netsuite({ accountId: '1' }), mastercard(), woocommerce({ baseUrl: 'http://w.example' }), magento({ baseUrl: 'https://m.example' })]) {
    t.strictSame(preset.denial, [], `${preset.id}: two-legged, no callback (Magento 1's oauth_problem codes are API failures, not a refusal)`)
  }
  t.strictSame(schoology.denial, ['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0'], 'Schoology: undocumented, the explicit signals')
})

// Type checks (tsc runs over test/): the preset fields are typed plugin options.
export const typedOptions: FastifyOAuth1Options[] = [
  { ...flickr, consumerKey, consumerSecret, callbackUrl },
  { provider: 'flickr', denial: ['missing-verifier'], userFields: { id: 'user_nsid' }, consumerKey, consumerSecret, callbackUrl },
  // @ts-expect-error not a denial style
  { provider: 'x', denial: ['maybe'], consumerKey, consumerSecret, callbackUrl }
]
