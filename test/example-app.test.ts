import { createHmac } from 'node:crypto'
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildApp } from '../example-app/src/app.js'
import { loadConfig, type ResolvedConfig } from '../example-app/src/config.js'
import { buildDemoProvider, startDemoProvider, type StartedDemoProvider } from '../example-app/src/demo-provider.js'
import { redactUrl } from '../example-app/src/logging.js'
import { escapeHtml, homePage, html } from '../example-app/src/pages.js'
import { RedisSessionStore, sessionTtl, type RedisLike } from '../example-app/src/redis-session-store.js'
import { rfc3986 } from './helpers/signature-check.js'

const callbackBase = 'http://127.0.0.1:3000'
const demoProfile = { id: '1001', screen_name: 'demo_user', name: 'Dana Demo' }

/** An in-memory stand-in for ioredis: the commands the session store uses, with expiry. */
class FakeRedis implements RedisLike {
  readonly data = new Map<string, { value: string, expires: number }>()
  readonly ttls: number[] = []
  async get (key: string): Promise<string | null> {
    const entry = this.data.get(key)
    return entry === undefined || entry.expires <= Date.now() ? null : entry.value
  }

  async set (key: string, value: string, _mode: 'PX', milliseconds: number): Promise<'OK'> {
    this.ttls.push(milliseconds)
    this.data.set(key, { value, expires: Date.now() + milliseconds })
    return 'OK'
  }

  async del (key: string): Promise<number> {
    return this.data.delete(key) ? 1 : 0
  }
}

/** A browser for `app.inject`: keeps cookies, asks for HTML. */
class Browser {
  readonly cookies = new Map<string, string>()
  constructor (public app: FastifyInstance) {}

  async request (method: 'GET' | 'POST', url: string, form?: string): Promise<LightMyRequestResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await this.app.inject({
      method,
      url,
      headers: {
        accept: 'text/html',
        ...(cookie === '' ? {} : { cookie }),
        ...(form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' })
      },
      ...(form === undefined ? {} : { payload: form })
    })
    for (const cookieSet of response.cookies as Array<{ name: string, value: string }>) this.cookies.set(cookieSet.name, cookieSet.value)
    return response
  }
}

interface Setup {
  demo: StartedDemoProvider
  app: FastifyInstance
  logs: string[]
  config: ResolvedConfig
}

async function setup (options: { redis?: RedisLike, demo?: StartedDemoProvider } = {}): Promise<Setup> {
  const demo = options.demo ?? await startDemoProvider({ host: '127.0.0.1', port: 0 })
  const config: ResolvedConfig = { ...loadConfig({ SESSION_SECRET: 'test-session-secret-of-32-chars-or-more' }), provider: demo.provider, providerName: 'demo' }
  const logs: string[] = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString())
      callback()
    }
  })
  const app = await buildApp(config, { logStream, redis: options.redis })
  return { demo, app, logs, config }
}

async function close (...items: Array<FastifyInstance | StartedDemoProvider>): Promise<void> {
  for (const item of items) await ('provider' in item ? item.app.close() : item.close())
}

function location (response: LightMyRequestResponse | Response): string {
  const value = response instanceof Response ? response.headers.get('location') : response.headers.location
  if (typeof value !== 'string') throw new Error(`no location header (HTTP ${response instanceof Response ? response.status : response.statusCode})`)
  return value
}

/** Clicks Approve or Deny on the demo provider's page; returns the callback URL it redirects to. */
async function answerAtProvider (authorizeUrl: string, decision: 'approve' | 'deny'): Promise<{ page: string, callback: string }> {
  const pageResponse = await fetch(authorizeUrl)
  const page = await pageResponse.text()
  const token = /name="oauth_token" value="([^"]+)"/.exec(page)?.[1]
  if (pageResponse.status !== 200 || token === undefined) throw new Error(`authorize page: HTTP ${pageResponse.status}`)
  const form = new URLSearchParams({ oauth_token: token, decision })
  const answer = await fetch(new URL('/oauth/authorize', authorizeUrl), { method: 'POST', body: form, redirect: 'manual' })
  if (answer.status !== 303) throw new Error(`authorize answer: HTTP ${answer.status}`)
  return { page, callback: location(answer) }
}

