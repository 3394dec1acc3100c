import type { Server } from 'node:http'
import { InProcessDispatcher } from './dispatcher.js'
import { type Hanging, routeRequest } from './mock/router.js'
import { serveMock } from './mock/server.js'
import { MockState, mockSettings } from './mock/state.js'
import type { MockProvider, MockProviderClientOptions, MockProviderOptions } from './mock/types.js'

export type {
  MockUser, MockDenialStyle, MockEndpoint, MockInvalidTokenStyle, MockMisbehaviour, MockProviderOptions, MockRouteContext,
  MockRouteResult, MockRouteHandler, MockRouteOptions, MockRecordedRequest, MockRateLimit, MockProviderClientOptions,
  MockDecision, MockListening, MockProvider
} from './mock/types.js'
import { mockCreditsDepletedBody } from './mock/resource.js'
export { mockCreditsDepletedBody }

/**
 * An in-process OAuth 1.0a provider for testing apps (RFC 5849 §2 and §3). It really verifies
 * what a provider verifies: signatures (HMAC-SHA1/256/512, PLAINTEXT, RSA-SHA1/256 with a public
 * key), the timestamp window, nonce replay, single-use request tokens and verifiers, and
 * access-token signatures on protected resources. The token lifecycle too: X-style revocation
 * (`POST /1.1/oauth/invalidate_token`, signed with the token; {@link MockProvider.revoked}), and
 * with `accessTokenTtl` expiring tokens renewed by `oauth_session_handle` (OAuth Session 1.0);
 * {@link MockProvider.expireTokens} and {@link MockProvider.revokeTokens} do it on demand.
 * Approval is programmatic
 * ({@link MockProvider.approveNext}, {@link MockProvider.denyNext}), misbehaviour on purpose
 * ({@link MockProvider.misbehaveNext}), rate limits and X's credits-depleted 402 on the next API
 * answers ({@link MockProvider.rateLimitNext}, {@link MockProvider.creditsDepletedNext}), and
 * every request is recorded.
 *
 * Use it in-process through {@link MockProvider.dispatcher} (with `app.inject`), or on a real
 * port with {@link MockProvider.listen}.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849
 */
export function createMockProvider (options: MockProviderOptions = {}): MockProvider {
  const settings = mockSettings(options)
  const state = new MockState(settings, options.rsaPublicKey, options.timestampWindow)
  const { consumerKey, consumerSecret, origin, paths, now } = settings
  const hanging: Hanging = { closed: false, waiting: new Set() }
  let server: Server | undefined
  let listenedUrl: string | undefined

  const origins = (): string[] => listenedUrl === undefined ? [origin] : [origin, listenedUrl]
  const dispatcher = new InProcessDispatcher((request) => provider.handle(request), origins)

  const provider: MockProvider = {
    consumerKey,
    consumerSecret,
    get url () { return listenedUrl ?? origin },
    requests: state.requests,
    dispatcher,
    revoked: state.revoked,
    expireTokens (token) {
      const at = now()
      for (const [each, entry] of state.accessTokens) if (token === undefined || each === token) entry.expires = Math.min(entry.expires ?? at, at)
    },
    revokeTokens (token) {
      for (const each of state.accessTokens.keys()) if (token === undefined || each === token) state.revoked.add(each)
    },
    options () {
      const base = listenedUrl ?? origin
      const result: MockProviderClientOptions = {
        consumerKey,
        consumerSecret,
        requestTokenUrl: base + paths.requestToken,
        authorizeUrl: base + paths.authorize,
        accessTokenUrl: base + paths.accessToken,
        revokeUrl: base + paths.invalidateToken,
        baseUrl: base + '/'
      }
      if (listenedUrl === undefined) result.dispatcher = dispatcher
      return result
    },
    approveNext (decision = {}) {
      state.decisions.push({ approve: true, user: decision.user, extra: decision.extra })
    },
    denyNext (decision = {}) {
      state.decisions.push({ approve: false, style: decision.style })
    },
    misbehaveNext (kind, plan = {}) {
      state.planned.push({ kind, endpoint: plan.endpoint ?? (kind === 'unconfirmed_callback' ? 'request_token' : undefined), times: plan.times ?? 1 })
    },
    rateLimitNext (limit = {}, plan = {}) {
      state.apiAnswers.push({ kind: 'rate_limit', limit: { ...limit }, times: plan.times ?? 1 })
    },
    creditsDepletedNext (plan = {}) {
      state.apiAnswers.push({ kind: 'credits_depleted', body: plan.body ?? mockCreditsDepletedBody, times: plan.times ?? 1 })
    },
    route (method, path, handler, routeOptions = {}) {
      state.routes.push({ method: method.toUpperCase(), path, handler, twoLegged: routeOptions.twoLegged ?? false })
    },
    pendingAuthorization (token) {
      const entry = state.liveRequestToken(token)
      return entry === undefined || entry.verifier !== undefined ? undefined : { callback: entry.callback }
    },
    decide: (token, decision) => state.decide(token, decision),
    handle: (request) => routeRequest(state, hanging, request),
    async authorize (authorizeUrl) {
      const url = new URL(authorizeUrl)
      const response = await provider.handle({ method: 'GET', url: url.href, headers: { host: url.host }, body: Buffer.alloc(0) })
      const location = response?.headers.location
      if (response === undefined || location === undefined) {
        const answered = `${response?.status ?? 'nothing'} instead of a redirect: ${response?.body.slice(0, 200) ?? ''}`
        throw new Error(`The mock provider's authorize step answered ${answered}`)
      }
      return location
    },
    async listen (listenOptions = {}) {
      if (server !== undefined) throw new Error('The mock provider is already listening')
      const started = await serveMock((request) => provider.handle(request), listenOptions.host ?? '127.0.0.1', listenOptions.port ?? 0)
      server = started.server
      listenedUrl = started.url
      return { url: listenedUrl, close: () => provider.close() }
    },
    async close () {
      hanging.closed = true
      for (const release of hanging.waiting) release()
      hanging.waiting.clear()
      await dispatcher.close()
      const running = server
      server = undefined
      if (running !== undefined) {
        running.closeAllConnections()
        await new Promise<void>((resolve) => running.close(() => resolve()))
      }
    }
  }
  return provider
}
