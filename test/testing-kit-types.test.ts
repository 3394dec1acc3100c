// Type tests of fastify-oauth1/testing: `tsc` checks this file; lines under `@ts-expect-error`
// must NOT compile. tap runs the small runtime part.
import Fastify from 'fastify'
import t from 'tap'
import type { FastifyOAuth1Options } from '../src/fastify/plugin.js'
import {
  connect, createMockProvider, type ConnectResult, type MockProvider, type MockProviderClientOptions, type MockRecordedRequest
} from '../src/testing/index.js'

const provider: MockProvider = createMockProvider({ consumerKey: 'k', denialStyle: 'verifier_denied' })
const options: MockProviderClientOptions = provider.options()
// The options spread into the plugin's options as they are.
const pluginOptions: FastifyOAuth1Options = { ...options, callbackUrl: 'http://localhost/oauth/callback' }
provider.approveNext({ user: { id: '1', name: 'a' }, extra: { x: 'y' } })
provider.denyNext({ style: 'user_refused' })
provider.misbehaveNext('hang', { endpoint: 'access_token', times: 2 })
provider.route('GET', '/x', ({ user, query }) => ({ status: 200, body: { id: user?.id, q: query.get('q') } }))
const recorded: MockRecordedRequest | undefined = provider.requests[0]
const problem: string | undefined = recorded?.problem
const lifecycle: MockProvider = createMockProvider({ accessTokenTtl: 60_000, invalidTokenStyle: 'x', paths: { invalidateToken: '/revoke' } })
const revokeUrl: string = lifecycle.options().revokeUrl
const revokedTokens: ReadonlySet<string> = lifecycle.revoked
lifecycle.expireTokens()
lifecycle.revokeTokens('a-token')
const endpoint: MockRecordedRequest['endpoint'] = 'invalidate_token'

// @ts-expect-error: not a denial style
provider.denyNext({ style: 'nope' })
// @ts-expect-error: not a misbehaviour
provider.misbehaveNext('http_404')
// @ts-expect-error: a user needs an id
provider.approveNext({ user: { name: 'a' } })
// @ts-expect-error: not an invalid-token style
createMockProvider({ invalidTokenStyle: 'twitter' })
// @ts-expect-error: provider.revoked is read-only
lifecycle.revoked.add('x')
// @ts-expect-error: route handlers return a result object
provider.route('GET', '/y', () => 'text')

t.test('the typed API is the runtime API', async (t) => {
  const app = Fastify()
  t.teardown(async () => { await app.close(); await provider.close() })
  await app.ready()
  const result: Promise<ConnectResult> = connect(app, provider, { user: { id: '1', name: 'a' }, providerUrl: provider.url })
  await t.rejects(result, /GET \/oauth\/start answered 404/, 'an app without the plugin: connect says so')
  t.equal(pluginOptions.dispatcher, provider.dispatcher)
  t.equal(problem, undefined)
  t.equal(revokeUrl, 'http://provider.test/revoke')
  t.equal(revokedTokens.has('a-token'), false, 'revokeTokens() only revokes tokens it issued')
  t.equal(endpoint, 'invalidate_token')
  await lifecycle.close()
})
