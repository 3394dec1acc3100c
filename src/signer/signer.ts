import {
  baseStringUri, type EncodedSegment, encodedBaseString, encodedSegments, joinEncodedParameters, mergeEncodedParameters, sortPairs
} from '../protocol/base-string.js'
import { formatForm, parseForm, percentEncode, percentEncodeBase64, type ParamList } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { rejectUnknownOptions } from '../options.js'
import { findHeader, formType, type HeaderRecord, isFormContentType } from '../protocol/headers.js'
import { generateNonce } from '../protocol/nonce.js'
import {
  type BodyHashAlgorithm, computeBodyHash, createSignatureFunction, type PrivateKeyInput,
  type SignatureFunction, type SignatureMethod, isSignatureMethod, signatureMethods
} from '../protocol/signature-methods.js'

/** Where the protocol parameters travel (RFC 5849 §3.5). */
export type Placement = 'header' | 'query' | 'body'

/** Options for {@link createSigner}. Checked once, when the signer is created. */
export interface SignerOptions {
  /** The client identifier (`oauth_consumer_key`, RFC 5849 §3.1). */
  consumerKey: string
  /** The client shared-secret. Required for HMAC-* and PLAINTEXT, unused by RSA-*. */
  consumerSecret?: string | undefined
  /** Default `'HMAC-SHA1'`. */
  signatureMethod?: SignatureMethod | undefined
  /** RSA private key (PEM text or `KeyObject`), required for RSA-*. */
  privateKey?: PrivateKeyInput | undefined
  /** A fixed token for every request (two-legged with a token, or a stored access token). */
  token?: string | undefined
  /** The secret of {@link SignerOptions.token}. */
  tokenSecret?: string | undefined
  /** `realm` in the Authorization header (never in the base string, §3.5.1). */
  realm?: string | undefined
  /** Default `'header'` (§3.5.1); `'query'` (§3.5.3) or `'body'` (§3.5.2). */
  placement?: Placement | undefined
  /**
   * Adds `oauth_body_hash` to every request whose body is not a form (absent bodies hash as
   * empty). `true` uses the hash of the signature method (SHA-1 for PLAINTEXT).
   */
  bodyHash?: boolean | BodyHashAlgorithm | undefined
  /** The clock in milliseconds, for tests or a corrected clock. Default `Date.now`. */
  now?: (() => number) | undefined
  /** Nonce generator, for tests. Default: 24 random hex characters. */
  nonce?: (() => string) | undefined
}

/** A request body the signer can read: text, bytes or form parameters. */
export type SignableBody = string | Uint8Array | URLSearchParams

/** The request to sign. It is never mutated. */
export interface SignableRequest {
  /** The HTTP method, any case; upper-cased into the base string (RFC 5849 §3.4.1.1). */
  method: string
  /** The absolute request URL; its query is signed (§3.4.1.3.1), its fragment ignored. */
  url: string | URL
  /** The request headers: a form `content-type` makes the body's parameters signed (§3.4.1.3.1). */
  headers?: HeaderRecord | undefined
  /** The body: its parameters are signed when it is a form (`URLSearchParams`, or a form `content-type`). */
  body?: SignableBody | undefined
}

