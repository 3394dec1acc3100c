// The encrypted per-flow cookie store, on its own and as the plugin's default flow state.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import type { FastifyOAuth1Options, OAuth1Credentials } from '../src/fastify/plugin.js'
import { createCookieFlowStore, maxCookieBytes } from '../src/sign-in/state/cookie-store.js'
import type { SignInContext, SignInCookieOptions } from '../src/sign-in/state/context.js'
import { Browser, buildApp, type BuildOptions, flowSecret, logCapture, providerOptions } from './helpers/build-app.js'
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js'

interface Test { teardown (fn: () => unknown): void }

async function setup (t: Test, overrides: Partial<FastifyOAuth1Options> = {}, build: BuildOptions = {}, shared?: FakeProvider): Promise<{ provider: FakeProvider, app: FastifyInstance, browser: Browser }> {
  const provider = shared ?? await startFakeProvider()
  if (shared === undefined) t.teardown(() => provider.close())
  const app = await buildApp(providerOptions(provider, overrides), {
    apiUrl: provider.meUrl,
    ...build,
    setup (app) {
      app.get('/creds', async (request) => ({ connected: await request.oauth1.isConnected() }))
      build.setup?.(app)
    }
  })
  t.teardown(() => app.close())
  return { provider, app, browser: new Browser(app) }
}

/** A binding cookie value (22 base64url characters), as a browser that started a sign-in before carries. */
const bindingValue = 'AAAAAAAAAAAAAAAAAAAAAA'

const exchanges = (provider: FakeProvider): number => provider.seen.filter((item) => item.path === '/oauth/access_token').length

function setCookies (response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie']
  return header === undefined ? [] : Array.isArray(header) ? header : [header]
}

/** A request of the store on its own: its cookies are `jar`, and what it sets goes back into `jar` (and to `onSet`). */
function jarContext (jar: Map<string, string>, onSet?: (name: string, value: string, options: SignInCookieOptions) => void): SignInContext {
  return {
    getCookie: (name) => jar.get(name),
    cookieNames: () => jar.keys(),
    setCookie: (name, value, options) => {
      jar.set(name, value)
      onSet?.(name, value, options)
    },
    clearCookie: (name) => { jar.delete(name) },
    session: undefined,
    host: 'localhost',
    protocol: 'http'
  }
}

function flowCookies (browser: Browser): Array<[string, string]> {
  return [...browser.jar.cookies].filter(([name]) => name.startsWith('oauth1-oauth1-') && name !== 'oauth1-oauth1-flows')
}

t.test('a flow cookie per start: sealed, HttpOnly, SameSite=Lax, Path=callback, Max-Age=TTL', async (t) => {
  const { provider, browser } = await setup(t)
  const started = await browser.start()
  t.equal(started.statusCode, 302)
  const token = provider.requestTokens[0] as string
  const secret = provider.issuedSecrets[0] as string
  const lines = setCookies(started)
  const flow = lines.find((line) => line.startsWith('oauth1-oauth1-') && !line.startsWith('oauth1-oauth1-flows='))
  t.ok(flow, 'a flow cookie')
  t.match(flow, /; Max-Age=600/)
  t.match(flow, /; Path=\/oauth\/callback/)
  t.match(flow, /; HttpOnly/)
  t.match(flow, /; SameSite=Lax/)
  t.notMatch(flow, /; Secure/, 'not Secure for an http callback')
  for (const line of lines) {
    t.notOk(line.includes(token), 'the request token is in no cookie name or value')
    t.notOk(line.includes(secret) || line.includes(encodeURIComponent(secret)), 'the token secret is in no cookie')
  }
  t.equal((await browser.callback(await provider.authorize(started.headers.location as string))).statusCode, 302)
  t.same(flowCookies(browser), [], 'the flow cookie is cleared on the callback')
  t.notOk(browser.jar.get('oauth1-oauth1-flows'), 'and the index')
  t.equal((await browser.get('/me')).statusCode, 200)
  t.same(provider.rejected(), [])
})

t.test('an https callback makes the flow cookies Secure', async (t) => {
  const { provider, browser } = await setup(t, { callbackUrl: 'https://localhost/oauth/callback' })
  const started = await browser.start()
  t.equal(started.statusCode, 302)
  for (const line of setCookies(started).filter((line) => line.startsWith('oauth1-'))) t.match(line, /; Secure/)
  t.same(provider.rejected(), [])
})

