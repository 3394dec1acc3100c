import type { Readable } from 'node:stream'
import type { ProviderProblem, SignatureDiagnosis } from '../errors.js'
import type { HeaderRecord } from '../protocol/headers.js'
import type { PresetName, ProviderPresetInput } from '../presets/presets.js'
import type { SignOptions, Signer, SignerOptions } from '../signer/signer.js'
import type { Dispatcher } from './undici.js'
import type { RateLimit } from './rate-limit.js'

/** Query values accepted by {@link RequestOptions.query}. */
export type QueryValue = string | number | boolean
/** A query as a record (arrays repeat the key), `URLSearchParams`, or pairs. */
export type QueryInput = Record<string, QueryValue | readonly QueryValue[] | undefined> | URLSearchParams | ReadonlyArray<readonly [string, string]>

/** Options for one request through an {@link OAuth1Client}. */
export interface RequestOptions {
  /** Default `GET`. */
  method?: string | undefined
  /** Request headers. `Authorization` is the signer's with the default `header` placement (RFC 5849 §3.5.1). */
  headers?: HeaderRecord | undefined
  /** Added to the URL's query; signed into the base string (RFC 5849 §3.4.1.3.1). */
  query?: QueryInput | undefined
  /**
   * A raw body. A form body (`application/x-www-form-urlencoded`) is signed; others are not (or
   * get `oauth_body_hash`). A `FormData` is sent as `multipart/form-data`, its parts not signed
   * (RFC 5849 §3.4.1.3.1), except the non-file fields when the preset sets `signMultipartFields`
   * (Flickr uploads). A stream (`Readable`, async iterable) needs {@link RequestOptions.bodyHash}.
   */
  body?: string | Uint8Array | URLSearchParams | FormData | Readable | AsyncIterable<Uint8Array> | undefined
  /**
   * The `oauth_body_hash` of a stream body, computed by you (base64 of its SHA-1, or the
   * signature method's hash): a stream cannot be read twice, so the client does not hash it.
   * A stream body is sent once (no retry, redirect or clock-skew retry).
   */
  bodyHash?: string | undefined
  /**
   * `true`: resolve at the response headers with the undici body stream (downloads), not read
   * into memory and not capped by `maxResponseBytes`; the call's `timeout` and `signal` still end
   * the read. No redirects, retries or clock-skew retry are made.
   */
  stream?: boolean | undefined
  /** A form body, signed into the base string. */
  form?: Record<string, QueryValue | readonly QueryValue[] | undefined> | URLSearchParams | undefined
  /** A JSON body (`content-type: application/json`). */
  json?: unknown
  /** Per-call signing values (e.g. `callback`, `verifier`, or another token). */
  oauth?: SignOptions | undefined
  /** Milliseconds the whole call may take, headers and body (see {@link ClientOptions.timeout}). Default: the client's. */
  timeout?: number | undefined
  /** Ends the call when it aborts (`OAUTH1_ABORTED`): an `AbortSignal`, or any {@link CallerSignal}. */
  signal?: CallerSignal | undefined
  /** Waiting out a 429 for this call (see {@link ClientOptions.rateLimit}). Default: the client's. */
  rateLimit?: RateLimitOptions | undefined
}

/**
 * Waiting out a rate limit: a 429 whose reset ({@link ClientResponse.rateLimit}'s `resetAt`, or
 * `Retry-After`) falls within the call's deadline and `maxWaitMs` is waited for and sent again,
 * once, signed with a fresh nonce, whatever the method (a 429 was not processed); one beyond them
 * is returned at once, without {@link ClientOptions.retries}. The wait counts against the call's
 * `timeout` and ends with its `signal`. Never for a stream body or a `stream: true` call.
 */
export interface RateLimitOptions {
  /** `true` to wait. Default `false`: a 429 is returned (or retried by {@link ClientOptions.retries}). */
  wait?: boolean | undefined
  /** The longest wait, in milliseconds. Default: what is left of the call's `timeout`. */
  maxWaitMs?: number | undefined
}

/**
 * What a call reads of its caller's signal: the part of an `AbortSignal` it uses, so an
 * `AbortSignal` fits, and so does a lighter object (the adapters' "the browser went away").
 */
export interface CallerSignal {
  /** True once the caller gave up. */
  readonly aborted: boolean
  /** Why the caller gave up (an `AbortSignal`'s reason), kept as the `cause` of `OAUTH1_ABORTED`. */
  readonly reason?: unknown
  /** Calls `listener` when the caller gives up. */
  addEventListener (type: 'abort', listener: () => void, options?: { once?: boolean }): void
  /** Stops calling `listener` (when the call has ended). */
  removeEventListener (type: 'abort', listener: () => void): void
}

