import { ErrorCodes, OAuth1Error } from '../errors.js'
import { findHeader, type HeaderRecord } from '../protocol/headers.js'
import type { SignOptions, Signer } from '../signer/signer.js'
import { appendQuery, encodeParams, prepareBody, prepareOpaqueBody, type SendableBody, type SignBody } from './body.js'
import type { OriginClockOffsets } from './clock-skew.js'
import type { Received } from './collector.js'
import { Deadline } from './deadline.js'
import { rateLimitOption } from './options.js'
import { idempotentMethods } from './retry.js'
import type { RequestOptions } from './types.js'
import type { Dispatcher } from './undici.js'
import { checkHeaders, hasUserInfo, isPositiveNumber } from './urls.js'

/** How a client treats redirects to another origin. */
export type CrossOriginRedirects = 'unsigned' | 'refuse'

/** The per-user token a client signs with (see `OAuth1Client.withToken`). */
export interface Credentials {
  token: string
  tokenSecret: string
}

/** {@link RateLimitOptions}, checked and defaulted. */
export interface RateLimitWait {
  wait: boolean
  /** Milliseconds; `Infinity` when only the deadline bounds the wait. */
  maxWaitMs: number
}

/** A client's settings and shared state, checked and defaulted once by `buildClient`. */
export interface ClientCore {
  signer: Signer
  dispatcher: Dispatcher
  ownsDispatcher: boolean
  base: URL | undefined
  /** Origins requests may go to (signed); `undefined`: any origin. */
  origins: ReadonlySet<string> | undefined
  timeout: number
  maxRedirections: number
  retries: number
  maxResponseBytes: number
  userAgent: string | undefined
  correctClockSkew: boolean
  /** {@link ClientOptions.maxClockSkew}. */
  maxClockSkew: number
  /** The offsets learned per origin (see {@link OriginClockOffsets}). */
  clockOffsets: OriginClockOffsets
  crossOriginRedirects: CrossOriginRedirects
  signMultipartFields: boolean
  /** Cut out of a provider's echoed base string (see {@link ClientResponse.diagnosis}). */
  consumerSecret: string | undefined
  /** {@link ClientOptions.rateLimit}, checked. */
  rateLimit: RateLimitWait | undefined
}

/** One call's mutable state across its hops (redirects) and attempts (retries, clock correction). */
export interface Call {
  url: URL
  method: string
  headers: HeaderRecord
  body: SendableBody | undefined
  /** What the signer reads of a multipart or stream body: the signed fields (a form string), or nothing. */
  readonly signBody: SignBody | undefined
  readonly signOptions: SignOptions
  /** True when the client sets the timestamp (the caller gave none): the signer's clock plus the origin's learned offset. */
  readonly clocked: boolean
  readonly firstOrigin: string
  readonly timeout: number
  readonly deadline: Deadline
  retriesLeft: number
  redirectsLeft: number
  mayCorrectClock: boolean
  /** The rate-limit wait still allowed (once per call), or `undefined`. */
  rateLimit: RateLimitWait | undefined
}

/** What an attempt produced: a response read in full, or a failure. */
export type Outcome = Answer | { failure: unknown }

/** A response read in full, with how its attempt was signed. */
export interface Answer extends Received {
  /** The signer's clock offset this attempt was signed with. */
  offsetAtSend: number
  signed: boolean
  baseString: string | undefined
}

/** A call's state from its options, checked: the URL, method, headers, body, signing options and deadline. */
export function prepareCall (
  core: ClientCore, input: string | URL, options: RequestOptions, credentials: Credentials | undefined, methodName: string | undefined
): Call {
  const extraQuery = options.query === undefined ? '' : encodeParams(options.query)
  const url = parseRequestUrl(core, input)
  if (extraQuery !== '') appendQuery(url, extraQuery)
  const method = methodName === 'GET' ? methodName : (methodName ?? 'GET').toUpperCase()
  const headers: HeaderRecord = options.headers === undefined ? {} : { ...options.headers }
  if (options.headers !== undefined) checkHeaders(headers)
  if (core.userAgent !== undefined && findHeader(headers, 'user-agent') === undefined) headers['user-agent'] = core.userAgent
  const bodyless = options.body === undefined && options.form === undefined && options.json === undefined && options.bodyHash === undefined
  const signBody = bodyless ? undefined : prepareOpaqueBody(core, options, headers)
  const body = bodyless ? undefined : prepareBody(options, headers)
  const signOptions: SignOptions = options.oauth === undefined && credentials !== undefined
    ? { token: credentials.token, tokenSecret: credentials.tokenSecret, returnBaseString: true }
    : { ...credentials, ...options.oauth, returnBaseString: true }
  if (options.bodyHash !== undefined) signOptions.bodyHash = options.bodyHash
  const once = signBody !== undefined && signBody.body === undefined
  const timeout = options.timeout ?? core.timeout
  if (!isPositiveNumber(timeout)) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request option "timeout": expected a positive number of milliseconds')
  }
  const signal = options.signal
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request option "signal": expected an AbortSignal')
  }
  const rateLimit = rateLimitOption(options.rateLimit, 'request') ?? core.rateLimit
  return {
    url,
    method,
    headers,
    body,
    signBody,
    signOptions,
    clocked: signOptions.timestamp === undefined,
    firstOrigin: url.origin,
    timeout,
    retriesLeft: idempotentMethods.has(method) && !once && options.stream !== true ? core.retries : 0,
    redirectsLeft: once || options.stream === true ? 0 : core.maxRedirections,
    mayCorrectClock: core.correctClockSkew && !once && options.stream !== true && signOptions.timestamp === undefined,
    rateLimit: once || options.stream === true ? undefined : rateLimit,
    deadline: new Deadline(timeout, url, signal)
  }
}

/** The request URL, parsed (a `URL` input is copied: the call may replace it, never the caller's) and checked against the client's origins. */
function parseRequestUrl (core: ClientCore, input: string | URL): URL {
  let url: URL
  try {
    url = core.base === undefined ? new URL(String(input)) : new URL(String(input).replace(/^\/(?!\/)/, ''), core.base)
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request URL: expected an absolute URL, or a path when baseUrl is set', { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request URL: only http and https')
  if (hasUserInfo(url)) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Invalid request URL: user name or password in a URL of ${url.origin}; send credentials in headers`)
  }
  if (core.origins !== undefined && !core.origins.has(url.origin)) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, `This client only calls ${[...core.origins].join(', ')}; refusing to send credentials to ${url.origin}`)
  }
  return url
}
