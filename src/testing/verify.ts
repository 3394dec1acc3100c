import { createHmac, createPublicKey, verify as rsaVerify, type KeyObject } from 'node:crypto'
import { baseStringUri, normalizeParameters, signatureBaseString } from '../protocol/base-string.js'
import { parseForm, percentEncode, type ParamList } from '../protocol/encoding.js'
import { safeEqual } from '../sign-in/pending-tokens.js'

/**
 * A refused request, reported the way OAuth providers do: an HTTP status and an `oauth_problem`
 * (OAuth Problem Reporting extension), with optional details such as `oauth_parameters_absent`.
 *
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 */
export class ProviderRefusal extends Error {
  /**
   * A refusal to answer with `oauth_problem=<problem>`.
   *
   * @param statusCode - The HTTP status of the answer: 400 or 401 (RFC 5849 §3.2).
   * @param problem - The `oauth_problem` value (OAuth Problem Reporting), e.g. `signature_invalid`.
   * @param details - Other `oauth_*` fields of the problem report (`oauth_acceptable_timestamps`, ...).
   */
  constructor (readonly statusCode: number, readonly problem: string, readonly details: Record<string, string> = {}) {
    super(`oauth_problem=${problem}`)
    this.name = 'ProviderRefusal'
  }
}

/** A client (consumer) the mock provider knows. */
export interface MockConsumer {
  /** For HMAC-SHA1/256/512 and PLAINTEXT. */
  secret?: string | undefined
  /** For RSA-SHA1 / RSA-SHA256: the client's public key (PEM or KeyObject). */
  publicKey?: KeyObject | string | undefined
}

/** The parts of an incoming request that are signed (RFC 5849 §3.4.1). */
export interface IncomingSigned {
  /** The HTTP method, as sent. */
  method: string
  /** The URL as the client addressed it: scheme, Host, path and query. */
  url: URL
  /** The `Authorization` header, when sent (RFC 5849 §3.5.1). */
  authorization: string | undefined
  /** The raw body when it is a form (`application/x-www-form-urlencoded`), otherwise `undefined`. */
  body: string | undefined
}

/** How the token of a request is looked up: `null` when the request must carry no token. */
export type TokenSecretLookup = ((token: string) => string | undefined) | null

/** A request whose signature, timestamp and nonce were accepted. */
export interface VerifiedRequest {
  /** `oauth_consumer_key`: the consumer whose signature was verified. */
  consumerKey: string
  /** `oauth_token`, or `undefined` when the request carries none (a consumer-only, two-legged call). */
  token: string | undefined
  /** The protocol parameters (`oauth_*`), signature included, decoded. */
  oauth: Record<string, string>
}

