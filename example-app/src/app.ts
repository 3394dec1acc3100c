import fastifyCookie from '@fastify/cookie'
import fastifyFormbody from '@fastify/formbody'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { Redis } from 'ioredis'
import { ErrorCodes, fastifyOAuth1, isOAuth1Error, OAuth1Error } from '../../src/index.js'
import type { ResolvedConfig } from './config.js'
import { loggerOptions, redactUrl, RequestLogController } from './logging.js'
import { errorPage, homePage, scriptHashSource, storeUnavailablePage, type DisconnectOutcome, type HostMismatch, type ProfileResult } from './pages.js'
import { isSessionStoreError, RedisSessionStore, type RedisLike } from './redis-session-store.js'

declare module 'fastify' {
  interface Session {
    /** Set by `POST /disconnect`, shown once by the home page. */
    disconnected?: DisconnectOutcome
  }
}

/** What {@link buildApp} can be given besides the configuration (tests, `main.ts`). */
export interface AppDependencies {
  /** Session storage in Redis through this client instead of one made from `config.redisUrl`. */
  redis?: RedisLike | undefined
  /** Logs go here instead of stdout (tests). */
  logStream?: NodeJS.WritableStream | undefined
  /** Human-readable logs (pino-pretty), for a terminal. */
  prettyLogs?: boolean | undefined
  /** The provider is the embedded demo provider (the home page explains it). */
  demo?: boolean | undefined
}

/** Codes of the flow routes that are the user's to retry: they land on the home page's notice. */
function isRetryable (error: unknown): error is OAuth1Error {
  return isOAuth1Error(error) && error.code !== ErrorCodes.INVALID_OPTION && error.code !== ErrorCodes.INVALID_REQUEST
}

function hostMismatch (request: FastifyRequest, config: ResolvedConfig): HostMismatch | undefined {
  const expected = new URL(config.callbackUrl)
  const current = request.host
  if (typeof current !== 'string' || current === '' || current.toLowerCase() === expected.host.toLowerCase()) return undefined
  return { current, expected: expected.host, url: `${expected.origin}/` }
}

