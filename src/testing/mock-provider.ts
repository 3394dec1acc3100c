import { randomBytes, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Dispatcher } from 'undici'
import { formatForm } from '../protocol/encoding.js'
import { formType, isFormContentType } from '../protocol/headers.js'
import { InProcessDispatcher, type MockRequest, type MockResponse } from './dispatcher.js'
import { createRequestVerifier, ProviderRefusal, sameString, type TokenSecretLookup, type VerifiedRequest } from './verify.js'

/** The user who approves at the mock provider. Extra string fields are allowed. */
export interface MockUser {
  /** Sent as `user_id` in the access-token response. */
  id: string
  /** The user's name; `screen_name` too unless that is given. */
  name: string
  /** Sent as `screen_name` in the access-token response; default `name`. */
  screen_name?: string | undefined
}

/**
 * How the mock provider says "the user refused" on the callback (real providers differ):
 * X `?denied=<token>`, `?oauth_problem=user_refused`, Jira `?oauth_verifier=denied`, or a
 * callback with the token and no verifier at all.
 */
export type MockDenialStyle = 'denied' | 'user_refused' | 'verifier_denied' | 'no_verifier'

/** The endpoints of the mock provider, for misbehaviour and recorded requests. */
export type MockEndpoint = 'request_token' | 'authorize' | 'access_token' | 'invalidate_token' | 'resource' | 'unknown'

/**
 * How a protected resource refuses a revoked or expired token: `'problem'` (default) answers
 * 401 with `oauth_problem=token_revoked` / `token_expired` (OAuth Problem Reporting); `'x'` answers
 * as X does, 401 with `{"errors":[{"code":89,"message":"Invalid or expired token."}]}`.
 */
export type MockInvalidTokenStyle = 'problem' | 'x'

/**
 * Misbehaviour on purpose: an HTTP 500, a body that is not a token response, no answer until
 * the provider is closed (or the client times out), or a request token without
 * `oauth_callback_confirmed=true` (an OAuth 1.0 provider, RFC 5849 §2.1).
 */
export type MockMisbehaviour = 'http_500' | 'garbage' | 'hang' | 'unconfirmed_callback'

