import { setTimeout as setTimeoutPromise } from 'node:timers/promises'
import { Agent, type Dispatcher } from 'undici'
import { clockSkewCorrection } from './clock-skew.js'
import { formatForm } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error, invalidOption, isOAuth1Error, type ProviderProblem } from '../errors.js'
import { isPositiveNumber, originOf, pathOf } from './urls.js'
import { applyPreset, type PresetName, type ProviderPreset } from '../presets/presets.js'
import { parseProblem } from '../protocol/problems.js'
import { findHeader, type HeaderRecord } from '../protocol/headers.js'
import { createSigner, type SignOptions, type Signer, type SignerOptions } from '../signer/signer.js'

/** Query values accepted by {@link RequestOptions.query}. */
export type QueryValue = string | number | boolean
/** A query as a record (arrays repeat the key), `URLSearchParams`, or pairs. */
export type QueryInput = Record<string, QueryValue | readonly QueryValue[] | undefined> | URLSearchParams | ReadonlyArray<readonly [string, string]>

/** Options for one request through an {@link OAuth1Client}. */
export interface RequestOptions {
  /** Default `GET`. */
  method?: string | undefined
  headers?: HeaderRecord | undefined
  /** Added to the URL's query; signed into the base string (RFC 5849 §3.4.1.3.1). */
  query?: QueryInput | undefined
  /** A raw body. A form body (`application/x-www-form-urlencoded`) is signed; others are not (or get `oauth_body_hash`). */
  body?: string | Uint8Array | URLSearchParams | undefined
  /** A form body, signed into the base string. */
  form?: Record<string, QueryValue | readonly QueryValue[] | undefined> | URLSearchParams | undefined
  /** A JSON body (`content-type: application/json`). */
  json?: unknown
  /** Per-call signing values (e.g. `callback`, `verifier`, or another token). */
  oauth?: SignOptions | undefined
  /** Milliseconds to wait for the response headers and, again, for the body. Default: the client's. */
  timeout?: number | undefined
  signal?: AbortSignal | undefined
}

/** A response read in full. Non-2xx statuses are responses, not errors. */
export interface ClientResponse {
  status: number
  /** True for 2xx. */
  ok: boolean
  headers: Record<string, string | string[] | undefined>
  /** The URL that answered (after redirects). */
  url: string
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
}

type Method = (url: string | URL, options?: Omit<RequestOptions, 'method'>) => Promise<ClientResponse>

/** A client that signs every request with one set of credentials. */
export interface OAuth1Client {
  request (url: string | URL, options?: RequestOptions): Promise<ClientResponse>
  get: Method
  post: Method
  put: Method
  patch: Method
  delete: Method
  /** A client for the same consumer with a user's token; it shares signer and connections. */
  withToken (credentials: { token: string, tokenSecret: string }): OAuth1Client
  /** The signer in use. */
  readonly signer: Signer
  /** Closes the connection pool this client created (not a dispatcher you passed in). */
  close (): Promise<void>
}

/** Options for {@link createClient}. */
export interface ClientOptions extends SignerOptions {
  /** Relative URLs resolve against it; absolute URLs must share its origin. */
  baseUrl?: string | URL | undefined
  /**
   * The undici dispatcher to send through. Default: a keep-alive `Agent` owned by the client.
   * Requests reach it already signed, so a retry or redirect interceptor composed into it would
   * resend the same nonce: use {@link ClientOptions.maxRedirections} and {@link ClientOptions.retries}.
   */
  dispatcher?: Dispatcher | undefined
  /** Milliseconds for connecting, for the response headers and for the body. Default 10 000. */
  timeout?: number | undefined
  /**
   * Redirects to follow, default 0 (the 3xx response is returned). Same-origin hops are signed
   * again with a fresh nonce; hops to another origin are sent with no credentials.
   */
  maxRedirections?: number | undefined
  /**
   * Times an idempotent request (GET, HEAD, OPTIONS, PUT, DELETE) is tried again after a network
   * failure, a timeout, or a 429/502/503/504 answer; each attempt is signed again with a fresh
   * nonce. Waits `Retry-After` (at most 10 s) or 100 ms doubling. Default 0.
   */
  retries?: number | undefined
  /** Largest response body read, in bytes. Default 16 MiB. */
  maxResponseBytes?: number | undefined
  /** A `user-agent` header for every request (Discogs requires one). */
  userAgent?: string | undefined
  /**
   * When the provider refuses our timestamp (`oauth_problem=timestamp_refused`, or a 401 whose
   * `Date` is minutes away), learn the offset for this client and retry once. Default `true`.
   */
  correctClockSkew?: boolean | undefined
  /** A provider preset (object or name) whose values fill the options you leave out. */
  provider?: ProviderPreset | PresetName | undefined
}

