import { Agent, type Dispatcher } from './undici.js'
import type { Readable } from 'node:stream'
import { correctedClockOffset, defaultMaxClockSkew, OriginClockOffsets } from './clock-skew.js'
import { rejectUnknownOptions } from '../options.js'
import { formatForm } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error, OAuthProblems, invalidOption, isOAuth1Error, type ProviderProblem, type SignatureDiagnosis } from '../errors.js'
import { diagnoseSignature } from '../protocol/diagnosis.js'
import { checkHeaders, hasUserInfo, isPositiveNumber, pathOf } from './urls.js'
import { applyPreset, presetOptionKeys, type PresetName, type ProviderPreset } from '../presets/presets.js'
import { parseProblem } from '../protocol/problems.js'
import { findHeader, type HeaderRecord, isFormContentType } from '../protocol/headers.js'
import { createSigner, type SignOptions, type Signer, type SignerOptions, signerOptionNames } from '../signer/signer.js'

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
  /** What the provider reported about a failure (`oauth_problem`, advice, ...), read from the body and `WWW-Authenticate`. */
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
}

/** Options of a streamed call. */
export type StreamOptions = RequestOptions & {
  /** Resolve at the response headers with the body stream (see {@link RequestOptions.stream}). */
  stream: true
}

/**
 * A call with a fixed method (`client.get(url, options)`, ...): {@link OAuth1Client.request}
 * without the `method` option; `{ stream: true }` resolves to a {@link StreamedResponse}.
 *
 * @inline
 */
interface Method {
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
  get: Method
  /** `POST`: {@link OAuth1Client.request} with `method: 'POST'`. */
  post: Method
  /** `PUT`: {@link OAuth1Client.request} with `method: 'PUT'`. */
  put: Method
  /** `PATCH`: {@link OAuth1Client.request} with `method: 'PATCH'`. */
  patch: Method
  /** `DELETE`: {@link OAuth1Client.request} with `method: 'DELETE'`. */
  delete: Method
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
  /** A provider preset (object or name) whose values fill the options you leave out. */
  provider?: ProviderPreset | PresetName | undefined
  /** Sign the non-file fields of `FormData` bodies (Flickr's upload API); set by the Flickr preset. Default `false`. */
  signMultipartFields?: boolean | undefined
}

/** The option keys {@link createClient} itself reads, besides the signer's. */
export const clientOwnOptionKeys: ReadonlySet<string> = new Set(['baseUrl', 'origins', 'apiOrigins', 'dispatcher', 'timeout', 'maxRedirections', 'retries', 'maxResponseBytes', 'userAgent', 'correctClockSkew', 'maxClockSkew', 'provider', 'signMultipartFields'])

/** Every option key {@link createClient} accepts: the signer's, the client's and a preset's. */
export const clientOptionKeys: ReadonlySet<string> = new Set([...signerOptionNames, ...clientOwnOptionKeys, ...presetOptionKeys])

const credentialHeaders = new Set(['authorization', 'cookie', 'proxy-authorization'])
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
const retryStatuses = new Set([429, 502, 503, 504])

/** The wait before retry number `attempt` (0-based): `Retry-After` seconds up to 10 s, else 100 ms doubling up to 2 s. */
function retryDelay (attempt: number, retryAfter: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 10_000) : Math.min(100 * 2 ** attempt, 2_000)
}

/**
 * Maps transport failures to coded errors: timeouts to `OAUTH1_TIMEOUT` (504), unreachable
 * hosts to `OAUTH1_NETWORK` (502), undici's refusals of the request itself to
 * `OAUTH1_INVALID_REQUEST`. The message names the origin and path, never the query; for undici's
 * informational errors (a reset socket, a dispatcher's refusal) it adds their message.
 */
export function toTransportError (error: unknown, url: URL, timeout: number): unknown {
  if (error instanceof OAuth1Error) return error
  const code = (error as { code?: string } | null)?.code
  const where = url.origin + url.pathname
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new OAuth1Error(ErrorCodes.TIMEOUT, `No answer from ${where} within ${timeout} ms`, { cause: error })
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
    return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `undici refused the request to ${where}: ${(error as Error).message}`, { cause: error })
  }
  if ((error as Error | null)?.name === 'AbortError' || (error as Error | null)?.name === 'TimeoutError') return error
  if (typeof code === 'string') {
    const detail = code === 'UND_ERR_INFO' ? `: ${(error as Error).message}` : ''
    return new OAuth1Error(ErrorCodes.NETWORK, `Could not reach ${where} (${code}${detail})`, { cause: error })
  }
  return error
}

