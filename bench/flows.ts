/**
 * Connect-flow benchmark: complete "connect your account" flows per second, start -> provider
 * authorize -> callback -> success page, each app on its own server on loopback:
 *
 * - ours: Fastify 5 + @fastify/cookie + @fastify/session + this package's plugin, twice: started flows in
 *   encrypted per-flow cookies (the default) and in the session (`flowState: 'session'`);
 * - grant: Fastify 5 + @fastify/cookie + @fastify/session + grant's Fastify handler (custom
 *   `oauth: 1` provider, session transport);
 * - passport: Express 4 + express-session + passport + passport-oauth1 (OAuth1Strategy);
 * - ours-express: Express 4 + express-session + this package's Express middleware, beside
 *   passport on the same framework and session (the ratio that matters to a passport user);
 * - example-app: the example app (example-app/src/app.ts) with its request logging on, against
 *   grant (grant logs nothing: its app has `logger: false`, like the others).
 * - floor: Fastify 5 + @fastify/cookie + an undici Pool making the same two provider calls with a
 *   fixed, precomputed Authorization header and plain cookies: no crypto, no checks, no session
 *   (the least any connect flow on Fastify costs);
 * - @fastify/passport: Fastify 5 + @fastify/session + @fastify/passport + passport-oauth1, the
 *   peer a Fastify user picks today;
 * - floor+session: the floor plus @fastify/session holding the access token (a new session id at
 *   the callback), as the README's set-up has: the least a connect flow with that session costs,
 *   so `floor+session / floor` is the ceiling of any plugin's ratio to the floor there.
 *
 * All of them talk to the same fast local provider (a plain node:http server that answers
 * request_token / authorize / access_token at once; it does not verify signatures, but maps the
 * request token of the Authorization header to its verifier, so a flow only completes when the
 * app sent back the right token and verifier). The load driver keeps one undici Pool per origin
 * (keep-alive), a fresh cookie jar per flow, follows the redirects by hand, and runs 8 flows at
 * a time. Every flow is checked end to end (each redirect's target, and the success page must
 * show the access token the provider issued for that flow's request token, read from the
 * session), first in a verification pass that aborts the bench on any failure, then during the
 * timing too. Contestants are interleaved in rounds (A, B, C, B, C, A, ...) after a warm-up;
 * the figure is the median of the per-round flows/s.
 *
 * The apps run in a worker thread (one server each; only one is under load at a time),
 * so an app has a core to itself as it would in production; the load driver and the provider
 * share the main thread. Per slice, both threads' event-loop utilisation is recorded: an app
 * thread near 100% means the app is the bottleneck; a driver thread near 100% means the
 * figure is capped by the driver and provider, and the ratio understates the app's lead. The app
 * thread's CPU time per flow (Linux: /proc/thread-self/schedstat) is reported too: unlike
 * flows/s, it hardly moves when other processes compete for the cores.
 */
