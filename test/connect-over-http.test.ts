// connect() against an app listening on a real port (its base URL): real HTTP requests with a
// cookie jar of its own, so an Express app (or any server) is tested like a Fastify app.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import express, { type ErrorRequestHandler } from 'express'
import session from 'express-session'
import Fastify from 'fastify'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { expressOAuth1, type ExpressOAuth1Options } from '../src/express/index.js'
import { fastifyOAuth1 } from '../src/fastify/plugin.js'
import { connect, createMockProvider, type MockProvider } from '../src/testing/index.js'

const flowSecret = 'a-flow-secret-of-at-least-32-characters!!'
const sessionSecret = 'a-session-secret-of-at-least-32-characters!'
/** A server on 127.0.0.1 and a free port, listening before the app exists (so the callback URL is a plain string). */
async function listening (t: Test): Promise<{ server: Server, origin: string }> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** An Express app with express-session and the middleware on a free port; its origin. */
async function expressApp (t: Test, provider: MockProvider, overrides: Partial<ExpressOAuth1Options> = {}): Promise<string> {
  const { server, origin } = await listening(t)
  const app = express()
  app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: { secure: false, sameSite: 'lax' } }))
  const oauth1 = expressOAuth1({ ...provider.options(), callbackUrl: `${origin}/oauth/callback`, flowSecret, ...overrides })
  app.use(oauth1)
  app.get('/me', (req, res, next) => {
    req.oauth1.get('1.1/account/verify_credentials.json').then((response) => { res.json(response.json()) }, next)
  })
  const errors: ErrorRequestHandler = (error: { statusCode?: number, code?: string }, _req, res, _next) => {
    res.status(error.statusCode ?? 500).json({ code: error.code })
  }
  app.use(errors)
  server.on('request', app)
  t.teardown(async () => {
    await oauth1.close()
    await provider.close()
  })
  return origin
}

async function get (url: string, headers: Record<string, string> = {}): Promise<{ status: number, json: unknown }> {
  const answer = await request(url, { headers })
  return { status: answer.statusCode, json: await answer.body.json() }
}

t.test('an Express app on port 0: connect(origin) then a real request with the cookies', async (t) => {
  const provider = createMockProvider()
  const origin = await expressApp(t, provider)

  const result = await connect(origin, provider, { user: { id: '42', name: 'ada' } })
  t.equal(result.response.statusCode, 302, 'the callback answered')
  t.equal(result.response.headers.location, '/', 'with the success redirect, not followed')
  t.ok(result.cookies['connect.sid'], 'express-session\'s cookie is in the jar')
  t.same(await get(`${origin}/me`, result.headers), { status: 200, json: { id: '42', name: 'ada', screen_name: 'ada' } })
  t.same(await get(`${origin}/me`), { status: 401, json: { code: 'OAUTH1_NOT_CONNECTED' } }, 'without the cookies: not connected')
  t.same(provider.requests.map((r) => r.endpoint), ['request_token', 'authorize', 'access_token', 'resource'])

  const second = await connect(new URL(origin), provider, { user: { id: '8', name: 'hopper' } })
  t.equal((await get(`${origin}/me`, second.headers)).status, 200, 'a URL object works too; each connect is its own browser')
  t.not(second.cookie, result.cookie)
})

t.test('an Express app on port 0: a denial and a failing step, as with app.inject', async (t) => {
  const provider = createMockProvider()
  const origin = await expressApp(t, provider, { failureRedirect: '/oops' })

  const { response } = await connect(origin, provider, { deny: 'denied' })
  t.equal(response.headers.location, '/oops?oauth1_error=OAUTH1_ACCESS_DENIED')
  t.equal(provider.requests.filter((r) => r.endpoint === 'access_token').length, 0, 'no token exchange')

  provider.misbehaveNext('http_500', { endpoint: 'request_token' })
  const failing = await expressApp(t, provider)
  await t.rejects(connect(failing, provider), /GET \/oauth\/start answered 502/, 'a failing step throws with the status')
})

t.test('a Fastify app on a port connects over HTTP too', async (t) => {
  const provider = createMockProvider()
  const { server, origin } = await listening(t)
  const app = Fastify({ serverFactory: (handler) => server.on('request', handler) })
  t.teardown(async () => { await app.close(); await provider.close() })
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: sessionSecret, saveUninitialized: false, cookie: { secure: false } })
  await app.register(fastifyOAuth1, { ...provider.options(), callbackUrl: `${origin}/oauth/callback`, flowSecret })
  app.get('/me', async (request) => (await request.oauth1.get('1.1/account/verify_credentials.json')).json())
  await app.ready()

  const { headers } = await connect(origin, provider, { user: { id: '5', name: 'ken' } })
  t.same(await get(`${origin}/me`, headers), { status: 200, json: { id: '5', name: 'ken', screen_name: 'ken' } })
})

t.test('a base URL that is not http(s) is refused before any request', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  await t.rejects(connect('ftp://127.0.0.1:21', provider), { name: 'TypeError', message: /http\(s\)/ })
  t.same(provider.requests, [], 'the provider saw nothing')
})
