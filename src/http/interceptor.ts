import { stringify } from 'node:querystring'
import type { Dispatcher } from 'undici'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { originOf, pathOf } from './urls.js'
import { createSigner, type HeaderRecord, type SignOptions, type Signer, type SignerOptions, signerOptionNames } from '../signer/signer.js'
import { rejectUnknownOptions } from '../options.js'

/**
 * Per-request signing values carried on undici's dispatch options, e.g. the user's token for a
 * three-legged call: `dispatcher.request({ ..., oauth1: { token, tokenSecret } })`.
 */
export interface OAuth1DispatchOptions extends Dispatcher.DispatchOptions {
  /** Signing values for this dispatch only (`token`, `tokenSecret`, `verifier`, ...); the interceptor removes it before sending. */
  oauth1?: SignOptions | undefined
}

/** Options for {@link createSigningInterceptor}: a signer (or its options) and where it may sign. */
export type SigningInterceptorOptions = (SignerOptions | {
  /** A signer built by {@link createSigner}, shared with other code (its `clockOffset` too). */
  signer: Signer
}) & {
  /**
   * The origins (`https://api.example.com`) whose requests are signed. Requests to any other
   * origin, redirects included, pass through untouched, so credentials never leave these hosts.
   */
  origins: ReadonlyArray<string | URL>
}

/**
 * An undici interceptor, `(dispatch) => (opts, handler) => boolean`, typed so that `compose()`
 * accepts it from undici 7 and undici 8 alike (their handler types differ; this one takes the
 * `dispatch` of whichever undici composes it and returns one of the same type).
 *
 * @typeParam Dispatch - the `dispatch` function of the undici (7 or 8) whose `compose()` takes it.
 */
export type Interceptor = <Dispatch extends (options: never, handler: never) => boolean>(dispatch: Dispatch) => Dispatch

/**
 * Normalises undici's header forms (object, flat `[name, value, ...]` array, iterable of pairs)
 * into a plain object (a list or iterable becomes an object without prototype).
 */
export function normalizeHeaders (headers: Dispatcher.DispatchOptions['headers']): HeaderRecord {
  if (headers === undefined || headers === null) return {}
  if (Array.isArray(headers)) {
    const out: HeaderRecord = Object.create(null)
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown as Array<[string, string]>) appendHeader(out, pair[0], pair[1])
    } else {
      for (let i = 0; i + 1 < headers.length; i += 2) appendHeader(out, String(headers[i]), headers[i + 1] as string)
    }
    return out
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const out: HeaderRecord = Object.create(null)
    for (const [name, value] of headers as Iterable<[string, string]>) appendHeader(out, name, value)
    return out
  }
  return headers as HeaderRecord
}

/** Adds a header to `out`, an object without prototype: the names come from the request. */
function appendHeader (out: HeaderRecord, name: string, value: string | string[]): void {
  const existing = Object.hasOwn(out, name) ? out[name] : undefined
  if (existing === undefined) out[name] = value
  else out[name] = ([] as string[]).concat(existing as string | string[], value)
}

/**
 * Signs one dispatch for an allowed origin: undici's `query` option is folded into the path so it
 * is signed too, and stream bodies are refused.
 */
export function signDispatch (signer: Signer, opts: OAuth1DispatchOptions, origin: string): OAuth1DispatchOptions {
  const { oauth1, query, ...rest } = opts
  const body = rest.body
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST,
      'Cannot sign: the body is a stream or form-data; pass a string, Buffer or URLSearchParams so it can be signed')
  }
  // undici appends `query` to the path only after the interceptors ran; append it here so it is signed.
  let path = rest.path
  if (query !== undefined && query !== null) {
    const search = stringify(query)
    if (search !== '') path += (path.includes('?') ? '&' : '?') + search
  }
  const signed = signer.sign({
    method: rest.method,
    url: origin + path,
    headers: normalizeHeaders(rest.headers),
    body: body ?? undefined
  }, oauth1)
  return {
    ...rest,
    path: pathOf(signed.url),
    headers: signed.headers,
    body: signed.body ?? null
  }
}

const interceptorOptionNames: ReadonlySet<string> = new Set([...signerOptionNames, 'origins'])
const interceptorWithSignerNames: ReadonlySet<string> = new Set(['signer', 'origins'])

/**
 * An undici interceptor that signs every request to the configured origins (RFC 5849 §3).
 * Put it innermost so that redirects and retries are signed again with a fresh nonce:
 * `new Agent().compose(createSigningInterceptor(opts), interceptors.redirect({ maxRedirections: 3 }))`.
 * Compose it on an `Agent` (or pass `origin` on every request): a request without an origin
 * cannot be matched to the allowed ones and is sent unsigned.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when the options are invalid or a name is unknown
 *   (the closest valid name is suggested), at creation.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 */
export function createSigningInterceptor (options: SigningInterceptorOptions): Interceptor {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  rejectUnknownOptions(options, 'signer' in options ? interceptorWithSignerNames : interceptorOptionNames, 'createSigningInterceptor')
  const { origins: _origins, ...signerOptions } = options as SignerOptions & { origins: unknown }
  const signer = 'signer' in options ? options.signer : createSigner(signerOptions)
  if (!Array.isArray(options.origins) || options.origins.length === 0) {
    invalidOption('origins', 'a non-empty array of origins whose requests are signed')
  }
  const allowed = new Set(options.origins.map(originOf))
  const seen = new Map<string, string | null>()
  const canonical = (origin: string | URL | undefined): string | null => {
    if (origin === undefined) return null
    const key = String(origin)
    let value = seen.get(key)
    if (value === undefined) {
      try {
        value = new URL(key).origin
      } catch {
        value = null
      }
      if (value !== null && !allowed.has(value)) value = null
      if (seen.size < 1000) seen.set(key, value)
    }
    return value
  }
  const intercept: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts: OAuth1DispatchOptions, handler) => {
    const origin = canonical(opts.origin)
    if (origin === null) {
      if (opts.oauth1 === undefined) return dispatch(opts, handler)
      const { oauth1: _ignored, ...rest } = opts
      return dispatch(rest, handler)
    }
    return dispatch(signDispatch(signer, opts, origin), handler)
  }
  return intercept as unknown as Interceptor
}
