// The per-user client (src/sign-in/request-client.ts) through the Fastify plugin, with app.inject,
// against a local provider with token lifecycles (test/helpers/session-provider.ts):
// disconnect({ revoke }), OAUTH1_TOKEN_INVALID with onTokenInvalid, one automatic renewal.
import fastifyCookie from '@fastify/cookie'
import express from 'express'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { expressOAuth1 } from '../src/express/index.js'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import t, { type Test } from 'tap'
import { ErrorCodes, type OAuth1Error } from '../src/errors.js'
import { fastifyOAuth1, type FastifyOAuth1Options, type OAuth1Credentials } from '../src/index.js'
import { consumer, type SessionProvider, startSessionProvider } from './helpers/session-provider.js'
import { expectSigned } from './helpers/signature-check.js'
import { flowSecret } from './helpers/build-app.js'
import { createConnect, isCredentials } from '../src/sign-in/connect.js'
import { createProviderClient } from '../src/provider/provider-client.js'
import { createRequestClient } from '../src/sign-in/request-client.js'
import type { SignInContext, SignInSession } from '../src/sign-in/state/context.js'
import { createSessionFlowStore } from '../src/sign-in/state/session-store.js'

/** The provider's endpoints, the callback and the flow secret, as both adapters take them. */
function endpointsOf (origin: string) {
  return {
    requestTokenUrl: `${origin}/oauth/request_token`,
    authorizeUrl: `${origin}/oauth/authorize`,
    accessTokenUrl: `${origin}/oauth/access_token`,
    revokeUrl: `${origin}/1.1/oauth/invalidate_token`,
    callbackUrl: 'http://localhost/oauth/callback',
    flowSecret
  }
}

interface Harness {
  app: FastifyInstance
  store: Map<string, OAuth1Credentials>
  invalid: Array<{ user: string, code: string, problem: string | undefined }>
}

function credentialsOf (token: { token: string, tokenSecret: string, sessionHandle?: string }): OAuth1Credentials {
  return { ...token, extra: { user_id: '7', screen_name: 'ada' }, connectedAt: 1, user: { id: '7', name: 'ada' } }
}

async function harness (t: Test, provider: SessionProvider, overrides: Partial<FastifyOAuth1Options> = {}): Promise<Harness> {
  const store = new Map<string, OAuth1Credentials>()
  const invalid: Harness['invalid'] = []
  const userOf = (request: FastifyRequest): string => String(request.headers['x-user'])
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifyOAuth1, {
    ...consumer,
    ...endpointsOf(provider.origin),
    saveCredentials: async (request, credentials) => { store.set(userOf(request), credentials) },
    loadCredentials: async (request) => store.get(userOf(request)),
    deleteCredentials: async (request) => { store.delete(userOf(request)) },
    async onTokenInvalid (request, error) {
      invalid.push({ user: userOf(request), code: error.code, problem: error.problem })
      await request.oauth1.disconnect()
    },
    ...overrides
  })
  app.get('/me', async (request) => (await request.oauth1.get(`${provider.origin}/api/me`)).json())
  app.post('/disconnect', async (request) => {
    const result = await request.oauth1.disconnect({ revoke: true })
    return { revoked: result.revoked, error: result.error?.code }
  })
  app.post('/forget', async (request) => request.oauth1.disconnect())
  await app.ready()
  t.teardown(() => app.close())
  return { app, store, invalid }
}

t.test('disconnect({ revoke: true }) invalidates the token at the provider, then forgets it', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const { app, store } = await harness(t, provider)
  store.set('u1', credentialsOf(provider.issue('at-1')))
  const response = await app.inject({ method: 'POST', url: '/disconnect', headers: { 'x-user': 'u1' } })
  t.same(response.json(), { revoked: true })
  t.equal(provider.tokens.get('at-1')?.state, 'revoked', 'the provider no longer accepts the token')
  expectSigned(t, provider.calls('/1.1/oauth/invalidate_token')[0], { ...consumer, tokenSecret: 'at-1-secret' }, 'revocation signed with the user token')
  t.notOk(store.has('u1'), 'the local credentials are gone')

  await app.inject({ method: 'POST', url: '/forget', headers: { 'x-user': 'u2' } })
  store.set('u3', credentialsOf(provider.issue('at-3')))
  await app.inject({ method: 'POST', url: '/forget', headers: { 'x-user': 'u3' } })
  t.notOk(store.has('u3'))
  t.equal(provider.tokens.get('at-3')?.state, 'valid', 'disconnect() without revoke does not call the provider')
  t.equal(provider.calls('/1.1/oauth/invalidate_token').length, 1)
})

