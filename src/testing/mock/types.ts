import type { KeyObject } from 'node:crypto'
import type { Dispatcher } from 'undici'
import type { MockRequest, MockResponse } from '../dispatcher.js'

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

/** What {@link MockProvider.rateLimitNext} puts on the next API answers (X's `x-rate-limit-*` headers). */
export interface MockRateLimit {
  /** The answer's status: 429 (default) refuses the call; a 2xx lets the resource answer, with the headers. */
  status?: number | undefined
  /** `x-rate-limit-limit`, the calls allowed in the window. Default 900. */
  limit?: number | undefined
  /** `x-rate-limit-remaining`. Default 0 when the call is refused, else `limit - 1`. */
  remaining?: number | undefined
  /** `x-rate-limit-reset` (sent in epoch seconds): a date, or epoch milliseconds. Default 15 minutes after the mock's clock. */
  resetAt?: Date | number | undefined
  /** `Retry-After`, in seconds. Default: on a refusal the seconds until `resetAt`, otherwise none. */
  retryAfter?: number | undefined
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
  decide (
    token: string,
    decision:
      | { approve: true, user?: MockUser | undefined, extra?: Record<string, string> | undefined }
      | { approve: false, style?: MockDenialStyle | undefined }
  ): MockDecision | undefined
  /**
   * The next API answers (protected resources, after the signature and the token are verified)
   * carry X's rate-limit headers, `x-rate-limit-limit`, `-remaining` and `-reset`, and
   * `Retry-After` when given. With `status` 429 (the default) the call is refused with X's
   * `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`; with a 2xx status the resource
   * answers as usual, with the headers. `times` answers in a row (default 1).
   */
  rateLimitNext (limit?: MockRateLimit, options?: { times?: number | undefined }): void
  /**
   * The next API answers are X's refusal of a pay-per-use account without credits: HTTP 402 with
   * the JSON problem {@link mockCreditsDepletedBody} (or `body`). `times` answers in a row (default 1).
   */
  creditsDepletedNext (options?: { times?: number | undefined, body?: unknown }): void
  /** Listens on `host` (default 127.0.0.1) and a free port (or `port`). */
  listen (options?: { host?: string | undefined, port?: number | undefined }): Promise<MockListening>
  /** Stops the server, releases hanging requests, refuses further dispatches. */
  close (): Promise<void>
}