/** Serialises a query or form input with RFC 3986 encoding (`%20`, never `+`); arrays repeat the key. */
function encodeParams (input: QueryInput): string {
  const pairs: Array<[string, string]> = []
  if (input instanceof URLSearchParams || Array.isArray(input)) {
    for (const [name, value] of input as Iterable<[string, string]>) pairs.push([name, String(value)])
  } else {
    for (const name of Object.keys(input)) {
      const value = (input as Record<string, QueryValue | readonly QueryValue[] | undefined>)[name]
      if (value === undefined) continue
      if (Array.isArray(value)) for (const item of value) pairs.push([name, String(item)])
      else pairs.push([name, String(value)])
    }
  }
  return formatForm(pairs)
}

/** Appends an encoded query (from {@link encodeParams}, not empty) to the URL's own. */
function appendQuery (url: URL, extra: string): void {
  url.search = url.search.length > 1 ? url.search.slice(1) + '&' + extra : extra
}

/** True for a refusal of the signature: `signature_invalid`, or a 401 whose problem or challenge names the signature. */
function refusesSignature (status: number, problem: ProviderProblem, challenge: string | undefined): boolean {
  if (problem.problem === OAuthProblems.SIGNATURE_INVALID) return true
  if (status !== 401 || problem.problem !== undefined) return false
  return /signature/i.test(challenge ?? '') || /signature/i.test(problem.body ?? '')
}

class FullResponse implements ClientResponse {
  readonly ok: boolean
  constructor (readonly status: number, readonly headers: ClientResponse['headers'], readonly url: string, readonly body: Buffer,
    private readonly baseString: string | undefined = undefined, private readonly secrets: ReadonlyArray<string | undefined> = []) {
    this.ok = status >= 200 && status < 300
  }

  diagnosis (): SignatureDiagnosis | undefined {
    if (this.ok || this.baseString === undefined) return undefined
    if (!refusesSignature(this.status, this.problem(), findHeader(this.headers as HeaderRecord, 'www-authenticate'))) return undefined
    return diagnoseSignature(this.baseString, this.text(), this.secrets)
  }

  text (): string {
    return this.body.toString('utf8')
  }

  problem (): ProviderProblem {
    return parseProblem(this.status, this.text(), findHeader(this.headers as HeaderRecord, 'www-authenticate'))
  }

  json<T = unknown> (): T {
    try {
      return JSON.parse(this.text()) as T
    } catch {
      // No cause: the JSON parser's message quotes the start of the body.
      throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The response from ${new URL(this.url).origin} is not JSON`, { status: this.status })
    }
  }
}

function tooLarge (url: URL, limit: number): OAuth1Error {
  return new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The response from ${url.origin}${url.pathname} is larger than ${limit} bytes`)
}

/** A response read in full by {@link Collector}. */
interface Received {
  statusCode: number
  headers: Record<string, string | string[] | undefined>
  data: Buffer
}

/**
 * An undici dispatch handler that reads one response into memory up to `limit` bytes, with no
 * stream in between. {@link Collector.fail} settles the call at once and aborts the upstream
 * request (the connection is closed, nothing more is read): past the limit, at the deadline,
 * or when the caller's signal fires.
 */
class Collector implements Dispatcher.DispatchHandler {
  readonly promise: Promise<Received>
  private resolve!: (value: Received) => void
  private reject!: (error: unknown) => void
  private controller: Dispatcher.DispatchController | undefined
  private failure: unknown = undefined
  private settled = false
  private statusCode = 0
  private headers: Record<string, string | string[] | undefined> = {}
  private chunks: Buffer[] = []
  private size = 0

