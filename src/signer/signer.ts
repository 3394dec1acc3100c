import { baseStringUri, encodeJoinedParameters, joinEncodedParameters, sortPairs } from '../protocol/base-string.js'
import { formatForm, parseForm, percentEncode, type ParamList } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { findHeader, formType, type HeaderRecord, isFormContentType } from '../protocol/headers.js'
import { generateNonce } from '../protocol/nonce.js'
import {
  type BodyHashAlgorithm, computeBodyHash, createSignatureFunction, type PrivateKeyInput,
  type SignatureMethod, signatureMethods
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
  method: string
  url: string | URL
  headers?: HeaderRecord | undefined
  body?: SignableBody | undefined
}

/** Per-call values. Everything is optional; what is given overrides the signer's options. */
export interface SignOptions {
  token?: string | undefined
  tokenSecret?: string | undefined
  /** `oauth_callback` (temporary-credential request, §2.1). */
  callback?: string | undefined
  /** `oauth_verifier` (token request, §2.3). */
  verifier?: string | undefined
  nonce?: string | undefined
  /** Seconds since the epoch. */
  timestamp?: number | string | undefined
  /** More protocol parameters, each named `oauth_*` (e.g. `oauth_session_handle`). */
  extraParams?: Record<string, string> | undefined
}

export type { HeaderRecord }

/** The signed request, ready to send. */
export interface SignedRequest {
  /** The URL to call: the input's, with the protocol parameters when placement is `'query'`. */
  url: string
  /** A copy of the input headers, with `authorization` for header placement and a content type for created form bodies. */
  headers: Record<string, string | string[] | number>
  /** The body to send: unchanged, or a form string that carries the protocol parameters. */
  body: string | Uint8Array | undefined
  /** The protocol parameters sent, `oauth_signature` included. */
  oauthParams: Record<string, string>
}

