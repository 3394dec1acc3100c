import { createHash, createPrivateKey, type KeyObject, sign as rsaSign } from 'node:crypto'
import { prepareHmac, type HmacSign } from './hmac.js'
import { percentEncode } from './encoding.js'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'

/**
 * The signature methods this library implements: the three of RFC 5849 §3.4 plus the SHA-2
 * variants that providers use today (NetSuite and Magento need HMAC-SHA256, Mastercard RSA-SHA256).
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4
 */
export type SignatureMethod = 'HMAC-SHA1' | 'HMAC-SHA256' | 'HMAC-SHA512' | 'RSA-SHA1' | 'RSA-SHA256' | 'PLAINTEXT'

/** Every supported {@link SignatureMethod}, in a stable order. */
export const signatureMethods: readonly SignatureMethod[] = Object.freeze([
  'HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512', 'RSA-SHA1', 'RSA-SHA256', 'PLAINTEXT'
])

/** A private key as PEM text (PKCS#1 or PKCS#8), DER-free Buffer of PEM text, or a Node `KeyObject`. */
export type PrivateKeyInput = string | Buffer | KeyObject

/** Hash algorithms for `oauth_body_hash`. */
export type BodyHashAlgorithm = 'sha1' | 'sha256' | 'sha512'

/**
 * Computes a signature from a base string and the token secret. Built once per signer, so key
 * material is prepared once (§3.4.2 HMAC key, §3.4.3 RSA key), not on every request.
 */
export interface SignatureFunction {
  (baseString: string, tokenSecret: string): string
  /** False for PLAINTEXT, which ignores the base string (§3.4.4). */
  readonly usesBaseString: boolean
  /** The hash the method implies, used for `oauth_body_hash` when none is named. */
  readonly bodyHash: BodyHashAlgorithm
}

const knownMethods: ReadonlySet<string> = new Set(signatureMethods)
const hmacHash: ReadonlyMap<string, 'sha1' | 'sha256' | 'sha512'> = new Map([['HMAC-SHA1', 'sha1'], ['HMAC-SHA256', 'sha256'], ['HMAC-SHA512', 'sha512']])

/**
 * True when `value` names a supported {@link SignatureMethod}. A set lookup: a name from a request
 * or an option (`constructor`, `__proto__`) is never read off an object's prototype.
 */
export function isSignatureMethod (value: unknown): value is SignatureMethod {
  return typeof value === 'string' && knownMethods.has(value)
}

/** Options for {@link createSignatureFunction}. */
export interface SignatureKeyOptions {
  consumerSecret?: string | undefined
  privateKey?: PrivateKeyInput | undefined
}

/**
 * Builds the signing function for a method, validating its key material.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for an unknown method, an RSA method without a
 *   usable RSA private key, or an HMAC/PLAINTEXT method without a consumer secret.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.2 (HMAC-SHA1)
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3 (RSA-SHA1)
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.4 (PLAINTEXT)
 */
export function createSignatureFunction (method: SignatureMethod, options: SignatureKeyOptions): SignatureFunction {
  if (method === 'RSA-SHA1' || method === 'RSA-SHA256') {
    const key = loadPrivateKey(options.privateKey)
    const hash: BodyHashAlgorithm = method === 'RSA-SHA1' ? 'sha1' : 'sha256'
    return Object.assign(
      (baseString: string) => rsaSign(hash, Buffer.from(baseString, 'utf8'), key).toString('base64'),
      { usesBaseString: true, bodyHash: hash }
    )
  }
  if (!isSignatureMethod(method)) invalidOption('signatureMethod', `one of ${signatureMethods.join(', ')}`)
  if (typeof options.consumerSecret !== 'string') invalidOption('consumerSecret', `a string (required for ${method})`)
  const encodedConsumerSecret = percentEncode(options.consumerSecret) + '&'
  if (method === 'PLAINTEXT') {
    return Object.assign(
      (_baseString: string, tokenSecret: string) => encodedConsumerSecret + percentEncode(tokenSecret),
      { usesBaseString: false, bodyHash: 'sha1' as const }
    )
  }
  const hash = hmacHash.get(method)
  if (hash === undefined) invalidOption('signatureMethod', `one of ${signatureMethods.join(', ')}`)
  // The consumer-only key (empty token secret, as in temporary-credential requests) is prepared
  // for good, and the last token secret's key is kept: a user's API calls reuse it.
  const consumerOnly = prepareHmac(hash, encodedConsumerSecret)
  let lastSecret: string | undefined
  let lastSign: HmacSign = consumerOnly
  return Object.assign(
    (baseString: string, tokenSecret: string) => {
      if (tokenSecret === '') return consumerOnly(baseString)
      if (tokenSecret !== lastSecret) {
        lastSign = prepareHmac(hash, encodedConsumerSecret + percentEncode(tokenSecret))
        lastSecret = tokenSecret
      }
      return lastSign(baseString)
    },
    { usesBaseString: true, bodyHash: hash }
  )
}

function loadPrivateKey (input: PrivateKeyInput | undefined): KeyObject {
  if (input === undefined) invalidOption('privateKey', 'an RSA private key (PEM string or KeyObject) for RSA-* methods')
  let key: KeyObject
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      key = createPrivateKey(input)
    } catch (cause) {
      throw new OAuth1Error(ErrorCodes.INVALID_OPTION,
        'Invalid option "privateKey": not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")',
        { cause })
    }
  } else if (typeof input === 'object' && input !== null && (input as KeyObject).type === 'private') {
    key = input
  } else {
    invalidOption('privateKey', 'a private KeyObject or PEM text, not a public key')
  }
  if (key.asymmetricKeyType !== 'rsa') invalidOption('privateKey', `an RSA key (got ${String(key.asymmetricKeyType)})`)
  return key
}

/**
 * `oauth_body_hash`: base64 of the body's hash (OAuth Request Body Hash, §3.1). An absent
 * body hashes as the empty string.
 *
 * @see https://datatracker.ietf.org/doc/html/draft-eaton-oauth-bodyhash-00#section-3.1
 */
export function computeBodyHash (algorithm: BodyHashAlgorithm, body: string | Uint8Array | undefined): string {
  return createHash(algorithm).update(body ?? '').digest('base64')
}