const credentialHeaders = new Set(['authorization', 'cookie', 'proxy-authorization'])
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
const retryStatuses = new Set([429, 502, 503, 504])

/** Waits before retry number `attempt` (0-based): `Retry-After` seconds up to 10 s, else 100 ms doubling up to 2 s. */
function retryDelay (attempt: number, retryAfter: string | string[] | undefined, signal: AbortSignal | undefined): Promise<void> {
  const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
  const ms = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 10_000) : Math.min(100 * 2 ** attempt, 2_000)
  return setTimeoutPromise(ms, undefined, signal === undefined ? undefined : { signal })
}

/**
 * Maps transport failures to coded errors: timeouts to `OAUTH1_TIMEOUT` (504), unreachable
 * hosts to `OAUTH1_NETWORK` (502). The message names the origin and path, never the query.
 */
export function toTransportError (error: unknown, url: URL, timeout: number): unknown {
  if (error instanceof OAuth1Error) return error
  const code = (error as { code?: string } | null)?.code
  const where = url.origin + url.pathname
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new OAuth1Error(ErrorCodes.TIMEOUT, `No answer from ${where} within ${timeout} ms`, { cause: error })
  }
  if ((error as Error | null)?.name === 'AbortError' || (error as Error | null)?.name === 'TimeoutError') return error
  if (typeof code === 'string') {
    return new OAuth1Error(ErrorCodes.NETWORK, `Could not reach ${where} (${code})`, { cause: error })
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

function appendQuery (url: URL, query: QueryInput): void {
  const extra = encodeParams(query)
  if (extra === '') return
  url.search = url.search.length > 1 ? url.search.slice(1) + '&' + extra : extra
}

class FullResponse implements ClientResponse {
  readonly ok: boolean
  constructor (readonly status: number, readonly headers: ClientResponse['headers'], readonly url: string, readonly body: Buffer) {
    this.ok = status >= 200 && status < 300
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
    } catch (cause) {
      throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The response from ${new URL(this.url).origin} is not JSON`, { status: this.status, cause })
    }
  }
}

function readBody (body: Dispatcher.ResponseData['body'], limit: number, url: URL): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    body.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        body.destroy()
        reject(new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The response from ${url.origin}${url.pathname} is larger than ${limit} bytes`))
        return
      }
      chunks.push(chunk)
    })
    body.on('error', reject)
    body.on('end', () => resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)))
  })
}

interface ClientCore {
  signer: Signer
  dispatcher: Dispatcher
  ownsDispatcher: boolean
  base: URL | undefined
  timeout: number
  maxRedirections: number
  retries: number
  maxResponseBytes: number
  userAgent: string | undefined
  correctClockSkew: boolean
}

/**
 * Creates a client that signs every request (RFC 5849 §3) and sends it with undici. Two-legged
 * calls use the consumer credentials, with or without a fixed `token`; per-user calls use
 * {@link OAuth1Client.withToken}.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when an option is invalid.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 */
export function createClient (clientOptions: ClientOptions): OAuth1Client {
  if (typeof clientOptions !== 'object' || clientOptions === null) invalidOption('options', 'an object')
  const options = applyPreset(clientOptions.provider, clientOptions)
  const { baseUrl, dispatcher, timeout = 10_000, maxRedirections = 0, maxResponseBytes = 16 * 1024 * 1024, userAgent } = options
  if (!isPositiveNumber(timeout)) invalidOption('timeout', 'a positive number of milliseconds')
  if (!Number.isInteger(maxRedirections) || maxRedirections < 0) invalidOption('maxRedirections', 'a whole number >= 0')
  const retries = options.retries ?? 0
  if (!Number.isInteger(retries) || retries < 0) invalidOption('retries', 'a whole number >= 0')
  if (!isPositiveNumber(maxResponseBytes)) invalidOption('maxResponseBytes', 'a positive number of bytes')
  if (userAgent !== undefined && typeof userAgent !== 'string') invalidOption('userAgent', 'a string')
  if (dispatcher !== undefined && typeof (dispatcher as Dispatcher).request !== 'function') invalidOption('dispatcher', 'an undici Dispatcher')
  let base: URL | undefined
  if (baseUrl !== undefined) {
    originOf(baseUrl)
    base = new URL(String(baseUrl))
    if (!base.pathname.endsWith('/')) base.pathname += '/'
  }
  const signer = createSigner(options)
  const core: ClientCore = {
    signer,
    dispatcher: dispatcher ?? new Agent({ connect: { timeout }, keepAliveTimeout: 10_000 }),
    ownsDispatcher: dispatcher === undefined,
    base,
    timeout,
    maxRedirections,
    retries,
    maxResponseBytes,
    userAgent,
    correctClockSkew: options.correctClockSkew ?? true
  }
  return bindClient(core, undefined)
}