t.test('double click: two starts at once in one browser, both complete', async (t) => {
  const { provider, browser } = await setup(t)
  // A browser that started a sign-in before carries its binding cookie (two first-ever starts at once race for it: README).
  browser.jar.cookies.set('oauth1-binding', bindingValue)
  const [one, two] = await Promise.all([browser.start(), browser.start()])
  t.equal(one?.statusCode, 302)
  t.equal(two?.statusCode, 302)
  t.equal(flowCookies(browser).length, 2, 'two flow cookies')
  const second = await browser.callback(await provider.authorize(two?.headers.location as string))
  t.equal(second.statusCode, 302)
  const first = await browser.callback(await provider.authorize(one?.headers.location as string))
  t.equal(first.statusCode, 302, 'the other tab completes too')
  t.equal(exchanges(provider), 2)
  t.same(provider.rejected(), [])
})

t.test('doubled callback: exactly one exchange reaches the provider, the other is a 409', async (t) => {
  const { provider, browser } = await setup(t)
  const started = await browser.start()
  const callback = await provider.authorize(started.headers.location as string)
  const [a, b] = await Promise.all([browser.callback(callback), browser.callback(callback)])
  const codes = [a?.statusCode, b?.statusCode].sort()
  t.same(codes, [302, 409], 'one connects, the other is refused at once')
  const refused = a?.statusCode === 409 ? a : b
  t.equal(refused?.json().code, ErrorCodes.FLOW_IN_PROGRESS)
  t.equal(exchanges(provider), 1, 'the provider saw one exchange')
  t.equal((await browser.get('/me')).statusCode, 200)
  t.same(provider.rejected(), [])
})

t.test('tampered, expired, foreign and replayed cookies are refused without an exchange', async (t) => {
  t.test('tampered', async (t) => {
    const { provider, browser } = await setup(t)
    const started = await browser.start()
    const [name, value] = flowCookies(browser)[0] as [string, string]
    browser.jar.cookies.set(name, value.slice(0, -4) + (value.endsWith('AAAA') ? 'BBBB' : 'AAAA'))
    const response = await browser.callback(await provider.authorize(started.headers.location as string))
    t.equal(response.statusCode, 400)
    t.equal(response.json().code, ErrorCodes.UNKNOWN_TOKEN)
    t.equal(exchanges(provider), 0)
  })
  t.test('expired', async (t) => {
    const { provider, browser } = await setup(t, { pendingTtl: 50 })
    const started = await browser.start()
    const callback = await provider.authorize(started.headers.location as string)
    await new Promise((resolve) => setTimeout(resolve, 80))
    const response = await browser.callback(callback)
    t.equal(response.statusCode, 400)
    t.equal(response.json().code, ErrorCodes.UNKNOWN_TOKEN)
    t.match(response.json().message, /too long/)
    t.equal(exchanges(provider), 0)
  })
  t.test('foreign: another secret, or moved under another flow\'s name', async (t) => {
    const provider = await startFakeProvider()
    t.teardown(() => provider.close())
    const other = await setup(t, { flowSecret: 'another-app-secret-of-at-least-32-chars!' }, {}, provider)
    const ours = await setup(t, {}, {}, provider)
    const foreignStart = await other.browser.start()
    const foreignCallback = await provider.authorize(foreignStart.headers.location as string)
    for (const [name, value] of flowCookies(other.browser)) ours.browser.jar.cookies.set(name, value)
    const foreign = await ours.browser.callback(foreignCallback)
    t.equal(foreign.statusCode, 400, 'sealed with another secret')
    t.equal(foreign.json().code, ErrorCodes.UNKNOWN_TOKEN)

    const victim = new Browser(ours.app)
    const attacker = new Browser(ours.app)
    const victimStart = await victim.start()
    await attacker.start()
    const [victimName] = flowCookies(victim)[0] as [string, string]
    const [, attackerValue] = flowCookies(attacker)[0] as [string, string]
    attacker.jar.cookies.set(victimName, attackerValue)
    const moved = await attacker.callback(await provider.authorize(victimStart.headers.location as string))
    t.equal(moved.statusCode, 400, "the attacker's own cookie under the victim's flow name")
    t.equal(exchanges(provider), 0)
    t.equal((await victim.callback(await provider.authorize(victimStart.headers.location as string))).statusCode, 302, 'the victim still completes')
  })
  t.test('replayed after the callback', async (t) => {
    const { provider, app, browser } = await setup(t)
    const started = await browser.start()
    const saved = browser.jar.headers()
    const callback = new URL(await provider.authorize(started.headers.location as string))
    t.equal((await browser.callback(callback.href)).statusCode, 302)
    const replay = await app.inject({ method: 'GET', url: callback.pathname + callback.search, headers: saved })
    t.equal(replay.statusCode, 400)
    t.equal(replay.json().code, ErrorCodes.UNKNOWN_TOKEN)
    t.equal(exchanges(provider), 1, 'never a second exchange')
  })
})

