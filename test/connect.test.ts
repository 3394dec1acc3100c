// The framework-free connect core, driven the way another adapter (Express) would drive it.
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { createConnect, type OAuth1Credentials } from '../src/sign-in/connect.js'
import { createProviderClient } from '../src/provider/provider-client.js'
import type { SignInContext, SignInSession } from '../src/sign-in/state/context.js'
import { createCookieFlowStore } from '../src/sign-in/state/cookie-store.js'
import { flowSecret } from './helpers/build-app.js'
import { flowOptions, startFakeProvider } from './helpers/fake-provider.js'

/** One browser: a cookie jar, and a session object with regenerate (like @fastify/session). */
function browserContext (session?: SignInSession): SignInContext & { jar: Map<string, string> } {
  const jar = new Map<string, string>()
  return {
    jar,
    getCookie: (name) => jar.get(name),
    cookieNames: () => jar.keys(),
    setCookie: (name, value) => { jar.set(name, value) },
    clearCookie: (name) => { jar.delete(name) },
    session,
    host: 'localhost',
    protocol: 'http'
  }
}

function memorySession (): SignInSession & { id: number } {
  const values = new Map<string, unknown>()
  const session = {
    id: 1,
    get: (key: string) => values.get(key),
    set: (key: string, value: unknown) => { values.set(key, value) },
    data: () => Object.fromEntries(values),
    regenerate (keep: string[] = []) {
      for (const key of [...values.keys()]) if (!keep.includes(key)) values.delete(key)
      session.id++
    }
  }
  return session
}

t.test('begin and complete without any web framework; a doubled callback makes one exchange', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider))
  t.teardown(() => providerClient.close())
  const limits = { ttl: 60_000, max: 5 }
  const saved: OAuth1Credentials[] = []
  const connect = createConnect({
    flow: providerClient,
    limits,
    store: createCookieFlowStore({ secrets: flowSecret, prefix: 'o1-', callbackPath: '/cb', secure: false, ...limits }),
    sessionKey: 'oauth1:test',
    callbackUrl: 'http://localhost/cb',
    denial: ['denied-param'],
    toCredentials: (access, now) => ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now }),
    saveCredentials: async (_ctx, credentials) => { saved.push(credentials) },
    loadCredentials: async () => saved[saved.length - 1]
  })
  const ctx = browserContext()
  const authorizeUrl = await connect.begin(ctx, { returnTo: '/back', authorizeParams: { force_login: 'true' } })
  t.equal(new URL(authorizeUrl).searchParams.get('force_login'), 'true')
  const query = Object.fromEntries(new URL(await provider.authorize(authorizeUrl)).searchParams)
  const results = await Promise.allSettled([connect.complete(ctx, query), connect.complete(ctx, query)])
  t.equal(results[0]?.status, 'fulfilled')
  t.match(results[1], { status: 'rejected', reason: { code: ErrorCodes.FLOW_IN_PROGRESS, statusCode: 409 } })
  t.equal(provider.seen.filter((item) => item.path === '/oauth/access_token').length, 1)
  t.match(results[0], { value: { returnTo: '/back', credentials: { token: provider.accessTokens[0]?.token } } })
  t.equal((await connect.loadCredentials(ctx))?.token, provider.accessTokens[0]?.token)
  await t.rejects(connect.complete(ctx, query), { code: ErrorCodes.NO_SESSION }, 'taken: the jar is empty again')
  await t.rejects(connect.complete(browserContext(), { oauth_verifier: 'v' }), { code: ErrorCodes.UNKNOWN_TOKEN })
})

t.test('credentials into a session, which is renewed and keeps its other data', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider))
  t.teardown(() => providerClient.close())
  const limits = { ttl: 60_000, max: 5 }
  const connect = createConnect({
    flow: providerClient,
    limits,
    store: createCookieFlowStore({ secrets: flowSecret, prefix: 'o1-', callbackPath: '/cb', secure: false, ...limits }),
    sessionKey: 'oauth1:test',
    callbackUrl: 'http://localhost/cb',
    denial: [],
    toCredentials: (access, now) => ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now })
  })
  const session = memorySession()
  session.set('userId', 'u1')
  const ctx = browserContext(session)
  const query = Object.fromEntries(new URL(await provider.authorize(await connect.begin(ctx))).searchParams)
  await connect.complete(ctx, query)
  t.equal(session.id, 2, 'regenerated')
  t.equal(session.get('userId'), 'u1', 'other data kept')
  t.equal((await connect.loadCredentials(ctx))?.token, provider.accessTokens[0]?.token)
  await connect.deleteCredentials(ctx)
  t.equal(await connect.loadCredentials(ctx), undefined)
})

