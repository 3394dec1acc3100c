import { randomBytes, type KeyObject } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { createMockProvider, type MockProvider } from '../../src/testing/index.js'
import type { ProviderConfig } from './config.js'
import { RequestLogController } from './logging.js'
import { authorizePage, demoMessagePage } from './pages.js'

/** The demo provider's only user. */
export interface DemoUser {
  id: string
  screen_name: string
  name: string
}

/** Options of {@link buildDemoProvider}. */
export interface DemoProviderOptions {
  consumerKey: string
  /** For HMAC-* and PLAINTEXT clients. */
  consumerSecret?: string | undefined
  /** Lets the client sign with RSA-SHA1 / RSA-SHA256. */
  rsaPublicKey?: KeyObject | undefined
  user?: DemoUser | undefined
  /** Fastify logger options; default none. */
  logger?: FastifyServerOptions['logger'] | undefined
  /** Milliseconds a request token stays usable. Default 10 minutes. */
  requestTokenTtl?: number | undefined
  /** Clock in milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined
  /**
   * The application's home page, linked from the "Link expired" pages. Default: the origin of
   * the last callback URL a client registered here.
   */
  appUrl?: string | undefined
}

const kits = new WeakMap<FastifyInstance, MockProvider>()
const defaultUser: DemoUser = { id: '1001', screen_name: 'demo_user', name: 'Dana Demo' }
const formType = 'application/x-www-form-urlencoded'