/** Per-call values. Everything is optional; what is given overrides the signer's options. */
export interface SignOptions {
  /** `oauth_token` for this request (a user's access token, or the request token in §2.3). */
  token?: string | undefined
  /** The secret of {@link SignOptions.token}, half of the signing key (§3.4.2). */
  tokenSecret?: string | undefined
  /** `oauth_callback` (temporary-credential request, §2.1). */
  callback?: string | undefined
  /** `oauth_verifier` (token request, §2.3). */
  verifier?: string | undefined
  /** `oauth_nonce` for this request (§3.3), for tests; by default a fresh random one. */
  nonce?: string | undefined
  /** Seconds since the epoch, a whole number from 1 to 2^31 - 1 (RFC 5849 §3.3). */
  timestamp?: number | string | undefined
  /** More protocol parameters, each named `oauth_*` (e.g. `oauth_session_handle`). */
  extraParams?: Record<string, string> | undefined
  /**
   * Also return the signature base string signed (RFC 5849 §3.4.1) as {@link SignedRequest.baseString},
   * for logs and support tickets. It holds no secret, but it does hold `oauth_token` and, on the
   * token request, `oauth_verifier`. Default `false`.
   */
  returnBaseString?: boolean | undefined
  /**
   * The `oauth_body_hash` value of a body the signer cannot read (a stream), computed by the
   * caller (base64 of the body's digest, OAuth Request Body Hash §3.1). The request's `body`
   * must then be absent. It replaces the signer's own `bodyHash` for this request.
   */
  bodyHash?: string | undefined
}

export type { HeaderRecord }

/** The option names {@link createSigner} reads; any other key is refused. */
export const signerOptionNames: ReadonlySet<string> = new Set([
  'consumerKey', 'consumerSecret', 'signatureMethod', 'privateKey', 'token', 'tokenSecret', 'realm',
  'placement', 'bodyHash', 'now', 'nonce'
])

/**
 * The body {@link Signer.sign} returns for a request body of type `B`: text (a string, a
 * `URLSearchParams`) comes back as a string, bytes as the same bytes (or form text with
 * `placement: 'body'`), no body as none (or form text with `placement: 'body'`). So a string
 * body stays a `string`, which `fetch`'s `BodyInit` accepts under TypeScript's DOM lib too.
 */
export type SignedBody<B> = B extends Uint8Array ? B | string : B extends undefined ? string | undefined : string

/** The signed request, ready to send; `Body` is the type of {@link SignedRequest.body}. */
export interface SignedRequest<Body = string | Uint8Array | undefined> {
  /** The URL to call: the input's, with the protocol parameters when placement is `'query'`. */
  url: string
  /**
   * A copy of the input headers, with `authorization` for header placement and a content type
   * for created form bodies. Every value is a string (lists joined with `, `, `cookie` with `; `),
   * so the object passes as it is to `fetch`, undici's `request` and Node's `http.request`.
   */
  headers: Record<string, string>
  /** The body to send: unchanged, or a form string that carries the protocol parameters. */
  body: Body
  /** The protocol parameters sent, `oauth_signature` included. */
  oauthParams: Record<string, string>
  /**
   * The signature base string (RFC 5849 §3.4.1), only when asked with `returnBaseString: true`
   * (`''` for PLAINTEXT, which signs no base string).
   */
  baseString?: string
}

/** Signs requests with one set of client credentials. Create once, sign many times. */
export interface Signer {
  /** Signs one request (RFC 5849 §3.1). The result's `body` is typed after the request's (see {@link SignedBody}). */
  sign<B extends SignableBody | undefined = undefined> (request: SignableRequest & { body?: B }, options?: SignOptions): SignedRequest<SignedBody<B>>
  /** The signature method in use. */
  readonly signatureMethod: SignatureMethod
  /** The placement in use. */
  readonly placement: Placement
  /**
   * Seconds added to every timestamp, for every origin; set it to correct for a provider's clock
   * yourself. A client never changes it: it learns offsets per origin (`OAuth1Client.clockOffset`).
   */
  clockOffset: number
  /** The `oauth_timestamp` the next request gets: the signer's clock plus `clockOffset` (RFC 5849 §3.3). */
  timestamp (): number
}

const placements: readonly Placement[] = ['header', 'query', 'body']
const reservedNames = new Set([
  'oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp',
  'oauth_nonce', 'oauth_version', 'oauth_callback', 'oauth_verifier', 'oauth_body_hash'
])

function isString (value: unknown): value is string {
  return typeof value === 'string'
}

