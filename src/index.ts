/**
 * fastify-oauth1: an RFC 5849 (OAuth 1.0a) signer, a signed undici client, and a Fastify plugin
 * for the three-legged "connect your account" flow.
 *
 * @packageDocumentation
 */
export { ErrorCodes, OAuth1Error, isOAuth1Error } from './errors.js'
export type { ErrorCode, OAuth1ErrorOptions, ProviderProblem } from './errors.js'
export { percentEncode, formDecode, parseForm, formatForm, parseFormToRecord } from './encoding.js'
export type { ParamList } from './encoding.js'
export { baseStringUri, normalizeParameters, signatureBaseString } from './base-string.js'
export { computeBodyHash, signatureMethods } from './signature-methods.js'
export type { SignatureMethod, PrivateKeyInput, BodyHashAlgorithm } from './signature-methods.js'
export { generateNonce } from './nonce.js'
export { createSigner, findHeader, isFormContentType } from './signer.js'
export type {
  Signer, SignerOptions, SignableRequest, SignableBody, SignOptions, SignedRequest, Placement, HeaderRecord
} from './signer.js'
