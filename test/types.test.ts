// Type tests: `npx tsc -p tsconfig.json --noEmit` checks this file. Lines under
// `@ts-expect-error` must NOT compile; the others must. tap only runs the small runtime part.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { request as httpRequest } from 'node:http'
import t from 'tap'
import { request as undiciRequest } from 'undici'
import fastifyOAuth1Default, {
  type ClientResponse, type ErrorCode, ErrorCodes, type FastifyOAuth1Options, fastifyOAuth1, type OAuth1Client,
  type OAuth1Credentials, type OAuth1Instance, type OAuth1RequestClient, isOAuth1Error,
  type OAuth1RequestDecorations, type OAuth1InstanceDecorations, type OAuth1SessionData, type OAuth1SessionState,
  type FlowStore, type SignInContext
} from '../src/index.js'
import { type CallerSignal, createCookieFlowStore, createSigner, type SignableRequest, type SignedRequest } from '../src/core.js'

// An app naming a second provider augments Fastify's interfaces itself.
declare module 'fastify' {
  interface FastifyRequest {
    alpha: OAuth1RequestClient
  }
  interface FastifyInstance {
    alpha: OAuth1Instance
  }
  // The helper types: the same declaration for any number of named providers, and their session keys.
  interface FastifyRequest extends OAuth1RequestDecorations<'beta' | 'gamma'> {}
  interface FastifyInstance extends OAuth1InstanceDecorations<'beta' | 'gamma'> {}
  interface Session extends OAuth1SessionData<'alpha' | 'beta'> {}
}

const options: FastifyOAuth1Options = {
  consumerKey: 'key',
  consumerSecret: 'secret',
  requestTokenUrl: 'https://api.x.com/oauth/request_token',
  authorizeUrl: 'https://api.x.com/oauth/authorize',
  accessTokenUrl: 'https://api.x.com/oauth/access_token',
  callbackUrl: 'https://app.example/oauth/callback',
  flowSecret: 'a-flow-cookie-secret-of-at-least-32-chars',
  startPath: false,
  pendingTtl: 60_000,
  maxPending: 3,
  tokenMethod: 'GET',
  requestTokenParams: { x_auth_access_type: 'write' },
  async saveCredentials (request: FastifyRequest, credentials: OAuth1Credentials) {
    request.log.info({ user: credentials.extra.screen_name }, 'connected')
  },
  async loadCredentials () {
    return null
  }
}

/** Marks values as used (noUnusedLocals). */
function use (..._values: unknown[]): void {}