t.test('begin refuses a long returnTo (measured URL-encoded) and a callback URL off callbackOrigins, before any provider call', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider))
  t.teardown(() => providerClient.close())
  const limits = { ttl: 60_000, max: 5 }
  const options = {
    flow: providerClient,
    limits,
    store: createCookieFlowStore({ secrets: flowSecret, prefix: 'o1-', callbackPath: '/cb', secure: false, ...limits }),
    sessionKey: 'oauth1:test',
    callbackUrl: 'http://localhost/cb',
    toCredentials: (access: { token: string, tokenSecret: string, extra: Record<string, string> }, now: number) =>
      ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now })
  }
  const connect = createConnect(options)
  for (const returnTo of ['/' + 'é'.repeat(700), '/' + '€'.repeat(2000)]) {
    await t.rejects(connect.begin(browserContext(), { returnTo }), { code: ErrorCodes.RETURN_TO_TOO_LONG, statusCode: 400 }, `${returnTo.length} characters`)
  }
  await t.rejects(connect.begin(browserContext(), { callbackUrl: 'https://evil.example/cb' }), { code: ErrorCodes.CALLBACK_NOT_ALLOWED, statusCode: 400 })
  await t.rejects(connect.begin(browserContext(), { callbackUrl: 'javascript:alert(1)' }), { code: ErrorCodes.CALLBACK_NOT_ALLOWED })
  t.equal(provider.seen.length, 0, 'the provider was never called')
  const ctx = browserContext()
  await connect.begin(ctx, { callbackUrl: 'http://localhost/cb?tab=2' })
  t.equal(provider.seen[0]?.oauth.oauth_callback, 'http://localhost/cb?tab=2', 'an override on the allowed origin is used')
  t.throws(() => createConnect({ ...options, callbackUrl: () => 'http://localhost/cb' }), { code: ErrorCodes.INVALID_OPTION, message: /callbackOrigins/ })
  const perRequest = createConnect({ ...options, callbackUrl: (ctx: SignInContext) => `http://${ctx.host}/cb`, callbackOrigins: ['http://localhost'] })
  await t.rejects(perRequest.begin({ ...browserContext(), host: 'attacker-chosen.example' }), { code: ErrorCodes.CALLBACK_NOT_ALLOWED })
  t.equal(provider.seen.length, 1, 'still one provider call')
})

t.test('a flow store that drops the binding: the callback is refused without an exchange', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider))
  t.teardown(() => providerClient.close())
  const kept = new Map<string, { token: string, secret: string, created: number }>()
  const connect = createConnect({
    flow: providerClient,
    limits: { ttl: 60_000, max: 5 },
    store: {
      count: () => kept.size,
      put: (_ctx, { token, secret, created }) => { kept.set(token, { token, secret, created }) },
      take: (_ctx, token) => {
        const entry = kept.get(token)
        kept.delete(token)
        return entry === undefined ? { status: 'unknown' } : { status: 'found', entry }
      }
    },
    sessionKey: 'oauth1:test',
    callbackUrl: 'http://localhost/cb',
    toCredentials: (access, now) => ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now }),
    saveCredentials: async () => {},
    loadCredentials: async () => undefined
  })
  const ctx = browserContext()
  const query = Object.fromEntries(new URL(await provider.authorize(await connect.begin(ctx))).searchParams)
  await t.rejects(connect.complete(ctx, query), { code: ErrorCodes.FLOW_NOT_BOUND, statusCode: 403 })
  t.equal(provider.seen.filter((item) => item.path === '/oauth/access_token').length, 0)
})

t.test('a flow planted from another browser is refused before the session is touched: no renewal, no store write', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(flowOptions(provider))
  t.teardown(() => providerClient.close())
  const limits = { ttl: 60_000, max: 5 }
  const store = createCookieFlowStore({ secrets: flowSecret, prefix: 'o1-', callbackPath: '/cb', secure: false, ...limits })
  const connect = createConnect({
    flow: providerClient,
    limits,
    store,
    sessionKey: 'oauth1:test',
    callbackUrl: 'http://localhost/cb',
    toCredentials: (access, now) => ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now })
  })
  // The attacker starts and approves a flow in their own browser...
  const attacker = browserContext()
  const query = Object.fromEntries(new URL(await provider.authorize(await connect.begin(attacker))).searchParams)
  const flowCookie = [...attacker.jar.keys()].find((name) => name === store.cookieName(query.oauth_token as string)) as string
  t.ok(flowCookie, 'the attacker has a flow cookie')
  // ...and plants that cookie in the victim's browser, whose session carries the app's data.
  const session = memorySession()
  session.set('userId', 'victim')
  const victim = browserContext(session)
  await connect.begin(victim)
  victim.jar.set(flowCookie, attacker.jar.get(flowCookie) as string)
  const before = session.data?.()
  await t.rejects(connect.complete(victim, query), { code: ErrorCodes.FLOW_NOT_BOUND, statusCode: 403 })
  t.equal(session.id, 1, 'the session id was not renewed (no store write for a planted flow)')
  t.same(session.data?.(), before, 'the session data is untouched')
  t.equal(provider.seen.filter((item) => item.path === '/oauth/access_token').length, 0, 'no token exchange')
  // The victim's own flow still renews and connects.
  const own = Object.fromEntries(new URL(await provider.authorize(await connect.begin(victim))).searchParams)
  await connect.complete(victim, own)
  t.equal(session.id, 2, 'its own flow renews the session')
  t.equal((await connect.loadCredentials(victim))?.token, provider.accessTokens[0]?.token)
})