/** A response read in full. Non-2xx statuses are responses, not errors. */
export interface ClientResponse {
  /** The HTTP status of the answer. */
  status: number
  /** True for 2xx. */
  ok: boolean
  /** The response headers, by lower-case name. */
  headers: Record<string, string | string[] | undefined>
  /** The URL that answered (after redirects). */
  url: string
  /** The whole body, at most the client's `maxResponseBytes`. */
  body: Buffer
  /** The body as UTF-8 text. */
  text (): string
  /**
   * The body parsed as JSON.
   * @throws {OAuth1Error} `OAUTH1_PROVIDER_BAD_RESPONSE` when it is not JSON.
   */
  json<T = unknown> (): T
  /**
   * The provider's rate-limit window, read from whichever fields the answer carries: X's
   * `x-rate-limit-*` and `x-user-limit-24hour-*`, Discogs' `X-Discogs-Ratelimit*`, the IETF
   * `RateLimit` fields, `Retry-After`. `undefined` when the answer says nothing about limits.
   */
  readonly rateLimit: RateLimit | undefined
  /**
   * What the provider reported about a failure (`oauth_problem`, advice, ...), read from the body
   * and `WWW-Authenticate`. Where the provider named no `oauth_problem`, a 429 is `rate_limited`
   * (see {@link ClientResponse.rateLimit} for when to call again) and a 402 is `credits_exhausted`
   * (X's pay-per-use credits are spent).
   */
  problem (): ProviderProblem
  /**
   * When the provider refused the signature (`oauth_problem=signature_invalid`, or a 401 naming
   * the signature): the base string we signed, the provider's own when it sent one (Flickr's
   * `debug_sbs`) and their first difference. `undefined` for any other answer.
   */
  diagnosis (): SignatureDiagnosis | undefined
}

/** A response whose body is not read: the undici body stream (`stream: true`). */
export interface StreamedResponse {
  /** The HTTP status of the answer. */
  status: number
  /** True for 2xx. */
  ok: boolean
  /** The response headers, by lower-case name. */
  headers: Record<string, string | string[] | undefined>
  /** The URL that answered (a streamed call follows no redirect: the URL asked). */
  url: string
  /** The undici body: read it or destroy it. The call's deadline and signal still end it. */
  body: Readable
  /** The provider's rate-limit window (see {@link ClientResponse.rateLimit}). */
  readonly rateLimit: RateLimit | undefined
}

/** Options of a streamed call. */
export type StreamOptions = RequestOptions & {
  /** Resolve at the response headers with the body stream (see {@link RequestOptions.stream}). */
  stream: true
}

/**
 * A call with a fixed method (`client.get(url, options)`, `client.post`, ...): {@link OAuth1Client.request}
 * without the `method` option. `{ stream: true }` resolves to a {@link StreamedResponse}, any
 * other options to a {@link ClientResponse}.
 */