/** Builds a client over shared state with an optional default per-call token. */
export function bindClient (core: ClientCore, credentials: { token: string, tokenSecret: string } | undefined): OAuth1Client {
  const request = (url: string | URL, options: RequestOptions = {}): Promise<ClientResponse> =>
    send(core, url, options, credentials)
  const method = (name: string): Method => (url, options = {}) => request(url, { ...options, method: name })
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
    async close () {
      if (core.ownsDispatcher) await core.dispatcher.close()
    }
  }
}

function resolveUrl (core: ClientCore, input: string | URL): URL {
  let url: URL
  try {
    url = core.base === undefined ? new URL(String(input)) : new URL(String(input).replace(/^\/(?!\/)/, ''), core.base)
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request URL: expected an absolute URL, or a path when baseUrl is set', { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid request URL: only http and https')
  if (core.base !== undefined && url.origin !== core.base.origin) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, `This client only calls ${core.base.origin}; refusing to send credentials to ${url.origin}`)
  }
  return url
}

async function send (core: ClientCore, input: string | URL, options: RequestOptions, credentials: { token: string, tokenSecret: string } | undefined): Promise<ClientResponse> {
  let url = resolveUrl(core, input)
  if (options.query !== undefined) appendQuery(url, options.query)
  let method = (options.method ?? 'GET').toUpperCase()
  const headers: HeaderRecord = { ...options.headers }
  if (core.userAgent !== undefined && findHeader(headers, 'user-agent') === undefined) headers['user-agent'] = core.userAgent
  let body: string | Uint8Array | undefined
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
    body = options.body
  }
  if (contentType !== undefined && findHeader(headers, 'content-type') === undefined) headers['content-type'] = contentType
  const signOptions: SignOptions | undefined = credentials === undefined ? options.oauth : { ...credentials, ...options.oauth }
  const timeout = options.timeout ?? core.timeout
  const firstOrigin = url.origin
  let mayCorrectClock = core.correctClockSkew && signOptions?.timestamp === undefined
  let retriesLeft = idempotentMethods.has(method) ? core.retries : 0
  for (let hop = 0; ; hop++) {
    const sameOrigin = url.origin === firstOrigin
    const dispatch: Dispatcher.RequestOptions = {
      origin: url.origin,
      path: url.pathname + url.search,
      method: method as Dispatcher.HttpMethod,
      headers: headers as Record<string, string>,
      body: body ?? null,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      signal: options.signal ?? null
    }
    // The offset this request is signed with: a concurrent request may learn a new one meanwhile.
    const offsetAtSend = core.signer.clockOffset
    if (sameOrigin) {
      const signed = core.signer.sign({ method, url, headers, body }, signOptions)
      dispatch.headers = signed.headers as Record<string, string>
      dispatch.body = signed.body ?? null
      if (core.signer.placement === 'query') dispatch.path = pathOf(signed.url)
    }
    let response: Dispatcher.ResponseData
    let data: Buffer
    try {
      response = await core.dispatcher.request(dispatch)
      const length = Number(response.headers['content-length'])
      data = length >= 0 && length <= core.maxResponseBytes
        ? Buffer.from(await response.body.arrayBuffer())
        : await readBody(response.body, core.maxResponseBytes, url)
    } catch (error) {
      const failure = toTransportError(error, url, timeout)
      if (retriesLeft > 0 && isOAuth1Error(failure) && (failure.code === ErrorCodes.NETWORK || failure.code === ErrorCodes.TIMEOUT)) {
        await retryDelay(core.retries - retriesLeft--, undefined, options.signal)
        hop--
        continue
      }
      throw failure
    }
    if (retriesLeft > 0 && retryStatuses.has(response.statusCode)) {
      await retryDelay(core.retries - retriesLeft--, response.headers['retry-after'], options.signal)
      hop--
      continue
    }
    const location = response.headers.location
    if (hop < core.maxRedirections && response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
      const next = new URL(location, url)
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing a redirect from ${url.origin} to a ${next.protocol} URL`)
      }
      if ((response.statusCode === 303 && method !== 'GET' && method !== 'HEAD') || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET'
        body = undefined
        for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-type' || name.toLowerCase() === 'content-length') delete headers[name]
      }
      if (next.origin !== firstOrigin) {
        for (const name of Object.keys(headers)) if (credentialHeaders.has(name.toLowerCase())) delete headers[name]
      }
      url = next
      continue
    }
    if (mayCorrectClock && sameOrigin && response.statusCode >= 400) {
      mayCorrectClock = false
      const sentClock = Math.floor(core.signer.timestamp() - core.signer.clockOffset + offsetAtSend)
      const delta = clockSkewCorrection(response.statusCode, response.headers, data.toString('utf8'), sentClock)
      if (delta !== undefined) {
        core.signer.clockOffset = offsetAtSend + delta
        hop--
        continue
      }
    }
    return new FullResponse(response.statusCode, response.headers, url.href, data)
  }
}