function pathOf (url: string): string {
  const parsed = new URL(url)
  return parsed.pathname + parsed.search
}

t.test('the full flow: start, approve at the demo provider, callback, profile, /me, disconnect', async (t) => {
  const { demo, app, logs } = await setup()
  t.teardown(() => close(app, demo))
  const browser = new Browser(app)

  const home = await browser.request('GET', '/')
  t.equal(home.statusCode, 200)
  t.match(home.body, 'Not connected')
  t.match(home.body, 'href="/oauth/start"', 'a "Connect your account" link')
  t.match(home.headers['content-security-policy'], /default-src 'none'/)

  const start = await browser.request('GET', '/oauth/start')
  t.equal(start.statusCode, 302)
  const authorizeUrl = location(start)
  t.ok(authorizeUrl.startsWith(`${demo.url}/oauth/authorize?oauth_token=`), 'sent to the provider')
  const flowCookie = start.cookies.find((cookie) => (cookie as { name: string }).name.startsWith('oauth1-oauth1-') && (cookie as { name: string }).name !== 'oauth1-oauth1-flows') as Record<string, unknown> | undefined
  t.ok(flowCookie, 'the started sign-in waits in its own encrypted cookie')
  t.equal(flowCookie?.httpOnly, true)
  t.equal(flowCookie?.sameSite, 'Lax')
  t.equal(flowCookie?.path, '/oauth/callback')
  t.notOk(flowCookie?.secure, 'not Secure over http')
  t.notOk(browser.cookies.has('sid'), 'no server session before the user has connected')

  const { page, callback } = await answerAtProvider(authorizeUrl, 'approve')
  t.match(page, /Demo provider/, 'the provider says it is a demo')
  t.match(page, /Approve/)
  t.match(page, /Deny/)
  t.ok(callback.startsWith(`${callbackBase}/oauth/callback?oauth_token=`), 'back to the callback')
  const verifier = new URL(callback).searchParams.get('oauth_verifier') as string
  t.ok(verifier.length > 10, 'with a verifier')

  const back = await browser.request('GET', pathOf(callback))
  t.equal(back.statusCode, 302)
  t.equal(location(back), '/')
  const sessionCookie = back.cookies.find((cookie) => (cookie as { name: string }).name === 'sid') as Record<string, unknown> | undefined
  t.ok(sessionCookie, 'the session starts at sign-in')
  t.equal(sessionCookie?.httpOnly, true)
  t.equal(sessionCookie?.sameSite, 'Lax')

  const connected = await browser.request('GET', '/')
  t.match(connected.body, 'Connected')
  t.match(connected.body, '<strong>demo_user</strong>')
  t.match(connected.body, '<dd>Dana Demo</dd>', 'the profile from the provider')
  t.match(connected.body, 'action="/disconnect"')
  t.notMatch(connected.body, 'href="/oauth/start"')

  const me = await browser.request('GET', '/me')
  t.equal(me.statusCode, 200)
  t.match(me.headers['content-type'], /^application\/json/)
  t.same(me.json(), demoProfile)

  const replay = await browser.request('GET', pathOf(callback))
  t.equal(replay.statusCode, 302)
  t.match(location(replay), /^\/\?oauth1_error=OAUTH1_/, 'a replayed callback is refused')

  const disconnect = await browser.request('POST', '/disconnect', '')
  t.equal(disconnect.statusCode, 303)
  t.equal(location(disconnect), '/')
  t.match((await browser.request('GET', '/')).body, 'Not connected')
  const after = await browser.request('GET', '/me')
  t.equal(after.statusCode, 401)
  t.equal(after.json().error, 'not_connected')

  const health = await app.inject('/healthz')
  t.same(health.json(), { status: 'ok' })

  const logText = logs.join('')
  t.match(logText, 'oauth_verifier=[redacted]', 'the callback is logged without its verifier')
  t.notMatch(logText, verifier, 'the verifier value is never logged')
  t.notMatch(logText, /sid=/, 'no session cookie in the logs')
})

