/**
 * fastify-oauth1: an RFC 5849 (OAuth 1.0a) signer, a signed undici client, and a Fastify plugin
 * for the three-legged "connect your account" flow. The framework-free part is also
 * `fastify-oauth1/core`, whose declarations never mention Fastify.
 *
 * @packageDocumentation
 */
export * from './core.js'
export { fastifyOAuth1, fastifyOAuth1 as default } from './fastify/plugin.js'
export type {
  FastifyOAuth1Options, FlowStateOption, OAuth1RequestClient, OAuth1Instance, OAuth1BeginOptions, OAuth1SessionState,
  OAuth1RequestDecorations, OAuth1InstanceDecorations, OAuth1SessionData
} from './fastify/plugin.js'