import { once } from 'node:events'
import { openSync, readFileSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import grantModule from 'grant'
import { Pool, type Dispatcher } from 'undici'
import { expressOAuth1 } from '../dist/esm/express/index.js'
import { fastifyOAuth1 } from '../dist/esm/fastify/plugin.js'
import { buildApp } from '../example-app/src/app.js'
import { loadConfig, type ResolvedConfig } from '../example-app/src/config.js'
import { type CaseResult, type HarnessOptions, formatOps, median, pairedRatio, runOrAbort, table } from './harness.js'

const require = createRequire(import.meta.url)
// grant is CommonJS with an `export default` typing; under NodeNext the default import is typed
// as that module's namespace while at run time it is grant itself.
const grant = grantModule as unknown as typeof grantModule.default

export const consumer = { consumerKey: 'bench-consumer-key', consumerSecret: 'bench-consumer-secret' } as const
const sessionSecret = 'a-session-secret-of-at-least-32-characters!'
const benchSecret = 'a-bench-plugin-secret-of-32-characters-plus'
const formType = 'application/x-www-form-urlencoded'

// ---------------------------------------------------------------------------------------------
// The fast local provider
// ---------------------------------------------------------------------------------------------

/** The local provider: token endpoints for the flows and a small API resource for api-call.ts. */
export interface LocalProvider {
  origin: string
  requestTokenUrl: string
  authorizeUrl: string
  accessTokenUrl: string
  /** A JSON resource (`GET`); answers `{ "id": "1001", "signed": bool }`. */
  apiUrl: string
  /** The Authorization header of the latest API call (for sanity checks). */
  lastApiAuthorization: string | undefined
  /** Request tokens issued and not yet exchanged. */
  readonly pending: number
  /** Forgets unexchanged request tokens (between rounds). */
  clear (): void
  close (): Promise<void>
}

/** The access token the provider issues for a request token; the driver checks it. */
export function accessTokenFor (requestToken: string): string {
  return 'at-' + requestToken
}

function oauthParams (header: string | undefined, body: string): Record<string, string> {
  const params: Record<string, string> = {}
  if (header !== undefined) {
    for (const match of header.matchAll(/(oauth_\w+)="([^"]*)"/g)) params[match[1] as string] = decodeURIComponent(match[2] as string)
  }
  if (body.length > 0) {
    for (const [name, value] of new URLSearchParams(body)) if (name.startsWith('oauth_')) params[name] ??= value
  }
  return params
}

function send (res: http.ServerResponse, status: number, type: string, body: string, location?: string): void {
  const headers: http.OutgoingHttpHeaders = { 'content-type': type, 'content-length': Buffer.byteLength(body) }
  if (location !== undefined) headers.location = location
  res.writeHead(status, headers)
  res.end(body)
}

/** Starts the provider on 127.0.0.1, on a free port. */
export async function startProvider (): Promise<LocalProvider> {
  const tokens = new Map<string, { callback: string, verifier: string }>()
  let counter = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8')
      const url = req.url ?? '/'
      const q = url.indexOf('?')
      const path = q === -1 ? url : url.slice(0, q)
      if (path === '/oauth/request_token' && req.method === 'POST') {
        const params = oauthParams(req.headers.authorization, body)
        const callback = params.oauth_callback
        if (callback === undefined || !/^https?:\/\//.test(callback)) return send(res, 400, formType, 'oauth_problem=parameter_absent&oauth_parameters_absent=oauth_callback')
        const token = `rt${++counter}`
        tokens.set(token, { callback, verifier: `v${counter}` })
        return send(res, 200, formType, `oauth_token=${token}&oauth_token_secret=rs${counter}&oauth_callback_confirmed=true`)
      }
      if (path === '/oauth/authorize' && req.method === 'GET') {
        const token = new URLSearchParams(url.slice(q + 1)).get('oauth_token') ?? ''
        const entry = tokens.get(token)
        if (entry === undefined) return send(res, 400, 'text/plain', 'unknown oauth_token')
        const location = `${entry.callback}${entry.callback.includes('?') ? '&' : '?'}oauth_token=${token}&oauth_verifier=${entry.verifier}`
        return send(res, 302, 'text/plain', '', location)
      }
      if (path === '/oauth/access_token' && req.method === 'POST') {
        const params = oauthParams(req.headers.authorization, body)
        const token = params.oauth_token ?? ''
        const entry = tokens.get(token)
        if (entry === undefined || params.oauth_verifier !== entry.verifier) return send(res, 401, formType, 'oauth_problem=token_rejected')
        tokens.delete(token)
        return send(res, 200, formType, `oauth_token=${accessTokenFor(token)}&oauth_token_secret=as-${token}&user_id=1001&screen_name=bench_user`)
      }
      if (path === '/1.1/account/verify_credentials.json' && req.method === 'GET') {
        const authorization = req.headers.authorization
        provider.lastApiAuthorization = authorization
        return send(res, 200, 'application/json', `{"id":"1001","screen_name":"bench_user","signed":${authorization !== undefined && authorization.startsWith('OAuth ')}}`)
      }
      send(res, 404, 'text/plain', 'not found')
    })
  })
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider: LocalProvider = {
    origin,
    requestTokenUrl: origin + '/oauth/request_token',
    authorizeUrl: origin + '/oauth/authorize',
    accessTokenUrl: origin + '/oauth/access_token',
    apiUrl: origin + '/1.1/account/verify_credentials.json',
    lastApiAuthorization: undefined,
    get pending () { return tokens.size },
    clear () { tokens.clear() },
    close: () => closeServer(server)
  }
  return provider
}

async function listenLoopback (): Promise<{ server: http.Server, origin: string }> {
  const server = http.createServer()
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

async function closeServer (server: http.Server): Promise<void> {
  if (!server.listening) return
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await closed
}

/** What an app needs of the provider (the apps live in a worker, the provider does not). */
export interface ProviderUrls {
  requestTokenUrl: string
  authorizeUrl: string
  accessTokenUrl: string
}

// ---------------------------------------------------------------------------------------------
// The apps. Each: a start URL, a callback, and GET /done answering the access token the
// session holds (401 when none).
// ---------------------------------------------------------------------------------------------

/** An app as the driver sees it (plain data: it crosses from the worker). */
interface AppInfo {
  name: string
  note: string
  origin: string
  startPath: string
  /** Path of the route the provider redirects back to. */
  callbackPath: string
}

interface App extends AppInfo {
  /** Empties the session store (between slices, so every round starts alike). */
  clearSessions (): void
  close (): Promise<void>
}

function fastifyOn (server: http.Server): FastifyInstance {
  return Fastify({
    logger: false,
    serverFactory: (handler) => {
      server.on('request', handler)
      return server
    }
  })
}

async function registerSession (app: FastifyInstance, sessions: Map<string, unknown>): Promise<void> {
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: sessionSecret,
    cookie: { secure: false },
    saveUninitialized: false,
    store: new fastifySession.MemoryStore(sessions as Map<string, never>)
  })
}

/** The options of our contestants (Fastify plugin, Express middleware), as the README sets them up: one `secret` (flow cookies and sealed credentials). */
function ourOptions (provider: ProviderUrls, origin: string, flowState: 'cookie' | 'session' = 'cookie') {
  return {
    ...consumer,
    requestTokenUrl: provider.requestTokenUrl,
    authorizeUrl: provider.authorizeUrl,
    accessTokenUrl: provider.accessTokenUrl,
    callbackUrl: origin + '/oauth/callback',
    secret: benchSecret,
    flowState,
    successRedirect: '/done'
  }
}

async function startOurs (provider: ProviderUrls, flowState: 'cookie' | 'session'): Promise<App> {
  const { server, origin } = await listenLoopback()
  const app = fastifyOn(server)
  const sessions = new Map<string, unknown>()
  await registerSession(app, sessions)
  await app.register(fastifyOAuth1, ourOptions(provider, origin, flowState))
  addSuccessPage(app, async (request) => (await request.oauth1.getCredentials())?.token)
  await app.ready()
  return {
    name: flowState === 'cookie' ? 'ours' : 'ours-session',
    note: flowState === 'cookie'
      ? 'Fastify + @fastify/session (MemoryStore, sealed credentials) + fastify-oauth1 with started flows in encrypted per-flow cookies (default), one secret as the README sets it up; token calls over undici keep-alive'
      : 'Fastify + @fastify/session (MemoryStore, sealed credentials) + fastify-oauth1 with started flows in the session (flowState: \'session\'); token calls over undici keep-alive',
    origin,
    startPath: '/oauth/start',
    callbackPath: '/oauth/callback',
    clearSessions: () => sessions.clear(),
    close: async () => { await app.close(); await closeServer(server) }
  }
}