const sessionMaxAge = 24 * 60 * 60 * 1000
/** Sent with every answer, pages, redirects and errors alike. */
const securityHeaders = Object.freeze({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' })
/** No script but the pages' one (by its hash: it clears `?oauth1_error=` from the address bar). */
const htmlPolicy = `default-src 'none'; script-src ${scriptHashSource}; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`

function providerName (config: ResolvedConfig): string {
  return config.providerName ?? new URL(config.provider.authorizeUrl).hostname
}

function sendPage (reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header('content-security-policy', htmlPolicy).header('cache-control', 'no-store')
    .type('text/html; charset=utf-8').send(body)
}

function wantsHtml (request: FastifyRequest): boolean {
  return request.headers.accept?.includes('text/html') === true
}

async function fetchProfile (request: FastifyRequest, url: string): Promise<ProfileResult> {
  try {
    const response = await request.oauth1.get(url, { headers: { accept: 'application/json' } })
    if (!response.ok) return { ok: false, status: response.status }
    return { ok: true, data: response.json() }
  } catch (error) {
    request.log.warn({ err: error }, 'could not load the profile')
    return { ok: false, status: undefined }
  }
}

function withTimeout<T> (promise: Promise<T>, milliseconds: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${milliseconds} ms`)), milliseconds)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Builds the example "connect your account" app (not listening): sessions, the OAuth 1.0a
 * plugin, and the routes `/`, `/me`, `/disconnect`, `/healthz`.
 */
export async function buildApp (config: ResolvedConfig, deps: AppDependencies = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions({ level: config.logLevel, name: 'app', stream: deps.logStream, pretty: deps.prettyLogs }),
    logController: new RequestLogController(),
    trustProxy: config.trustProxy
  })
  const provider = config.provider

  let redis = deps.redis
  if (redis === undefined && config.redisUrl !== undefined) {
    const client = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000 })
    let ready = false
    let lastError: Error | undefined
    client.on('error', (error: Error) => {
      lastError = error
      if (ready) app.log.warn({ err: error }, 'redis connection error')
    })
    app.addHook('onReady', async () => {
      try {
        await client.connect()
      } catch (error) {
        client.disconnect()
        const where = new URL(config.redisUrl as string).host
        throw new Error(`cannot connect to Redis at ${where} (${(lastError ?? error as Error).message}): start Redis or fix REDIS_URL`)
      }
      ready = true
    })
    app.addHook('onClose', async () => { await client.quit() })
    redis = client
  }

  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(securityHeaders)
    done(null, payload)
  })

  const startPath = '/oauth/start'
  const callbackPath = new URL(config.callbackUrl).pathname

  // Before the plugins: routes keep the error handler of the moment they are declared.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (isSessionStoreError(error)) {
      request.log.error({ err: error, code: error.code }, 'session store unavailable')
      // Nothing to save on the way out (the store is down), and no redirect that was being
      // prepared (to the provider, after a failed save) may leave.
      ;(request as unknown as { session?: unknown }).session = undefined
      reply.removeHeader('location')
      reply.removeHeader('set-cookie')
      reply.header('retry-after', '30')
      if (wantsHtml(request)) return sendPage(reply, 503, storeUnavailablePage())
      return reply.code(503).send({ error: ErrorCodes.STORE_UNAVAILABLE, message: 'The session store is unavailable; try again in a minute' })
    }
    const route = request.routeOptions.url
    if ((route === startPath || route === callbackPath) && isRetryable(error) && !reply.sent) {
      // The plugin redirects the callback's user-side failures itself; this catches the rest
      // (provider down at /oauth/start, provider errors at the token exchange) for the same notice.
      if (error.statusCode >= 500) request.log.warn({ err: error, code: error.code }, 'sign-in failed at the provider')
      else request.log.info({ code: error.code }, 'sign-in refused')
      reply.removeHeader('location')
      return reply.redirect(`/?oauth1_error=${encodeURIComponent(error.code)}`)
    }
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
    if (status >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: error.code, status }, 'request refused')
    const known = isOAuth1Error(error) || status < 500
    const message = known ? error.message : 'Internal server error'
    if (wantsHtml(request)) {
      const friendly = isOAuth1Error(error) && status >= 500
        ? 'The account provider could not be reached or refused the request. Please try again in a moment.'
        : message
      return sendPage(reply, status, errorPage(status, friendly))
    }
    return reply.code(status).send({ error: known ? (error.code ?? 'error') : 'internal_error', message })
  })

  // Fastify's own 404 handler logs "Route GET:<url> not found" with the query in clear (a
  // mistyped callback path would log the verifier): this one logs the URL redacted.
  app.setNotFoundHandler((request, reply) => {
    request.log.info({ url: redactUrl(request.url) }, 'route not found')
    if (wantsHtml(request)) return sendPage(reply, 404, errorPage(404, 'There is no page at this address.'))
    return reply.code(404).send({ error: 'not_found', message: 'No such route' })
  })

  // While the Redis client is not connected, no sign-in starts: a user sent to the provider now
  // could not be signed in on the way back. (A flow started before the outage waits in its
  // cookie; its callback answers 503 without spending the verifier, and completes after.)
  const sessionRedis = redis
  if (sessionRedis !== undefined) {
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.url !== startPath) return
      const status = sessionRedis.status
      if (status !== undefined && status !== 'ready') {
        throw new OAuth1Error(ErrorCodes.STORE_UNAVAILABLE, 'The session store is unavailable; no sign-in can start')
      }
    })
  }

  await app.register(fastifyFormbody)
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: config.sessionSecret,
    cookieName: 'sid',
    saveUninitialized: false,
    cookie: {
      path: '/',
      httpOnly: true,
      // Lax, not Strict: the provider sends the browser back to /oauth/callback with a
      // top-level navigation from another site. A Strict cookie is not sent on that request, so
      // the session holding the request-token secret would be missing and every sign-in would
      // fail. Lax still withholds the cookie from cross-site POSTs (CSRF on /disconnect).
      sameSite: 'lax',
      secure: config.secureCookies,
      maxAge: sessionMaxAge
    },
    ...(redis === undefined ? {} : { store: new RedisSessionStore({ client: redis, prefix: config.redisKeyPrefix, defaultTtl: sessionMaxAge }) })
  })
  await app.register(fastifyOAuth1, {
    // One secret, two keys derived from it (HKDF, a label each): started sign-ins wait in
    // encrypted per-flow cookies (no server session until the user has connected; any instance
    // with the same secret completes them), and the connected user's credentials are sealed
    // (AES-256-GCM) in the session, so Redis never holds a token secret in clear.
    secret: config.oauth1Secret,
    // FLOW_SECRET / CREDENTIALS_SECRET of an older .env, when set, override it for one use each.
    flowSecret: config.flowSecret,
    credentialsSecret: config.credentialsSecret,
    consumerKey: provider.consumerKey,
    consumerSecret: provider.consumerSecret,
    signatureMethod: provider.signatureMethod,
    privateKey: provider.privateKey,
    requestTokenUrl: provider.requestTokenUrl,
    authorizeUrl: provider.authorizeUrl,
    accessTokenUrl: provider.accessTokenUrl,
    revokeUrl: provider.revokeUrl,
    callbackUrl: config.callbackUrl,
    failureRedirect: '/'
  })

  app.get('/', async (request, reply) => {
    const code = (request.query as Record<string, unknown>).oauth1_error
    const credentials = await request.oauth1.getCredentials()
    const disconnected = request.session.get('disconnected')
    if (disconnected !== undefined) request.session.set('disconnected', undefined)
    const profile = credentials === undefined ? undefined : await fetchProfile(request, provider.resourceUrl)
    return sendPage(reply, 200, homePage({
      providerName: providerName(config),
      connected: credentials !== undefined,
      account: credentials?.extra,
      profile,
      error: typeof code === 'string' && code !== '' ? code : undefined,
      demo: deps.demo === true,
      hostMismatch: hostMismatch(request, config),
      disconnected
    }))
  })

  app.get('/me', async (request, reply) => {
    reply.header('cache-control', 'no-store')
    if (!(await request.oauth1.isConnected())) {
      return reply.code(401).send({ error: 'not_connected', message: 'No account is connected: open / and click "Connect your account"' })
    }
    const response = await request.oauth1.get(provider.resourceUrl, { headers: { accept: 'application/json' } })
    const text = response.text()
    try {
      JSON.parse(text)
    } catch {
      return reply.code(502).send({ error: 'bad_provider_response', message: `The provider answered HTTP ${response.status} without JSON` })
    }
    return reply.code(response.status).type('application/json; charset=utf-8').send(text)
  })

  // Revokes the token at the provider where it has a revocation endpoint, then forgets it; the
  // outcome waits in the session (not the URL, where a link could fake it) for the home page.
  app.post('/disconnect', async (request, reply) => {
    const result = await request.oauth1.disconnect({ revoke: true })
    let outcome: DisconnectOutcome | undefined
    if (result.revoked) outcome = 'revoked'
    else if (result.error?.code === ErrorCodes.INVALID_REQUEST) outcome = 'local'
    else if (result.error !== undefined) {
      outcome = 'unconfirmed'
      request.log.warn({ code: result.error.code, problem: result.error.problem }, 'the provider did not confirm the revocation')
    }
    if (outcome !== undefined) request.session.set('disconnected', outcome)
    return reply.redirect('/', 303)
  })

  const store = redis
  app.get('/healthz', { logLevel: 'warn' }, async (request, reply) => {
    reply.header('cache-control', 'no-store')
    if (store === undefined) return { status: 'ok', sessionStore: 'memory' }
    if (store.ping === undefined) return { status: 'ok', sessionStore: 'redis' }
    try {
      await withTimeout(store.ping(), 2000)
      return { status: 'ok', sessionStore: 'redis' }
    } catch (error) {
      request.log.warn({ err: error }, 'health check: Redis does not answer')
      return reply.code(503).send({ status: 'unavailable', sessionStore: 'redis', error: ErrorCodes.STORE_UNAVAILABLE })
    }
  })

  return app
}
