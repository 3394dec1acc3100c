// The demo's request verification now lives in the test kit (src/testing/verify.ts); these are
// the names the example app has always used for it.
export {
  createRequestVerifier, parseAuthorizationHeader, ProviderRefusal as OAuthProblem
} from '../../src/testing/index.js'
export type {
  MockConsumer as DemoConsumer, IncomingSigned, TokenSecretLookup, VerifiedRequest, RequestVerifierOptions
} from '../../src/testing/index.js'
