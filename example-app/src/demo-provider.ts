import { randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { formatForm } from '../../src/index.js'
import type { ProviderConfig } from './config.js'
import { createRequestVerifier, OAuthProblem, type TokenSecretLookup, type VerifiedRequest } from './demo-verify.js'
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
}

interface RequestTokenEntry {
  secret: string
  callback: string
  expires: number
  /** Set once the user approved. */
  verifier?: string
}

const defaultUser: DemoUser = { id: '1001', screen_name: 'demo_user', name: 'Dana Demo' }
const formType = 'application/x-www-form-urlencoded'
const maxPendingTokens = 10_000

function randomToken (bytes: number): string {
  return randomBytes(bytes).toString('base64url')
}

function sameString (a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function withParams (callback: string, params: Record<string, string>): string {
  const url = new URL(callback)
  for (const [name, value] of Object.entries(params)) url.searchParams.append(name, value)
  return url.href
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
 * one user who is always signed in, tokens in memory. It still checks what a real provider
 * checks: signatures (HMAC-SHA1/256/512, PLAINTEXT, RSA with a key), a ±5 minute timestamp
 * window, nonce reuse, `oauth_callback_confirmed`, and single-use request tokens and verifiers.
 *
 * Routes: `POST /oauth/request_token`, `GET|POST /oauth/authorize`, `POST /oauth/access_token`,
 * `GET /api/me`.
 */
export function buildDemoProvider (options: DemoProviderOptions): FastifyInstance {
  const user = options.user ?? defaultUser
  const now = options.now ?? Date.now
  const ttl = options.requestTokenTtl ?? 10 * 60_000
  const verify = createRequestVerifier({
    consumers: new Map([[options.consumerKey, { secret: options.consumerSecret, publicKey: options.rsaPublicKey }]]),
    now
  })
  const requestTokens = new Map<string, RequestTokenEntry>()
  const accessTokens = new Map<string, { secret: string, userId: string }>()

  const app = Fastify({ logger: options.logger ?? false })
  app.addContentTypeParser(formType, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body))

  const verified = (request: FastifyRequest, tokenSecretOf: TokenSecretLookup): VerifiedRequest => verify({
    method: request.method,
    url: new URL(request.url, originOf(request)),
    authorization: request.headers.authorization,
    body: typeof request.body === 'string' ? request.body : undefined
  }, tokenSecretOf)

  const liveRequestToken = (token: string | undefined): RequestTokenEntry | undefined => {
    if (token === undefined) return undefined
    const entry = requestTokens.get(token)
    if (entry === undefined) return undefined
    if (entry.expires <= now()) {
      requestTokens.delete(token)
      return undefined
    }
    return entry
  }

  const sweep = (): void => {
    const at = now()
    for (const [token, entry] of requestTokens) if (entry.expires <= at) requestTokens.delete(token)
  }

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof OAuthProblem) {
      request.log.info({ problem: error.problem }, 'demo provider refused a request')
      return reply.code(error.statusCode)
        .header('www-authenticate', `OAuth realm="demo", oauth_problem="${error.problem}"`)
        .type(formType)
        .send(formatForm([['oauth_problem', error.problem], ...Object.entries(error.details)]))
    }
    return reply.send(error)
  })

  app.get('/', async (_request, reply) => sendHtml(reply, 200, demoMessagePage('Demo OAuth 1.0a provider',
    'This server only exists for the example app. Start from the app\'s home page and click "Connect your account".')))

  app.post('/oauth/request_token', async (request, reply) => {
    const { oauth } = verified(request, null)
    const callback = oauth.oauth_callback
    if (callback === undefined) throw new OAuthProblem(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_callback' })
    if (callback !== 'oob' && !/^https?:\/\//i.test(callback)) throw new OAuthProblem(400, 'parameter_rejected', { oauth_parameters_rejected: 'oauth_callback' })
    sweep()
    if (requestTokens.size >= maxPendingTokens) throw new OAuthProblem(503, 'temporarily_unavailable')
    const token = randomToken(16)
    const secret = randomToken(24)
    requestTokens.set(token, { secret, callback, expires: now() + ttl })
    return reply.type(formType).send(formatForm([['oauth_token', token], ['oauth_token_secret', secret], ['oauth_callback_confirmed', 'true']]))
  })

  app.get('/oauth/authorize', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).oauth_token
    const entry = typeof token === 'string' ? liveRequestToken(token) : undefined
    if (entry === undefined || entry.verifier !== undefined) {
      return sendHtml(reply, 400, demoMessagePage('Link expired', 'This authorization link is unknown, expired or was already used. Go back to the application and start again.'))
    }
    return sendHtml(reply, 200, authorizePage({ token: token as string, user, callback: entry.callback }))
  })

  app.post('/oauth/authorize', async (request, reply) => {
    // No login session exists here, so the usual CSRF token has nothing to bind to; a request
    // token is unguessable and single-use, and a form posted from another origin is refused.
    const origin = request.headers.origin
    if (origin !== undefined && origin !== originOf(request)) {
      return sendHtml(reply, 403, demoMessagePage('Refused', 'This form can only be sent from the demo provider\'s own page.'))
    }
    const form = new URLSearchParams(typeof request.body === 'string' ? request.body : '')
    const token = form.get('oauth_token') ?? undefined
    const entry = liveRequestToken(token)
    if (token === undefined || entry === undefined || entry.verifier !== undefined) {
      return sendHtml(reply, 400, demoMessagePage('Link expired', 'This authorization request is unknown, expired or was already answered.'))
    }
    if (form.get('decision') !== 'approve') {
      requestTokens.delete(token)
      if (entry.callback === 'oob') return sendHtml(reply, 200, demoMessagePage('Access denied', 'You refused access. You can close this page.'))
      return reply.redirect(withParams(entry.callback, { denied: token }), 303)
    }
    entry.verifier = randomToken(16)
    if (entry.callback === 'oob') {
      return sendHtml(reply, 200, demoMessagePage('Access granted', 'Type this verification code into the application:', entry.verifier))
    }
    return reply.redirect(withParams(entry.callback, { oauth_token: token, oauth_verifier: entry.verifier }), 303)
  })

  app.post('/oauth/access_token', async (request, reply) => {
    const { oauth, token } = verified(request, (candidate) => liveRequestToken(candidate)?.secret)
    const entry = requestTokens.get(token as string) as RequestTokenEntry
    // Single use: once a correctly signed exchange is attempted, the request token is gone,
    // whether or not the verifier matches.
    requestTokens.delete(token as string)
    const verifier = oauth.oauth_verifier
    if (verifier === undefined) throw new OAuthProblem(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_verifier' })
    if (entry.verifier === undefined) throw new OAuthProblem(401, 'permission_unknown')
    if (!sameString(verifier, entry.verifier)) throw new OAuthProblem(401, 'verifier_invalid')
    const accessToken = `${user.id}-${randomToken(18)}`
    const secret = randomToken(24)
    accessTokens.set(accessToken, { secret, userId: user.id })
    return reply.type(formType).send(formatForm([
      ['oauth_token', accessToken], ['oauth_token_secret', secret], ['user_id', user.id], ['screen_name', user.screen_name]
    ]))
  })

  app.get('/api/me', async (request, reply) => {
    verified(request, (candidate) => accessTokens.get(candidate)?.secret)
    return reply.header('cache-control', 'no-store').send({ id: user.id, screen_name: user.screen_name, name: user.name })
  })

  return app
}