t.test('denying at the provider lands on / not connected, with a friendly message', async (t) => {
  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const browser = new Browser(app)
  const start = await browser.request('GET', '/oauth/start')
  const { callback } = await answerAtProvider(location(start), 'deny')
  t.match(callback, /\/oauth\/callback\?denied=/, 'X-style denied=<token>')
  const back = await browser.request('GET', pathOf(callback))
  t.equal(location(back), '/?oauth1_error=OAUTH1_ACCESS_DENIED')
  const home = await browser.request('GET', location(back))
  t.match(home.body, 'You cancelled at the provider')
  t.match(home.body, 'Not connected')
  t.equal((await browser.request('GET', '/me')).statusCode, 401)

  const odd = await browser.request('GET', '/?oauth1_error=%3Cscript%3E')
  t.match(odd.body, 'did not work', 'an unknown code gets a generic sentence')
  t.notMatch(odd.body, '<script>')
})

t.test('the callback without the session cookie fails kindly (what SameSite=Strict would cause)', async (t) => {
  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const start = await new Browser(app).request('GET', '/oauth/start')
  const { callback } = await answerAtProvider(location(start), 'approve')
  const cookieless = new Browser(app)
  const back = await cookieless.request('GET', pathOf(callback))
  t.equal(location(back), '/?oauth1_error=OAUTH1_NO_SESSION')
  t.match((await cookieless.request('GET', location(back))).body, 'Your session was lost')
})

t.test('an unreachable provider gives an error page, not a stack', async (t) => {
  const demo = await startDemoProvider({ host: '127.0.0.1', port: 0 })
  const { app } = await setup({ demo })
  await demo.app.close()
  t.teardown(() => app.close())
  const browser = new Browser(app)
  const start = await browser.request('GET', '/oauth/start')
  t.equal(start.statusCode, 302, 'the user may retry: back to the home page with the code')
  t.equal(location(start), '/?oauth1_error=OAUTH1_NETWORK')
  const home = await browser.request('GET', location(start))
  t.match(home.body, 'could not be reached')
  t.notMatch(home.body, /\s+at /)
})

t.test('with Redis sessions, a flow started on one instance completes on another', async (t) => {
  const redis = new FakeRedis()
  const one = await setup({ redis })
  const two = await setup({ redis, demo: one.demo })
  t.teardown(() => close(one.app, two.app, one.demo))
  const browser = new Browser(one.app)
  const start = await browser.request('GET', '/oauth/start')
  t.equal(redis.data.size, 0, 'a started sign-in costs no Redis session (it waits in its cookie)')
  const { callback } = await answerAtProvider(location(start), 'approve')
  browser.app = two.app
  const back = await browser.request('GET', pathOf(callback))
  t.equal(location(back), '/', 'instance two completes the sign-in')
  t.match((await browser.request('GET', '/')).body, 'Dana Demo')
  t.ok([...redis.data.keys()].some((key) => key.startsWith('sess:')), 'the connected session is in Redis')
  browser.app = one.app
  t.same((await browser.request('GET', '/me')).json(), demoProfile, 'instance one sees the connection')
  t.ok(redis.ttls.every((ttl) => ttl > 23 * 3600_000 && ttl <= 24 * 3600_000), 'TTL from the cookie max age (24 h)')
})