t.test('key rotation: a flow started under the old secret completes under [new, old], not under [new]', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const newSecret = 'the-new-flow-secret-of-at-least-32-chars'
  const before = await setup(t, {}, {}, provider)
  const rotated = await setup(t, { flowSecret: [newSecret, flowSecret] }, {}, provider)
  const dropped = await setup(t, { flowSecret: newSecret }, {}, provider)

  const started = await before.browser.start()
  const cookies = before.browser.jar.headers()
  const callback = new URL(await provider.authorize(started.headers.location as string))
  const refused = await dropped.app.inject({ method: 'GET', url: callback.pathname + callback.search, headers: cookies })
  t.equal(refused.statusCode, 400, 'without the old secret the cookie does not open')
  const done = await rotated.app.inject({ method: 'GET', url: callback.pathname + callback.search, headers: cookies })
  t.equal(done.statusCode, 302, 'with the old secret in the list it does')
  t.equal(exchanges(provider), 1)
})

t.test('the bound per browser: at maxPending a start is refused, genuine flows are never evicted', async (t) => {
  const { provider, browser } = await setup(t, { maxPending: 2, failureRedirect: '/oops' })
  const first = await browser.start()
  await browser.start()
  const third = await browser.start()
  t.equal(third.statusCode, 302)
  t.equal(third.headers.location, '/oops?oauth1_error=OAUTH1_TOO_MANY_FLOWS', 'refused through failureRedirect')
  t.equal(provider.requestTokens.length, 2, 'no provider call for the refused start')
  t.equal(flowCookies(browser).length, 2)
  t.equal((await browser.callback(await provider.authorize(first.headers.location as string))).statusCode, 302, 'the oldest flow still completes')
  t.equal((await browser.start()).headers.location?.toString().startsWith(provider.authorizeUrl), true, 'its slot is free again')
})

t.test('@fastify/secure-session: the flow completes, credentials in the encrypted session, the cookie renewed', async (t) => {
  for (const flowState of ['cookie', 'session'] as const) {
    t.test(flowState, async (t) => {
      const { provider, browser } = await setup(t, { flowState }, { session: 'secure-session' })
      const one = await browser.start()
      const two = await browser.start()
      const before = browser.jar.get('session')
      const done = await browser.callback(await provider.authorize(one?.headers.location as string))
      t.equal(done.statusCode, 302)
      t.ok(browser.jar.get('session'), 'a session cookie')
      t.not(browser.jar.get('session'), before, 'renewed on connect')
      t.same((await browser.get('/creds')).json(), { connected: true })
      t.equal((await browser.get('/me')).statusCode, 200)
      const other = await browser.callback(await provider.authorize(two?.headers.location as string))
      t.equal(other.statusCode, 302, 'the second tab completes too')
      t.same(provider.rejected(), [])
    })
  }
})

