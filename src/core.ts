/**
 * The framework-free core of fastify-oauth1 (`fastify-oauth1/core`): the RFC 5849 signer, the
 * signed undici client and interceptor, the provider client (the token steps of the three-legged
 * sign-in), the connect logic with its flow state stores (cookie, session), and the provider presets. Nothing here imports Fastify, so a
 * script, a worker or another framework's adapter can use it.
 *
 * Only what the README documents is exported; test/package.test.ts holds the list.
 *
 * @packageDocumentation
 * @module fastify-oauth1/core
 */
export { ErrorCodes, OAuth1Error, isOAuth1Error, OAuthProblems, isOAuthProblem } from './errors.js'
export type { ErrorCode, OAuth1ErrorOptions, ProviderProblem, OAuthProblem } from './errors.js'
export { percentEncode, formDecode, parseForm, formatForm, parseFormToRecord } from './protocol/encoding.js'
export type { ParamList } from './protocol/encoding.js'
export { baseStringUri, normalizeParameters, signatureBaseString } from './protocol/base-string.js'
export { computeBodyHash, signatureMethods } from './protocol/signature-methods.js'
export type { SignatureMethod, PrivateKeyInput, BodyHashAlgorithm } from './protocol/signature-methods.js'
export type { HeaderRecord } from './protocol/headers.js'
export { createSigner } from './signer/signer.js'
export type {
  Signer, SignerOptions, SignableRequest, SignableBody, SignOptions, SignedRequest, SignedBody, Placement
} from './signer/signer.js'
export { createSigningInterceptor } from './http/interceptor.js'
export type { SigningInterceptorOptions, OAuth1DispatchOptions, Interceptor } from './http/interceptor.js'
export { createClient } from './http/client.js'
export type {
  CallerSignal, ClientMethod, ClientOptions, OAuth1Client, RequestOptions, ClientResponse, QueryInput, QueryValue, StreamedResponse, StreamOptions,
  RateLimit, RateLimitOptions
} from './http/client.js'
export { createProviderClient, createFlow } from './provider/provider-client.js'
export type {
  ProviderClient, ProviderCallOptions, PinStart, ProviderClientOptions, ProviderEndpoints, RequestToken, AccessToken, RenewableToken,
  Flow, FlowCallOptions, FlowOptions
} from './provider/provider-client.js'
export type { OAuth1RequestClient, DisconnectOptions, DisconnectResult, RequestClientMethod } from './sign-in/request-client.js'
export { discoverWordPress } from './provider/wordpress.js'
export type { WordPressDiscoveryOptions } from './provider/wordpress.js'
export { presets, evernote, jira, netsuite, mastercard, woocommerce, magento } from './presets/presets.js'
export { createConnect } from './sign-in/connect.js'
export type { Connect, CreateConnectOptions, BeginOptions, Completed, OAuth1Credentials, CredentialsChange } from './sign-in/connect.js'
export { asSignInSession, asFlowSession } from './sign-in/state/context.js'
export type { SignInContext, SignInSession, SignInCookieOptions, FlowContext, FlowSession, FlowCookieOptions } from './sign-in/state/context.js'
export type { FlowStore, FlowLimits, PendingFlow, PeekResult, TakeResult } from './sign-in/state/store.js'
export { createCookieFlowStore } from './sign-in/state/cookie-store.js'
export type { CookieFlowStore, CookieFlowStoreOptions } from './sign-in/state/cookie-store.js'
export { createSessionFlowStore } from './sign-in/state/session-store.js'
export type { SessionFlowStoreOptions, SessionState } from './sign-in/state/session-store.js'
export { createSealer } from './sign-in/state/seal.js'
export type { Sealer } from './sign-in/state/seal.js'
export type { ProviderPreset, ProviderPresetInput, PresetName, DenialStyle, UserFields } from './presets/presets.js'
export { tokenLifetime, renewToken, revokeToken, tokenInvalidError } from './provider/lifecycle.js'
export type { TokenLifetime, RenewableCredentials, RevokeOptions } from './provider/lifecycle.js'
export { diagnoseSignature } from './protocol/diagnosis.js'
export type { SignatureDiagnosis, BaseStringDifference } from './protocol/diagnosis.js'