  constructor (private readonly limit: number, private readonly url: URL) {
    this.promise = new Promise<Received>((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  fail (error: unknown): void {
    if (this.settled) return
    this.settled = true
    this.failure = error
    this.chunks = []
    this.reject(error)
    this.controller?.abort(error as Error)
  }

  onRequestStart (controller: Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.settled && this.failure !== undefined) controller.abort(this.failure as Error)
  }

  onResponseStart (_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return
    this.statusCode = statusCode
    this.headers = headers
    const declared = headers['content-length']
    if (declared !== undefined && Number(declared) > this.limit) this.fail(tooLarge(this.url, this.limit))
  }

  onResponseData (_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return
    this.size += chunk.length
    if (this.size > this.limit) this.fail(tooLarge(this.url, this.limit))
    else this.chunks.push(chunk)
  }

  onResponseEnd (): void {
    if (this.settled) return
    this.settled = true
    const { chunks } = this
    const data = chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, this.size)
    this.resolve({ statusCode: this.statusCode, headers: this.headers, data })
  }

  onResponseError (_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settled) return
    this.settled = true
    this.reject(error)
  }
}

/** How a client treats redirects to another origin. */
type CrossOriginRedirects = 'unsigned' | 'refuse'

interface ClientCore {
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
  /** The last string URL parsed by {@link resolveUrl}. */
  lastUrl: { input: string, url: URL } | undefined
}

/** Settings of clients built inside the library (the flow's token-endpoint client), not options. */
export interface ClientInternals {
  /** `refuse`: a redirect to another origin is `OAUTH1_REDIRECT_REFUSED` (token endpoints). Default `unsigned`. */
  crossOriginRedirects?: CrossOriginRedirects
}

function checkBoolean (options: Record<string, unknown>, name: string): void {
  if (options[name] !== undefined && typeof options[name] !== 'boolean') invalidOption(name, 'true or false')
}

function httpUrlOption (name: string, value: unknown): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) invalidOption(name, 'an absolute http(s) URL')
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    invalidOption(name, 'an absolute http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalidOption(name, 'an absolute http(s) URL')
  if (hasUserInfo(url)) invalidOption(name, 'a URL without user name or password')
  return url
}

function originsOption (name: string, value: unknown, into: Set<string>): void {
  if (value === undefined) return
  if (!Array.isArray(value)) invalidOption(name, 'an array of http(s) origins')
  for (const item of value as unknown[]) into.add(httpUrlOption(name, item).origin)
}

/**
 * Creates a client that signs every request (RFC 5849 §3) and sends it with undici. Two-legged
 * calls use the consumer credentials, with or without a fixed `token`; per-user calls use
 * {@link OAuth1Client.withToken}.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when an option is invalid or unknown.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 */
export function createClient (clientOptions: ClientOptions): OAuth1Client {
  if (typeof clientOptions !== 'object' || clientOptions === null) invalidOption('options', 'an object')
  rejectUnknownOptions(clientOptions, clientOptionKeys, 'createClient')
  return buildClient(clientOptions, {})
}

/**
 * {@link createClient} without the unknown-key check (the caller checked its own wider set),
 * with library-internal settings.
 */