/** Options of {@link createMockProvider}. Everything has a default. */
export interface MockProviderOptions {
  /** Default `'test-consumer'`. */
  consumerKey?: string | undefined
  /** Default a random string. */
  consumerSecret?: string | undefined
  /** The client's RSA public key, to accept RSA-SHA1 / RSA-SHA256. */
  rsaPublicKey?: KeyObject | string | undefined
  /** Who approves when no {@link MockProvider.approveNext} is queued. Default `{ id: '1001', name: 'Test User' }`. */
  user?: MockUser | undefined
  /** Default denial style of {@link MockProvider.denyNext}. Default `'denied'` (X). */
  denialStyle?: MockDenialStyle | undefined
  /** Origin the {@link MockProvider.dispatcher} answers for. Default `http://provider.test`. */
  origin?: string | undefined
  /** Paths of the three endpoints of RFC 5849 §2 and of the default "who am I" resource. */
  paths?: Partial<Record<'requestToken' | 'authorize' | 'accessToken' | 'verifyCredentials' | 'invalidateToken', string>> | undefined
  /** Realm in `WWW-Authenticate` on refusals. Default `'mock'`. */
  realm?: string | undefined
  /** Seconds a timestamp may be off, either way. Default 300. */
  timestampWindow?: number | undefined
  /** Milliseconds a request token stays usable. Default 10 minutes. */
  requestTokenTtl?: number | undefined
  /**
   * Milliseconds an access token stays usable. When set, the access-token answer carries
   * `oauth_expires_in` and an `oauth_session_handle` that renews the token at the access-token
   * endpoint (OAuth Session 1.0). Default: tokens do not expire (but see {@link MockProvider.expireTokens}).
   */
  accessTokenTtl?: number | undefined
  /** How revoked and expired tokens are refused. Default `'problem'`. */
  invalidTokenStyle?: MockInvalidTokenStyle | undefined
  /** Requests kept in {@link MockProvider.requests} (oldest dropped). Default 1000. */
  maxRecorded?: number | undefined
  /** Clock in milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined
}

/** What a protected-resource route receives: the verified request and the token's user. */
export interface MockRouteContext {
  /** The request as received (method, URL, lower-cased headers, body). */
  request: MockRequest
  /** The query parameters, decoded. */
  query: URLSearchParams
  /** The verified protocol parameters. */
  oauth: Record<string, string>
  /** The user of the access token; `undefined` for a two-legged (consumer-only) call. */
  user: MockUser | undefined
}

/** The answer of a route: an object body is sent as JSON. */
export interface MockRouteResult {
  /** The HTTP status. Default 200. */
  status?: number | undefined
  /** Response headers; `content-type: application/json` is added for an object body that has none. */
  headers?: Record<string, string> | undefined
  /** A string is sent as it is; anything else as JSON. */
  body?: unknown
}

/** A protected resource of the mock provider. */
export type MockRouteHandler = (context: MockRouteContext) => MockRouteResult | Promise<MockRouteResult>

/** Options of {@link MockProvider.route}. */
export interface MockRouteOptions {
  /** Accept consumer-only (two-legged) signed calls too. Default `false`: an access token is required. */
  twoLegged?: boolean | undefined
}

/** One request the mock provider received. */
export interface MockRecordedRequest {
  /** The HTTP method, as sent. */
  method: string
  /** The absolute URL, as addressed (path and query included). */
  url: string
  /** Which endpoint of the mock it reached. */
  endpoint: MockEndpoint
  /** The request headers, by lower-case name (the `Authorization` header included: signatures are not secrets). */
  headers: Record<string, string>
  /** The request body as text. */
  body: string
  /** The protocol parameters, when the signature was verified. */
  oauth: Record<string, string> | undefined
  /** The answer's status (0 when it hung). */
  status: number
  /** The `oauth_problem` of a refusal. */
  problem: string | undefined
  /** The misbehaviour applied, if any. */
  misbehaviour: MockMisbehaviour | undefined
}

/** The plugin / flow options pointing at the mock provider. */
export interface MockProviderClientOptions {
  /** The mock's consumer key ({@link MockProvider.consumerKey}). */
  consumerKey: string
  /** The mock's consumer secret ({@link MockProvider.consumerSecret}). */
  consumerSecret: string
  /** The mock's Temporary Credential Request URI (RFC 5849 §2.1). */
  requestTokenUrl: string
  /** The mock's Resource Owner Authorization URI (§2.2). */
  authorizeUrl: string
  /** The mock's Token Request URI (§2.3). */
  accessTokenUrl: string
  /** X-style `POST /1.1/oauth/invalidate_token`, for `disconnect({ revoke: true })`. */
  revokeUrl: string
  /**
   * The provider's base URL with a trailing slash: relative API paths of the user's client
   * (`request.oauth1.get('1.1/account/verify_credentials.json')`) go to the mock, even over a
   * preset's `baseUrl` (`provider: 'x'`).
   */
  baseUrl: string
  /** Present while the provider is not listening on a port: routes the calls in-process. */
  dispatcher?: Dispatcher
}

/** The answer to an authorization request (RFC 5849 §2.2). */
export interface MockDecision {
  /** The callback URL with the provider's parameters, or `undefined` for `oob`. */
  location: string | undefined
  /** The verifier, when approved. */
  verifier: string | undefined
}

/** A listening provider. */
export interface MockListening {
  /** e.g. `http://127.0.0.1:43121`. */
  url: string
  /** Closes the whole mock provider, as {@link MockProvider.close} does. */
  close (): Promise<void>
}

/** The mock provider. See {@link createMockProvider}. */
export interface MockProvider {
  /** The consumer key the mock accepts (its `consumerKey` option, default `test-consumer`). */
  readonly consumerKey: string
  /** The consumer secret of {@link MockProvider.consumerKey} (its option, or a random one): give it to the app under test. */
  readonly consumerSecret: string
  /** The base URL: the in-process origin, or the real one after {@link MockProvider.listen}. */
  readonly url: string
  /** Every request received, oldest first. */
  readonly requests: MockRecordedRequest[]
  /** An undici dispatcher that answers calls to the provider in-process (no port). */
  readonly dispatcher: Dispatcher
  /** The access tokens revoked so far (at the invalidate-token endpoint or by {@link MockProvider.revokeTokens}). */
  readonly revoked: ReadonlySet<string>
  /** Every live access token expires now (or only `token`): resources answer `token_expired`. */
  expireTokens (token?: string): void
  /** Every live access token is revoked now (or only `token`), as when the user revokes the app in the provider's settings. */
  revokeTokens (token?: string): void
  /** Endpoint URLs and consumer credentials (and the dispatcher while not listening), for plugin options. */
  options (): MockProviderClientOptions
  /** The next authorization is approved by this user (default the provider's user), with extra access-token fields. */
  approveNext (decision?: { user?: MockUser | undefined, extra?: Record<string, string> | undefined }): void
  /** The next authorization is refused, in the given style (default the provider's). */
  denyNext (decision?: { style?: MockDenialStyle | undefined }): void
  /** The next call (to `endpoint`, or to any endpoint) misbehaves; `times` calls in a row (default 1). */
  misbehaveNext (kind: MockMisbehaviour, options?: { endpoint?: MockEndpoint | undefined, times?: number | undefined }): void
  /** Adds a protected resource; the access-token signature is verified before `handler` runs. */
  route (method: string, path: string, handler: MockRouteHandler, options?: MockRouteOptions): void
  /** Handles one request (what the dispatcher and the server call). `undefined`: dropped without answer. */
  handle (request: MockRequest): Promise<MockResponse | undefined>
  /**
   * Plays the user at the authorize URL the app redirected to: applies the next queued decision
   * and returns where the provider sends the browser back.
   * @throws {Error} when the authorize endpoint does not redirect (unknown token, misbehaviour).
   */
  authorize (authorizeUrl: string): Promise<string>
  /** The callback of a live, unanswered request token (for a custom authorize page). */
  pendingAuthorization (token: string): {
    /** The `oauth_callback` the request token was asked with, where the decision redirects. */
    callback: string
  } | undefined
  /** Answers a live request token (for a custom authorize page); `undefined` when unknown. */
  decide (token: string, decision: { approve: true, user?: MockUser | undefined, extra?: Record<string, string> | undefined } | { approve: false, style?: MockDenialStyle | undefined }): MockDecision | undefined
  /** Listens on `host` (default 127.0.0.1) and a free port (or `port`). */
  listen (options?: { host?: string | undefined, port?: number | undefined }): Promise<MockListening>
  /** Stops the server, releases hanging requests, refuses further dispatches. */
  close (): Promise<void>
}

interface RequestTokenEntry {
  secret: string
  callback: string
  expires: number
  verifier?: string
  user?: MockUser
  extra?: Record<string, string>
}

interface AccessTokenEntry { secret: string, user: MockUser, expires: number | undefined, sessionHandle: string | undefined }
type Decision = { approve: true, user?: MockUser | undefined, extra?: Record<string, string> | undefined } | { approve: false, style?: MockDenialStyle | undefined }
interface Planned { kind: MockMisbehaviour, endpoint: MockEndpoint | undefined, times: number }
interface Route { method: string, path: string, handler: MockRouteHandler, twoLegged: boolean }

const maxPendingTokens = 10_000
const defaultUser: MockUser = { id: '1001', name: 'Test User' }

function randomToken (bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

function withParams (callback: string, params: Record<string, string>): string {
  const url = new URL(callback)
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value)
  return url.href
}

function text (status: number, body: string, type = 'text/plain; charset=utf-8'): MockResponse {
  return { status, headers: { 'content-type': type, 'cache-control': 'no-store' }, body }
}

function readBody (request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    request.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > 1024 * 1024) request.destroy(new Error('body too large'))
      else chunks.push(chunk)
    })
    request.on('end', () => resolve(Buffer.concat(chunks)))
    request.on('error', reject)
  })
}