t.test('a failed revocation is reported, and the local credentials are dropped anyway', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const { app, store } = await harness(t, provider)
  provider.issue('at-1')
  store.set('u1', credentialsOf({ token: 'at-1', tokenSecret: 'not-the-secret' }))
  const response = await app.inject({ method: 'POST', url: '/disconnect', headers: { 'x-user': 'u1' } })
  t.same(response.json(), { revoked: false, error: ErrorCodes.REVOKE_FAILED })
  t.notOk(store.has('u1'))
  t.equal(provider.tokens.get('at-1')?.state, 'valid')

  const down = await startSessionProvider()
  await down.close()
  const unreachable = await harness(t, down)
  unreachable.store.set('u2', credentialsOf({ token: 'x', tokenSecret: 'y' }))
  t.same((await unreachable.app.inject({ method: 'POST', url: '/disconnect', headers: { 'x-user': 'u2' } })).json(), { revoked: false, error: ErrorCodes.REVOKE_FAILED }, 'provider unreachable')
  t.notOk(unreachable.store.has('u2'))

  const noEndpoint = await harness(t, provider, { revokeUrl: undefined })
  noEndpoint.store.set('u3', credentialsOf(provider.issue('at-3')))
  t.same((await noEndpoint.app.inject({ method: 'POST', url: '/disconnect', headers: { 'x-user': 'u3' } })).json(), { revoked: false, error: ErrorCodes.INVALID_REQUEST }, 'no revokeUrl: said so')
  t.notOk(noEndpoint.store.has('u3'))
})

t.test('a refused token becomes OAUTH1_TOKEN_INVALID (401) and onTokenInvalid runs first', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const { app, store, invalid } = await harness(t, provider)
  store.set('u1', credentialsOf(provider.issue('at-1')))
  t.same((await app.inject({ method: 'GET', url: '/me', headers: { 'x-user': 'u1' } })).json(), { token: 'at-1' }, 'works while valid')
  provider.tokens.get('at-1')!.state = 'revoked'
  const refused = await app.inject({ method: 'GET', url: '/me', headers: { 'x-user': 'u1' } })
  t.equal(refused.statusCode, 401)
  t.equal(refused.json().code, ErrorCodes.TOKEN_INVALID)
  t.same(invalid, [{ user: 'u1', code: ErrorCodes.TOKEN_INVALID, problem: undefined }], 'X code 89, told to the hook')
  t.notOk(store.has('u1'), 'the hook dropped the credentials')

  store.set('u2', credentialsOf(provider.issue('at-2', { handle: false })))
  provider.tokens.get('at-2')!.state = 'expired'
  const expired = await app.inject({ method: 'GET', url: '/me', headers: { 'x-user': 'u2' } })
  t.equal(expired.statusCode, 401)
  t.equal(invalid[1]?.problem, 'token_expired', 'expired without a session handle: cannot renew')
  t.equal(provider.calls('/oauth/access_token').length, 0, 'no renewal was tried')
})