export function buildClient (clientOptions: ClientOptions, internals: ClientInternals): OAuth1Client {
  if (typeof clientOptions !== 'object' || clientOptions === null) invalidOption('options', 'an object')
  const options = applyPreset(clientOptions.provider, clientOptions)
  const { baseUrl, dispatcher, timeout = 10_000, maxRedirections = 0, maxResponseBytes = 16 * 1024 * 1024, userAgent } = options
  if (!isPositiveNumber(timeout)) invalidOption('timeout', 'a positive number of milliseconds')
  if (!Number.isInteger(maxRedirections) || maxRedirections < 0) invalidOption('maxRedirections', 'a whole number >= 0')
  const retries = options.retries ?? 0
  if (!Number.isInteger(retries) || retries < 0) invalidOption('retries', 'a whole number >= 0')
  if (!isPositiveNumber(maxResponseBytes)) invalidOption('maxResponseBytes', 'a positive number of bytes')
  if (userAgent !== undefined && (typeof userAgent !== 'string' || /[\r\n\0]/.test(userAgent))) invalidOption('userAgent', 'a string without CR, LF or NUL')
  if (dispatcher !== undefined && (typeof dispatcher !== 'object' || dispatcher === null || typeof (dispatcher as Dispatcher).request !== 'function')) invalidOption('dispatcher', 'an undici Dispatcher')
  const raw = options as unknown as Record<string, unknown>
  checkBoolean(raw, 'correctClockSkew')
  const maxClockSkew = options.maxClockSkew ?? defaultMaxClockSkew
  if (typeof maxClockSkew !== 'number' || !Number.isFinite(maxClockSkew) || maxClockSkew < 0) invalidOption('maxClockSkew', 'a number of seconds >= 0')
  checkBoolean(raw, 'signMultipartFields')
  let base: URL | undefined
  const allowed = new Set<string>()
  if (baseUrl !== undefined) {
    base = httpUrlOption('baseUrl', baseUrl)
    if (!base.pathname.endsWith('/')) base.pathname += '/'
    base.search = ''
    base.hash = ''
    allowed.add(base.origin)
  }
  originsOption('origins', options.origins, allowed)
  originsOption('apiOrigins', options.apiOrigins, allowed)
  const signerOptions: Record<string, unknown> = {}
  for (const key of Object.keys(raw)) if (!clientOwnOptionKeys.has(key) && !presetOptionKeys.has(key)) signerOptions[key] = raw[key]
  for (const key of signerOptionNames) if (raw[key] !== undefined) signerOptions[key] = raw[key]
  const signer = createSigner(signerOptions as unknown as SignerOptions)
  const core: ClientCore = {
    signer,
    dispatcher: dispatcher ?? new Agent({ connect: { timeout }, keepAliveTimeout: 10_000 }),
    ownsDispatcher: dispatcher === undefined,
    base,
    origins: allowed.size === 0 ? undefined : allowed,
    timeout,
    maxRedirections,
    retries,
    maxResponseBytes,
    userAgent,
    correctClockSkew: options.correctClockSkew ?? true,
    maxClockSkew,
    clockOffsets: new OriginClockOffsets(),
    crossOriginRedirects: internals.crossOriginRedirects ?? 'unsigned',
    signMultipartFields: options.signMultipartFields === true,
    consumerSecret: options.consumerSecret,
    lastUrl: undefined
  }
  return bindClient(core, undefined)
}

/** Builds a client over shared state with an optional default per-call token. */
export function bindClient (core: ClientCore, credentials: { token: string, tokenSecret: string } | undefined): OAuth1Client {
  const request = ((url: string | URL, options: RequestOptions = {}) =>
    send(core, url, options, credentials, options.method)) as OAuth1Client['request']
  const method = (name: string): Method => ((url: string | URL, options: RequestOptions = {}) => send(core, url, options, credentials, name)) as Method
  return {
    request,
    get: method('GET'),
    post: method('POST'),
    put: method('PUT'),
    patch: method('PATCH'),
    delete: method('DELETE'),
    withToken (next) {
      if (typeof next?.token !== 'string' || typeof next.tokenSecret !== 'string') invalidOption('withToken', '{ token, tokenSecret } strings')
      return bindClient(core, { token: next.token, tokenSecret: next.tokenSecret })
    },
    signer: core.signer,
    clockOffset (url) {
      let origin: string
      try {
        origin = new URL(String(url), core.base).origin
      } catch (cause) {
        throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'clockOffset(url): expected an absolute URL, or a path when baseUrl is set', { cause })
      }
      return core.clockOffsets.get(origin)
    },
    async close () {
      if (core.ownsDispatcher) await core.dispatcher.close()
    }
  }
}

/**
 * The request URL, parsed and checked. The last string URL's parse is kept per client and shared
 * by calls that add no query parameters: the client never changes a call's URL in place once it
 * is prepared, it replaces it.
 */
function resolveUrl (core: ClientCore, input: string | URL, shared: boolean): URL {
  const last = core.lastUrl
  if (shared && last !== undefined && last.input === input) return last.url
  const url = parseRequestUrl(core, input)
  if (shared && typeof input === 'string') core.lastUrl = { input, url }
  return url
}