/** Signs requests with one set of client credentials. Create once, sign many times. */
export interface Signer {
  /** Signs one request (RFC 5849 §3.1). */
  sign (request: SignableRequest, options?: SignOptions): SignedRequest
  /** The signature method in use. */
  readonly signatureMethod: SignatureMethod
  /** The placement in use. */
  readonly placement: Placement
  /** Seconds added to every timestamp; set it to correct for a provider's clock (see `clock skew`). */
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

function copyHeaders (headers: HeaderRecord | undefined, drop: string | undefined): Record<string, string | string[] | number> {
  const copy: Record<string, string | string[] | number> = {}
  if (headers === undefined) return copy
  for (const key in headers) {
    const value = headers[key]
    if (value === undefined) continue
    if (drop !== undefined && key.length === drop.length && key.toLowerCase() === drop) continue
    copy[key] = value
  }
  return copy
}

/**
 * Creates an RFC 5849 signer. Options are validated here, and key material is prepared here,
 * so `sign()` does only per-request work.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` naming the option that is missing or invalid.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 * @example
 * ```ts
 * const signer = createSigner({ consumerKey, consumerSecret, token, tokenSecret })
 * const { url, headers, body } = signer.sign({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'status=hello' })
 * ```
 */
export function createSigner (options: SignerOptions): Signer {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  const { consumerKey, realm } = options
  if (!isString(consumerKey) || consumerKey.length === 0) invalidOption('consumerKey', 'a non-empty string')
  const signatureMethod = options.signatureMethod ?? 'HMAC-SHA1'
  if (!signatureMethods.includes(signatureMethod)) invalidOption('signatureMethod', `one of ${signatureMethods.join(', ')}`)
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
  const bodyHash: BodyHashAlgorithm | undefined = bodyHashOption === true ? signature.bodyHash : bodyHashOption === false ? undefined : bodyHashOption
  const now = options.now ?? Date.now
  const makeNonce = options.nonce ?? generateNonce
  const defaultToken = options.token
  const defaultTokenSecret = options.tokenSecret ?? ''
  const headerPrefix = realm === undefined ? 'OAuth ' : `OAuth realm="${realm}", `
  const constantPairs: Array<[string, string]> = [
    ['oauth_consumer_key', percentEncode(consumerKey)],
    ['oauth_signature_method', signatureMethod],
    ['oauth_version', '1.0']
  ]
  // percentEncode(base string URI) of the last request: clients mostly call the same endpoints.
  let lastBaseUri = ''
  let lastEncodedBaseUri = ''

  const signer: Signer = {
    signatureMethod,
    placement,
    clockOffset: 0,
    timestamp: () => Math.floor(now() / 1000 + signer.clockOffset),
    sign (request: SignableRequest, callOptions: SignOptions = {}): SignedRequest {
      if (typeof request !== 'object' || request === null) throw invalidRequest('the request must be an object')
      const method = request.method
      if (!isString(method) || !/^[A-Za-z]+$/.test(method)) throw invalidRequest('the method must be an HTTP method name')
      let url: URL
      try {
        url = request.url instanceof URL ? request.url : new URL(request.url)
      } catch (cause) {
        throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Cannot sign: the URL is not an absolute URL', { cause })
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalidRequest('only http and https URLs can be signed')

      const token = callOptions.token !== undefined ? callOptions.token : defaultToken
      const tokenSecret = callOptions.tokenSecret !== undefined ? callOptions.tokenSecret : callOptions.token !== undefined ? '' : defaultTokenSecret
      const nonce = callOptions.nonce ?? makeNonce()
      const timestamp = callOptions.timestamp !== undefined
        ? String(callOptions.timestamp)
        : String(signer.timestamp())

      const oauth: Array<[string, string]> = [
        ['oauth_nonce', nonce],
        ['oauth_timestamp', timestamp]
      ]
      if (token !== undefined) oauth.push(['oauth_token', token])
      if (callOptions.callback !== undefined) oauth.push(['oauth_callback', callOptions.callback])
      if (callOptions.verifier !== undefined) oauth.push(['oauth_verifier', callOptions.verifier])
      if (callOptions.extraParams !== undefined) {
        for (const name in callOptions.extraParams) {
          const value = callOptions.extraParams[name]
          if (!name.startsWith('oauth_') || reservedNames.has(name)) throw invalidRequest(`extra parameter "${name}" must be named oauth_* and not be one the signer sets`)
          if (!isString(value)) throw invalidRequest(`extra parameter "${name}" must be a string`)
          oauth.push([name, value])
        }
      }

      const contentType = findHeader(request.headers, 'content-type')
      let body = request.body
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
      } else if (bodyHash !== undefined && placement !== 'body') {
        oauth.push(['oauth_body_hash', computeBodyHash(bodyHash, body)])
      }

      if (placement === 'body') {
        if (formBody === undefined) {
          if ((body !== undefined && body.length > 0) || contentType !== undefined) throw invalidRequest('body placement needs a form body (application/x-www-form-urlencoded)')
          formBody = ''
          addContentType = true
        }
        if (method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD') throw invalidRequest('body placement cannot be used with GET or HEAD')
      }

      // Encoded once, for both the base string and the Authorization header.
      const encodedOauth: Array<[string, string]> = []
      for (const [name, value] of oauth) encodedOauth.push([name, percentEncode(value)])
      let oauthSignature: string
      if (signature.usesBaseString) {
        const pairs: Array<[string, string]> = constantPairs.concat(encodedOauth)
        const search = url.search
        const others: ParamList = search.length > 1 ? parseForm(search.slice(1)) : []
        if (formBody !== undefined && formBody.length > 0) parseForm(formBody, others)
        for (const [name, value] of others) pairs.push([percentEncode(name), percentEncode(value)])
        // signatureBaseString(), with the parameters encoded pair by pair rather than re-scanned whole.
        const baseUri = baseStringUri(url)
        if (baseUri !== lastBaseUri) {
          lastEncodedBaseUri = percentEncode(baseUri)
          lastBaseUri = baseUri
        }
        const base = method.toUpperCase() + '&' + lastEncodedBaseUri + '&' + encodeJoinedParameters(pairs)
        oauthSignature = signature(base, tokenSecret)
      } else {
        oauthSignature = signature('', tokenSecret)
      }

      oauth.push(['oauth_signature', oauthSignature])
      oauth.push(['oauth_consumer_key', consumerKey], ['oauth_signature_method', signatureMethod], ['oauth_version', '1.0'])
      sortPairs(oauth, byName)
      const oauthParams: Record<string, string> = {}
      for (const [name, value] of oauth) oauthParams[name] = value

      const headers = copyHeaders(request.headers, placement === 'header' ? 'authorization' : undefined)
      if (addContentType) headers['content-type'] = formType
      let outUrl = url.href
      let outBody: string | Uint8Array | undefined = body
      encodedOauth.push(['oauth_signature', percentEncode(oauthSignature)], ...constantPairs)
      sortPairs(encodedOauth, byName)
      if (placement === 'header') {
        let header = headerPrefix
        for (let i = 0; i < encodedOauth.length; i++) {
          const [name, value] = encodedOauth[i] as [string, string]
          if (i > 0) header += ', '
          header += name + '="' + value + '"'
        }
        headers.authorization = header
      } else if (placement === 'query') {
        // WHATWG gives '' for an empty query or fragment, so cut the href at the first '#' and look for a bare '?'.
        const hashAt = outUrl.indexOf('#')
        const withoutHash = hashAt === -1 ? outUrl : outUrl.slice(0, hashAt)
        outUrl = withoutHash + (url.search.length > 1 ? '&' : withoutHash.endsWith('?') ? '' : '?') + joinEncodedParameters(encodedOauth)
      } else {
        outBody = (formBody as string) + ((formBody as string).length > 0 ? '&' : '') + joinEncodedParameters(encodedOauth)
      }
      return { url: outUrl, headers, body: outBody, oauthParams }
    }
  }
  return signer
}

function byName (a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
}

function invalidRequest (reason: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Cannot sign: ${reason}`)
}