t.test('token_expired with a session handle: renewed once, saved, the call retried', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const { app, store, invalid } = await harness(t, provider)
  store.set('u1', credentialsOf(provider.issue('at-1')))
  provider.tokens.get('at-1')!.state = 'expired'
  const response = await app.inject({ method: 'GET', url: '/me', headers: { 'x-user': 'u1' } })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { token: 'renewed-1' }, 'the retried call used the fresh token')
  t.equal(provider.calls('/oauth/access_token').length, 1, 'one renewal')
  expectSigned(t, provider.calls('/oauth/access_token')[0], { ...consumer, tokenSecret: 'at-1-secret' })
  const saved = store.get('u1')
  t.match(saved, { token: 'renewed-1', tokenSecret: 'renewed-secret-1', sessionHandle: 'handle-of-at-1', user: { id: '7', name: 'ada' }, extra: { screen_name: 'ada' }, connectedAt: 1 },
    'saved where the credentials live, the user fields kept')
  t.ok((saved?.expiresAt ?? 0) > Date.now(), 'with the new expiry')
  t.same(invalid, [])

  t.same((await app.inject({ method: 'GET', url: '/me', headers: { 'x-user': 'u1' } })).json(), { token: 'renewed-1' })
  t.equal(provider.calls('/oauth/access_token').length, 1, 'the next request uses the saved token, no renewal')

  // A provider that keeps answering token_expired: one renewal, one retry, then the coded error.
  provider.tokens.get('renewed-1')!.state = 'expired'
  const originalSet = provider.tokens.set.bind(provider.tokens)
  provider.tokens.set = (key, value) => originalSet(key, { ...value, state: 'expired' })
  const again = await app.inject({ method: 'GET', url: '/me', headers: { 'x-user': 'u1' } })
  t.equal(again.statusCode, 401)
  t.equal(again.json().code, ErrorCodes.TOKEN_INVALID)
  t.equal(provider.calls('/oauth/access_token').length, 2, 'renewed once more, not in a loop')
  t.equal(invalid.length, 1)
})

t.test('onTokenInvalid must be a function', async (t) => {
  const app = Fastify()
  await app.register(fastifyCookie)
  app.register(fastifyOAuth1, {
    ...consumer,
    requestTokenUrl: 'http://127.0.0.1:1/r',
    authorizeUrl: 'http://127.0.0.1:1/a',
    accessTokenUrl: 'http://127.0.0.1:1/t',
    callbackUrl: 'http://localhost/oauth/callback',
    flowSecret,
    saveCredentials: async () => {},
    loadCredentials: async () => undefined,
    onTokenInvalid: 'drop' as unknown as (request: FastifyRequest, error: OAuth1Error) => void
  })
  await t.rejects(async () => { await app.ready() }, { code: ErrorCodes.INVALID_OPTION, message: /onTokenInvalid/ })
})

t.test('without credential hooks, the renewed credentials replace the old ones in the session', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient({
    ...consumer,
    requestTokenUrl: `${provider.origin}/oauth/request_token`,
    authorizeUrl: `${provider.origin}/oauth/authorize`,
    accessTokenUrl: `${provider.origin}/oauth/access_token`
  })
  t.teardown(() => providerClient.close())
  const values = new Map<string, unknown>()
  const session: SignInSession = { get: (key) => values.get(key), set: (key, value) => { values.set(key, value) } }
  const ctx: SignInContext = {
    getCookie: () => undefined,
    cookieNames: () => [],
    setCookie: () => {},
    clearCookie: () => {},
    session,
    host: 'localhost',
    protocol: 'http'
  }
  const connect = createConnect({
    flow: providerClient,
    store: createSessionFlowStore({ key: 'oauth1:oauth1', ttl: 60_000, max: 5 }, isCredentials),
    limits: { ttl: 60_000, max: 5 },
    sessionKey: 'oauth1:oauth1',
    callbackUrl: 'http://localhost/oauth/callback',
    toCredentials: (access, now) => ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now })
  })
  values.set('oauth1:oauth1', { credentials: credentialsOf(provider.issue('at-s')) })
  provider.tokens.get('at-s')!.state = 'expired'
  const user = createRequestClient({ connect, providerClient, ctx, name: 'oauth1' })
  t.same((await user.get(`${provider.origin}/api/me`)).json(), { token: 'renewed-1' })
  const stored = (values.get('oauth1:oauth1') as { credentials: OAuth1Credentials }).credentials
  t.match(stored, { token: 'renewed-1', sessionHandle: 'handle-of-at-s', user: { name: 'ada' } }, 'in the session')
  const next = createRequestClient({ connect, providerClient, ctx, name: 'oauth1' })
  t.equal((await next.getCredentials())?.token, 'renewed-1', 'the next request loads the renewed token')
})