/**
 * An in-process OAuth 1.0a provider for testing apps (RFC 5849 §2 and §3). It really verifies
 * what a provider verifies: signatures (HMAC-SHA1/256/512, PLAINTEXT, RSA-SHA1/256 with a public
 * key), the timestamp window, nonce replay, single-use request tokens and verifiers, and
 * access-token signatures on protected resources. The token lifecycle too: X-style revocation
 * (`POST /1.1/oauth/invalidate_token`, signed with the token; {@link MockProvider.revoked}), and
 * with `accessTokenTtl` expiring tokens renewed by `oauth_session_handle` (OAuth Session 1.0);
 * {@link MockProvider.expireTokens} and {@link MockProvider.revokeTokens} do it on demand.
 * Approval is programmatic
 * ({@link MockProvider.approveNext}, {@link MockProvider.denyNext}), misbehaviour on purpose
 * ({@link MockProvider.misbehaveNext}), and every request is recorded.
 *
 * Use it in-process through {@link MockProvider.dispatcher} (with `app.inject`), or on a real
 * port with {@link MockProvider.listen}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849
 */
export function createMockProvider (options: MockProviderOptions = {}): MockProvider {
  const consumerKey = options.consumerKey ?? 'test-consumer'
  const consumerSecret = options.consumerSecret ?? randomToken(24)
  const baseUser = options.user ?? defaultUser
  const defaultStyle = options.denialStyle ?? 'denied'
  const realm = options.realm ?? 'mock'
  const now = options.now ?? Date.now
  const ttl = options.requestTokenTtl ?? 10 * 60_000
  const maxRecorded = options.maxRecorded ?? 1000
  const origin = new URL(options.origin ?? 'http://provider.test').origin
  const paths = {
    requestToken: options.paths?.requestToken ?? '/oauth/request_token',
    authorize: options.paths?.authorize ?? '/oauth/authorize',
    accessToken: options.paths?.accessToken ?? '/oauth/access_token',
    verifyCredentials: options.paths?.verifyCredentials ?? '/1.1/account/verify_credentials.json',
    invalidateToken: options.paths?.invalidateToken ?? '/1.1/oauth/invalidate_token'
  }
  const accessTokenTtl = options.accessTokenTtl
  const invalidTokenStyle = options.invalidTokenStyle ?? 'problem'
  const verify = createRequestVerifier({
    consumers: new Map([[consumerKey, { secret: consumerSecret, publicKey: options.rsaPublicKey }]]),
    window: options.timestampWindow,
    now
  })
  const requestTokens = new Map<string, RequestTokenEntry>()
  const accessTokens = new Map<string, AccessTokenEntry>()
  const revoked = new Set<string>()
  const decisions: Decision[] = []
  const planned: Planned[] = []
  const routes: Route[] = []
  const requests: MockRecordedRequest[] = []
  const hanging = new Set<() => void>()
  let server: Server | undefined
  let listenedUrl: string | undefined
  let closed = false

  const origins = (): string[] => listenedUrl === undefined ? [origin] : [origin, listenedUrl]
  const dispatcher = new InProcessDispatcher((request) => provider.handle(request), origins)

  const liveRequestToken = (token: string | undefined): RequestTokenEntry | undefined => {
    if (token === undefined) return undefined
    const entry = requestTokens.get(token)
    if (entry === undefined) return undefined
    if (entry.expires <= now()) {
      requestTokens.delete(token)
      return undefined
    }
    return entry
  }

  const sweep = (): void => {
    const at = now()
    for (const [token, entry] of requestTokens) if (entry.expires <= at) requestTokens.delete(token)
  }

  const refusal = (error: ProviderRefusal): MockResponse => ({
    status: error.statusCode,
    headers: { 'content-type': formType, 'www-authenticate': `OAuth realm="${realm}", oauth_problem="${error.problem}"` },
    body: formatForm([['oauth_problem', error.problem], ...Object.entries(error.details)])
  })

  const endpointOf = (method: string, path: string): MockEndpoint => {
    if (path === paths.requestToken) return 'request_token'
    if (path === paths.authorize) return 'authorize'
    if (path === paths.accessToken) return 'access_token'
    if (path === paths.invalidateToken) return 'invalidate_token'
    if (routes.some((route) => route.path === path && route.method === method) || (path === paths.verifyCredentials && method === 'GET')) return 'resource'
    return 'unknown'
  }

  const takeMisbehaviour = (endpoint: MockEndpoint): MockMisbehaviour | undefined => {
    const index = planned.findIndex((plan) => plan.endpoint === undefined || plan.endpoint === endpoint)
    if (index === -1) return undefined
    const plan = planned[index] as Planned
    if (--plan.times <= 0) planned.splice(index, 1)
    return plan.kind
  }

  const decide = (token: string, decision: Decision): MockDecision | undefined => {
    const entry = liveRequestToken(token)
    if (entry === undefined || entry.verifier !== undefined) return undefined
    if (!decision.approve) {
      requestTokens.delete(token)
      if (entry.callback === 'oob') return { location: undefined, verifier: undefined }
      const style = decision.style ?? defaultStyle
      const params: Record<string, string> = style === 'denied'
        ? { denied: token }
        : style === 'user_refused'
          ? { oauth_token: token, oauth_problem: 'user_refused' }
          : style === 'verifier_denied' ? { oauth_token: token, oauth_verifier: 'denied' } : { oauth_token: token }
      return { location: withParams(entry.callback, params), verifier: undefined }
    }
    entry.verifier = randomToken(16)
    entry.user = decision.user ?? baseUser
    if (decision.extra !== undefined) entry.extra = decision.extra
    const location = entry.callback === 'oob' ? undefined : withParams(entry.callback, { oauth_token: token, oauth_verifier: entry.verifier })
    return { location, verifier: entry.verifier }
  }

  const issueAccessToken = (user: MockUser, sessionHandle?: string): Array<[string, string]> => {
    const accessToken = `${user.id}-${randomToken(18)}`
    const secret = randomToken(24)
    const handle = accessTokenTtl === undefined ? undefined : sessionHandle ?? randomToken(18)
    accessTokens.set(accessToken, { secret, user, expires: accessTokenTtl === undefined ? undefined : now() + accessTokenTtl, sessionHandle: handle })
    const fields: Array<[string, string]> = [['oauth_token', accessToken], ['oauth_token_secret', secret]]
    if (accessTokenTtl !== undefined) fields.push(['oauth_expires_in', String(Math.ceil(accessTokenTtl / 1000))], ['oauth_session_handle', handle as string])
    return fields
  }

  const isExpired = (entry: AccessTokenEntry): boolean => entry.expires !== undefined && entry.expires <= now()

  /** The refusal of a revoked or expired token on a resource, in the configured style. */
  const tokenRefusal = (problem: 'token_revoked' | 'token_expired', record: MockRecordedRequest): MockResponse => {
    if (invalidTokenStyle === 'problem') throw new ProviderRefusal(401, problem)
    record.problem = problem
    return text(401, JSON.stringify({ errors: [{ code: 89, message: 'Invalid or expired token.' }] }), 'application/json')
  }

  const answer = async (request: MockRequest, url: URL, endpoint: MockEndpoint, record: MockRecordedRequest): Promise<MockResponse> => {
    const contentType = request.headers['content-type']
    const form = isFormContentType(contentType) ? request.body.toString('utf8') : undefined
    const verified = (tokenSecretOf: TokenSecretLookup): VerifiedRequest => {
      const result = verify({ method: request.method, url, authorization: request.headers.authorization, body: form }, tokenSecretOf)
      record.oauth = { ...result.oauth }
      return result
    }

    if (endpoint === 'request_token') {
      const { oauth } = verified(null)
      const callback = oauth.oauth_callback
      if (callback === undefined) throw new ProviderRefusal(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_callback' })
      if (callback !== 'oob' && !/^https?:\/\//i.test(callback)) throw new ProviderRefusal(400, 'parameter_rejected', { oauth_parameters_rejected: 'oauth_callback' })
      sweep()
      if (requestTokens.size >= maxPendingTokens) throw new ProviderRefusal(503, 'temporarily_unavailable')
      const token = randomToken(16)
      const secret = randomToken(24)
      requestTokens.set(token, { secret, callback, expires: now() + ttl })
      const fields: Array<[string, string]> = [['oauth_token', token], ['oauth_token_secret', secret]]
      if (record.misbehaviour !== 'unconfirmed_callback') fields.push(['oauth_callback_confirmed', 'true'])
      return text(200, formatForm(fields), formType)
    }

    if (endpoint === 'authorize') {
      const token = url.searchParams.get('oauth_token') ?? ''
      const entry = liveRequestToken(token)
      if (entry === undefined || entry.verifier !== undefined) return text(400, 'This authorization request is unknown, expired or was already answered.')
      const result = decide(token, decisions.shift() ?? { approve: true }) as MockDecision
      if (result.location === undefined) return text(200, result.verifier === undefined ? 'Access denied.' : `Verification code: ${result.verifier}`)
      return { status: 302, headers: { location: result.location, 'cache-control': 'no-store' }, body: '' }
    }

    if (endpoint === 'access_token') {
      const { oauth, token } = verified((candidate) => liveRequestToken(candidate)?.secret ?? accessTokens.get(candidate)?.secret)
      const handle = oauth.oauth_session_handle
      const access = accessTokens.get(token as string)
      if (access !== undefined) {
        // OAuth Session 1.0 §4: renewal, signed with the (expired) access token and its handle.
        if (handle === undefined) throw new ProviderRefusal(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_session_handle' })
        if (revoked.has(token as string)) throw new ProviderRefusal(401, 'token_revoked')
        if (access.sessionHandle === undefined || !sameString(handle, access.sessionHandle)) throw new ProviderRefusal(401, 'token_rejected')
        accessTokens.delete(token as string)
        return text(200, formatForm(issueAccessToken(access.user, access.sessionHandle)), formType)
      }
      if (handle !== undefined) throw new ProviderRefusal(400, 'parameter_rejected', { oauth_parameters_rejected: 'oauth_session_handle' })
      const entry = requestTokens.get(token as string) as RequestTokenEntry
      // Single use: once a correctly signed exchange is attempted, the request token is gone,
      // whether or not the verifier matches.
      requestTokens.delete(token as string)
      const verifier = oauth.oauth_verifier
      if (verifier === undefined) throw new ProviderRefusal(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_verifier' })
      if (entry.verifier === undefined || entry.user === undefined) throw new ProviderRefusal(401, 'permission_unknown')
      if (!sameString(verifier, entry.verifier)) throw new ProviderRefusal(401, 'verifier_invalid')
      const user = entry.user
      return text(200, formatForm([
        ...issueAccessToken(user), ['user_id', user.id], ['screen_name', user.screen_name ?? user.name],
        ...Object.entries(entry.extra ?? {})
      ]), formType)
    }

    if (endpoint === 'invalidate_token') {
      if (request.method !== 'POST') return text(405, 'Method Not Allowed')
      const { token } = verified((candidate) => accessTokens.get(candidate)?.secret)
      if (revoked.has(token as string)) return tokenRefusal('token_revoked', record)
      revoked.add(token as string)
      // X answers with the token it invalidated.
      return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify({ access_token: token }) }
    }

    if (endpoint === 'resource') {
      const route = routes.find((each) => each.method === request.method && each.path === url.pathname)
      const twoLegged = route?.twoLegged ?? false
      const hasToken = /(?:^|[\s,])oauth_token\s*=/.test(request.headers.authorization ?? '') || url.searchParams.has('oauth_token') || new URLSearchParams(form ?? '').has('oauth_token')
      const { oauth, token } = verified(twoLegged && !hasToken ? null : (candidate) => accessTokens.get(candidate)?.secret)
      const access = token === undefined ? undefined : accessTokens.get(token)
      if (access !== undefined && revoked.has(token as string)) return tokenRefusal('token_revoked', record)
      if (access !== undefined && isExpired(access)) return tokenRefusal('token_expired', record)
      const user = access?.user
      if (route === undefined) {
        const who = user as MockUser
        return { status: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify({ id: who.id, name: who.name, screen_name: who.screen_name ?? who.name }) }
      }
      const result = await route.handler({ request, query: url.searchParams, oauth, user })
      const headers: Record<string, string> = { ...result.headers }
      let body = ''
      if (typeof result.body === 'string') body = result.body
      else if (result.body !== undefined) {
        body = JSON.stringify(result.body)
        if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
      }
      return { status: result.status ?? 200, headers, body }
    }

    return text(404, 'Not found')
  }

  const provider: MockProvider = {
    consumerKey,
    consumerSecret,
    get url () { return listenedUrl ?? origin },
    requests,
    dispatcher,
    revoked,
    expireTokens (token) {
      const at = now()
      for (const [each, entry] of accessTokens) if (token === undefined || each === token) entry.expires = Math.min(entry.expires ?? at, at)
    },
    revokeTokens (token) {
      for (const each of accessTokens.keys()) if (token === undefined || each === token) revoked.add(each)
    },
    options () {
      const base = listenedUrl ?? origin
      const result: MockProviderClientOptions = {
        consumerKey,
        consumerSecret,
        requestTokenUrl: base + paths.requestToken,
        authorizeUrl: base + paths.authorize,
        accessTokenUrl: base + paths.accessToken,
        revokeUrl: base + paths.invalidateToken,
        baseUrl: base + '/'
      }
      if (listenedUrl === undefined) result.dispatcher = dispatcher
      return result
    },
    approveNext (decision = {}) {
      decisions.push({ approve: true, user: decision.user, extra: decision.extra })
    },
    denyNext (decision = {}) {
      decisions.push({ approve: false, style: decision.style })
    },
    misbehaveNext (kind, plan = {}) {
      planned.push({ kind, endpoint: plan.endpoint ?? (kind === 'unconfirmed_callback' ? 'request_token' : undefined), times: plan.times ?? 1 })
    },
    route (method, path, handler, routeOptions = {}) {
      routes.push({ method: method.toUpperCase(), path, handler, twoLegged: routeOptions.twoLegged ?? false })
    },
    pendingAuthorization (token) {
      const entry = liveRequestToken(token)
      return entry === undefined || entry.verifier !== undefined ? undefined : { callback: entry.callback }
    },
    decide,
    async handle (request) {
      const url = new URL(request.url)
      const endpoint = endpointOf(request.method, url.pathname)
      const record: MockRecordedRequest = {
        method: request.method,
        url: url.href,
        endpoint,
        headers: { ...request.headers },
        body: request.body.toString('utf8'),
        oauth: undefined,
        status: 0,
        problem: undefined,
        misbehaviour: takeMisbehaviour(endpoint)
      }
      requests.push(record)
      if (requests.length > maxRecorded) requests.splice(0, requests.length - maxRecorded)
      if (record.misbehaviour === 'hang') {
        if (!closed) await new Promise<void>((resolve) => hanging.add(resolve))
        return undefined
      }
      let response: MockResponse
      if (record.misbehaviour === 'http_500') response = text(500, 'Internal Server Error')
      else if (record.misbehaviour === 'garbage') response = text(200, '<html><body>Something went wrong \u0000\u00ff</body></html>', 'text/html')
      else {
        try {
          response = await answer(request, url, endpoint, record)
        } catch (error) {
          if (!(error instanceof ProviderRefusal)) throw error
          response = refusal(error)
          record.problem = error.problem
        }
      }
      record.status = response.status
      return response
    },
    async authorize (authorizeUrl) {
      const url = new URL(authorizeUrl)
      const response = await provider.handle({ method: 'GET', url: url.href, headers: { host: url.host }, body: Buffer.alloc(0) })
      const location = response?.headers.location
      if (response === undefined || location === undefined) {
        throw new Error(`The mock provider's authorize step answered ${response?.status ?? 'nothing'} instead of a redirect: ${response?.body.slice(0, 200) ?? ''}`)
      }
      return location
    },
    async listen (listenOptions = {}) {
      if (server !== undefined) throw new Error('The mock provider is already listening')
      const host = listenOptions.host ?? '127.0.0.1'
      const started = createServer((req, res) => {
        readBody(req).then(async (body) => {
          const headers: Record<string, string> = Object.create(null)
          for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
          const response = await provider.handle({ method: req.method ?? 'GET', url: `http://${req.headers.host ?? host}${req.url ?? '/'}`, headers, body })
          if (response === undefined) {
            res.destroy()
            return
          }
          res.writeHead(response.status, response.headers).end(response.body)
        }).catch(() => res.destroy())
      })
      await new Promise<void>((resolve, reject) => {
        started.once('error', reject)
        started.listen(listenOptions.port ?? 0, host, () => resolve())
      })
      server = started
      const port = (started.address() as AddressInfo).port
      listenedUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`
      return { url: listenedUrl, close: () => provider.close() }
    },
    async close () {
      closed = true
      for (const release of hanging) release()
      hanging.clear()
      await dispatcher.close()
      const running = server
      server = undefined
      if (running !== undefined) {
        running.closeAllConnections()
        await new Promise<void>((resolve) => running.close(() => resolve()))
      }
    }
  }
  return provider
}
