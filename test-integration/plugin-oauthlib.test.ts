/**
 * The three-legged flow through the Fastify plugin against a provider built on python oauthlib's
 * endpoints: /oauth/start -> the provider's authorize page (auto-approve, or deny) -> the
 * plugin's callback -> a route calling the provider's /api/me through request.oauth1. oauthlib
 * judges every signature, token and verifier; its /_test/stats counts the exchanges it saw.
 *
 * Needs /usr/bin/python3 with python3-oauthlib python3-jwt python3-cryptography (Debian):
 * without them this test fails, it does not skip.
 */
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { fastifyOAuth1, type FastifyOAuth1Options } from '../src/index.js'
import { type OauthlibProvider, startOauthlibProvider } from './helpers/oauthlib-provider.js'
import { debianPackages } from './helpers/python.js'

const consumerKey = 'fastifyoauth1pluginkey0001'
const consumerSecret = 'plugin-s3cret&=+% é'
const callbackUrl = 'http://app.test:3000/oauth/callback'
const sessionSecret = 'a-session-secret-of-at-least-32-characters!'
const tokenPattern = /^[A-Za-z0-9]{30}$/
const demoUser = { id: '1001', screen_name: 'demo_user' }

type Stats = Record<string, { calls: number, ok: number } | undefined>

/** A browser's cookies for app.inject: name=value pairs from set-cookie. */
class Browser {
  readonly cookies = new Map<string, string>()

  constructor (readonly app: FastifyInstance) {}

  async get (url: string): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = {}
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await this.app.inject({ method: 'GET', url, headers })
    const setCookie = response.headers['set-cookie']
    for (const line of setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair = '', ...attributes] = line.split(';')
      const index = pair.indexOf('=')
      const name = pair.slice(0, index).trim()
      const value = pair.slice(index + 1).trim()
      if (value === '' || attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute))) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    return response
  }

  /** The path and query of an absolute callback URL, injected into the app. */
  async callback (location: string): Promise<LightMyRequestResponse> {
    const url = new URL(location)
    return this.get(url.pathname + url.search)
  }

  get sessionId (): string | undefined {
    return this.cookies.get('sessionId')
  }
}