t.test('Express: the same request client, onTokenInvalid called with Express\'s req; renewal and revoke', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const store = new Map<string, OAuth1Credentials>()
  const invalid: string[] = []
  const userOf = (req: express.Request): string => String(req.headers['x-user'])
  const oauth1 = expressOAuth1({
    ...consumer,
    ...endpointsOf(provider.origin),
    saveCredentials: async (req, credentials) => { store.set(userOf(req), credentials) },
    loadCredentials: async (req) => store.get(userOf(req)),
    deleteCredentials: async (req) => { store.delete(userOf(req)) },
    onTokenInvalid: async (req, error) => { invalid.push(`${userOf(req)}:${error.code}`) }
  })
  const app = express()
  app.use(oauth1)
  app.get('/me', (req, res, next) => { req.oauth1.get(`${provider.origin}/api/me`).then((response) => { res.json(response.json()) }, next) })
  app.post('/disconnect', (req, res, next) => { req.oauth1.disconnect({ revoke: true }).then((result) => { res.json({ revoked: result.revoked }) }, next) })
  const errors: express.ErrorRequestHandler = (error: { statusCode?: number, code?: string }, _req, res, _next) => { res.status(error.statusCode ?? 500).json({ code: error.code }) }
  app.use(errors)
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await oauth1.close()
  })
  const call = async (method: string, path: string, user: string): Promise<{ status: number, body: unknown }> => {
    const response = await fetch(`${origin}${path}`, { method, headers: { 'x-user': user } })
    return { status: response.status, body: await response.json() }
  }
  store.set('u1', credentialsOf(provider.issue('at-1')))
  provider.tokens.get('at-1')!.state = 'expired'
  t.same(await call('GET', '/me', 'u1'), { status: 200, body: { token: 'renewed-1' } }, 'renewed and retried')
  t.equal(store.get('u1')?.token, 'renewed-1', 'saved through saveCredentials')
  provider.tokens.get('renewed-1')!.state = 'revoked'
  t.same(await call('GET', '/me', 'u1'), { status: 401, body: { code: ErrorCodes.TOKEN_INVALID } })
  t.same(invalid, [`u1:${ErrorCodes.TOKEN_INVALID}`])
  store.set('u2', credentialsOf(provider.issue('at-2')))
  t.same(await call('POST', '/disconnect', 'u2'), { status: 200, body: { revoked: true } })
  t.equal(provider.tokens.get('at-2')?.state, 'revoked')
  t.notOk(store.has('u2'))
})

t.test('tracing: the call retried after a renewal is attempt 2, resent for renewal, with no token in any context', async (t) => {
  const { traceRecorder } = await import('./helpers/trace-recorder.js')
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const { app, store } = await harness(t, provider)
  store.set('u1', credentialsOf(provider.issue('at-1')))
  provider.tokens.get('at-1')!.state = 'expired'
  const traces = traceRecorder(t, 'fastify-oauth1:request')
  t.same((await app.inject({ method: 'GET', url: '/me', headers: { 'x-user': 'u1' } })).json(), { token: 'renewed-1' })
  const calls = traces.contexts.map(({ path, attempt, resent, status }) => ({ path, attempt, resent, status }))
  t.same(calls, [
    { path: '/api/me', attempt: 1, resent: undefined, status: 401 },
    { path: '/oauth/access_token', attempt: 1, resent: undefined, status: 200 },
    { path: '/api/me', attempt: 2, resent: 'renewal', status: 200 }
  ])
  traces.expectNone(['at-1', 'at-1-secret', 'renewed-1', 'renewed-secret-1', 'handle-of-at-1', ...provider.requests.flatMap((request) => [String(request.headers.authorization ?? '')])])
})