function parseRequestUrl (core: ClientCore, input: string | URL): URL {
  let url: URL
  try {
    url = core.base === undefined ? new URL(String(input)) : new URL(String(input).replace(/^\/(?!\/)/, ''), core.base)
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request URL: expected an absolute URL, or a path when baseUrl is set', { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request URL: only http and https')
  if (hasUserInfo(url)) throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Invalid request URL: user name or password in a URL of ${url.origin}; send credentials in headers`)
  if (core.origins !== undefined && !core.origins.has(url.origin)) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, `This client only calls ${[...core.origins].join(', ')}; refusing to send credentials to ${url.origin}`)
  }
  return url
}

/** What a call is waiting on: an upstream read or a retry wait, ended by {@link Deadline}. */
interface Waiting {
  fail (reason: unknown): void
}

/** The deadline of one call: one timer, joined with the caller's signal. */
class Deadline {
  /** The coded error that ended the call, when the deadline or the caller's signal did. */
  reason: OAuth1Error | undefined = undefined
  /** What the call waits on now. */
  active: Waiting | undefined = undefined
  private readonly timer: NodeJS.Timeout
  private readonly callerSignal: CallerSignal | undefined
  private onAbort: (() => void) | undefined

  constructor (timeout: number, url: URL, callerSignal: CallerSignal | undefined) {
    this.timer = setTimeout(expire, timeout, this, url, timeout)
    this.callerSignal = callerSignal
    if (callerSignal !== undefined) {
      const abort = (): void => { this.end(aborted(url.origin + url.pathname, callerSignal.reason)) }
      if (callerSignal.aborted) abort()
      else {
        callerSignal.addEventListener('abort', abort, { once: true })
        this.onAbort = abort
      }
    }
  }

  /** Ends the call with `reason` unless it has ended already. */
  end (reason: OAuth1Error): void {
    if (this.reason !== undefined) return
    this.reason = reason
    this.active?.fail(reason)
  }

  /** Waits `ms`, or rejects with the reason when the call ends first. */
  wait (ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.reason !== undefined) {
        reject(this.reason)
        return
      }
      const timer = setTimeout(() => {
        this.active = undefined
        resolve()
      }, ms)
      this.active = {
        fail (reason) {
          clearTimeout(timer)
          reject(reason)
        }
      }
    })
  }

  clear (): void {
    clearTimeout(this.timer)
    this.active = undefined
    if (this.onAbort !== undefined) this.callerSignal?.removeEventListener('abort', this.onAbort)
  }
}

function expire (deadline: Deadline, url: URL, timeout: number): void {
  deadline.end(new OAuth1Error(ErrorCodes.TIMEOUT, `No complete answer from ${url.origin + url.pathname} within ${timeout} ms`))
}

function aborted (where: string, reason: unknown): OAuth1Error {
  return new OAuth1Error(ErrorCodes.ABORTED, `The call to ${where} was aborted by the caller`, { cause: reason })
}

/** One call's mutable state across its hops (redirects) and attempts (retries, clock correction). */
interface Call {
  url: URL
  method: string
  headers: HeaderRecord
  body: SendableBody | undefined
  /** What the signer reads of a multipart or stream body: the signed fields (a form string), or nothing. */
  readonly signBody: { body: string | undefined } | undefined
  readonly signOptions: SignOptions
  /** True when the client sets the timestamp (the caller gave none): the signer's clock plus the origin's learned offset. */
  readonly clocked: boolean
  readonly firstOrigin: string
  readonly timeout: number
  readonly deadline: Deadline
  retriesLeft: number
  redirectsLeft: number
  mayCorrectClock: boolean
}

/** What an attempt produced: a response read in full, or a failure. */
type Outcome = Answer | { failure: unknown }
interface Answer extends Received {
  /** The signer's clock offset this attempt was signed with. */
  offsetAtSend: number
  signed: boolean
  baseString: string | undefined
}

/** A body undici sends as it is. */
type SendableBody = string | Uint8Array | FormData | Readable | AsyncIterable<Uint8Array>

function isStreamBody (body: unknown): body is Readable | AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && !(body instanceof Uint8Array) &&
    (typeof (body as Readable).pipe === 'function' || typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function')
}

function refuse (reason: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Invalid request: ${reason}`)
}