function checkOptionalString (options: object, name: string): void {
  const value = (options as Record<string, unknown>)[name]
  if (value !== undefined && !isString(value)) invalidOption(name, 'a string')
}

/** Copies headers as strings (see {@link SignedRequest.headers}), leaving out `drop` in any case. */
function copyHeaders (headers: HeaderRecord | undefined, drop: string | undefined): Record<string, string> {
  const copy: Record<string, string> = {}
  if (headers === undefined) return copy
  for (const key in headers) {
    const value = headers[key]
    if (value === undefined) continue
    if (drop !== undefined && key.length === drop.length && key.toLowerCase() === drop) continue
    copy[key] = isString(value) ? value : Array.isArray(value) ? value.join(key.toLowerCase() === 'cookie' ? '; ' : ', ') : String(value)
  }
  return copy
}

/** The signer's configuration once validated: everything `sign()` reads and never recomputes. */
interface SignerConfig {
  placement: Placement
  signature: SignatureFunction
  bodyHash: BodyHashAlgorithm | undefined
  makeNonce: () => string
  defaultToken: string | undefined
  defaultTokenSecret: string
  headerPrefix: string
  /** `oauth_consumer_key`, `oauth_signature_method` and `oauth_version`, encoded and sorted. */
  constantPairs: ReadonlyArray<[string, string]>
  /** The same three as {@link ProtocolParam}s, for the placement and {@link SignedRequest.oauthParams}. */
  constantParams: readonly ProtocolParam[]
  /** `percentEncode(defaultToken)`. */
  encodedDefaultToken: string | undefined
  /** The last request's URL, parsed: clients mostly call the same few endpoints. */
  lastTarget: Target | undefined
  /** The last request's base-string parameters that repeat, encoded and sorted. */
  lastFixed: FixedParams | undefined
}

/**
 * The base-string parameters (§3.4.1.3) that repeat from one request to the next: the constant
 * ones, the token, the query's and a small form body's, for one target, form body and token.
 */
interface FixedParams {
  target: Target
  formBody: string | undefined
  encodedToken: string | undefined
  segments: readonly EncodedSegment[]
}

/** Form bodies up to this length have their encoded parameters kept for the next request. */
const cachedFormBodyLength = 4096

/** A protocol parameter: its name, its value and its percent-encoded value (§3.6). */
type ProtocolParam = [name: string, value: string, encoded: string]

/** A parsed request URL and what the base string needs from it (§3.4.1.2, §3.4.1.3.1). */
interface Target {
  /** The URL as given (a string, or a URL's href), the cache key. */
  key: string
  url: URL
  /** `percentEncode(baseStringUri(url))`. */
  encodedBaseUri: string
  /** The query's parameters, each name and value percent-encoded (read when first needed). */
  queryPairs: ReadonlyArray<[string, string]> | undefined
}

function queryPairsOf (target: Target): ReadonlyArray<[string, string]> {
  if (target.queryPairs !== undefined) return target.queryPairs
  const pairs: Array<[string, string]> = []
  const search = target.url.search
  if (search.length > 1) for (const [name, value] of parseForm(search.slice(1))) pairs.push([percentEncode(name), percentEncode(value)])
  target.queryPairs = pairs
  return pairs
}

/** The request's body as the signer reads it (RFC 5849 §3.4.1.3.1). */
interface BodyParts {
  body: string | Uint8Array | undefined
  /** The form body's text when its parameters belong in the base string. */
  formBody: string | undefined
  addContentType: boolean
}