interface GrantSession { grant?: { response?: { access_token?: string } } }

async function startGrant (provider: ProviderUrls): Promise<App> {
  const { server, origin } = await listenLoopback()
  const app = fastifyOn(server)
  const sessions = new Map<string, unknown>()
  await registerSession(app, sessions)
  await app.register(grant.fastify()({
    defaults: { origin, transport: 'session', state: false, prefix: '/connect' },
    bench: {
      oauth: 1,
      request_url: provider.requestTokenUrl,
      authorize_url: provider.authorizeUrl,
      access_url: provider.accessTokenUrl,
      key: consumer.consumerKey,
      secret: consumer.consumerSecret,
      callback: '/done'
    }
  }))
  addSuccessPage(app, (request) => (request.session as unknown as GrantSession).grant?.response?.access_token)
  await app.ready()
  return {
    name: 'grant',
    note: 'Fastify + @fastify/session (MemoryStore) + grant.fastify() (custom oauth:1 provider); token calls via request-compose over node:http',
    origin,
    startPath: '/connect/bench',
    callbackPath: '/connect/bench/callback',
    clearSessions: () => sessions.clear(),
    close: async () => { await app.close(); await closeServer(server) }
  }
}

/**
 * The example app (example-app/src/app.ts) as `npm start` builds it, in-memory sessions, its
 * request logging on at the default level (info: one line per request, through its serializers
 * and redaction) into /dev/null, one synchronous write per line. The start link
 * carries `returnTo=/done`, and the bench adds the same `/done` page as the others (the app's
 * home page would add a profile call to the provider).
 */
async function startExampleApp (provider: ProviderUrls): Promise<App> {
  const { server, origin } = await listenLoopback()
  const config = loadConfig({
    PUBLIC_URL: origin,
    SESSION_SECRET: sessionSecret,
    OAUTH_CONSUMER_KEY: consumer.consumerKey,
    OAUTH_CONSUMER_SECRET: consumer.consumerSecret,
    OAUTH_REQUEST_TOKEN_URL: provider.requestTokenUrl,
    OAUTH_AUTHORIZE_URL: provider.authorizeUrl,
    OAUTH_ACCESS_TOKEN_URL: provider.accessTokenUrl,
    OAUTH_RESOURCE_URL: new URL('/1.1/account/verify_credentials.json', provider.requestTokenUrl).href
  }) as ResolvedConfig
  const devNull = openSync('/dev/null', 'w')
  const logStream = { write: (line: string) => { writeSync(devNull, line); return true } } as unknown as NodeJS.WritableStream
  const app = await buildApp(config, { logStream })
  // The app's own MemoryStore (its default); the request decoration is the only way to it.
  let sessions: Map<string, unknown> | undefined
  addSuccessPage(app, async (request) => {
    sessions ??= (request.sessionStore as unknown as { store: Map<string, unknown> }).store
    return (await request.oauth1.getCredentials())?.token
  })
  await app.ready()
  server.on('request', app.routing)
  return {
    name: 'example-app',
    note: `the example app (buildApp, loadConfig): @fastify/session (MemoryStore), sealed credentials, security headers, request logging at ${config.logLevel} with redaction into /dev/null; fastify-oauth1 from src/ (tsx). grant logs nothing (logger: false)`,
    origin,
    startPath: '/oauth/start?returnTo=%2Fdone',
    callbackPath: '/oauth/callback',
    clearSessions: () => sessions?.clear(),
    close: async () => { await app.close(); await closeServer(server) }
  }
}

// Express, express-session, passport and passport-oauth1 ship no types; the few calls used here.
type Next = (error?: unknown) => void
type Handler = (req: ExpressRequest, res: ExpressResponse, next: Next) => void
interface ExpressRequest { user?: { token?: string } }
interface ExpressResponse { status (code: number): ExpressResponse, type (value: string): ExpressResponse, send (body: string): void }
interface ExpressApp extends http.RequestListener {
  use (handler: Handler): void
  get (path: string, ...handlers: Handler[]): void
  set (name: string, value: unknown): void
}
interface MemoryStoreLike { clear (callback?: () => void): void }
interface SessionModule {
  (options: Record<string, unknown>): Handler
  MemoryStore: new () => MemoryStoreLike
}
interface PassportInstance {
  use (name: string, strategy: unknown): void
  initialize (): Handler
  session (): Handler
  authenticate (name: string, options?: Record<string, unknown>): Handler
  serializeUser (fn: (user: unknown, done: (error: unknown, id: unknown) => void) => void): void
  deserializeUser (fn: (id: unknown, done: (error: unknown, user: unknown) => void) => void): void
}
type Verify = (token: string, tokenSecret: string, profile: unknown, done: (error: unknown, user: unknown) => void) => void