/** The signed part of a `FormData`: its string fields, in order, as a form (Flickr uploads); files are never signed. */
function multipartFields (form: FormData): string {
  const pairs: Array<[string, string]> = []
  for (const [name, value] of form) if (typeof value === 'string') pairs.push([name, value])
  return formatForm(pairs)
}

/** Multipart and stream bodies: what the signer reads of them (RFC 5849 §3.4.1.3.1), checked. */
function prepareOpaqueBody (core: ClientCore, options: RequestOptions, headers: HeaderRecord): Call['signBody'] {
  const { body } = options
  if (body instanceof FormData) {
    if (findHeader(headers, 'content-type') !== undefined) throw refuse('leave content-type out with a FormData body: undici sets multipart/form-data with its boundary')
    if (core.signer.placement === 'body') throw refuse('body placement cannot carry the protocol parameters in a multipart body; use header placement')
    if (options.bodyHash !== undefined) throw refuse('bodyHash is for stream bodies; multipart bodies carry no oauth_body_hash')
    return { body: core.signMultipartFields ? multipartFields(body) : '' }
  }
  if (isStreamBody(body)) {
    if (typeof options.bodyHash !== 'string') {
      throw refuse('a stream body cannot be read twice, so it cannot be hashed for oauth_body_hash: compute the hash yourself and pass it as bodyHash, or send a Buffer')
    }
    if (isFormContentType(findHeader(headers, 'content-type'))) throw refuse('a form body must be a string, URLSearchParams or form, not a stream: its parameters are signed')
    if (core.signer.placement === 'body') throw refuse('body placement needs a form body, not a stream')
    return { body: undefined }
  }
  if (options.bodyHash !== undefined) throw refuse('bodyHash is only for stream bodies (the client hashes other bodies itself when bodyHash is on)')
  return undefined
}

function prepareBody (options: RequestOptions, headers: HeaderRecord): SendableBody | undefined {
  let body: SendableBody | undefined
  let contentType: string | undefined
  if (options.form !== undefined) {
    body = encodeParams(options.form)
    contentType = 'application/x-www-form-urlencoded'
  } else if (options.json !== undefined) {
    body = JSON.stringify(options.json)
    contentType = 'application/json'
  } else if (options.body instanceof URLSearchParams) {
    body = encodeParams(options.body)
    contentType = 'application/x-www-form-urlencoded'
  } else {
    body = options.body as SendableBody | undefined
  }
  if (contentType !== undefined && findHeader(headers, 'content-type') === undefined) headers['content-type'] = contentType
  return body
}

function prepareCall (core: ClientCore, input: string | URL, options: RequestOptions, credentials: { token: string, tokenSecret: string } | undefined, methodName: string | undefined): Call {
  const extraQuery = options.query === undefined ? '' : encodeParams(options.query)
  const url = resolveUrl(core, input, extraQuery === '')
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
  if (!isPositiveNumber(timeout)) throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request option "timeout": expected a positive number of milliseconds')
  const signal = options.signal
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request option "signal": expected an AbortSignal')
  }
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
    deadline: new Deadline(timeout, url, signal)
  }
}

