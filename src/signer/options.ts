import { percentEncode } from '../protocol/encoding.js'
import { invalidOption } from '../errors.js'
import { generateNonce } from '../protocol/nonce.js'
import {
  type BodyHashAlgorithm, createSignatureFunction, type SignatureFunction, type SignatureMethod, isSignatureMethod, signatureMethods
} from '../protocol/signature-methods.js'
import { FixedParamsCache, TargetCache } from './caches.js'
import type { Placement, SignerOptions } from './types.js'

/** A protocol parameter: its name, its value and its percent-encoded value (RFC 5849 §3.6). */
export type ProtocolParam = [name: string, value: string, encoded: string]

/** The signer's configuration once validated: everything `sign()` reads and never recomputes. */
export interface SignerConfig {
  placement: Placement
  signature: SignatureFunction
  bodyHash: BodyHashAlgorithm | undefined
  makeNonce: () => string
  defaultToken: string | undefined
  defaultTokenSecret: string
  headerPrefix: string
  /** `oauth_consumer_key`, `oauth_signature_method` and `oauth_version` as {@link ProtocolParam}s, for the placement and `oauthParams`. */
  constantParams: readonly ProtocolParam[]
  /** `percentEncode(defaultToken)`. */
  encodedDefaultToken: string | undefined
  /** The reused URL parse. */
  targets: TargetCache
  /** The last request's base-string parameters that repeat, encoded and sorted. */
  fixedParams: FixedParamsCache
}

const placements: readonly Placement[] = ['header', 'query', 'body']

/** `typeof value === 'string'`, as a type guard. */
export function isString (value: unknown): value is string {
  return typeof value === 'string'
}

function checkOptionalString (options: object, name: string): void {
  const value = (options as Record<string, unknown>)[name]
  if (value !== undefined && !isString(value)) invalidOption(name, 'a string')
}

/**
 * Validates the options once and prepares the key (RFC 5849 §3.4.2–3.4.4) and the constant
 * parameters; nothing after this reads the raw options.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` naming the option that is missing or invalid.
 */
export function configure (options: SignerOptions): { config: SignerConfig, signatureMethod: SignatureMethod, now: () => number } {
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
    constantParams: constantParams.map(([name, value]) => [name, value, percentEncode(value)]),
    encodedDefaultToken: options.token === undefined ? undefined : percentEncode(options.token),
    targets: new TargetCache(),
    fixedParams: new FixedParamsCache(constantParams.map(([name, value]) => [name, percentEncode(value)]))
  }
  return { config, signatureMethod, now: options.now ?? Date.now }
}