/** The passport-oauth1 strategy both passport contestants use, set up as its README shows; the user keeps the token and its secret. */
function passportOAuth1Strategy (provider: ProviderUrls, origin: string): unknown {
  const { Strategy: OAuth1Strategy } = require('passport-oauth1') as { Strategy: new (options: Record<string, unknown>, verify: Verify) => unknown }
  return new OAuth1Strategy({
    requestTokenURL: provider.requestTokenUrl,
    userAuthorizationURL: provider.authorizeUrl,
    accessTokenURL: provider.accessTokenUrl,
    consumerKey: consumer.consumerKey,
    consumerSecret: consumer.consumerSecret,
    callbackURL: origin + '/auth/callback'
  }, (token, tokenSecret, _profile, done) => done(null, { id: '1001', token, tokenSecret }))
}

async function startPassport (provider: ProviderUrls): Promise<App> {
  const express = require('express') as () => ExpressApp
  const session = require('express-session') as SessionModule
  const { Passport } = require('passport') as { Passport: new () => PassportInstance }

  const { server, origin } = await listenLoopback()
  const passport = new Passport()
  passport.use('bench', passportOAuth1Strategy(provider, origin))
  passport.serializeUser((user, done) => done(null, user))
  passport.deserializeUser((user, done) => done(null, user))

  const store = new session.MemoryStore()
  const app = express()
  app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: { secure: false }, store }))
  app.use(passport.initialize())
  app.use(passport.session())
  app.get('/auth', passport.authenticate('bench'))
  app.get('/auth/callback', passport.authenticate('bench', { successRedirect: '/done', failureRedirect: '/failed' }))
  app.get('/done', (req, res) => { sendToken(res, req.user?.token) })
  server.on('request', app)
  return expressEntry(server, store, {
    name: 'passport',
    note: 'Express 4 + express-session (MemoryStore, JSON) + passport + passport-oauth1; token calls via `oauth` over node:http with Connection: close',
    origin,
    startPath: '/auth',
    callbackPath: '/auth/callback'
  })
}

/** The success page of the Fastify apps, GET /done: the access token `tokenOf` finds for the request, or 401 when none (or an empty one). */
function addSuccessPage (app: FastifyInstance, tokenOf: (request: FastifyRequest) => string | undefined | Promise<string | undefined>): void {
  app.get('/done', async (request, reply) => {
    const token = await tokenOf(request)
    if (token === undefined || token === '') return reply.code(401).send('not connected')
    return reply.type('text/plain').send(token)
  })
}

/** The success page of the Express apps: the access token the session holds, or 401. */
function sendToken (res: ExpressResponse, token: string | undefined): void {
  if (token === undefined) res.status(401).send('not connected')
  else res.type('text/plain').send(token)
}

/** The driver's view of an Express app served on `server` with its sessions in `store`. */
function expressEntry (server: http.Server, store: MemoryStoreLike, info: AppInfo): App {
  return { ...info, clearSessions: () => store.clear(), close: () => closeServer(server) }
}

async function startOursExpress (provider: ProviderUrls): Promise<App> {
  const express = require('express') as () => ExpressApp
  const session = require('express-session') as SessionModule
  const { server, origin } = await listenLoopback()
  const store = new session.MemoryStore()
  const app = express()
  app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: { secure: false }, store }))
  app.use(expressOAuth1(ourOptions(provider, origin)) as unknown as Handler)
  app.get('/done', (req, res, next) => {
    (req as unknown as { oauth1: { getCredentials (): Promise<{ token: string } | undefined> } }).oauth1.getCredentials()
      .then((credentials) => { sendToken(res, credentials?.token) }, next)
  })
  server.on('request', app)
  return expressEntry(server, store, {
    name: 'ours-express',
    note: 'Express 4 + express-session (MemoryStore) + fastify-oauth1/express (encrypted flow cookie); token calls over undici keep-alive',
    origin,
    startPath: '/oauth/start',
    callbackPath: '/oauth/callback'
  })
}

/**
 * The floor: what any OAuth 1.0a connect flow on Fastify costs at the least. Fastify +
 * @fastify/cookie + an undici Pool making the same two provider calls as the others, with one
 * fixed Authorization header computed at start-up (the provider does not verify signatures, so
 * nothing is signed per request), and plain unsigned cookies: no crypto, no checks, no session.
 * The access-token call sends the same fixed header and the request token and verifier in the
 * form body (OAuth 1.0a's form-encoded parameter transmission, which the local provider reads),
 * since a header fixed for every flow cannot carry them.
 */
