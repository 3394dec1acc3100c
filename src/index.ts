/**
 * fastify-oauth1: the Fastify plugin for the three-legged "connect your account" flow of
 * RFC 5849 (OAuth 1.0a) §2, with what an app around it needs: the coded errors, the provider
 * presets, the signed undici client ({@link createClient}) and the signer ({@link createSigner}).
 *
 * The protocol primitives (encoding, base string, signature methods, the signing interceptor,
 * the provider client, the connect core and its flow state stores, the token lifecycle helpers and the
 * signature diagnosis) are in `fastify-oauth1/core`, whose declarations never mention Fastify.
 * The Express middleware is `fastify-oauth1/express`; the mock provider is `fastify-oauth1/testing`.
 *
 * @packageDocumentation
 * @module fastify-oauth1
 */
export { fastifyOAuth1, fastifyOAuth1 as default } from './fastify/plugin.js'
export type {
  FastifyOAuth1Options, FlowStateOption, OAuth1RequestClient, OAuth1Instance, OAuth1BeginOptions, OAuth1SessionState,
  OAuth1RequestDecorations, OAuth1InstanceDecorations, OAuth1SessionData
} from './fastify/plugin.js'
export type { OAuth1Credentials, CredentialsChange, BeginOptions, Completed } from './sign-in/connect.js'
export type { SessionState } from './sign-in/state/session-store.js'
export type { DisconnectOptions, DisconnectResult, RequestClientMethod } from './sign-in/request-client.js'
export type {
  ProviderClient, ProviderCallOptions, ProviderEndpoints, RequestToken, AccessToken, RenewableToken, Flow, FlowCallOptions
} from './provider/provider-client.js'
export type { FlowStore, FlowLimits, PendingFlow, PeekResult, TakeResult } from './sign-in/state/store.js'
export type { SignInContext, SignInSession, SignInCookieOptions, FlowContext, FlowSession, FlowCookieOptions } from './sign-in/state/context.js'

export { ErrorCodes, OAuth1Error, isOAuth1Error, OAuthProblems, isOAuthProblem } from './errors.js'
export type { ErrorCode, OAuth1ErrorOptions, ProviderProblem, OAuthProblem, SignatureDiagnosis, BaseStringDifference } from './errors.js'

export { presets, evernote, jira, netsuite, mastercard, woocommerce, magento } from './presets/presets.js'
export { discoverWordPress } from './provider/wordpress.js'
export type { WordPressDiscoveryOptions } from './provider/wordpress.js'
export type { ProviderPreset, ProviderPresetInput, PresetName, DenialStyle, UserFields } from './presets/presets.js'

export { createClient } from './http/client.js'
export type {
  CallerSignal, ClientMethod, ClientOptions, OAuth1Client, RequestOptions, ClientResponse, QueryInput, QueryValue, StreamedResponse, StreamOptions,
  RateLimit, RateLimitOptions
} from './http/client.js'

export { createSigner } from './signer/signer.js'
export type {
  Signer, SignerOptions, SignableRequest, SignableBody, SignOptions, SignedRequest, SignedBody, Placement
} from './signer/signer.js'
export type { SignatureMethod, PrivateKeyInput, BodyHashAlgorithm } from './protocol/signature-methods.js'
export type { HeaderRecord } from './protocol/headers.js'