t.test('no session plugin: credentials through saveCredentials / loadCredentials (a "DB")', async (t) => {
  const db = new Map<string, OAuth1Credentials>()
  const userOf = (request: { headers: Record<string, unknown> }): string => String(request.headers['x-user'])
  const { provider, app } = await setup(t, {
    async saveCredentials (request, credentials) { db.set(userOf(request), credentials) },
    async loadCredentials (request) { return db.get(userOf(request)) },
    async deleteCredentials (request) { db.delete(userOf(request)) }
  }, {
    session: 'none',
    setup (app) {
      app.post('/disconnect', async (request) => {
        await request.oauth1.disconnect()
        return 'ok'
      })
    }
  })
  const browser = new Browser(app)
  const inject = async (url: string, method: 'GET' | 'POST' = 'GET'): Promise<LightMyRequestResponse> =>
    browser.jar.update(await app.inject({ method, url, headers: { ...browser.jar.headers(), 'x-user': 'u1' } }))
  browser.jar.cookies.set('oauth1-binding', bindingValue)
  const [one, two] = await Promise.all([inject('/oauth/start'), inject('/oauth/start')])
  const location = new URL(await provider.authorize(one?.headers.location as string))
  t.equal((await inject(location.pathname + location.search)).statusCode, 302)
  t.equal(db.get('u1')?.token, provider.accessTokens[0]?.token)
  t.same((await inject('/creds')).json(), { connected: true })
  t.equal((await inject('/me')).statusCode, 200)
  const second = new URL(await provider.authorize(two?.headers.location as string))
  t.equal((await inject(second.pathname + second.search)).statusCode, 302, 'the second tab completes too')
  await inject('/disconnect', 'POST')
  t.equal(db.size, 0)
  t.same(provider.rejected(), [])
})

t.test('start-route checks: host mismatch warned and named at the callback; Strict and Secure-over-http cookies warned', async (t) => {
  const logs = logCapture()
  const { app } = await setup(t, {}, { fastify: { logger: { level: 'warn', stream: logs.stream } } })
  const started = await app.inject({ method: 'GET', url: '/oauth/start', headers: { host: '127.0.0.1:3000' } })
  t.equal(started.statusCode, 302)
  t.match(logs.text(), /on host 127\.0\.0\.1 but the callback is on localhost/, 'the warning names both hosts')
  t.match(logs.text(), /Open the app on localhost/, 'and the fix')
  const callback = await app.inject({ method: 'GET', url: '/oauth/callback?oauth_token=x&oauth_verifier=y' })
  t.equal(callback.json().code, ErrorCodes.NO_SESSION)
  t.match(callback.json().message, /If you started it on another host name than localhost, open the app on localhost/, 'named from the callback request itself')

  const sessionless = await setup(t, { flowState: 'session' }, { session: 'none' }).catch((error: Error) => error)
  t.match(sessionless, { code: ErrorCodes.INVALID_OPTION, message: /"flowState"/ }, 'the session store without a session plugin is a registration error')

  const warnLogs = logCapture()
  const warned = await setup(t, {}, {
    fastify: { logger: { level: 'warn', stream: warnLogs.stream } },
    setup (app) {
      app.addHook('onSend', async (_request, reply, payload) => {
        reply.header('set-cookie', ['sid=1; Path=/; SameSite=Strict', 'other=2; Path=/; Secure'])
        return payload
      })
    }
  })
  t.equal((await warned.browser.start()).statusCode, 302)
  t.match(warnLogs.text(), /cookie \\"sid\\" is SameSite=Strict/)
  t.match(warnLogs.text(), /cookie \\"other\\" is Secure but this request came over plain http/)
})

t.test('start errors go through onFailure, and through failureRedirect when the user can retry', async (t) => {
  const seen: string[] = []
  const { provider, browser } = await setup(t, {
    failureRedirect: '/failed',
    onFailure (_request, _reply, error) { seen.push(`${error.code}:${error.status ?? ''}`) }
  })
  provider.mode.requestToken = 'error'
  const down = await browser.start()
  t.equal(down.statusCode, 302, 'provider 500: the user may retry later')
  t.equal(down.headers.location, '/failed?oauth1_error=OAUTH1_PROVIDER_ERROR')
  provider.mode.requestToken = 'unauthorized'
  const refused = await browser.start()
  t.equal(refused.statusCode, 502, 'a refused consumer (wrong secret) is not the user\'s to retry: the error handler')
  t.same(seen, ['OAUTH1_PROVIDER_ERROR:500', 'OAUTH1_PROVIDER_ERROR:401'])

  const answering = await setup(t, { async onFailure (_request, reply, error) { await reply.code(503).send({ mine: error.code }) } })
  answering.provider.mode.requestToken = 'error'
  const custom = await answering.browser.start()
  t.equal(custom.statusCode, 503)
  t.same(custom.json(), { mine: 'OAUTH1_PROVIDER_ERROR' })
})

