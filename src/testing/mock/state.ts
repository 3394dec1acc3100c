import { randomBytes } from 'node:crypto'
import { createRequestVerifier } from '../verify.js'
import type {
  MockDecision, MockDenialStyle, MockEndpoint, MockInvalidTokenStyle, MockMisbehaviour, MockProviderOptions, MockRateLimit,
  MockRecordedRequest, MockRouteHandler, MockUser
} from './types.js'

/** A request token (RFC 5849 §2.1) until it is exchanged; `verifier` and `user` once approved. */
export interface RequestTokenEntry {
  secret: string
  callback: string
  expires: number
  verifier?: string
  user?: MockUser
  extra?: Record<string, string>
}

/** An access token (RFC 5849 §2.3), with its expiry and session handle under `accessTokenTtl`. */
export interface AccessTokenEntry { secret: string, user: MockUser, expires: number | undefined, sessionHandle: string | undefined }
/** A queued answer of the user at the authorize endpoint. */
export type Decision =
  | { approve: true, user?: MockUser | undefined, extra?: Record<string, string> | undefined }
  | { approve: false, style?: MockDenialStyle | undefined }
/** A queued misbehaviour. */
export interface Planned { kind: MockMisbehaviour, endpoint: MockEndpoint | undefined, times: number }
/** A protected resource added with `route()`. */
export interface Route { method: string, path: string, handler: MockRouteHandler, twoLegged: boolean }
/** A queued API answer of `rateLimitNext()` or `creditsDepletedNext()`. */
export type PlannedApiAnswer = { kind: 'rate_limit', limit: MockRateLimit, times: number } | { kind: 'credits_depleted', body: unknown, times: number }

/** The mock's options, checked and defaulted once; nothing else reads the raw options. */
export interface MockSettings {
  consumerKey: string
  consumerSecret: string
  user: MockUser
  denialStyle: MockDenialStyle
  realm: string
  now: () => number
  requestTokenTtl: number
  accessTokenTtl: number | undefined
  invalidTokenStyle: MockInvalidTokenStyle
  maxRecorded: number
  origin: string
  paths: { requestToken: string, authorize: string, accessToken: string, verifyCredentials: string, invalidateToken: string }
}

/** Request tokens kept at most; beyond, the request-token endpoint answers 503. */
export const maxPendingTokens = 10_000
const defaultUser: MockUser = { id: '1001', name: 'Test User' }

/** A random URL-safe token of `bytes` random bytes. */
export function randomToken (bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

/** The options of `createMockProvider` with their defaults. */
export function mockSettings (options: MockProviderOptions): MockSettings {
  return {
    consumerKey: options.consumerKey ?? 'test-consumer',
    consumerSecret: options.consumerSecret ?? randomToken(24),
    user: options.user ?? defaultUser,
    denialStyle: options.denialStyle ?? 'denied',
    realm: options.realm ?? 'mock',
    now: options.now ?? Date.now,
    requestTokenTtl: options.requestTokenTtl ?? 10 * 60_000,
    accessTokenTtl: options.accessTokenTtl,
    invalidTokenStyle: options.invalidTokenStyle ?? 'problem',
    maxRecorded: options.maxRecorded ?? 1000,
    origin: new URL(options.origin ?? 'http://provider.test').origin,
    paths: {
      requestToken: options.paths?.requestToken ?? '/oauth/request_token',
      authorize: options.paths?.authorize ?? '/oauth/authorize',
      accessToken: options.paths?.accessToken ?? '/oauth/access_token',
      verifyCredentials: options.paths?.verifyCredentials ?? '/1.1/account/verify_credentials.json',
      invalidateToken: options.paths?.invalidateToken ?? '/1.1/oauth/invalidate_token'
    }
  }
}

function withParams (callback: string, params: Record<string, string>): string {
  const url = new URL(callback)
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value)
  return url.href
}

/** Takes one use of the first queued entry that `matches`, dropping it when used up. */
function takeFirst<T extends { times: number }> (queue: T[], matches: (entry: T) => boolean): T | undefined {
  const index = queue.findIndex(matches)
  if (index === -1) return undefined
  const entry = queue[index] as T
  if (--entry.times <= 0) queue.splice(index, 1)
  return entry
}

/**
 * What the mock provider knows: its tokens, the users who approved them, revocations, the answers
 * scripted for next requests, its routes and the requests it recorded. Nonces are the verifier's.
 */
export class MockState {
  readonly requestTokens = new Map<string, RequestTokenEntry>()
  readonly accessTokens = new Map<string, AccessTokenEntry>()
  readonly revoked = new Set<string>()
  readonly decisions: Decision[] = []
  readonly planned: Planned[] = []
  readonly apiAnswers: PlannedApiAnswer[] = []
  readonly routes: Route[] = []
  readonly requests: MockRecordedRequest[] = []
  /** Verifies signatures, timestamps and nonces (RFC 5849 §3.2). */
  readonly verify: ReturnType<typeof createRequestVerifier>