async function startFloor (provider: ProviderUrls, withSession = false): Promise<App> {
  const { server, origin } = await listenLoopback()
  const app = fastifyOn(server)
  const sessions = new Map<string, unknown>()
  if (withSession) await registerSession(app, sessions)
  else await app.register(fastifyCookie)
  const providerOrigin = new URL(provider.requestTokenUrl).origin
  const pool = new Pool(providerOrigin, { connections: 16, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 })
  const requestTokenPath = new URL(provider.requestTokenUrl).pathname
  const accessTokenPath = new URL(provider.accessTokenUrl).pathname
  const fixed = `oauth_consumer_key="${consumer.consumerKey}", oauth_nonce="floor", oauth_signature="floor", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1700000000", oauth_version="1.0"`
  const requestTokenHeaders = { authorization: `OAuth oauth_callback="${encodeURIComponent(origin + '/auth/callback')}", ${fixed}` }
  const accessTokenHeaders = { authorization: `OAuth ${fixed}`, 'content-type': formType }
  const cookieOptions = { path: '/', httpOnly: true }
  app.get('/auth', async (_request, reply) => {
    const response = await pool.request({ path: requestTokenPath, method: 'POST', headers: requestTokenHeaders })
    const token = new URLSearchParams(await response.body.text()).get('oauth_token') ?? ''
    return reply.setCookie('rt', token, cookieOptions).redirect(`${provider.authorizeUrl}?oauth_token=${encodeURIComponent(token)}`)
  })
  app.get<{ Querystring: { oauth_verifier?: string } }>('/auth/callback', async (request, reply) => {
    const body = `oauth_token=${encodeURIComponent(request.cookies.rt ?? '')}&oauth_verifier=${encodeURIComponent(request.query.oauth_verifier ?? '')}`
    const response = await pool.request({ path: accessTokenPath, method: 'POST', headers: accessTokenHeaders, body })
    const token = new URLSearchParams(await response.body.text()).get('oauth_token') ?? ''
    if (!withSession) return reply.setCookie('at', token, cookieOptions).redirect('/done')
    // A new session id on sign-in (session fixation), as every contestant with a session does.
    await request.session.regenerate()
    request.session.set('at' as never, token as never)
    return reply.redirect('/done')
  })
  addSuccessPage(app, (request) => withSession ? request.session.get('at' as never) as string | undefined : request.cookies.at)
  await app.ready()
  return {
    name: withSession ? 'floor+session' : 'floor',
    note: withSession
      ? 'the floor plus @fastify/session (MemoryStore) holding the access token, with a new session id at the callback: what any connect flow with the README\'s session costs at the least'
      : 'Fastify + @fastify/cookie + an undici Pool (keep-alive) making the same two provider calls with a fixed, precomputed Authorization header (token and verifier in the access-token call\'s form body), plain cookies: no signing, no crypto, no checks, no session',
    origin,
    startPath: '/auth',
    callbackPath: '/auth/callback',
    clearSessions: () => sessions.clear(),
    close: async () => { await app.close(); await pool.close(); await closeServer(server) }
  }
}

/** The few calls of @fastify/passport used here (required, so its global request typings stay out of the project). */
interface FastifyPassportModule {
  Authenticator: new () => {
    use (name: string, strategy: unknown): void
    initialize (): Parameters<FastifyInstance['register']>[0]
    secureSession (): Parameters<FastifyInstance['register']>[0]
    authenticate (name: string, options?: Record<string, unknown>): (request: unknown, reply: unknown) => Promise<void>
    registerUserSerializer (fn: (user: unknown, request: unknown) => Promise<unknown>): void
    registerUserDeserializer (fn: (stored: unknown, request: unknown) => Promise<unknown>): void
  }
}

/**
 * The peer a Fastify user picks today: @fastify/passport with @fastify/session (MemoryStore),
 * set up as its README shows for @fastify/session, and the same passport-oauth1 strategy as the
 * Express passport contestant.
 */
async function startFastifyPassport (provider: ProviderUrls): Promise<App> {
  const { Authenticator } = require('@fastify/passport') as FastifyPassportModule
  const { server, origin } = await listenLoopback()
  const app = fastifyOn(server)
  const sessions = new Map<string, unknown>()
  await registerSession(app, sessions)
  const fastifyPassport = new Authenticator()
  await app.register(fastifyPassport.initialize())
  await app.register(fastifyPassport.secureSession())
  fastifyPassport.use('bench', passportOAuth1Strategy(provider, origin))
  fastifyPassport.registerUserSerializer(async (user) => user)
  fastifyPassport.registerUserDeserializer(async (stored) => stored)
  app.get('/auth', { preValidation: fastifyPassport.authenticate('bench') }, async () => {})
  app.get('/auth/callback', { preValidation: fastifyPassport.authenticate('bench', { successRedirect: '/done', failureRedirect: '/failed' }) }, async () => {})
  addSuccessPage(app, (request) => (request as unknown as { user?: { token?: string } }).user?.token)
  await app.ready()
  return {
    name: '@fastify/passport',
    note: 'Fastify + @fastify/session (MemoryStore) + @fastify/passport (Authenticator, secureSession(), as its README shows for @fastify/session) + passport-oauth1; token calls via `oauth` over node:http with Connection: close',
    origin,
    startPath: '/auth',
    callbackPath: '/auth/callback',
    clearSessions: () => sessions.clear(),
    close: async () => { await app.close(); await closeServer(server) }
  }
}

// ---------------------------------------------------------------------------------------------
// The load driver
// ---------------------------------------------------------------------------------------------

function newPool (origin: string): Pool {
  return new Pool(origin, { connections: 16, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 })
}

class FlowError extends Error {}

interface Contestant {
  app: AppInfo
  appPool: Pool
  /** One complete flow with its own cookie jar; throws FlowError on any deviation. */
  flow: () => Promise<void>
}

function storeCookies (jar: Map<string, string>, header: string | string[] | undefined): void {
  if (header === undefined) return
  for (const line of Array.isArray(header) ? header : [header]) {
    const end = line.indexOf(';')
    const pair = end === -1 ? line : line.slice(0, end)
    const eq = pair.indexOf('=')
    if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim())
  }
}

function cookieHeader (jar: Map<string, string>): string {
  let out = ''
  for (const [name, value] of jar) out += (out === '' ? '' : '; ') + name + '=' + value
  return out
}

async function expectStatus (name: string, step: string, response: Dispatcher.ResponseData, status: number): Promise<void> {
  if (response.statusCode === status) return
  const text = await response.body.text()
  throw new FlowError(`${name}: ${step} answered ${response.statusCode} (expected ${status}): ${text.slice(0, 200)}`)
}

function locationOf (name: string, step: string, response: Dispatcher.ResponseData, base: string): URL {
  const location = response.headers.location
  if (typeof location !== 'string') throw new FlowError(`${name}: ${step} redirect has no Location`)
  return new URL(location, base)
}