/** A started demo provider and the provider configuration that points at it. */
export interface StartedDemoProvider {
  app: FastifyInstance
  /** Its base URL, e.g. `http://localhost:3001`. */
  url: string
  provider: ProviderConfig
}

/**
 * Starts {@link buildDemoProvider} on `host:port` (port 0 picks a free one) with fresh random
 * client credentials, and returns the configuration the app needs to use it.
 */
export async function startDemoProvider (options: { host: string, port: number, logger?: FastifyServerOptions['logger'] }): Promise<StartedDemoProvider> {
  const consumerKey = 'demo-app'
  const consumerSecret = randomToken(24)
  const app = buildDemoProvider({ consumerKey, consumerSecret, logger: options.logger })
  await app.listen({ host: options.host, port: options.port })
  const port = (app.server.address() as AddressInfo).port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const url = `http://${host}:${port}`
  return {
    app,
    url,
    provider: {
      consumerKey,
      consumerSecret,
      signatureMethod: 'HMAC-SHA1',
      privateKey: undefined,
      requestTokenUrl: `${url}/oauth/request_token`,
      authorizeUrl: `${url}/oauth/authorize`,
      accessTokenUrl: `${url}/oauth/access_token`,
      resourceUrl: `${url}/api/me`
    }
  }
}