/** The options of one hop, signed when it goes to the call's first origin. */
function dispatchOptions (core: ClientCore, call: Call): { dispatch: Dispatcher.DispatchOptions, signed: boolean, baseString: string | undefined } {
  const { url } = call
  const origin = url.origin
  const signed = origin === call.firstOrigin
  const dispatch: Dispatcher.DispatchOptions = {
    origin,
    path: url.pathname + url.search,
    method: call.method as Dispatcher.HttpMethod,
    headers: call.headers as Record<string, string>,
    body: (call.body ?? null) as Dispatcher.DispatchOptions['body'],
    headersTimeout: call.timeout,
    bodyTimeout: call.timeout,
  }
  let baseString: string | undefined
  if (signed) {
    if (call.clocked) {
      const offset = core.clockOffsets.get(origin)
      call.signOptions.timestamp = offset === 0 ? undefined : core.signer.timestamp() + offset
    }
    const opaque = call.signBody
    const result = opaque === undefined
      ? core.signer.sign({ method: call.method, url, headers: call.headers, body: call.body as string | Uint8Array | undefined }, call.signOptions)
      : core.signer.sign({ method: call.method, url, headers: opaque.body === undefined ? call.headers : { ...call.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: opaque.body }, call.signOptions)
    if (opaque?.body !== undefined) {
      const sentType = findHeader(call.headers, 'content-type')
      if (sentType === undefined) delete result.headers['content-type']
      else result.headers['content-type'] = String(sentType)
    }
    dispatch.headers = result.headers
    if (opaque === undefined) dispatch.body = result.body ?? null
    if (core.signer.placement === 'query') dispatch.path = pathOf(result.url)
    baseString = result.baseString
  }
  return { dispatch, signed, baseString }
}

/** Sends one hop, signed when it goes to the call's first origin, and reads the body within the limit. */
async function attempt (core: ClientCore, call: Call): Promise<Outcome> {
  const { url } = call
  // The offset this request is signed with: a concurrent request may learn a new one meanwhile.
  const offsetAtSend = core.clockOffsets.get(call.firstOrigin)
  const { dispatch, signed, baseString } = dispatchOptions(core, call)
  if (call.deadline.reason !== undefined) return { failure: call.deadline.reason }
  const collector = new Collector(core.maxResponseBytes, url)
  call.deadline.active = collector
  try {
    core.dispatcher.dispatch(dispatch, collector)
    const received = await collector.promise as Answer
    received.offsetAtSend = offsetAtSend
    received.signed = signed
    received.baseString = baseString
    return received
  } catch (error) {
    return { failure: call.deadline.reason ?? toTransportError(error, url, call.timeout) }
  } finally {
    call.deadline.active = undefined
  }
}

/** A network failure worth another attempt: waits, then true. */
async function retryAfterFailure (core: ClientCore, call: Call, failure: unknown): Promise<boolean> {
  if (call.retriesLeft === 0 || call.deadline.reason !== undefined || !isOAuth1Error(failure)) return false
  if (failure.code !== ErrorCodes.NETWORK && failure.code !== ErrorCodes.TIMEOUT) return false
  await call.deadline.wait(retryDelay(core.retries - call.retriesLeft--, undefined))
  return true
}

/** A network failure of a stream body where retries are on: the same error, saying why it was not retried. */
function notRetried (core: ClientCore, call: Call, failure: unknown): unknown {
  const stream = call.signBody !== undefined && call.signBody.body === undefined
  if (!stream || core.retries === 0 || !isOAuth1Error(failure) || (failure.code !== ErrorCodes.NETWORK && failure.code !== ErrorCodes.TIMEOUT)) return failure
  return new OAuth1Error(failure.code, `${failure.message}; not retried: a stream body cannot be sent twice (send a Buffer to have it retried)`, { cause: failure.cause })
}

/** A busy answer (429/502/503/504) worth another attempt: the wait before it, else `undefined`. */
function retryDelayAfterStatus (core: ClientCore, call: Call, response: Received): number | undefined {
  if (call.retriesLeft === 0 || !retryStatuses.has(response.statusCode)) return undefined
  return retryDelay(core.retries - call.retriesLeft--, response.headers['retry-after'])
}

/** A redirect to follow: moves the call to the next URL (dropping credentials off-origin), then true. */
function followRedirect (core: ClientCore, call: Call, response: Received): boolean {
  const location = response.headers.location
  if (call.redirectsLeft === 0 || response.statusCode < 300 || response.statusCode >= 400 || typeof location !== 'string') return false
  const { url } = call
  let next: URL
  try {
    next = new URL(location, url)
  } catch {
    throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing an invalid redirect from ${url.origin}`)
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing a redirect from ${url.origin} to a ${next.protocol} URL`)
  }
  if (hasUserInfo(next)) throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing a redirect from ${url.origin} to a URL with user info`)
  if (next.origin !== call.firstOrigin && core.crossOriginRedirects === 'refuse') {
    throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing a redirect from ${url.origin} to another origin (${next.origin}): tokens come only from the configured endpoint`)
  }
  const { statusCode } = response
  if ((statusCode === 303 && call.method !== 'GET' && call.method !== 'HEAD') || ((statusCode === 301 || statusCode === 302) && call.method === 'POST')) {
    if (call.method !== 'HEAD') call.method = 'GET'
    call.body = undefined
    call.headers = withoutHeaders(call.headers, contentHeaders)
  }
  if (next.origin !== call.firstOrigin) call.headers = withoutHeaders(call.headers, credentialHeaders)
  call.redirectsLeft--
  call.url = next
  return true
}