export function typeChecks (app: FastifyInstance): void {
  app.register(fastifyOAuth1, options)
  app.register(fastifyOAuth1Default, { ...options, name: 'alpha' })
  // @ts-expect-error callbackUrl is required
  app.register(fastifyOAuth1, { ...options, callbackUrl: undefined })
  // @ts-expect-error callbackOrigins is a list of origins
  app.register(fastifyOAuth1, { ...options, callbackOrigins: 'https://app.example' })
  // @ts-expect-error pendingTtl is a number of milliseconds
  app.register(fastifyOAuth1, { ...options, pendingTtl: '10m' })
  // @ts-expect-error tokenMethod is POST or GET
  app.register(fastifyOAuth1, { ...options, tokenMethod: 'PUT' })
  // @ts-expect-error startPath is a path or false
  app.register(fastifyOAuth1, { ...options, startPath: true })
  // @ts-expect-error authorizeParams values are strings
  app.register(fastifyOAuth1, { ...options, authorizeParams: { perms: 1 } })
  // @ts-expect-error loadCredentials resolves to credentials, not a token string
  app.register(fastifyOAuth1, { ...options, loadCredentials: async () => 'token' })

  app.register(fastifyOAuth1, {
    ...options,
    name: 'beta',
    callbackUrl: (request) => `https://${request.host}/oauth/beta/callback`,
    callbackOrigins: ['https://app.example', 'https://preview.app.example'],
    authorizeParams: (request) => ({ screen_name: String(request.query) }),
    flowState: 'session'
  })
  const ownStore: FlowStore = createCookieFlowStore({ secrets: ['a-flow-cookie-secret-of-at-least-32-chars'], prefix: 'x-', callbackPath: '/cb', secure: 'auto', ttl: 1000, max: 2 })
  app.register(fastifyOAuth1, { ...options, name: 'gamma', flowState: ownStore })
  // @ts-expect-error flowSecret is a string or a list of strings
  app.register(fastifyOAuth1, { ...options, flowSecret: 42 })
  app.register(fastifyOAuth1, { ...options, name: 'delta', credentialsSecret: ['a-credentials-secret-of-32-chars-new', 'a-credentials-secret-of-32-chars-old'], maxConcurrentStarts: 10 })
  // @ts-expect-error credentialsSecret is a string or a list of strings
  app.register(fastifyOAuth1, { ...options, credentialsSecret: 42 })
  // @ts-expect-error maxConcurrentStarts is a number
  app.register(fastifyOAuth1, { ...options, maxConcurrentStarts: '10' })
  const peekType = (store: FlowStore, ctx: SignInContext): unknown => store.peek?.(ctx, 'token', Date.now())
  use(peekType)
  // @ts-expect-error flowState is 'cookie', 'session' or a store
  app.register(fastifyOAuth1, { ...options, flowState: 'redis' })
  // @ts-expect-error callbackUrl functions return a string
  app.register(fastifyOAuth1, { ...options, callbackUrl: () => 42 })
  const takeType = (store: FlowStore, ctx: SignInContext): unknown => store.take(ctx, 'token', Date.now())
  use(takeType)

  const instance: OAuth1Instance = app.oauth1
  const other: OAuth1Instance = app.alpha
  const sessionKey: string = instance.sessionKey
  const authorizeUrl: string = instance.authorizeUrl('token', { force_login: 'true' })
  const requestToken: Promise<{ token: string, tokenSecret: string, extra: Record<string, string> }> = other.getRequestToken('https://app.example/oauth/callback')
  // @ts-expect-error getRequestToken returns a promise
  const notAwaited: string = instance.getRequestToken('https://app.example/oauth/callback').token
  // @ts-expect-error sessionKey is read-only
  instance.sessionKey = 'x'
  const userClient: OAuth1Client = instance.clientFor({ token: 't', tokenSecret: 's' })
  // @ts-expect-error clientFor needs the token secret
  instance.clientFor({ token: 't' })
  use(sessionKey, authorizeUrl, requestToken, notAwaited, userClient)

  app.get('/me', async (request, reply) => {
    const client: OAuth1RequestClient = request.oauth1
    const alpha: OAuth1RequestClient = request.alpha
    const pending: Promise<ClientResponse> = client.get('https://api.x.com/2/users/me', { query: { 'user.fields': 'id' } })
    // @ts-expect-error get() returns a promise, not a response
    const response: ClientResponse = client.get('https://api.x.com/2/users/me')
    // @ts-expect-error the verb methods fix the method
    await client.get('https://api.x.com/2/users/me', { method: 'POST' })
    // @ts-expect-error isConnected() is async
    if (alpha.isConnected() === true) reply.code(204)
    const credentials: OAuth1Credentials | undefined = await client.getCredentials()
    // @ts-expect-error credentials may be undefined
    const secret: string = (await client.getCredentials()).tokenSecret
    const json: { id: string } = (await pending).json<{ id: string }>()
    const beta: OAuth1RequestClient = request.beta
    const gamma: OAuth1Instance = app.gamma
    const authorize: string = await app.beta.begin(request, reply, { returnTo: '/x', authorizeParams: { force_login: 'true' } })
    // @ts-expect-error begin needs the reply (the cookie store sets a cookie on it)
    await app.beta.begin(request)
    // @ts-expect-error only registered names are typed
    use(request.delta)
    // @ts-expect-error request.oauth1 is a getter (an app with only named providers gets a coded error reading it)
    request.oauth1 = beta
    // @ts-expect-error so are the helper's names
    request.beta = client
    const state: OAuth1SessionState | undefined = request.session.get('oauth1:oauth1')
    const betaState: OAuth1SessionState | undefined = request.session.get('oauth1:beta')
    use(beta, gamma, authorize, state, betaState)
    const { credentials: stored, returnTo } = await app.oauth1.complete(request, reply)
    const path: string | undefined = returnTo
    await client.disconnect()
    use(response, credentials, secret, stored, path)
    return json
  })

  app.setErrorHandler((error, _request, reply) => {
    if (isOAuth1Error(error, ErrorCodes.PROVIDER_ERROR)) {
      const code: ErrorCode = error.code
      const status: number | undefined = error.status
      const problem: string | undefined = error.problem
      return reply.code(error.statusCode).send({ code, status, problem })
    }
    return reply.send(error)
  })

  const code: ErrorCode = 'OAUTH1_TIMEOUT'
  // @ts-expect-error not an error code
  const unknown: ErrorCode = 'OAUTH1_NOPE'
  use(code, unknown)
}