t.test('callbackUrl per request and authorize parameters per request and per begin()', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const { app, browser } = await setup(t, {
    callbackUrl: (request) => `http://${request.host}/oauth/callback`,
    callbackOrigins: ['http://preview-7.localhost', 'http://localhost'],
    authorizeParams: (request) => ({ screen_name: String((request.query as Record<string, string>).who ?? 'none') }),
    startPath: '/oauth/start'
  }, {
    setup (app) {
      app.get('/login', async (request, reply) => reply.redirect(await app.oauth1.begin(request, reply, { returnTo: '/after', authorizeParams: { force_login: 'true' } })))
    }
  }, provider)
  const started = await app.inject({ method: 'GET', url: '/oauth/start?who=ada', headers: { host: 'preview-7.localhost' } })
  t.equal(provider.seen[0]?.oauth.oauth_callback, 'http://preview-7.localhost/oauth/callback', 'oauth_callback from the request')
  t.equal(new URL(started.headers.location as string).searchParams.get('screen_name'), 'ada')
  const login = await browser.get('/login')
  const url = new URL(login.headers.location as string)
  t.equal(url.searchParams.get('force_login'), 'true')
  t.equal(url.searchParams.get('screen_name'), 'none')
  t.equal((await browser.callback(await provider.authorize(url.href))).headers.location, '/after')
})

t.test('the store on its own: take hands an entry back once; unreadable state is absent', async (t) => {
  const jar = new Map<string, string>()
  const ctx = jarContext(jar)
  const store = createCookieFlowStore({ secrets: flowSecret, prefix: 'p-', callbackPath: '/cb', secure: false, ttl: 1000, max: 3 })
  t.notOk(store.cookieName('tok').includes('tok'), 'the name is a hash prefix')
  t.same(store.take(ctx, 'tok', 0), { status: 'none' }, 'nothing yet')
  store.put(ctx, { token: 'tok', secret: 'sec', created: 100, returnTo: '/back' })
  t.equal(store.count(ctx, 100), 1)
  t.same(store.take(ctx, 'tok', 200), { status: 'found', entry: { token: 'tok', secret: 'sec', created: 100, returnTo: '/back' } })
  t.equal(store.count(ctx, 200), 0)
  store.put(ctx, { token: 'tok', secret: 'sec', created: 100 })
  t.same(store.take(ctx, 'tok', 300), { status: 'unknown' }, 'a token taken once is refused even when its cookie comes back')
  jar.set(store.cookieName('garbage'), '!!!')
  t.same(store.take(ctx, 'garbage', 300), { status: 'unknown' })
  jar.set(store.indexName, 'nonsense.x~y')
  t.equal(store.count(ctx, 300), 0, 'a malformed index counts nothing')
})

t.test('the index cookie: sealed for one browser binding, entries clamped to the TTL, entries without a flow cookie dropped at a callback', async (t) => {
  const jar = new Map<string, string>()
  const lines: string[] = []
  const ctx = jarContext(jar, (name, value, options) => lines.push(`${name}=${value}; Max-Age=${options.maxAge}; Path=${options.path}`))
  const ttl = 60_000
  const store = createCookieFlowStore({ secrets: flowSecret, prefix: 'p-', callbackPath: '/cb', secure: false, ttl, max: 3 })
  store.put(ctx, { token: 'a', secret: 's', created: 1000, binding: 'mine' })
  store.put(ctx, { token: 'b', secret: 's', created: 1000, binding: 'mine' })
  t.equal(store.count(ctx, 1000, 'mine'), 2)
  t.equal(store.count(ctx, 1000, 'theirs'), 0, 'an index sealed for another binding does not open')
  t.equal(store.count(ctx, 1000), 0, 'nor without a binding')
  t.notMatch(jar.get(store.indexName) ?? '', /~/, 'the index is sealed, not readable')

  const years = 10 * 365 * 24 * 3600
  jar.set(store.indexName, store.sealer.seal(`AAAAAAAAAAAAAAAA~${years}.BBBBBBBBBBBBBBBB~1.CCCCCCCCCCCCCCCC~1`, `${store.indexName}|mine`))
  t.equal(store.count(ctx, 1000, 'mine'), 2, 'an entry dated 10 years ahead counts nothing')
  t.equal(store.count(ctx, 1000 + ttl, 'mine'), 0, 'the others count for the TTL of their start at most')

  jar.delete(store.indexName)
  store.put(ctx, { token: 'a', secret: 's', created: 2000, binding: 'mine' })
  store.put(ctx, { token: 'b', secret: 's', created: 2000, binding: 'mine' })
  jar.delete(store.cookieName('a'))
  t.equal(store.count(ctx, 2000, 'mine'), 2, 'at the start route the flow cookies are not sent: both count')
  t.match(store.take(ctx, 'b', 2001, 'mine'), { status: 'found' })
  t.equal(store.count(ctx, 2001, 'mine'), 0, 'the entry whose flow cookie is gone was dropped at the callback')

  t.throws(() => store.put(ctx, { token: 't'.repeat(1500), secret: 's'.repeat(1500), created: 3000, binding: 'mine' }),
    { code: ErrorCodes.FLOW_TOO_LARGE, statusCode: 502 }, 'a flow cookie browsers would drop is refused')
  t.notOk(jar.has(store.cookieName('t'.repeat(1500))), 'and not set')
  for (const line of lines) t.ok(Buffer.byteLength(line) <= maxCookieBytes)
})