const contentHeaders = new Set(['content-type', 'content-length'])

/** A copy of `headers` without `names`, in an object without prototype (a header may be named `__proto__`). */
function withoutHeaders (headers: HeaderRecord, names: ReadonlySet<string>): HeaderRecord {
  const out: HeaderRecord = Object.create(null)
  for (const name of Object.keys(headers)) if (!names.has(name.toLowerCase())) out[name] = headers[name]
  return out
}

/**
 * A refusal of our timestamp (once per call): learns the provider's clock for the call's origin,
 * then true; false when the correction is refused (see {@link correctedClockOffset}).
 */
function correctClock (core: ClientCore, call: Call, outcome: Answer): boolean {
  if (!call.mayCorrectClock || !outcome.signed || outcome.statusCode < 400) return false
  call.mayCorrectClock = false
  const offset = correctedClockOffset(outcome.statusCode, outcome.headers, outcome.data.toString('utf8'), core.signer.timestamp(), outcome.offsetAtSend, core.maxClockSkew)
  if (offset === undefined) return false
  core.clockOffsets.set(call.firstOrigin, offset)
  return true
}

/**
 * Sends a `stream: true` call: resolves at the response headers with undici's body stream; the
 * deadline and the caller's signal keep running until the body ends, and then destroy it.
 */
async function sendStreamed (core: ClientCore, call: Call): Promise<StreamedResponse> {
  let dispatch: Dispatcher.DispatchOptions
  try {
    dispatch = dispatchOptions(core, call).dispatch
    if (call.deadline.reason !== undefined) throw call.deadline.reason
  } catch (error) {
    call.deadline.clear()
    throw error
  }
  const controller = new AbortController()
  call.deadline.active = { fail: (reason) => { controller.abort(reason) } }
  let data: Dispatcher.ResponseData
  try {
    data = await core.dispatcher.request({ ...dispatch, signal: controller.signal } as Dispatcher.RequestOptions)
  } catch (error) {
    call.deadline.clear()
    throw call.deadline.reason ?? toTransportError(error, call.url, call.timeout)
  }
  const body = data.body as unknown as Readable
  body.once('close', () => { call.deadline.clear() })
  const { statusCode } = data
  return { status: statusCode, ok: statusCode >= 200 && statusCode < 300, headers: data.headers, url: call.url.href, body }
}

async function send (core: ClientCore, input: string | URL, options: RequestOptions, credentials: { token: string, tokenSecret: string } | undefined, methodName: string | undefined): Promise<ClientResponse | StreamedResponse> {
  const call = prepareCall(core, input, options, credentials, methodName)
  try {
    if (call.body instanceof FormData) {
      // Encoded once, by the platform (boundary, file names, types), so a retry or redirect resends the same bytes.
      const encoded = new Response(call.body)
      call.headers['content-type'] = encoded.headers.get('content-type') as string
      call.body = new Uint8Array(await encoded.arrayBuffer())
    }
  } catch (error) {
    call.deadline.clear()
    throw error
  }
  if (options.stream === true) return sendStreamed(core, call)
  try {
    for (;;) {
      const outcome = await attempt(core, call)
      if ('failure' in outcome) {
        if (await retryAfterFailure(core, call, outcome.failure)) continue
        throw notRetried(core, call, outcome.failure)
      }
      const delay = retryDelayAfterStatus(core, call, outcome)
      if (delay !== undefined) {
        await call.deadline.wait(delay)
        continue
      }
      if (followRedirect(core, call, outcome)) continue
      if (correctClock(core, call, outcome)) continue
      return new FullResponse(outcome.statusCode, outcome.headers, call.url.href, outcome.data, outcome.baseString, [core.consumerSecret, call.signOptions.tokenSecret])
    }
  } catch (error) {
    throw call.deadline.reason ?? error
  } finally {
    call.deadline.clear()
  }
}
