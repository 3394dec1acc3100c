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
export { createSigningInterceptor, normalizeHeaders } from './interceptor.js'
export type { SigningInterceptorOptions, OAuth1DispatchOptions, Interceptor } from './interceptor.js'
export { createClient } from './client.js'
export type { ClientOptions, OAuth1Client, RequestOptions, ClientResponse, QueryInput, QueryValue } from './client.js'
export { createFlow, parseTokenResponse } from './flow.js'
export type { Flow, FlowOptions, ProviderEndpoints, RequestToken, AccessToken } from './flow.js'
export { parseProblem, parseAuthParams, OAuthProblems, isOAuthProblem } from './problems.js'
export type { OAuthProblem } from './problems.js'
export { safeEqual, safeReturnPath } from './pending-tokens.js'
export type { PendingToken } from './pending-tokens.js'
export { fastifyOAuth1, isDenial } from './plugin.js'
export type { FastifyOAuth1Options, OAuth1Credentials, OAuth1RequestClient, OAuth1Instance, OAuth1SessionState } from './plugin.js'
export { fastifyOAuth1 as default } from './plugin.js'
export { presets, presetFactories, applyPreset, resolvePreset, userOf, x, trello, flickr, tumblr, garmin, discogs, smugmug, zotero, evernote, jira, netsuite, mastercard, woocommerce, schoology, magento } from './presets.js'
export type { ProviderPreset, PresetName, DenialStyle } from './presets.js'
export { clockSkewCorrection } from './clock-skew.js'