function makeContestant (app: AppInfo, provider: LocalProvider, providerPool: Pool): Contestant {
  const appPool = newPool(app.origin)
  const { name, origin } = app
  const providerAuthorizePath = new URL(provider.authorizeUrl).pathname

  const flow = async (): Promise<void> => {
    const jar = new Map<string, string>()
    // 1. The app's start route: a redirect to the provider's authorize page.
    let response = await appPool.request({ path: app.startPath, method: 'GET' })
    await expectStatus(name, 'start', response, 302)
    storeCookies(jar, response.headers['set-cookie'])
    const authorize = locationOf(name, 'start', response, origin)
    await response.body.dump()
    const requestToken = authorize.searchParams.get('oauth_token')
    if (authorize.origin !== provider.origin || authorize.pathname !== providerAuthorizePath || requestToken === null) {
      throw new FlowError(`${name}: start redirected to ${authorize.href}, not to the provider's authorize page`)
    }
    // 2. The provider approves at once: a redirect to the app's callback.
    response = await providerPool.request({ path: authorize.pathname + authorize.search, method: 'GET' })
    await expectStatus(name, 'authorize', response, 302)
    const callback = locationOf(name, 'authorize', response, provider.origin)
    await response.body.dump()
    if (callback.origin !== origin || callback.pathname !== app.callbackPath) {
      throw new FlowError(`${name}: the provider sent the user to ${callback.href}, not to the app's callback`)
    }
    // 3. The callback: exchanges the verifier, then redirects to the success page.
    response = await appPool.request({ path: callback.pathname + callback.search, method: 'GET', headers: { cookie: cookieHeader(jar) } })
    await expectStatus(name, 'callback', response, 302)
    storeCookies(jar, response.headers['set-cookie'])
    const success = locationOf(name, 'callback', response, origin)
    await response.body.dump()
    if (success.origin !== origin || success.pathname !== '/done') throw new FlowError(`${name}: the callback redirected to ${success.href}, not to /done`)
    // 4. The success page: the session must hold this flow's access token.
    response = await appPool.request({ path: success.pathname + success.search, method: 'GET', headers: { cookie: cookieHeader(jar) } })
    await expectStatus(name, 'success page', response, 200)
    const token = await response.body.text()
    if (token !== accessTokenFor(requestToken)) throw new FlowError(`${name}: the session holds ${JSON.stringify(token.slice(0, 80))}, expected ${accessTokenFor(requestToken)}`)
  }
  return { app, appPool, flow }
}

interface SliceResult {
  flows: number
  seconds: number
  /** Event-loop utilisation of the app thread and of the driver+provider thread during the slice. */
  appBusy: number
  driverBusy: number
  /** CPU time of the app thread per flow, in microseconds (undefined off Linux). */
  appCpuUs: number | undefined
}

/**
 * Runs flows `concurrency` at a time for about `ms`, then empties the session stores and the
 * provider's table (so every slice starts alike; not timed).
 */
async function runFlowSlice (flow: () => Promise<void>, ms: number, thread: AppThread, provider: LocalProvider): Promise<SliceResult> {
  const budget = BigInt(Math.round(ms * 1e6))
  const cpuStart = await thread.call('cpu')
  const appStart = thread.worker.performance.eventLoopUtilization()
  const driverStart = performance.eventLoopUtilization()
  const start = process.hrtime.bigint()
  let flows = 0
  const loop = async (): Promise<void> => {
    while (process.hrtime.bigint() - start < budget) {
      await flow()
      flows++
    }
  }
  await Promise.all(Array.from({ length: concurrency }, loop))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  const appBusy = thread.worker.performance.eventLoopUtilization(appStart).utilization
  const driverBusy = performance.eventLoopUtilization(driverStart).utilization
  const cpuEnd = await thread.call('clear')
  provider.clear()
  const appCpuUs = cpuStart === undefined || cpuEnd === undefined ? undefined : (cpuEnd - cpuStart) / 1e3 / flows
  return { flows, seconds, appBusy, driverBusy, appCpuUs }
}

/** Runs `count` flows, `concurrency` at a time, all of which must succeed. */
async function verifyFlows (c: Contestant, count: number, concurrency: number): Promise<void> {
  let left = count
  const worker = async (): Promise<void> => {
    while (left > 0) {
      left--
      await c.flow()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

export interface FlowComparison {
  label: string
  ratio: number
  pairedRatio: number
  /** The other's app-thread CPU per flow over ours (undefined off Linux). */
  cpuRatio: number | undefined
  /** The ratio asked for; `undefined` for a reference row (printed, never a failure). */
  target: number | undefined
  pass: boolean
}

export interface FlowCaseResult extends CaseResult {
  /** Median event-loop utilisation of the app's thread over the measured slices (0..1). */
  appBusy: number
  /** Median event-loop utilisation of the driver+provider thread (0..1). */
  driverBusy: number
  /** Median CPU time of the app thread per flow, microseconds (undefined off Linux). */
  appCpuUs: number | undefined
}

export interface FlowBenchResult {
  results: FlowCaseResult[]
  comparisons: FlowComparison[]
  notes: string[]
  concurrency: number
  sliceMs: number
  seconds: number
}

const concurrency = 8
const appWorkerRole = 'fastify-oauth1-bench-apps'

type ToWorker = { id: number, type: 'cpu' | 'clear' | 'close' }
type FromWorker = { type: 'ready', apps: AppInfo[] } | { type: 'done', id: number, cpuNs: number | undefined } | { type: 'failed', message: string }

/**
 * CPU time of the calling thread in nanoseconds (Linux: /proc/thread-self/schedstat), or
 * undefined where that is not available.
 */
function threadCpuNs (): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0])
  } catch {
    return undefined
  }
}