export interface ClientMethod {
  (url: string | URL, options: Omit<StreamOptions, 'method'>): Promise<StreamedResponse>
  (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
}

/** A client that signs every request with one set of credentials. */
export interface OAuth1Client {
  /**
   * A signed request whose body is not read (`stream: true`): resolves at the response headers
   * with the undici body stream. Sent once: no redirect, retry or clock-skew retry.
   *
   * @throws {OAuth1Error} `OAUTH1_INVALID_REQUEST` for a URL outside the client's origins,
   * `OAUTH1_TIMEOUT`, `OAUTH1_NETWORK`, `OAUTH1_ABORTED`.
   */
  request (url: string | URL, options: StreamOptions): Promise<StreamedResponse>
  /**
   * A signed request (RFC 5849 §3.5), the answer read in full: every status resolves, a non-2xx
   * one too. Redirects ({@link ClientOptions.maxRedirections}) and retries ({@link ClientOptions.retries})
   * are signed again with a fresh nonce; a refused timestamp is corrected and retried once ({@link ClientOptions.correctClockSkew}).
   *
   * @throws {OAuth1Error} `OAUTH1_INVALID_REQUEST` for a URL outside the client's origins,
   * `OAUTH1_TIMEOUT`, `OAUTH1_NETWORK`, `OAUTH1_ABORTED`, `OAUTH1_PROVIDER_BAD_RESPONSE` (a body over `maxResponseBytes`),
   * `OAUTH1_REDIRECT_REFUSED`.
   */
  request (url: string | URL, options?: RequestOptions): Promise<ClientResponse>
  /** `GET`: {@link OAuth1Client.request} with `method: 'GET'`. */
  get: ClientMethod
  /** `POST`: {@link OAuth1Client.request} with `method: 'POST'`. */
  post: ClientMethod
  /** `PUT`: {@link OAuth1Client.request} with `method: 'PUT'`. */
  put: ClientMethod
  /** `PATCH`: {@link OAuth1Client.request} with `method: 'PATCH'`. */
  patch: ClientMethod
  /** `DELETE`: {@link OAuth1Client.request} with `method: 'DELETE'`. */
  delete: ClientMethod
  /** A client for the same consumer with a user's token; it shares signer and connections. */
  withToken (credentials: { token: string, tokenSecret: string }): OAuth1Client
  /** The signer in use. */
  readonly signer: Signer
  /**
   * Seconds this client adds to the timestamps it sends to `url`'s origin, learned from that
   * origin's refusals of our timestamp (see {@link ClientOptions.correctClockSkew}); 0 when none was learned.
   * Shared by the clients of {@link OAuth1Client.withToken}. {@link Signer.clockOffset} comes on top.
   */
  clockOffset (url: string | URL): number
  /** Closes the connection pool this client created (not a dispatcher you passed in). */
  close (): Promise<void>
}

/** Options for {@link createClient}. */
export interface ClientOptions extends SignerOptions {
  /** Relative URLs resolve against it; absolute URLs must share its origin (or be in {@link ClientOptions.origins}). An http(s) URL without user info. */
  baseUrl?: string | URL | undefined
  /**
   * Other origins of the same provider this client may call and sign for, besides `baseUrl`'s
   * (X's `https://upload.x.com` beside `https://api.x.com`). Credentials are never sent to an
   * origin outside this list and `baseUrl`'s. Without `baseUrl`, absolute URLs must be in it.
   */
  origins?: ReadonlyArray<string | URL> | undefined
  /** The API origins a provider preset declares; read like {@link ClientOptions.origins} (set by presets, merged with `origins`). */
  apiOrigins?: readonly string[] | undefined
  /**
   * The undici dispatcher to send through. Default: a keep-alive `Agent` owned by the client.
   * Requests reach it already signed, so a retry or redirect interceptor composed into it would
   * resend the same nonce: use {@link ClientOptions.maxRedirections} and {@link ClientOptions.retries}.
   */
  dispatcher?: Dispatcher | undefined
  /**
   * Milliseconds a whole call may take: connecting, the response headers and the full body, with
   * its redirects and retries. At the deadline the upstream read is aborted (the connection is
   * closed) and the call rejects with `OAUTH1_TIMEOUT`. Default 10 000.
   */
  timeout?: number | undefined
  /**
   * Redirects to follow, default 0 (the 3xx response is returned). Same-origin hops are signed
   * again with a fresh nonce; hops to another origin are sent with no credentials.
   */
  maxRedirections?: number | undefined
  /**
   * Times an idempotent request (GET, HEAD, OPTIONS, PUT, DELETE) is tried again after a network
   * failure or a 429/502/503/504 answer, within the call's `timeout`; each attempt is signed
   * again with a fresh nonce. Waits `Retry-After` (at most 10 s) or 100 ms doubling. Default 0.
   * Never for a stream body (`Readable`, async iterable), which cannot be read twice, nor for a
   * `stream: true` call: those are sent once and their 429/5xx answer is returned as it is; a
   * stream body's network failure is `OAUTH1_NETWORK` (or `OAUTH1_TIMEOUT`) saying it was not retried.
   */
  retries?: number | undefined
  /** Largest response body read, in bytes; a larger body is not read past the limit. Default 16 MiB. */
  maxResponseBytes?: number | undefined
  /** A `user-agent` header for every request (Discogs requires one). */
  userAgent?: string | undefined
  /**
   * When the provider refuses our timestamp (`oauth_problem=timestamp_refused`, or a 401 whose
   * `Date` is minutes away), learn the offset for the origin that answered and retry once.
   * The offset applies to that origin only, and is shared by this client's {@link OAuth1Client.withToken}
   * clients (one consumer, one provider clock per origin). A correction beyond {@link ClientOptions.maxClockSkew},
   * or one that would send a timestamp outside 1..2^31-1, is refused: the answer is returned as it is. Default `true`.
   */
  correctClockSkew?: boolean | undefined
  /**
   * The largest clock offset, in seconds either way, learned from a provider's answer
   * ({@link ClientOptions.correctClockSkew}). Default 86 400 (one day).
   */
  maxClockSkew?: number | undefined
  /** Waiting out a 429 until its reset, once, within the call's deadline (see {@link RateLimitOptions}). Default: no wait. */
  rateLimit?: RateLimitOptions | undefined
  /** A provider preset (object or name) whose values fill the options you leave out. */
  provider?: ProviderPresetInput | PresetName | undefined
  /** Sign the non-file fields of `FormData` bodies (Flickr's upload API); set by the Flickr preset. Default `false`. */
  signMultipartFields?: boolean | undefined
}
