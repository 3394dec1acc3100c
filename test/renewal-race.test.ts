// A token renewal that finishes after a disconnect must not connect the user again (issue 17,
// case 7): the renewed credentials are saved only while the stored ones are still those that were
// renewed (compare-and-set), with @fastify/session, express-session and the credential hooks.
// The provider holds the renewal's answer until the disconnect has been saved.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import express from 'express'
import expressSession from 'express-session'
import Fastify, { type FastifyRequest } from 'fastify'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { expressOAuth1 } from '../src/express/index.js'
import { fastifyOAuth1, type OAuth1Credentials } from '../src/index.js'
import { flowSecret } from './helpers/build-app.js'
import { consumer, type SessionProvider, startSessionProvider } from './helpers/session-provider.js'

const sessionSecret = 'a-session-secret-of-at-least-32-characters!'

function optionsOf (provider: SessionProvider) {
  return {
    ...consumer,
    requestTokenUrl: `${provider.origin}/oauth/request_token`,
    authorizeUrl: `${provider.origin}/oauth/authorize`,
    accessTokenUrl: `${provider.origin}/oauth/access_token`,
    callbackUrl: 'http://localhost/oauth/callback',
    flowSecret
  }
}

function credentialsOf (token: { token: string, tokenSecret: string, sessionHandle?: string }): OAuth1Credentials {
  return { ...token, extra: {}, connectedAt: 1 }
}

/** Plays the race: a call whose token expired, a disconnect while its renewal is held, then the renewal. */
async function race (provider: SessionProvider, call: (path: string, method?: string) => Promise<{ status: number, body: unknown }>) {
  provider.tokens.get('at-1')!.state = 'expired'
  const held = provider.holdRenewals()
  const slow = call('/me')
  await held.arrived
  const forgotten = await call('/forget', 'POST')
  held.release()
  const renewing = await slow
  const after = await call('/connected')
  return { forgotten, renewing, after }
}

/** Logs in over HTTP (the session cookie), plays the race with it, and checks the user ends disconnected. */
async function loginThenRace (t: Test, provider: SessionProvider, origin: string, sessionCookie: RegExp): Promise<void> {
  const login = await fetch(`${origin}/login`, { method: 'POST' })
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  t.match(cookie, sessionCookie, 'a session cookie')
  const call = async (path: string, method = 'GET') => {
    const response = await fetch(`${origin}${path}`, { method, headers: { cookie } })
    return { status: response.status, body: await response.json() }
  }
  t.same(await call('/connected'), { status: 200, body: { connected: true } })
  const { forgotten, renewing, after } = await race(provider, call)
  t.same(forgotten, { status: 200, body: { revoked: false } }, 'the disconnect answered first')
  t.same(renewing, { status: 401, body: { code: ErrorCodes.NOT_CONNECTED } }, 'the renewed call says the account is no longer connected')
  t.same(after, { status: 200, body: { connected: false } }, 'the renewal did not reconnect the user')
}

t.test('Fastify + @fastify/session: a renewal racing a disconnect leaves the user disconnected', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: false }, saveUninitialized: false })
  await app.register(fastifyOAuth1, optionsOf(provider))
  app.post('/login', async (request) => {
    request.session.set('oauth1:oauth1', { credentials: credentialsOf(provider.issue('at-1')) })
    return { ok: true }
  })
  app.get('/me', async (request) => (await request.oauth1.get(`${provider.origin}/api/me`)).json())
  app.post('/forget', async (request) => request.oauth1.disconnect())
  app.get('/connected', async (request) => ({ connected: await request.oauth1.isConnected() }))
  app.setErrorHandler((error: { statusCode?: number, code?: string }, _request, reply) => reply.code(error.statusCode ?? 500).send({ code: error.code }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  await loginThenRace(t, provider, `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, /^sessionId=/)
  t.equal(provider.calls('/oauth/access_token').length, 1, 'one renewal was made')
})

t.test('Express + express-session: a renewal racing a disconnect leaves the user disconnected', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const oauth1 = expressOAuth1(optionsOf(provider))
  const app = express()
  app.use(expressSession({ secret: sessionSecret, resave: false, saveUninitialized: false }))
  app.use(oauth1)
  app.post('/login', (req, res) => {
    (req.session as unknown as Record<string, unknown>)['oauth1:oauth1'] = { credentials: credentialsOf(provider.issue('at-1')) }
    res.json({ ok: true })
  })
  app.get('/me', (req, res, next) => { req.oauth1.get(`${provider.origin}/api/me`).then((response) => { res.json(response.json()) }, next) })
  app.post('/forget', (req, res, next) => { req.oauth1.disconnect().then((result) => { res.json(result) }, next) })
  app.get('/connected', (req, res, next) => { req.oauth1.isConnected().then((connected) => { res.json({ connected }) }, next) })
  const errors: express.ErrorRequestHandler = (error: { statusCode?: number, code?: string }, _req, res, _next) => { res.status(error.statusCode ?? 500).json({ code: error.code }) }
  app.use(errors)
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await oauth1.close()
  })
  await loginThenRace(t, provider, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, /^connect\.sid=/)
})

t.test('credential hooks: the renewal re-reads, then saves only over the credentials it renewed', async (t) => {
  const provider = await startSessionProvider()
  t.teardown(() => provider.close())
  const store = new Map<string, OAuth1Credentials>()
  const saves: Array<{ token: string, replaces: string | undefined }> = []
  const userOf = (request: FastifyRequest): string => String(request.headers['x-user'])
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifyOAuth1, {
    ...optionsOf(provider),
    saveCredentials: async (request, credentials, change) => {
      saves.push({ token: credentials.token, replaces: change.replaces?.token })
      store.set(userOf(request), credentials)
    },
    loadCredentials: async (request) => store.get(userOf(request)),
    deleteCredentials: async (request) => { store.delete(userOf(request)) }
  })
  app.get('/me', async (request) => (await request.oauth1.get(`${provider.origin}/api/me`)).json())
  app.post('/forget', async (request) => request.oauth1.disconnect())
  app.get('/connected', async (request) => ({ connected: await request.oauth1.isConnected() }))
  app.setErrorHandler((error: { statusCode?: number, code?: string }, _request, reply) => reply.code(error.statusCode ?? 500).send({ code: error.code }))
  await app.ready()
  t.teardown(() => app.close())
  const call = async (path: string, method = 'GET') => {
    const response = await app.inject({ method: method as 'GET', url: path, headers: { 'x-user': 'u1' } })
    return { status: response.statusCode, body: response.json() }
  }
  store.set('u1', credentialsOf(provider.issue('at-1')))
  const { renewing, after } = await race(provider, call)
  t.same(renewing, { status: 401, body: { code: ErrorCodes.NOT_CONNECTED } })
  t.same(after, { status: 200, body: { connected: false } }, 'the renewal did not reconnect the user')
  t.same(saves, [], 'nothing was saved')

  // Without a race the renewal saves, naming what it replaces (for a conditional update).
  store.set('u1', credentialsOf(provider.issue('at-2')))
  provider.tokens.get('at-2')!.state = 'expired'
  t.same(await call('/me'), { status: 200, body: { token: 'renewed-2' } })
  t.same(saves, [{ token: 'renewed-2', replaces: 'at-2' }])
})
