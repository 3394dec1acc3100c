/**
 * `fastify-oauth1/testing`: a mock OAuth 1.0a provider (RFC 5849) that verifies what a real one
 * verifies, usable in-process (an undici dispatcher, for `app.inject`) or on a real port, and
 * {@link connect}, which connects an account through an app's `/oauth/start` and `/oauth/callback`:
 * a Fastify app through `app.inject`, or any app listening on a port (Express, ...) by its base URL.
 *
 * @packageDocumentation
 * @module fastify-oauth1/testing
 */
export { createMockProvider, mockCreditsDepletedBody } from './mock-provider.js'
export type {
  MockProvider, MockProviderOptions, MockUser, MockDenialStyle, MockEndpoint, MockMisbehaviour,
  MockRouteContext, MockRouteResult, MockRouteHandler, MockRouteOptions, MockRecordedRequest,
  MockProviderClientOptions, MockDecision, MockListening, MockInvalidTokenStyle, MockRateLimit
} from './mock-provider.js'
export { connect } from './connect.js'
export type { ConnectOptions, ConnectResult, Injectable, InjectedResponse } from './connect.js'
export { InProcessDispatcher } from './dispatcher.js'
export type { MockRequest, MockResponse, MockHandler } from './dispatcher.js'
export { createRequestVerifier, parseAuthorizationHeader, ProviderRefusal } from './verify.js'
export type { MockConsumer, IncomingSigned, TokenSecretLookup, VerifiedRequest, RequestVerifierOptions } from './verify.js'