function randomToken (bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

function originOf (request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`
}

function sendHtml (reply: FastifyReply, status: number, body: string): FastifyReply {
  // The authorize page must not be framed (clickjacking an Approve button).
  return reply.code(status)
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
    .header('x-frame-options', 'DENY')
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(body)
}

/**
 * A small OAuth 1.0a provider (RFC 5849) for the example app and its tests. It is a demo:
 * one user who is always signed in, tokens in memory. Its protocol core is the test kit's mock
 * provider (`fastify-oauth1/testing`), so it checks what a real provider checks: signatures
 * (HMAC-SHA1/256/512, PLAINTEXT, RSA with a key), a ±5 minute timestamp window, nonce reuse,
 * `oauth_callback_confirmed`, and single-use request tokens and verifiers. This file adds the
 * pages a person sees: the authorize page with Approve and Deny.
 *
 * Routes: `POST /oauth/request_token`, `GET|POST /oauth/authorize`, `POST /oauth/access_token`,
 * `GET /api/me`, and X's `POST /1.1/oauth/invalidate_token` (revocation, signed with the token).
 */
export function buildDemoProvider (options: DemoProviderOptions): FastifyInstance {
  const user = options.user ?? defaultUser
  const kit = createMockProvider({
    consumerKey: options.consumerKey,
    consumerSecret: options.consumerSecret,
    rsaPublicKey: options.rsaPublicKey,
    user,
    realm: 'demo',
    paths: { verifyCredentials: '/api/me' },
    requestTokenTtl: options.requestTokenTtl,
    now: options.now,
    maxRecorded: 100
  })
  const app = Fastify({ logger: options.logger ?? false, logController: new RequestLogController() })
  kits.set(app, kit)
  app.addContentTypeParser(formType, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body))
  app.addHook('onClose', async () => { await kit.close() })
  let lastCallbackOrigin: string | undefined
  const appHome = (): string | undefined => options.appUrl ?? (lastCallbackOrigin === undefined ? undefined : `${lastCallbackOrigin}/`)

  const protocol = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
    const answer = await kit.handle({
      method: request.method,
      url: new URL(request.url, originOf(request)).href,
      headers,
      body: Buffer.from(typeof request.body === 'string' ? request.body : '')
    })
    if (answer === undefined) throw new Error('the demo provider has no answer')
    const problem = kit.requests.at(-1)?.problem
    if (problem !== undefined) request.log.info({ problem }, 'demo provider refused a request')
    return reply.code(answer.status).headers(answer.headers).send(answer.body)
  }

  app.get('/', async (_request, reply) => sendHtml(reply, 200, demoMessagePage('Demo OAuth 1.0a provider',
    'This server only exists for the example app. Start from the app\'s home page and click "Connect your account".', { backUrl: appHome() })))

  app.post('/oauth/request_token', protocol)
  app.post('/oauth/access_token', protocol)
  app.get('/api/me', protocol)
  app.post('/1.1/oauth/invalidate_token', protocol)

  app.get('/oauth/authorize', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).oauth_token
    const pending = typeof token === 'string' ? kit.pendingAuthorization(token) : undefined
    if (pending === undefined) {
      return sendHtml(reply, 400, demoMessagePage('Link expired', 'This authorization link is unknown, expired or was already used. Go back to the application and start again.', { backUrl: appHome() }))
    }
    try {
      const callback = new URL(pending.callback)
      if (callback.protocol === 'http:' || callback.protocol === 'https:') lastCallbackOrigin = callback.origin
    } catch {}
    return sendHtml(reply, 200, authorizePage({ token: token as string, user, callback: pending.callback }))
  })

  app.post('/oauth/authorize', async (request, reply) => {
    // No login session exists here, so the usual CSRF token has nothing to bind to; a request
    // token is unguessable and single-use, and a form posted from another origin is refused.
    const origin = request.headers.origin
    if (origin !== undefined && origin !== originOf(request)) {
      return sendHtml(reply, 403, demoMessagePage('Refused', 'This form can only be sent from the demo provider\'s own page.'))
    }
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '')
    const token = form.get('oauth_token') ?? ''
    const approve = form.get('decision') === 'approve'
    const decision = kit.decide(token, approve ? { approve: true } : { approve: false, style: 'denied' })
    if (decision === undefined) {
      return sendHtml(reply, 400, demoMessagePage('Link expired', 'This authorization request is unknown, expired or was already answered. Go back to the application and start again.', { backUrl: appHome() }))
    }
    if (decision.location !== undefined) return reply.redirect(decision.location, 303)
    if (!approve) return sendHtml(reply, 200, demoMessagePage('Access denied', 'You refused access. You can close this page.', { backUrl: appHome() }))
    return sendHtml(reply, 200, demoMessagePage('Access granted', 'Type this verification code into the application:', { code: decision.verifier }))
  })

  return app
}

/** A started demo provider and the provider configuration that points at it. */
export interface StartedDemoProvider {
  app: FastifyInstance
  /** Its base URL, e.g. `http://localhost:3001`. */
  url: string
  provider: ProviderConfig
  /**
   * The test kit's mock provider behind it, for tests: `connect(app, kit, { providerUrl: url })`,
   * `kit.revoked`, `kit.expireTokens()`, `kit.misbehaveNext()`.
   */
  kit: MockProvider
}

/**
 * Starts {@link buildDemoProvider} on `host:port` (port 0 picks a free one) with fresh random
 * client credentials, and returns the configuration the app needs to use it.
 */
export async function startDemoProvider (options: { host: string, port: number, logger?: FastifyServerOptions['logger'], appUrl?: string | undefined }): Promise<StartedDemoProvider> {
  const consumerKey = 'demo-app'
  const consumerSecret = randomToken(24)
  const app = buildDemoProvider({ consumerKey, consumerSecret, logger: options.logger, appUrl: options.appUrl })
  await app.listen({ host: options.host, port: options.port })
  const port = (app.server.address() as AddressInfo).port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `http://${host}:${port}`
  return {
    app,
    url,
    kit: kits.get(app) as MockProvider,
    provider: {
      consumerKey,
      consumerSecret,
      signatureMethod: 'HMAC-SHA1',
      privateKey: undefined,
      requestTokenUrl: `${url}/oauth/request_token`,
      authorizeUrl: `${url}/oauth/authorize`,
      accessTokenUrl: `${url}/oauth/access_token`,
      resourceUrl: `${url}/api/me`,
      revokeUrl: `${url}/1.1/oauth/invalidate_token`
    }
  }
}