t.test('RedisSessionStore: JSON round trip, TTL, destroy, errors', async (t) => {
  const redis = new FakeRedis()
  const store = new RedisSessionStore({ client: redis, prefix: 'p:', defaultTtl: 5000 })
  const call = <T>(fn: (cb: (error?: unknown, value?: T) => void) => void): Promise<T | undefined> =>
    new Promise((resolve, reject) => fn((error, value) => (error === undefined || error === null ? resolve(value) : reject(error))))
  const session = { cookie: { originalMaxAge: 60_000, maxAge: 30_000 }, 'oauth1:oauth1': { pending: [] } }
  await call((cb) => store.set('abc', session as never, cb))
  t.ok(redis.data.has('p:abc'))
  t.equal(redis.ttls.at(-1), 30_000, 'the remaining cookie max age')
  t.same(await call((cb) => store.get('abc', cb)), session)
  t.equal(await call((cb) => store.get('missing', cb)), null)
  redis.data.set('p:bad', { value: '{not json', expires: Date.now() + 1000 })
  t.equal(await call((cb) => store.get('bad', cb)), null, 'a corrupt entry is no session')
  await call((cb) => store.destroy('abc', cb))
  t.notOk(redis.data.has('p:abc'))
  t.equal(sessionTtl({} as never, 5000), 5000, 'no cookie max age: the default')

  const broken: RedisLike = {
    get: async () => { throw new Error('down') },
    set: async () => { throw new Error('down') },
    del: async () => { throw new Error('down') }
  }
  const failing = new RedisSessionStore({ client: broken })
  await t.rejects(call((cb) => failing.get('x', cb)), /down/)
  await t.rejects(call((cb) => failing.set('x', session as never, cb)), /down/)
  await t.rejects(call((cb) => failing.destroy('x', cb)), /down/)
})

// An HMAC-SHA1 signer written from RFC 5849 §3.4 with node:crypto only, so the demo provider is
// checked against an implementation other than the library's.

interface HandSigned {
  url: string
  consumerSecret: string
  tokenSecret?: string
  oauth: Record<string, string>
}

