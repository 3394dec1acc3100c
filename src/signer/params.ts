import { formatForm } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error } from '../errors.js'
import { findHeader, isFormContentType } from '../protocol/headers.js'
import { computeBodyHash } from '../protocol/signature-methods.js'
import { isString, type SignerConfig } from './options.js'
import type { SignableRequest, SignOptions } from './types.js'

const reservedNames = new Set([
  'oauth_consumer_key', 'oauth_token', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp',
  'oauth_nonce', 'oauth_version', 'oauth_callback', 'oauth_verifier', 'oauth_body_hash'
])

/** The request's body as the signer reads it (RFC 5849 §3.4.1.3.1). */
export interface BodyParts {
  body: string | Uint8Array | undefined
  /** The form body's text when its parameters belong in the base string. */
  formBody: string | undefined
  addContentType: boolean
}

/** The `OAUTH1_INVALID_REQUEST` error of a request the signer refuses. */
export function invalidRequest (reason: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Cannot sign: ${reason}`)
}

const methodName = /^[A-Za-z]+$/

/** Step 1a: the method (§3.4.1.1). */
export function readMethod (request: SignableRequest): string {
  if (typeof request !== 'object' || request === null) throw invalidRequest('the request must be an object')
  const method = request.method
  if (!isString(method) || !methodName.test(method)) throw invalidRequest('the method must be an HTTP method name')
  return method
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
export function requestParams (config: SignerConfig, callOptions: SignOptions, timestamp: () => number): Array<[string, string]> {
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
      if (!name.startsWith('oauth_') || reservedNames.has(name)) {
        throw invalidRequest(`extra parameter "${name}" must be named oauth_* and not be one the signer sets`)
      }
      if (!isString(value)) throw invalidRequest(`extra parameter "${name}" must be a string`)
      oauth.push([name, value])
    }
  }
  return oauth
}

const noBody: BodyParts = Object.freeze({ body: undefined, formBody: undefined, addContentType: false })

/** Step 3: which body parameters are signed (§3.4.1.3.1), and `oauth_body_hash` for other bodies. */
export function readBody (
  config: SignerConfig, request: SignableRequest, method: string, oauth: Array<[string, string]>, givenHash: string | undefined
): BodyParts {
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
      if ((body !== undefined && body.length > 0) || contentType !== undefined) {
        throw invalidRequest('body placement needs a form body (application/x-www-form-urlencoded)')
      }
      formBody = ''
      addContentType = true
    }
    if (method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD') throw invalidRequest('body placement cannot be used with GET or HEAD')
  }
  return { body, formBody, addContentType }
}