  constructor (readonly settings: MockSettings, rsaPublicKey: MockProviderOptions['rsaPublicKey'], timestampWindow: number | undefined) {
    this.verify = createRequestVerifier({
      consumers: new Map([[settings.consumerKey, { secret: settings.consumerSecret, publicKey: rsaPublicKey }]]),
      window: timestampWindow,
      now: settings.now
    })
  }

  /** The entry of a request token that has not expired (an expired one is forgotten). */
  liveRequestToken (token: string | undefined): RequestTokenEntry | undefined {
    if (token === undefined) return undefined
    const entry = this.requestTokens.get(token)
    if (entry === undefined) return undefined
    if (entry.expires <= this.settings.now()) {
      this.requestTokens.delete(token)
      return undefined
    }
    return entry
  }

  /** Forgets every expired request token. */
  sweep (): void {
    const at = this.settings.now()
    for (const [token, entry] of this.requestTokens) if (entry.expires <= at) this.requestTokens.delete(token)
  }

  /** Issues a request token for `callback`: `[token, secret]`. */
  issueRequestToken (callback: string): [token: string, secret: string] {
    const token = randomToken(16)
    const secret = randomToken(24)
    this.requestTokens.set(token, { secret, callback, expires: this.settings.now() + this.settings.requestTokenTtl })
    return [token, secret]
  }

  /** The user's answer for a live, unanswered request token (RFC 5849 §2.2); `undefined` when unknown. */
  decide (token: string, decision: Decision): MockDecision | undefined {
    const entry = this.liveRequestToken(token)
    if (entry === undefined || entry.verifier !== undefined) return undefined
    if (!decision.approve) {
      this.requestTokens.delete(token)
      if (entry.callback === 'oob') return { location: undefined, verifier: undefined }
      const style = decision.style ?? this.settings.denialStyle
      const params: Record<string, string> = style === 'denied'
        ? { denied: token }
        : style === 'user_refused'
          ? { oauth_token: token, oauth_problem: 'user_refused' }
          : style === 'verifier_denied' ? { oauth_token: token, oauth_verifier: 'denied' } : { oauth_token: token }
      return { location: withParams(entry.callback, params), verifier: undefined }
    }
    entry.verifier = randomToken(16)
    entry.user = decision.user ?? this.settings.user
    if (decision.extra !== undefined) entry.extra = decision.extra
    const location = entry.callback === 'oob' ? undefined : withParams(entry.callback, { oauth_token: token, oauth_verifier: entry.verifier })
    return { location, verifier: entry.verifier }
  }

  /** Issues an access token for `user` (renewing keeps `sessionHandle`): the token-response fields. */
  issueAccessToken (user: MockUser, sessionHandle?: string): Array<[string, string]> {
    const ttl = this.settings.accessTokenTtl
    const accessToken = `${user.id}-${randomToken(18)}`
    const secret = randomToken(24)
    const handle = ttl === undefined ? undefined : sessionHandle ?? randomToken(18)
    this.accessTokens.set(accessToken, { secret, user, expires: ttl === undefined ? undefined : this.settings.now() + ttl, sessionHandle: handle })
    const fields: Array<[string, string]> = [['oauth_token', accessToken], ['oauth_token_secret', secret]]
    if (ttl !== undefined) fields.push(['oauth_expires_in', String(Math.ceil(ttl / 1000))], ['oauth_session_handle', handle as string])
    return fields
  }

  /** True once the access token's expiry has passed. */
  isExpired (entry: AccessTokenEntry): boolean {
    return entry.expires !== undefined && entry.expires <= this.settings.now()
  }

  /** The misbehaviour queued for a request to `endpoint`, used up by this request. */
  takeMisbehaviour (endpoint: MockEndpoint): MockMisbehaviour | undefined {
    return takeFirst(this.planned, (plan) => plan.endpoint === undefined || plan.endpoint === endpoint)?.kind
  }

  /** The API answer queued by `rateLimitNext()` or `creditsDepletedNext()`, used up by this request. */
  takeApiAnswer (): PlannedApiAnswer | undefined {
    return takeFirst(this.apiAnswers, () => true)
  }

  /** Records a request, keeping at most `maxRecorded`. */
  record (entry: MockRecordedRequest): void {
    this.requests.push(entry)
    if (this.requests.length > this.settings.maxRecorded) this.requests.splice(0, this.requests.length - this.settings.maxRecorded)
  }
}