function authorizationHeader (method: string, request: HandSigned): string {
  const url = new URL(request.url)
  const params: Array<[string, string]> = [...Object.entries(request.oauth), ...url.searchParams]
  const normalized = params.map(([name, value]) => [rfc3986(name), rfc3986(value)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] as string) < (b[1] as string) ? -1 : 1 : (a[0] as string) < (b[0] as string) ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`).join('&')
  const base = `${method}&${rfc3986(url.origin + url.pathname)}&${rfc3986(normalized)}`
  const key = `${rfc3986(request.consumerSecret)}&${rfc3986(request.tokenSecret ?? '')}`
  const signature = createHmac('sha1', key).update(base).digest('base64')
  return 'OAuth ' + Object.entries({ ...request.oauth, oauth_signature: signature })
    .map(([name, value]) => `${rfc3986(name)}="${rfc3986(value)}"`).join(', ')
}

t.test('the demo provider checks signatures, nonces, timestamps and single use', async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z')
  const provider = buildDemoProvider({ consumerKey: 'ck', consumerSecret: 'cs', now: () => clock })
  t.teardown(() => provider.close())
  let nonce = 0
  const oauth = (extra: Record<string, string> = {}): Record<string, string> => ({
    oauth_consumer_key: 'ck',
    oauth_nonce: `n${++nonce}`,
    oauth_signature_method: 'HMAC-SHA1',
    oauth_timestamp: String(Math.floor(clock / 1000)),
    oauth_version: '1.0',
    ...extra
  })
  const post = (path: string, authorization: string) => provider.inject({ method: 'POST', url: path, headers: { host: 'provider.test', authorization } })
  const problemOf = (response: LightMyRequestResponse) => new URLSearchParams(response.body).get('oauth_problem')
  const requestTokenUrl = 'http://provider.test/oauth/request_token'
  const callback = { oauth_callback: 'http://127.0.0.1:3000/oauth/callback' }

  const good = oauth(callback)
  const ok = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: good }))
  t.equal(ok.statusCode, 200, 'a correctly signed request (independent signer) is accepted')
  const issued = new URLSearchParams(ok.body)
  t.equal(issued.get('oauth_callback_confirmed'), 'true')

  const reused = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: good }))
  t.equal(reused.statusCode, 401)
  t.equal(problemOf(reused), 'nonce_used', 'the same nonce again is refused')

  const tampered = authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: oauth(callback) })
    .replace(/oauth_signature="([^"]{4})/, (_m, start: string) => `oauth_signature="${start.split('').reverse().join('')}`)
  const bad = await post('/oauth/request_token', tampered)
  t.equal(bad.statusCode, 401)
  t.equal(problemOf(bad), 'signature_invalid')
  t.match(bad.headers['www-authenticate'], /^OAuth realm="demo", oauth_problem="signature_invalid"/)

  const wrongSecret = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'other', oauth: oauth(callback) }))
  t.equal(problemOf(wrongSecret), 'signature_invalid', 'signed with another secret')

  const otherUrl = await post('/oauth/request_token', authorizationHeader('POST', { url: 'http://elsewhere.test/oauth/request_token', consumerSecret: 'cs', oauth: oauth(callback) }))
  t.equal(problemOf(otherUrl), 'signature_invalid', 'signed for another host')

  const stale = oauth({ ...callback, oauth_timestamp: String(Math.floor(clock / 1000) - 301) })
  const old = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: stale }))
  t.equal(old.statusCode, 401)
  t.equal(problemOf(old), 'timestamp_refused', 'a timestamp over 5 minutes old is refused')
  t.ok(new URLSearchParams(old.body).get('oauth_acceptable_timestamps'))
  const future = oauth({ ...callback, oauth_timestamp: String(Math.floor(clock / 1000) + 301) })
  t.equal(problemOf(await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: future }))), 'timestamp_refused')

  const unknown = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: oauth({ ...callback, oauth_consumer_key: 'nobody' }) }))
  t.equal(problemOf(unknown), 'consumer_key_unknown')
  const absent = await post('/oauth/request_token', 'OAuth oauth_consumer_key="ck"')
  t.equal(absent.statusCode, 400)
  t.equal(problemOf(absent), 'parameter_absent')
  const noCallback = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: oauth() }))
  t.equal(new URLSearchParams(noCallback.body).get('oauth_parameters_absent'), 'oauth_callback', 'OAuth 1.0a needs oauth_callback')

  clock += 10 * 60_000
  const replayLater = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: good }))
  t.equal(problemOf(replayLater), 'timestamp_refused', 'once the nonce is forgotten, the timestamp refuses the replay')

  // The token steps: approve, exchange once, call the API.
  const fresh = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: oauth(callback) }))
  const token = new URLSearchParams(fresh.body).get('oauth_token') as string
  const tokenSecret = new URLSearchParams(fresh.body).get('oauth_token_secret') as string
  const foreign = await provider.inject({ method: 'POST', url: '/oauth/authorize', headers: { host: 'provider.test', origin: 'http://evil.test', 'content-type': 'application/x-www-form-urlencoded' }, payload: `oauth_token=${token}&decision=approve` })
  t.equal(foreign.statusCode, 403, 'a form posted from another origin is refused')
  const approve = await provider.inject({ method: 'POST', url: '/oauth/authorize', headers: { host: 'provider.test', 'content-type': 'application/x-www-form-urlencoded' }, payload: `oauth_token=${token}&decision=approve` })
  t.equal(approve.statusCode, 303)
  const verifier = new URL(approve.headers.location as string).searchParams.get('oauth_verifier') as string
  t.equal((await provider.inject({ url: `/oauth/authorize?oauth_token=${token}`, headers: { host: 'provider.test' } })).statusCode, 400, 'the authorize page is single use')

  const accessUrl = 'http://provider.test/oauth/access_token'
  const exchange = (v: string) => post('/oauth/access_token', authorizationHeader('POST', { url: accessUrl, consumerSecret: 'cs', tokenSecret, oauth: oauth({ oauth_token: token, oauth_verifier: v }) }))
  const wrongVerifier = await exchange('not-the-verifier')
  t.equal(problemOf(wrongVerifier), 'verifier_invalid')
  const afterWrong = await exchange(verifier)
  t.equal(problemOf(afterWrong), 'token_rejected', 'a request token is gone after one exchange attempt')

  const second = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: oauth(callback) }))
  const token2 = new URLSearchParams(second.body).get('oauth_token') as string
  const secret2 = new URLSearchParams(second.body).get('oauth_token_secret') as string
  const unapproved = await post('/oauth/access_token', authorizationHeader('POST', { url: accessUrl, consumerSecret: 'cs', tokenSecret: secret2, oauth: oauth({ oauth_token: token2, oauth_verifier: 'x' }) }))
  t.equal(problemOf(unapproved), 'permission_unknown', 'no exchange before the user approved')

  const third = await post('/oauth/request_token', authorizationHeader('POST', { url: requestTokenUrl, consumerSecret: 'cs', oauth: oauth(callback) }))
  const token3 = new URLSearchParams(third.body).get('oauth_token') as string
  const secret3 = new URLSearchParams(third.body).get('oauth_token_secret') as string
  const approved = await provider.inject({ method: 'POST', url: '/oauth/authorize', headers: { host: 'provider.test', 'content-type': 'application/x-www-form-urlencoded' }, payload: `oauth_token=${token3}&decision=approve` })
  const verifier3 = new URL(approved.headers.location as string).searchParams.get('oauth_verifier') as string
  const exchange3 = () => post('/oauth/access_token', authorizationHeader('POST', { url: accessUrl, consumerSecret: 'cs', tokenSecret: secret3, oauth: oauth({ oauth_token: token3, oauth_verifier: verifier3 }) }))
  const access = await exchange3()
  t.equal(access.statusCode, 200)
  const credentials = new URLSearchParams(access.body)
  t.equal(credentials.get('user_id'), '1001')
  t.equal(credentials.get('screen_name'), 'demo_user')
  t.equal(problemOf(await exchange3()), 'token_rejected', 'the verifier works once')

  const meUrl = 'http://provider.test/api/me'
  const me = await provider.inject({ url: '/api/me', headers: { host: 'provider.test', authorization: authorizationHeader('GET', { url: meUrl, consumerSecret: 'cs', tokenSecret: credentials.get('oauth_token_secret') as string, oauth: oauth({ oauth_token: credentials.get('oauth_token') as string }) }) } })
  t.same(me.json(), demoProfile)
  const forged = await provider.inject({ url: '/api/me', headers: { host: 'provider.test', authorization: authorizationHeader('GET', { url: meUrl, consumerSecret: 'cs', tokenSecret: 'guess', oauth: oauth({ oauth_token: credentials.get('oauth_token') as string }) }) } })
  t.equal(problemOf(forged), 'signature_invalid', 'the token secret is needed')
  const anonymous = await provider.inject({ url: '/api/me', headers: { host: 'provider.test' } })
  t.equal(anonymous.statusCode, 400)
})