t.test('the plugin against the oauthlib provider', async (t) => {
  let provider: OauthlibProvider
  try {
    provider = await startOauthlibProvider({ consumerKey, consumerSecret, callbackPrefix: callbackUrl })
  } catch (error) {
    t.fail(`oauthlib provider unavailable; the integration suite needs the Debian packages ${debianPackages}: ${(error as Error).message}`)
    return
  }
  t.teardown(() => provider.close())
  const origin = provider.origin

  const stats = async (): Promise<Stats> => {
    const response = await request(`${origin}/_test/stats`)
    return await response.body.json() as Stats
  }
  const exchanges = async (): Promise<{ calls: number, ok: number }> =>
    (await stats())['POST /oauth/access_token'] ?? { calls: 0, ok: 0 }

  /** The user at the provider's authorize page: returns the callback Location (not followed). */
  const authorize = async (authorizeUrl: string, deny = false): Promise<string> => {
    const response = await request(deny ? `${authorizeUrl}&deny=1` : authorizeUrl, { method: 'GET' })
    const body = await response.body.text()
    if (response.statusCode !== 302) throw new Error(`authorize answered ${response.statusCode}: ${body}`)
    return String(response.headers.location)
  }

  const buildApp = async (overrides: Partial<FastifyOAuth1Options> = {}): Promise<FastifyInstance> => {
    const app = Fastify()
    await app.register(fastifyCookie)
    await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: false, sameSite: 'lax' } })
    await app.register(fastifyOAuth1, {
      consumerKey,
      consumerSecret,
      requestTokenUrl: `${origin}/oauth/request_token`,
      authorizeUrl: `${origin}/oauth/authorize`,
      accessTokenUrl: `${origin}/oauth/access_token`,
      callbackUrl,
      flowSecret: 'an-integration-flow-secret-of-32-chars-or-more',
      ...overrides
    })
    app.get('/me', async (request) => {
      const response = await request.oauth1.get(`${origin}/api/me`)
      return response.json()
    })
    app.get('/me-query', async (request, reply) => {
      const response = await request.oauth1.get(`${origin}/api/me`, { query: { fields: 'id,screen_name', q: 'café 😀 a+b' } })
      return reply.code(response.status).send(response.json())
    })
    app.get('/connection', async (request) => {
      const credentials = await request.oauth1.getCredentials()
      return { connected: credentials !== undefined, token: credentials?.token ?? null, extra: credentials?.extra ?? null }
    })
    t.teardown(() => app.close())
    await app.ready()
    return app
  }

  /** GET /oauth/start; returns the authorize URL and its request token. */
  const start = async (t: Test, browser: Browser): Promise<{ authorizeUrl: string, token: string }> => {
    const response = await browser.get('/oauth/start')
    t.equal(response.statusCode, 302, 'start: 302', { body: response.body })
    const authorizeUrl = String(response.headers.location)
    const url = new URL(authorizeUrl)
    t.equal(url.origin + url.pathname, `${origin}/oauth/authorize`, 'start: redirects to the provider\'s authorize URL')
    const token = url.searchParams.get('oauth_token') ?? ''
    t.match(token, tokenPattern, 'start: the authorize URL carries oauthlib\'s request token')
    return { authorizeUrl, token }
  }

  const app = await buildApp()

  t.test('three-legged flow: start -> authorize -> callback -> signed /api/me', async (t) => {
    const before = await exchanges()
    const browser = new Browser(app)
    const { authorizeUrl, token } = await start(t, browser)
    const firstSession = browser.sessionId
    t.ok(firstSession, 'start: a session cookie is set')

    const notYet = await browser.get('/me')
    t.equal(notYet.statusCode, 401, 'before the callback: /me is 401 (not connected)')

    const location = await authorize(authorizeUrl)
    const callback = new URL(location)
    t.equal(callback.origin + callback.pathname, callbackUrl, 'authorize: 302 to the app\'s callback')
    t.equal(callback.searchParams.get('oauth_token'), token, 'authorize: the callback carries the request token')
    t.match(callback.searchParams.get('oauth_verifier'), tokenPattern, 'authorize: the callback carries a verifier')

    const done = await browser.callback(location)
    t.equal(done.statusCode, 302, 'callback: 302', { body: done.body })
    t.equal(done.headers.location, '/', 'callback: to successRedirect "/"')
    t.ok(browser.sessionId, 'callback: a session cookie')
    t.not(browser.sessionId, firstSession, 'callback: the session id was regenerated')
    t.same(await exchanges(), { calls: before.calls + 1, ok: before.ok + 1 }, 'oauthlib saw exactly one token exchange, and accepted it')

    const connection = (await browser.get('/connection')).json()
    t.equal(connection.connected, true, 'connected')
    t.match(connection.token, tokenPattern, 'the access token is oauthlib\'s')
    t.not(connection.token, token, 'the access token is not the request token')
    t.match(connection.extra, { user_id: '1001', screen_name: 'demo_user' }, 'extra fields of the access-token response')

    const me = await browser.get('/me')
    t.equal(me.statusCode, 200, 'GET /me: 200 (oauthlib verified the signed call)', { body: me.body })
    t.same(me.json(), demoUser, 'GET /me: the provider\'s user')

    const meQuery = await browser.get('/me-query')
    t.equal(meQuery.statusCode, 200, 'GET /api/me with a unicode query: 200', { body: meQuery.body })
    t.same(meQuery.json(), demoUser)
  })

  t.test('deny: the user is not connected and nothing is 5xx', async (t) => {
    const before = await exchanges()
    const browser = new Browser(app)
    const { authorizeUrl, token } = await start(t, browser)
    const location = await authorize(authorizeUrl, true)
    t.equal(new URL(location).searchParams.get('denied'), token, 'authorize: 302 to the callback with denied=<token>')

    const denied = await browser.callback(location)
    t.ok(denied.statusCode >= 400 && denied.statusCode < 500, `callback after a denial: 4xx (got ${denied.statusCode})`, { body: denied.body })
    t.equal(denied.json().code, 'OAUTH1_ACCESS_DENIED', 'code OAUTH1_ACCESS_DENIED')
    t.equal((await browser.get('/connection')).json().connected, false, 'not connected')
    t.equal((await browser.get('/me')).statusCode, 401, '/me: 401')

    const again = await browser.callback(location)
    t.ok(again.statusCode >= 400 && again.statusCode < 500, `the denial callback again: 4xx (got ${again.statusCode})`)
    t.same(await exchanges(), before, 'oauthlib saw no token exchange')

    t.test('with failureRedirect', async (t) => {
      const redirecting = await buildApp({ failureRedirect: '/login' })
      const browser = new Browser(redirecting)
      const { authorizeUrl } = await start(t, browser)
      const refused = await browser.callback(await authorize(authorizeUrl, true))
      t.equal(refused.statusCode, 302, 'callback after a denial: 302')
      t.equal(refused.headers.location, '/login?oauth1_error=OAUTH1_ACCESS_DENIED', 'to the failure page with the code')
      t.equal((await browser.get('/connection')).json().connected, false, 'not connected')
      t.same(await exchanges(), before, 'oauthlib saw no token exchange')
    })
  })

  t.test('replaying the callback: 4xx, and oauthlib never sees a second exchange', async (t) => {
    const browser = new Browser(app)
    const { authorizeUrl } = await start(t, browser)
    const oldSession = browser.sessionId as string
    const location = await authorize(authorizeUrl)
    t.equal((await browser.callback(location)).statusCode, 302, 'first callback: 302')
    const after = await exchanges()

    const replay = await browser.callback(location)
    t.ok(replay.statusCode >= 400 && replay.statusCode < 500, `the same callback again, same browser: 4xx (got ${replay.statusCode})`, { body: replay.body })

    const oldCookie = new Browser(app)
    oldCookie.cookies.set('sessionId', oldSession)
    const stale = await oldCookie.callback(location)
    t.ok(stale.statusCode >= 400 && stale.statusCode < 500, `the same callback with the pre-login session cookie: 4xx (got ${stale.statusCode})`, { body: stale.body })

    const fresh = new Browser(app)
    const stranger = await fresh.callback(location)
    t.ok(stranger.statusCode >= 400 && stranger.statusCode < 500, `the same callback without a session: 4xx (got ${stranger.statusCode})`)

    t.same(await exchanges(), after, 'oauthlib saw no second exchange')
    const me = await browser.get('/me')
    t.equal(me.statusCode, 200, 'the failed replays did not disconnect the user', { body: me.body })
    t.same(me.json(), demoUser)
  })

  t.test('a callback carrying another session\'s token: 4xx', async (t) => {
    const before = await exchanges()
    const alice = new Browser(app)
    const bob = new Browser(app)
    const aliceStart = await start(t, alice)
    await start(t, bob)
    const aliceCallback = await authorize(aliceStart.authorizeUrl)

    const stolen = await bob.callback(aliceCallback)
    t.equal(stolen.statusCode, 400, 'Bob\'s session with Alice\'s callback: 400', { body: stolen.body })
    t.equal(stolen.json().code, 'OAUTH1_UNKNOWN_TOKEN', 'code OAUTH1_UNKNOWN_TOKEN')
    t.equal((await bob.get('/connection')).json().connected, false, 'Bob is not connected')
    t.same(await exchanges(), before, 'oauthlib saw no token exchange')

    const own = await alice.callback(aliceCallback)
    t.equal(own.statusCode, 302, 'Alice\'s own callback still works afterwards', { body: own.body })
    t.equal(own.headers.location, '/')
    t.same((await alice.get('/me')).json(), demoUser, 'Alice is connected')
    t.same(await exchanges(), { calls: before.calls + 1, ok: before.ok + 1 }, 'one exchange, Alice\'s')
  })

  t.test('double click: two starts at once in one browser, both complete (cookie store, the default)', async (t) => {
    const before = await exchanges()
    const browser = new Browser(app)
    // A browser that has started a sign-in before carries its binding cookie; two very first starts
    // at the same instant race on that cookie (the earlier flow ends OAUTH1_FLOW_NOT_BOUND), a
    // known limit of the login-CSRF binding (docs/flow-state.md).
    await start(t, browser)
    const [one, two] = await Promise.all([start(t, browser), start(t, browser)])
    t.not(one.token, two.token, 'two request tokens')
    const [callbackOne, callbackTwo] = await Promise.all([authorize(one.authorizeUrl), authorize(two.authorizeUrl)])
    const first = await browser.callback(callbackOne)
    t.equal(first.statusCode, 302, 'the first tab connects', { body: first.body })
    const second = await browser.callback(callbackTwo)
    t.equal(second.statusCode, 302, 'and so does the second', { body: second.body })
    t.same((await browser.get('/me')).json(), demoUser)
    t.same(await exchanges(), { calls: before.calls + 2, ok: before.ok + 2 }, 'oauthlib saw two exchanges, both accepted')
  })

  for (const flowState of ['cookie', 'session'] as const) {
    t.test(`doubled callback (${flowState} store): oauthlib sees one exchange, the other request a 409`, async (t) => {
      const target = flowState === 'cookie' ? app : await buildApp({ flowState })
      const before = await exchanges()
      const browser = new Browser(target)
      const { authorizeUrl } = await start(t, browser)
      const location = await authorize(authorizeUrl)
      const answers = await Promise.all([browser.callback(location), browser.callback(location)])
      t.same(answers.map((answer) => answer.statusCode).sort(), [302, 409], 'one connects, the other is refused at once', { bodies: answers.map((answer) => answer.body) })
      const refused = answers.find((answer) => answer.statusCode === 409)
      t.equal(refused?.json().code, 'OAUTH1_FLOW_IN_PROGRESS')
      t.same(await exchanges(), { calls: before.calls + 1, ok: before.ok + 1 }, 'oauthlib saw exactly one exchange, and accepted it')
      t.same((await browser.get('/me')).json(), demoUser, 'connected')
    })
  }

  t.test('two tabs: two starts in one session, completed in reverse order', async (t) => {
    const before = await exchanges()
    const browser = new Browser(app)
    const tab1 = await start(t, browser)
    const tab2 = await start(t, browser)
    t.not(tab1.token, tab2.token, 'two request tokens')
    const callback1 = await authorize(tab1.authorizeUrl)
    const callback2 = await authorize(tab2.authorizeUrl)

    const second = await browser.callback(callback2)
    t.equal(second.statusCode, 302, 'tab 2 first: 302', { body: second.body })
    t.equal(second.headers.location, '/')
    const token2 = (await browser.get('/connection')).json().token as string
    t.same((await browser.get('/me')).json(), demoUser, 'tab 2: /me')

    const first = await browser.callback(callback1)
    t.equal(first.statusCode, 302, 'then tab 1: 302 (its pending token survived the session regeneration)', { body: first.body })
    t.equal(first.headers.location, '/')
    const token1 = (await browser.get('/connection')).json().token as string
    t.not(token1, token2, 'tab 1 stored its own access token')
    const me = await browser.get('/me')
    t.equal(me.statusCode, 200, 'tab 1: /me 200', { body: me.body })
    t.same(me.json(), demoUser)
    t.same(await exchanges(), { calls: before.calls + 2, ok: before.ok + 2 }, 'oauthlib saw two exchanges, both accepted')

    for (const [name, location] of [['tab 2', callback2], ['tab 1', callback1]] as const) {
      const replay = await browser.callback(location)
      t.ok(replay.statusCode >= 400 && replay.statusCode < 500, `${name} again: 4xx (got ${replay.statusCode})`, { body: replay.body })
    }
    t.same(await exchanges(), { calls: before.calls + 2, ok: before.ok + 2 }, 'no third exchange')
    t.equal((await browser.get('/me')).statusCode, 200, 'still connected')
  })
})