t.test('a request opens each sealed cookie once: the index at count and put, a flow cookie at peek and take', async (t) => {
  const jar = new Map<string, string>()
  const request = (): SignInContext => jarContext(jar)
  const store = createCookieFlowStore({ secrets: flowSecret, prefix: 'p-', callbackPath: '/cb', secure: false, ttl: 60_000, max: 3 })
  store.put(request(), { token: 'a', secret: 's', created: 1000, binding: 'mine' })
  const contexts: string[] = []
  const open = store.sealer.open.bind(store.sealer)
  store.sealer.open = (sealed, context) => { contexts.push(context); return open(sealed, context) }

  const start = request()
  t.equal(store.count(start, 1000, 'mine'), 1)
  store.put(start, { token: 'b', secret: 's', created: 1000, binding: 'mine' })
  t.same(contexts, [`${store.indexName}|mine`], 'a start with an index opens it once')
  t.equal(store.count(request(), 1000, 'mine'), 2, 'and the index it wrote holds both flows')

  contexts.length = 0
  const callback = request()
  t.ok(store.peek?.(callback, 'b', 1001), 'peek finds the flow')
  t.match(store.take(callback, 'b', 1001, 'mine'), { status: 'found', entry: { token: 'b' } })
  t.same(contexts.filter((context) => context === store.cookieName('b')), [store.cookieName('b')], 'the callback opens the flow cookie once')
  t.equal(contexts.filter((context) => context.startsWith(store.indexName)).length, 1, 'and the index once')
  t.same(store.take(request(), 'b', 1002, 'mine'), { status: 'unknown' }, 'a new request opens afresh: taken once, refused after')
})

t.test('a 2,001 x "€" returnTo through app.inject: 400 RETURN_TO_TOO_LONG, no cookie, no provider call', async (t) => {
  const { provider, app } = await setup(t)
  const started = await app.inject({ method: 'GET', url: '/oauth/start?returnTo=' + encodeURIComponent('/' + '€'.repeat(2000)) })
  t.equal(started.statusCode, 400)
  t.equal(started.json().code, ErrorCodes.RETURN_TO_TOO_LONG)
  t.same(setCookies(started).filter((line) => line.includes('oauth1')), [], 'no flow or binding cookie')
  t.equal(provider.seen.length, 0)
})

t.test('begin() with a callbackUrl override off callbackOrigins: 400 CALLBACK_NOT_ALLOWED, no provider call', async (t) => {
  const { provider, browser } = await setup(t, {}, {
    setup (app) {
      app.get('/login', async (request, reply) => reply.redirect(await app.oauth1.begin(request, reply, { callbackUrl: 'https://evil.example/oauth/callback' })))
    }
  })
  const refused = await browser.get('/login')
  t.equal(refused.statusCode, 400)
  t.equal(refused.json().code, ErrorCodes.CALLBACK_NOT_ALLOWED)
  t.equal(provider.seen.length, 0)
})