/** The worker thread serving the apps; `call` sends a command and waits for its answer. */
interface AppThread {
  worker: Worker
  apps: AppInfo[]
  /** Sends a command; resolves with the app thread's CPU time (ns) read as it ran it. */
  call (type: ToWorker['type']): Promise<number | undefined>
}

async function startAppThread (provider: ProviderUrls): Promise<AppThread> {
  const self = import.meta.url
  // Under tsx (`npm run bench`) a worker does not inherit tsx's loader hooks: register them first.
  const code = self.endsWith('.ts')
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(self)}) })`
    : `import(${JSON.stringify(self)})`
  const urls: ProviderUrls = { requestTokenUrl: provider.requestTokenUrl, authorizeUrl: provider.authorizeUrl, accessTokenUrl: provider.accessTokenUrl }
  const worker = new Worker(code, { eval: true, workerData: { role: appWorkerRole, provider: urls } })
  let nextId = 0
  const waiting = new Map<number, { resolve: (cpuNs: number | undefined) => void, reject: (error: Error) => void }>()
  let failure: Error | undefined
  const fail = (error: Error): void => {
    failure ??= error
    for (const entry of waiting.values()) entry.reject(error)
    waiting.clear()
  }
  const apps = await new Promise<AppInfo[]>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') resolve(message.apps)
      else if (message.type === 'failed') { const error = new Error(`app thread: ${message.message}`); reject(error); fail(error) } else {
        waiting.get(message.id)?.resolve(message.cpuNs)
        waiting.delete(message.id)
      }
    })
    worker.on('error', (error) => { reject(error); fail(error) })
    worker.on('exit', (code) => { const error = new Error(`app thread exited (${code})`); reject(error); fail(error) })
  })
  return {
    worker,
    apps,
    call: (type) => new Promise<number | undefined>((resolve, reject) => {
      if (failure !== undefined) return reject(failure)
      const id = ++nextId
      waiting.set(id, { resolve, reject })
      worker.postMessage({ id, type } satisfies ToWorker)
    })
  }
}

/** The worker's side: starts the apps, then serves `clear` and `close` commands. */
async function serveApps (port: NonNullable<typeof parentPort>, provider: ProviderUrls): Promise<void> {
  let apps: App[] = []
  try {
    const starts = [(urls: ProviderUrls) => startOurs(urls, 'cookie'), (urls: ProviderUrls) => startOurs(urls, 'session'), startGrant, startPassport, startOursExpress, startExampleApp, startFloor, startFastifyPassport, (urls: ProviderUrls) => startFloor(urls, true)]
    for (const start of starts) apps.push(await start(provider))
  } catch (error) {
    port.postMessage({ type: 'failed', message: error instanceof Error ? error.stack ?? error.message : String(error) } satisfies FromWorker)
    return
  }
  const handle = async (message: ToWorker): Promise<void> => {
    const cpuNs = threadCpuNs()
    if (message.type === 'cpu') {
      // Only the reading.
    } else if (message.type === 'clear') {
      for (const app of apps) app.clearSessions()
    } else {
      for (const app of apps) await app.close()
      apps = []
    }
    port.postMessage({ type: 'done', id: message.id, cpuNs } satisfies FromWorker)
    if (message.type === 'close') port.close()
  }
  port.on('message', (message: ToWorker) => {
    handle(message).catch((error: unknown) => {
      port.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) } satisfies FromWorker)
    })
  })
  port.postMessage({ type: 'ready', apps: apps.map(({ name, note, origin, startPath, callbackPath }) => ({ name, note, origin, startPath, callbackPath })) } satisfies FromWorker)
}

if (!isMainThread && parentPort !== null && (workerData as { role?: string } | null)?.role === appWorkerRole) {
  await serveApps(parentPort, (workerData as { provider: ProviderUrls }).provider)
}

/**
 * Starts the provider and the apps, verifies every contestant completes flows, then
 * measures them interleaved. Defaults: 16 rounds of 500 ms slices, 1.5 s warm-up per contestant.
 * @throws Error when a contestant fails a flow (before or during timing).
 */
export async function runFlowBench (options: HarnessOptions = {}): Promise<FlowBenchResult> {
  const started = process.hrtime.bigint()
  const rounds = options.rounds ?? 16
  const sliceMs = options.sliceMs ?? 500
  const warmupMs = options.warmupMs ?? 1500
  const provider = await startProvider()
  const providerPool = newPool(provider.origin)
  let appThread: AppThread | undefined
  const contestants: Contestant[] = []
  try {
    appThread = await startAppThread(provider)
    const thread = appThread
    for (const app of thread.apps) contestants.push(makeContestant(app, provider, providerPool))

    // Verification: each contestant must complete flows, alone and 8 at a time.
    for (const c of contestants) {
      await verifyFlows(c, 1, 1)
      await verifyFlows(c, 4 * concurrency, concurrency)
    }
    if (provider.pending !== 0) throw new FlowError(`${provider.pending} request tokens were never exchanged`)
    await thread.call('clear')

    const warmupSlices = 3
    for (let w = 0; w < warmupSlices; w++) {
      for (const c of contestants) {
        await runFlowSlice(c.flow, warmupMs / warmupSlices, thread, provider)
      }
    }
    const slices: SliceResult[][] = contestants.map(() => [])
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < contestants.length; k++) {
        const i = (k + r) % contestants.length
        ;(slices[i] as SliceResult[]).push(await runFlowSlice((contestants[i] as Contestant).flow, sliceMs, thread, provider))
      }
      options.onRound?.(r + 1)
    }
    const results: FlowCaseResult[] = contestants.map((c, i) => {
      const own = slices[i] as SliceResult[]
      const values = own.map((s) => s.flows / s.seconds)
      return {
        name: c.app.name,
        note: c.app.note,
        median: median(values),
        min: Math.min(...values),
        max: Math.max(...values),
        perRound: values,
        ops: own.reduce((sum, s) => sum + s.flows, 0),
        appBusy: median(own.map((s) => s.appBusy)),
        driverBusy: median(own.map((s) => s.driverBusy)),
        appCpuUs: own.every((s) => s.appCpuUs !== undefined) ? median(own.map((s) => s.appCpuUs as number)) : undefined
      }
    })
    const [ours, oursSession, grantResult, passportResult, oursExpress, exampleApp, floor, fastifyPassport, floorSession] =
      results as [FlowCaseResult, FlowCaseResult, FlowCaseResult, FlowCaseResult, FlowCaseResult, FlowCaseResult, FlowCaseResult, FlowCaseResult, FlowCaseResult]
    const compare = (label: string, other: FlowCaseResult, target: number | undefined, mine = ours): FlowComparison => {
      const ratio = mine.median / other.median
      const cpuRatio = mine.appCpuUs === undefined || other.appCpuUs === undefined ? undefined : other.appCpuUs / mine.appCpuUs
      return { label, ratio, pairedRatio: pairedRatio(mine, other), cpuRatio, target, pass: target === undefined || ratio >= target }
    }
    return {
      results,
      comparisons: [
        compare('ours (cookie store) / grant', grantResult, 2.0),
        compare('ours (cookie store) / passport', passportResult, 2.5),
        compare('ours (cookie store) / floor', floor, 0.7),
        compare('ours (cookie store) / floor+session', floorSession, undefined),
        compare('floor+session / floor (the ceiling)', floor, undefined, floorSession),
        compare('ours (cookie store) / @fastify/passport', fastifyPassport, 2.0),
        compare('ours-session / grant', grantResult, 2.0, oursSession),
        compare('ours-session / passport', passportResult, 2.5, oursSession),
        compare('ours-session / @fastify/passport', fastifyPassport, 2.0, oursSession),
        compare('ours-express / passport', passportResult, 1.1, oursExpress),
        compare('example-app (logging on) / grant', grantResult, 1.2, exampleApp)
      ],
      notes: contestants.map((c) => `${c.app.name}: ${c.app.note}`),
      concurrency,
      sliceMs,
      seconds: Number(process.hrtime.bigint() - started) / 1e9
    }
  } finally {
    for (const c of contestants) await c.appPool.close()
    await providerPool.close()
    if (appThread !== undefined) {
      await appThread.call('close').catch(() => {})
      await appThread.worker.terminate()
    }
    await provider.close()
  }
}

/** Runs {@link runFlowBench} and prints its tables; sets a failing exit code when it aborts. */
export async function printFlowBench (options: HarnessOptions = {}): Promise<FlowBenchResult | undefined> {
  console.log('\nConnect flows: start -> provider authorize -> callback -> success page, one cookie jar per flow,')
  console.log(`${concurrency} flows at a time, each app on its own loopback server (in a worker thread), one fast local provider`)
  console.log('Verifying that every contestant completes flows ...')
  const result = await runOrAbort(() => runFlowBench(options))
  if (result === undefined) return undefined
  console.log(`Verified. Interleaved round-robin, ${result.results[0]?.perRound.length ?? 0} rounds of ${result.sliceMs} ms; flows/s = median of per-round flows/s\n`)
  const percent = (value: number): string => Math.round(value * 100) + '%'
  console.log(table([
    ['contestant', 'flows/s (median)', 'min', 'max', 'flows measured', 'app CPU us/flow', 'app thread busy', 'driver thread busy'],
    ...result.results.map((r) => [r.name, formatOps(r.median), formatOps(r.min), formatOps(r.max), formatOps(r.ops),
      r.appCpuUs === undefined ? 'n/a' : formatOps(r.appCpuUs), percent(r.appBusy), percent(r.driverBusy)])
  ]))
  console.log()
  console.log(table([
    ['ratio (flows/s)', 'median ratio', 'paired', 'target', 'result', 'app CPU/flow ratio'],
    ...result.comparisons.map((c) => [c.label, c.ratio.toFixed(2) + 'x', c.pairedRatio.toFixed(2) + 'x',
      c.target === undefined ? '-' : '>= ' + c.target.toFixed(1) + 'x', c.target === undefined ? 'reference' : c.pass ? 'PASS' : 'MISS',
      c.cpuRatio === undefined ? 'n/a' : c.cpuRatio.toFixed(2) + 'x'])
  ]))
  console.log('\n(paired = median of the per-round ratios; app CPU/flow ratio = their app-thread CPU per flow / ours)')
  console.log('\nContestants:')
  for (const note of result.notes) console.log('  - ' + note)
  console.log('  (busy = event-loop utilisation, median over the slices: the apps share one worker thread, the load driver and the')
  console.log('   provider the main thread; a driver thread near 100% caps the figure, and the ratio then understates the app\'s lead)')
  console.log(`\nFlow part took ${result.seconds.toFixed(1)} s`)
  return result
}