t.test('the type-checked module loads and its exports are what the types say', async (t) => {
  t.equal(fastifyOAuth1Default, fastifyOAuth1)
  t.type(fastifyOAuth1, 'function')
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(fastifyCookie)
  app.register(fastifySession, { secret: 'a-session-secret-of-at-least-32-characters!' })
  app.register(fastifyOAuth1, { ...options, saveCredentials: undefined, loadCredentials: undefined })
  await app.ready()
  const instance: OAuth1Instance = app.oauth1
  t.equal(instance.sessionKey, 'oauth1:oauth1')
  t.type(instance.authorizeUrl('t'), 'string')
})

/** The signed headers pass as they are (no cast) to fetch, undici's request and node:http. */
export function signedHeadersFit (): void {
  const signed: SignedRequest = createSigner({ consumerKey: 'k', consumerSecret: 's' }).sign({ method: 'GET', url: 'https://api.example/' })
  const authorization: string | undefined = signed.headers.authorization
  const viaFetch = fetch(signed.url, { headers: signed.headers })
  const viaUndici = undiciRequest(signed.url, { headers: signed.headers })
  httpRequest(signed.url, { headers: signed.headers }).end()
  // @ts-expect-error header values are strings, never lists
  const list: string[] = signed.headers.accept
  // @ts-expect-error createSigner's options are checked: an unknown name does not compile
  createSigner({ consumerKey: 'k', consumerSecret: 's', consumerSecert: 's' })
  use(authorization, list, viaFetch, viaUndici)
}

/**
 * The signed body is typed after the request's: the README's `fetch(signed.url, { body: signed.body })`
 * compiles under the DOM lib too, whose BodyInit takes no `Uint8Array<ArrayBufferLike>` (TypeScript 5.7+).
 */
export function signedBodyTypes (): void {
  const signer = createSigner({ consumerKey: 'k', consumerSecret: 's' })
  const text: string = signer.sign({ method: 'POST', url: 'https://api.example/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }).body
  const form: string = signer.sign({ method: 'POST', url: 'https://api.example/', body: new URLSearchParams({ a: '1' }) }).body
  const bytes: Buffer | string = signer.sign({ method: 'PUT', url: 'https://api.example/', body: Buffer.from('x') }).body
  const none: string | undefined = signer.sign({ method: 'GET', url: 'https://api.example/' }).body
  const any: SignableRequest = { method: 'GET', url: 'https://api.example/' }
  const unknown: string | Uint8Array | undefined = signer.sign(any).body
  // @ts-expect-error a request without a body may get one only as form text, never bytes
  const noBytes: Uint8Array = signer.sign({ method: 'GET', url: 'https://api.example/' }).body
  // @ts-expect-error an unknown key of the request is still refused
  signer.sign({ method: 'GET', url: 'https://api.example/', bdy: 'a=1' })
  use(text, form, bytes, none, unknown, noBytes)
}

// Signals: an AbortSignal is a CallerSignal, so callers keep passing AbortSignal.timeout() and
// controllers' signals; an object with the same four members fits too; a bare object does not.
async function signalTypes (typedClient: OAuth1Client): Promise<unknown[]> {
  const lightSignal: CallerSignal = { aborted: false, reason: undefined, addEventListener () {}, removeEventListener () {} }
  return await Promise.all([
    typedClient.get('https://api.example.com/x', { signal: AbortSignal.timeout(1000) }),
    typedClient.get('https://api.example.com/x', { signal: new AbortController().signal }),
    typedClient.get('https://api.example.com/x', { signal: lightSignal }),
    // @ts-expect-error a signal needs addEventListener and removeEventListener
    typedClient.get('https://api.example.com/x', { signal: { aborted: false } })
  ])
}
t.equal(typeof signalTypes, 'function', 'signal types are compiled, not run')