t.test('pages escape every interpolated value', async (t) => {
  const page = homePage({
    providerName: '<b>x</b>',
    connected: true,
    account: { screen_name: '"><script>alert(1)</script>' },
    profile: { ok: true, data: { name: '<img src=x onerror=alert(1)>', 'a<b': 'c' } },
    error: 'OAUTH1_ACCESS_DENIED'
  })
  t.notMatch(page, /<script>|<img|<b>x/)
  t.match(page, '&lt;img src=x onerror=alert(1)&gt;')
  t.match(page, '<dt>a&lt;b</dt>')
  t.equal(escapeHtml('&<>"\''), '&amp;&lt;&gt;&quot;&#39;')
  t.equal(html`<p>${html`<i>${'<'}</i>`}${['a', '&']}${undefined}</p>`.value, '<p><i>&lt;</i>a&amp;</p>', 'nested templates are not escaped twice')
  t.match(homePage({ providerName: 'p', connected: true, profile: { ok: false, status: 401 } }), 'HTTP 401')
})

t.test('redactUrl keeps paths and harmless parameters, hides token values', async (t) => {
  t.equal(redactUrl('/oauth/callback?oauth_token=abc&oauth_verifier=def'), '/oauth/callback?oauth_token=[redacted]&oauth_verifier=[redacted]')
  t.equal(redactUrl('/oauth/callback?denied=abc'), '/oauth/callback?denied=[redacted]')
  t.equal(redactUrl('/?oauth1_error=OAUTH1_ACCESS_DENIED'), '/?oauth1_error=OAUTH1_ACCESS_DENIED')
  t.equal(redactUrl('/x?oauth%5Ftoken=abc'), '/x?oauth%5Ftoken=[redacted]', 'encoded names too')
  t.equal(redactUrl('/plain'), '/plain')
})