/** Options of {@link createRequestVerifier}. */
export interface RequestVerifierOptions {
  /** The known consumers, by consumer key. */
  consumers: ReadonlyMap<string, MockConsumer>
  /** Seconds a timestamp may be off, either way. Default 300. */
  window?: number | undefined
  /** Clock in milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined
}

// Maps, not object literals: the method name comes from the request (`constructor` is no hash).
const hmacHashes: ReadonlyMap<string, string> = new Map([['HMAC-SHA1', 'sha1'], ['HMAC-SHA256', 'sha256'], ['HMAC-SHA512', 'sha512']])
const rsaHashes: ReadonlyMap<string, string> = new Map([['RSA-SHA1', 'sha1'], ['RSA-SHA256', 'sha256']])
const required = ['oauth_consumer_key', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce']
const headerParam = /\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*(?:,|$)/y

/**
 * Parses `Authorization: OAuth k="v", ...` into decoded pairs, `realm` left out (RFC 5849 §3.5.1).
 * @throws {ProviderRefusal} `parameter_rejected` when malformed.
 */
export function parseAuthorizationHeader (header: string): ParamList {
  const match = /^OAuth\s+/i.exec(header)
  if (match === null) return []
  const pairs: ParamList = []
  headerParam.lastIndex = match[0].length
  while (headerParam.lastIndex < header.length) {
    const part = headerParam.exec(header)
    if (part === null) throw new ProviderRefusal(400, 'parameter_rejected', { oauth_problem_advice: 'malformed Authorization header' })
    const name = decodeURIComponent(part[1] as string)
    if (name !== 'realm') pairs.push([name, decodeURIComponent(part[2] as string)])
  }
  return pairs
}

function collectParameters (request: IncomingSigned): ParamList {
  try {
    const params: ParamList = request.authorization === undefined ? [] : parseAuthorizationHeader(request.authorization)
    if (request.url.search.length > 1) parseForm(request.url.search.slice(1), params)
    if (request.body !== undefined) parseForm(request.body, params)
    return params
  } catch (error) {
    if (error instanceof ProviderRefusal) throw error
    throw new ProviderRefusal(400, 'parameter_rejected', { oauth_problem_advice: 'malformed percent-encoding' })
  }
}

function checkSignature (method: string, consumer: MockConsumer, base: string, tokenSecret: string, signature: string): boolean {
  const hmac = hmacHashes.get(method)
  if (hmac !== undefined) {
    const key = percentEncode(consumer.secret ?? '') + '&' + percentEncode(tokenSecret)
    return safeEqual(createHmac(hmac, key).update(base).digest('base64'), signature)
  }
  if (method === 'PLAINTEXT') return safeEqual(percentEncode(consumer.secret ?? '') + '&' + percentEncode(tokenSecret), signature)
  const key = typeof consumer.publicKey === 'string' ? createPublicKey(consumer.publicKey) : consumer.publicKey as KeyObject
  return rsaVerify(rsaHashes.get(method) as string, Buffer.from(base), key, Buffer.from(signature, 'base64'))
}

/**
 * Builds the provider side of RFC 5849 §3.2: collects the protocol parameters from the header,
 * query and form body, checks the client, the timestamp window, the signature (compared in
 * constant time) and refuses a nonce seen before within the window.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.2
 */
export function createRequestVerifier (options: RequestVerifierOptions): (request: IncomingSigned, tokenSecretOf: TokenSecretLookup) => VerifiedRequest {
  const window = options.window ?? 300
  const now = options.now ?? Date.now
  const seenNonces = new Map<string, number>()
  let lastSweep = 0

  const rememberNonce = (key: string, timestamp: number, nowMs: number): void => {
    if (nowMs - lastSweep > 30_000) {
      lastSweep = nowMs
      for (const [seen, expires] of seenNonces) if (expires <= nowMs) seenNonces.delete(seen)
    }
    // After timestamp + window the timestamp check refuses a replay, so the nonce can be forgotten.
    seenNonces.set(key, (timestamp + window) * 1000)
  }

  return (request, tokenSecretOf) => {
    const params = collectParameters(request)

    const oauth: Record<string, string> = Object.create(null)
    for (const [name, value] of params) {
      if (!name.startsWith('oauth_')) continue
      if (name in oauth) throw new ProviderRefusal(400, 'parameter_rejected', { oauth_parameters_rejected: name })
      oauth[name] = value
    }
    const absent = required.filter((name) => oauth[name] === undefined)
    if (tokenSecretOf !== null && oauth.oauth_token === undefined) absent.push('oauth_token')
    if (absent.length > 0) throw new ProviderRefusal(400, 'parameter_absent', { oauth_parameters_absent: absent.join('&') })
    if (oauth.oauth_version !== undefined && oauth.oauth_version !== '1.0') {
      throw new ProviderRefusal(400, 'version_rejected', { oauth_acceptable_versions: '1.0-1.0' })
    }

    const method = oauth.oauth_signature_method as string
    const consumerKey = oauth.oauth_consumer_key as string
    const consumer = options.consumers.get(consumerKey)
    if (consumer === undefined) throw new ProviderRefusal(401, 'consumer_key_unknown')
    const usable = hmacHashes.has(method) || method === 'PLAINTEXT'
      ? consumer.secret !== undefined
      : rsaHashes.has(method) && consumer.publicKey !== undefined
    if (!usable) throw new ProviderRefusal(400, 'signature_method_rejected')

    const nowMs = now()
    const nowSeconds = Math.floor(nowMs / 1000)
    const timestampText = oauth.oauth_timestamp as string
    const timestamp = Number(timestampText)
    if (!/^\d{1,12}$/.test(timestampText) || Math.abs(nowSeconds - timestamp) > window) {
      throw new ProviderRefusal(401, 'timestamp_refused', { oauth_acceptable_timestamps: `${nowSeconds - window}-${nowSeconds + window}` })
    }

    let tokenSecret = ''
    const token = oauth.oauth_token
    if (tokenSecretOf === null) {
      if (token !== undefined) throw new ProviderRefusal(400, 'parameter_rejected', { oauth_parameters_rejected: 'oauth_token' })
    } else {
      const secret = tokenSecretOf(token as string)
      if (secret === undefined) throw new ProviderRefusal(401, 'token_rejected')
      tokenSecret = secret
    }

    const signed = params.filter(([name]) => name !== 'oauth_signature')
    const base = signatureBaseString(request.method, baseStringUri(request.url), normalizeParameters(signed))
    if (!checkSignature(method, consumer, base, tokenSecret, oauth.oauth_signature as string)) {
      throw new ProviderRefusal(401, 'signature_invalid')
    }

    const nonceKey = `${consumerKey}&${token ?? ''}&${oauth.oauth_nonce as string}`
    const seen = seenNonces.get(nonceKey)
    if (seen !== undefined && seen > nowMs) throw new ProviderRefusal(401, 'nonce_used')
    rememberNonce(nonceKey, timestamp, nowMs)
    return { consumerKey, token, oauth }
  }
}