/** Validates the options and prepares the key (§3.4.2–3.4.4) and the constant parameters. */
function configure (options: SignerOptions): { config: SignerConfig, signatureMethod: SignatureMethod, now: () => number } {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  const { consumerKey, realm } = options
  if (!isString(consumerKey) || consumerKey.length === 0) invalidOption('consumerKey', 'a non-empty string')
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1'
  if (!isSignatureMethod(signatureMethod)) invalidOption('signatureMethod', `one of ${signatureMethods.join(', ')}`)
  const placement = options.placement ?? 'header'
  if (!placements.includes(placement)) invalidOption('placement', `one of ${placements.join(', ')}`)
  for (const name of ['consumerSecret', 'token', 'tokenSecret', 'realm'] as const) checkOptionalString(options, name)
  if (realm !== undefined && /["\\\r\n]/.test(realm)) invalidOption('realm', 'a string without quotes, backslashes or line breaks')
  if (options.tokenSecret !== undefined && options.token === undefined) invalidOption('token', 'a string when tokenSecret is given')
  const bodyHashOption = options.bodyHash ?? false
  if (bodyHashOption !== false && bodyHashOption !== true && !['sha1', 'sha256', 'sha512'].includes(bodyHashOption)) {
    invalidOption('bodyHash', "a boolean, 'sha1', 'sha256' or 'sha512'")
  }
  for (const name of ['now', 'nonce'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'function') invalidOption(name, 'a function')
  }
  const signature = createSignatureFunction(signatureMethod, options)
  const constantParams: Array<[string, string]> = [
    ['oauth_consumer_key', consumerKey],
    ['oauth_signature_method', signatureMethod],
    ['oauth_version', '1.0']
  ]
  const config: SignerConfig = {
    placement,
    signature,
    bodyHash: bodyHashOption === true ? signature.bodyHash : bodyHashOption === false ? undefined : bodyHashOption,
    makeNonce: options.nonce ?? generateNonce,
    defaultToken: options.token,
    defaultTokenSecret: options.tokenSecret ?? '',
    headerPrefix: realm === undefined ? 'OAuth ' : `OAuth realm="${realm}", `,
    constantPairs: constantParams.map(([name, value]) => [name, percentEncode(value)]),
    constantParams: constantParams.map(([name, value]) => [name, value, percentEncode(value)]),
    encodedDefaultToken: options.token === undefined ? undefined : percentEncode(options.token),
    lastTarget: undefined,
    lastFixed: undefined
  }
  return { config, signatureMethod, now: options.now ?? Date.now }
}

const methodName = /^[A-Za-z]+$/

/** Step 1a: the method (§3.4.1.1). */
function readMethod (request: SignableRequest): string {
  if (typeof request !== 'object' || request === null) throw invalidRequest('the request must be an object')
  const method = request.method
  if (!isString(method) || !methodName.test(method)) throw invalidRequest('the method must be an HTTP method name')
  return method
}

/** Step 1b: the absolute http(s) URL (§3.4.1.2), parsed once per distinct URL. */
function readTarget (config: SignerConfig, request: SignableRequest): Target {
  const input = request.url
  const key = input instanceof URL ? input.href : input
  const last = config.lastTarget
  if (last !== undefined && last.key === key) return last
  let url: URL
  try {
    url = new URL(key)
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Cannot sign: the URL is not an absolute URL', { cause })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidRequest('only http and https URLs can be signed')
  const target: Target = { key, url, encodedBaseUri: percentEncode(baseStringUri(url)), queryPairs: undefined }
  config.lastTarget = target
  return target
}

/** The largest `oauth_timestamp`: 2^31 - 1, the largest signed 32-bit integer. */
const maxTimestamp = 2 ** 31 - 1
const timestampText = /^\d{1,10}$/

/**
 * `oauth_timestamp` (§3.3): the per-call value, else the clock plus `clockOffset`. Always a whole
 * number from 1 to 2^31 - 1, the range providers store it in; anything else is refused, not sent.
 */
function timestampParam (given: number | string | undefined, clock: () => number): string {
  if (given === undefined) {
    const value = clock()
    if (Number.isInteger(value) && value >= 1 && value <= maxTimestamp) return String(value)
    throw invalidRequest(`the clock (now plus clockOffset) gives oauth_timestamp ${String(value)}, outside 1..${maxTimestamp}`)
  }
  const value = typeof given === 'number' ? given : isString(given) && timestampText.test(given) ? Number(given) : NaN
  if (Number.isInteger(value) && value >= 1 && value <= maxTimestamp) return typeof given === 'number' ? String(given) : given as string
  throw invalidRequest(`the timestamp option must be a whole number of seconds from 1 to ${maxTimestamp}`)
}

/** Step 2: the per-request protocol parameters (§3.1), decoded, unsorted. */
function requestParams (config: SignerConfig, callOptions: SignOptions, timestamp: () => number): Array<[string, string]> {
  const token = callOptions.token !== undefined ? callOptions.token : config.defaultToken
  const oauth: Array<[string, string]> = [
    ['oauth_nonce', callOptions.nonce ?? config.makeNonce()],
    ['oauth_timestamp', timestampParam(callOptions.timestamp, timestamp)]
  ]
  if (token !== undefined) oauth.push(['oauth_token', token])
  if (callOptions.callback !== undefined) oauth.push(['oauth_callback', callOptions.callback])
  if (callOptions.verifier !== undefined) oauth.push(['oauth_verifier', callOptions.verifier])
  const extra = callOptions.extraParams
  if (extra !== undefined) {
    for (const name in extra) {
      const value = extra[name]
      if (!name.startsWith('oauth_') || reservedNames.has(name)) throw invalidRequest(`extra parameter "${name}" must be named oauth_* and not be one the signer sets`)
      if (!isString(value)) throw invalidRequest(`extra parameter "${name}" must be a string`)
      oauth.push([name, value])
    }
  }
  return oauth
}

const noBody: BodyParts = Object.freeze({ body: undefined, formBody: undefined, addContentType: false })

/** Step 3: which body parameters are signed (§3.4.1.3.1), and `oauth_body_hash` for other bodies. */
function readBody (config: SignerConfig, request: SignableRequest, method: string, oauth: Array<[string, string]>, givenHash: string | undefined): BodyParts {
  const contentType = findHeader(request.headers, 'content-type')
  let body = request.body
  if (body === undefined && contentType === undefined && givenHash === undefined && config.bodyHash === undefined && config.placement !== 'body') return noBody
  let formBody: string | undefined
  let addContentType = false
  if (body instanceof URLSearchParams) {
    formBody = formatForm(body)
    body = formBody
    if (contentType === undefined) addContentType = true
    else if (!isFormContentType(contentType)) throw invalidRequest('a URLSearchParams body needs an application/x-www-form-urlencoded content type')
  } else if (body !== undefined && !isString(body) && !(body instanceof Uint8Array)) {
    throw invalidRequest('the body must be a string, a Buffer/Uint8Array or URLSearchParams (streams cannot be signed)')
  } else if (isFormContentType(contentType)) {
    formBody = body === undefined ? '' : isString(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
  } else if (givenHash !== undefined) {
    if (!isString(givenHash) || !/^[A-Za-z0-9+/]+={0,2}$/.test(givenHash)) throw invalidRequest('bodyHash must be the base64 oauth_body_hash value')
    if (body !== undefined) throw invalidRequest('bodyHash is for a body the signer does not read: leave body out')
    oauth.push(['oauth_body_hash', givenHash])
  } else if (config.bodyHash !== undefined && config.placement !== 'body') {
    oauth.push(['oauth_body_hash', computeBodyHash(config.bodyHash, body)])
  }
  if (config.placement === 'body') {
    if (formBody === undefined) {
      if ((body !== undefined && body.length > 0) || contentType !== undefined) throw invalidRequest('body placement needs a form body (application/x-www-form-urlencoded)')
      formBody = ''
      addContentType = true
    }
    if (method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD') throw invalidRequest('body placement cannot be used with GET or HEAD')
  }
  return { body, formBody, addContentType }
}

/**
 * Step 4: the base string of {@link encodedBaseString} (§3.4.1), from the encoded protocol pairs
 * plus the query and form parameters, which the signature (§3.4) signs. Sorts only its own copy of the per-request pairs.
 */
function signatureBaseString (config: SignerConfig, method: string, target: Target, encodedOauth: ReadonlyArray<[string, string]>, formBody: string | undefined): string {
  if (!config.signature.usesBaseString) return ''
  let encodedToken: string | undefined
  const perRequest: Array<[string, string]> = []
  for (let i = 0; i < encodedOauth.length; i++) {
    const pair = encodedOauth[i] as [string, string]
    if (pair[0] === 'oauth_token') encodedToken = pair[1]
    else perRequest.push(pair)
  }
  return encodedBaseString(method, target.encodedBaseUri, mergeEncodedParameters(fixedSegments(config, target, formBody, encodedToken), perRequest))
}

/** The {@link FixedParams} segments of this request, reused when they are the last request's. */
function fixedSegments (config: SignerConfig, target: Target, formBody: string | undefined, encodedToken: string | undefined): readonly EncodedSegment[] {
  const last = config.lastFixed
  if (last !== undefined && last.target === target && last.encodedToken === encodedToken && last.formBody === formBody) return last.segments
  const pairs: Array<[string, string]> = config.constantPairs.concat(queryPairsOf(target))
  if (encodedToken !== undefined) pairs.push(['oauth_token', encodedToken])
  if (formBody !== undefined && formBody.length > 0) {
    const form: ParamList = parseForm(formBody)
    for (let i = 0; i < form.length; i++) {
      const [name, value] = form[i] as [string, string]
      pairs.push([percentEncode(name), percentEncode(value)])
    }
  }
  const segments = encodedSegments(pairs)
  if (formBody === undefined || formBody.length <= cachedFormBodyLength) config.lastFixed = { target, formBody, encodedToken, segments }
  return segments
}

/** Step 5: the protocol parameters in the header (§3.5.1), the query (§3.5.3) or the form body (§3.5.2). */
function place (config: SignerConfig, request: SignableRequest, url: URL, parts: BodyParts, params: readonly ProtocolParam[]): Omit<SignedRequest, 'oauthParams'> {
  const headers = copyHeaders(request.headers, config.placement === 'header' ? 'authorization' : undefined)
  if (parts.addContentType) headers['content-type'] = formType
  let outUrl = url.href
  let outBody = parts.body
  if (config.placement === 'header') {
    let header = config.headerPrefix
    for (let i = 0; i < params.length; i++) {
      const param = params[i] as ProtocolParam
      if (i > 0) header += ', '
      header += param[0] + '="' + param[2] + '"'
    }
    headers.authorization = header
  } else if (config.placement === 'query') {
    // WHATWG gives '' for an empty query or fragment, so cut the href at the first '#' and look for a bare '?'.
    const hashAt = outUrl.indexOf('#')
    const withoutHash = hashAt === -1 ? outUrl : outUrl.slice(0, hashAt)
    outUrl = withoutHash + (url.search.length > 1 ? '&' : withoutHash.endsWith('?') ? '' : '?') + joinEncodedParameters(encodedPairs(params))
  } else {
    const formBody = parts.formBody as string
    outBody = formBody + (formBody.length > 0 ? '&' : '') + joinEncodedParameters(encodedPairs(params))
  }
  return { url: outUrl, headers, body: outBody }
}

function encodedPairs (params: readonly ProtocolParam[]): Array<[string, string]> {
  return params.map((param) => [param[0], param[2]])
}

/**
 * Every protocol parameter of the request, `oauth_signature` included, in name order (names are
 * unique): the per-request ones sorted, merged with the constant ones, sorted once.
 */
function protocolParams (config: SignerConfig, oauth: ReadonlyArray<[string, string]>, encodedOauth: ReadonlyArray<[string, string]>, signature: string, encodedSignature: string): ProtocolParam[] {
  const perRequest: ProtocolParam[] = new Array(oauth.length + 1)
  for (let i = 0; i < oauth.length; i++) {
    const pair = oauth[i] as [string, string]
    perRequest[i] = [pair[0], pair[1], (encodedOauth[i] as [string, string])[1]]
  }
  perRequest[oauth.length] = ['oauth_signature', signature, encodedSignature]
  sortPairs(perRequest, byName)
  const constants = config.constantParams
  const params: ProtocolParam[] = new Array(perRequest.length + constants.length)
  let i = 0
  let j = 0
  for (let k = 0; k < params.length; k++) {
    const constant = constants[i]
    const param = perRequest[j]
    if (param === undefined || (constant !== undefined && constant[0] < param[0])) {
      params[k] = constant as ProtocolParam
      i++
    } else {
      params[k] = param
      j++
    }
  }
  return params
}

function buildSigner (options: SignerOptions): Signer {
  const { config, signatureMethod, now } = configure(options)
  const signer: Signer = {
    signatureMethod,
    placement: config.placement,
    clockOffset: 0,
    timestamp: () => Math.floor(now() / 1000 + signer.clockOffset),
    // SignedRequest<never>: the interface's signature types the body after the request's.
    sign (request: SignableRequest, callOptions: SignOptions = {}): SignedRequest<never> {
      const method = readMethod(request)
      const target = readTarget(config, request)
      const tokenSecret = callOptions.tokenSecret !== undefined ? callOptions.tokenSecret : callOptions.token !== undefined ? '' : config.defaultTokenSecret
      const oauth = requestParams(config, callOptions, signer.timestamp)
      const parts = readBody(config, request, method, oauth, callOptions.bodyHash)
      // Encoded once, for both the base string and the placement.
      const encodedOauth: Array<[string, string]> = new Array(oauth.length)
      for (let i = 0; i < oauth.length; i++) {
        const [name, value] = oauth[i] as [string, string]
        encodedOauth[i] = [name, name === 'oauth_token' && value === config.defaultToken ? config.encodedDefaultToken as string : percentEncode(value)]
      }
      const baseString = signatureBaseString(config, method, target, encodedOauth, parts.formBody)
      const oauthSignature = config.signature(baseString, tokenSecret)
      const encodedSignature = config.signature.usesBaseString ? percentEncodeBase64(oauthSignature) : percentEncode(oauthSignature)
      const params = protocolParams(config, oauth, encodedOauth, oauthSignature, encodedSignature)
      const oauthParams: Record<string, string> = {}
      for (let i = 0; i < params.length; i++) {
        const param = params[i] as ProtocolParam
        oauthParams[param[0]] = param[1]
      }
      const signed = place(config, request, target.url, parts, params) as SignedRequest<never>
      signed.oauthParams = oauthParams
      if (callOptions.returnBaseString === true) signed.baseString = baseString
      return signed
    }
  }
  return signer
}

/**
 * Creates an RFC 5849 signer. Options are validated here, and key material is prepared here,
 * so `sign()` does only per-request work. Unknown option names are refused, with the closest
 * valid one suggested.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` naming the option that is missing, invalid or unknown.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 * @example
 * ```ts
 * const signer = createSigner({ consumerKey, consumerSecret, token, tokenSecret })
 * const signed = signer.sign({ method: 'POST', url: 'https://api.example.com/1/statuses', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'status=hello' })
 * await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body })
 * ```
 */
export function createSigner (options: SignerOptions): Signer {
  if (typeof options === 'object' && options !== null) rejectUnknownOptions(options, signerOptionNames, 'createSigner')
  return buildSigner(options)
}

function byName (a: ProtocolParam, b: ProtocolParam): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
}

function invalidRequest (reason: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Cannot sign: ${reason}`)
}
