import { createHash, createHmac } from 'node:crypto'
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { ErrorCodes } from '../src/index.js'
import { buildApp } from '../example-app/src/app.js'
import { loadConfig, type ResolvedConfig } from '../example-app/src/config.js'
import { buildDemoProvider, startDemoProvider, type StartedDemoProvider } from '../example-app/src/demo-provider.js'
import { redactUrl } from '../example-app/src/logging.js'
import { createSealer } from '../src/sign-in/state/seal.js'
import {
  clearQueryScript, connectedErrorMessage, connectedErrorNotice, disconnectedMessage, errorMessage, errorNotice, escapeHtml, homePage, html, isKnownErrorCode,
  scriptHashSource
} from '../example-app/src/pages.js'
import { isSessionStoreError, RedisSessionStore, sessionTtl, type RedisLike } from '../example-app/src/redis-session-store.js'
import { connect, type ConnectResult } from '../src/testing/index.js'
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
        host: '127.0.0.1:3000',
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

async function setup (options: { redis?: RedisLike, demo?: StartedDemoProvider, withoutRevokeUrl?: boolean, env?: Record<string, string> } = {}): Promise<Setup> {
  const demo = options.demo ?? await startDemoProvider({ host: '127.0.0.1', port: 0 })
  const provider = options.withoutRevokeUrl === true ? { ...demo.provider, revokeUrl: undefined } : demo.provider
  const env = options.env ?? { SESSION_SECRET: 'test-session-secret-of-32-chars-or-more' }
  const config: ResolvedConfig = { ...loadConfig(env), provider, providerName: 'demo' }
  const logs: string[] = []
  const logStream = new Writable({
    write (chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString())
      callback()
    }
  })
  const app = await buildApp(config, { logStream, redis: options.redis, demo: true })
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

/**
 * Connects the browser with the test kit's connect(): start, approval by the demo provider's kit
 * (not its page), callback; the cookies it got are the browser's from then on.
 */
async function connectBrowser (browser: Browser, demo: StartedDemoProvider): Promise<ConnectResult> {
  const result = await connect(browser.app, demo.kit, { providerUrl: demo.url })
  for (const [name, value] of Object.entries(result.cookies)) browser.cookies.set(name, value)
  return result
}

/** The page without its own script ({@link clearQueryScript}), to look for injected ones. */
function withoutOwnScript (page: string): string {
  return page.replace(`<script>${clearQueryScript}</script>`, '')
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
  const afterReplay = await browser.request('GET', location(replay))
  t.match(afterReplay.body, 'Connected', 'still connected after the replay')
  t.match(afterReplay.body, 'You are already connected. That sign-in link was already used or has expired, so it was ignored.')
  t.notMatch(afterReplay.body, /start again/i, 'no "start again" above "Connected"')
  t.notMatch(afterReplay.body, 'role="alert"', 'an information, not an alert')

  const disconnect = await browser.request('POST', '/disconnect', '')
  t.equal(disconnect.statusCode, 303)
  t.equal(location(disconnect), '/')
  const disconnectedHome = await browser.request('GET', '/')
  t.match(disconnectedHome.body, 'Not connected')
  t.match(disconnectedHome.body, 'Disconnected: the demo provider confirmed that this app&#39;s access to your account is revoked.', 'the demo provider revoked the token')
  t.equal(demo.kit.revoked.size, 1, 'revoked at the provider')
  const after = await browser.request('GET', '/me')
  t.equal(after.statusCode, 401)
  t.equal(after.json().error, 'not_connected')

  const health = await app.inject('/healthz')
  t.same(health.json(), { status: 'ok', sessionStore: 'memory' })

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
  t.match(home.body, '<div class="notice cancelled" role="status" id="notice">', 'the user\'s own cancel: a neutral status, not an error')
  t.notMatch(home.body, 'role="alert"')
  t.equal((await browser.request('GET', '/me')).statusCode, 401)

  const odd = await browser.request('GET', '/?oauth1_error=%3Cscript%3E')
  t.match(odd.body, 'did not work', 'an unknown code gets a generic sentence')
  t.notMatch(withoutOwnScript(odd.body), '<script>')
})

t.test('the callback without the session cookie fails kindly (what SameSite=Strict would cause)', async (t) => {
  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const start = await new Browser(app).request('GET', '/oauth/start')
  const { callback } = await answerAtProvider(location(start), 'approve')
  const cookieless = new Browser(app)
  const back = await cookieless.request('GET', pathOf(callback))
  t.equal(location(back), '/?oauth1_error=OAUTH1_NO_SESSION')
  const lost = (await cookieless.request('GET', location(back))).body
  t.match(lost, '<p>Your session was lost on the way back from the provider, so nothing was connected. Please start again.</p>')
  t.notMatch(lost, /host name|open this app at/i, 'at the callback URL\'s own host, no host-name advice')
})

t.test('an unreachable provider gives an error page, not a stack', async (t) => {
  const demo = await startDemoProvider({ host: '127.0.0.1', port: 0 })
  const { app } = await setup({ demo })
  await demo.app.close()
  t.teardown(() => app.close())
  const browser = new Browser(app)
  const start = await browser.request('GET', '/oauth/start')
  t.equal(start.statusCode, 302, 'a redirect home, not a raw error page')
  t.equal(location(start), '/?oauth1_error=OAUTH1_NETWORK', 'with the code, nothing else')
  const home = await browser.request('GET', location(start))
  t.equal(home.statusCode, 200)
  t.match(home.body, 'The account provider could not be reached')
  t.match(home.body, 'Not connected')
  t.notMatch(home.body, /ECONNREFUSED|\s+at \S+ \(|127\.0\.0\.1:\d+\/oauth/, 'no details of the failure')
  t.match(home.body, '<div class="notice error" role="alert" id="notice">', 'an error: its own colour, an alert')
  t.match(home.body, '<details><summary>Details</summary><p>Error code: <code>OAUTH1_NETWORK</code></p></details>', 'the code folded away')
  const api = await app.inject({ url: '/oauth/start', headers: { accept: 'application/json' } })
  t.equal(location(api), '/?oauth1_error=OAUTH1_NETWORK', 'the same for any client of the start route')
})

t.test('security headers on every answer: pages, redirects, JSON, 404s and error pages', async (t) => {
  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const answers = {
    'home page': await app.inject({ url: '/', headers: { accept: 'text/html' } }),
    'start redirect': await app.inject('/oauth/start'),
    '/me (401 JSON)': await app.inject('/me'),
    '404 page': await app.inject({ url: '/nowhere', headers: { accept: 'text/html' } }),
    'error page': await app.inject({ url: '/disconnect', method: 'POST', headers: { accept: 'text/html', 'content-type': 'application/json' }, payload: '{' }),
    '/healthz': await app.inject('/healthz')
  }
  t.equal(answers['start redirect'].statusCode, 302)
  t.equal(answers['error page'].statusCode, 400, 'a malformed body: an error page')
  for (const [what, answer] of Object.entries(answers)) {
    t.match(answer.headers, { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' }, what)
  }
})

t.test('the provider gone during the token exchange: the callback lands on the same notice', async (t) => {
  const demo = await startDemoProvider({ host: '127.0.0.1', port: 0 })
  const { app } = await setup({ demo })
  t.teardown(() => app.close())
  const browser = new Browser(app)
  const { callback } = await answerAtProvider(location(await browser.request('GET', '/oauth/start')), 'approve')
  await demo.app.close()
  const back = await browser.request('GET', pathOf(callback))
  t.equal(back.statusCode, 302)
  t.equal(location(back), '/?oauth1_error=OAUTH1_NETWORK', 'not a raw 502 page')
  const home = await browser.request('GET', location(back))
  t.match(home.body, 'The account provider could not be reached')
  t.match(home.body, 'Not connected')
})

t.test('the home page says what it is: a demo of fastify-oauth1 and its embedded demo provider', async (t) => {
  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const home = await new Browser(app).request('GET', '/')
  t.match(home.body, 'example app of <strong>fastify-oauth1</strong>')
  t.match(home.body, '"connect your account" demo')
  t.match(home.body, 'a fake OAuth 1.0a provider running inside this app')
  t.match(home.body, 'No account or password is needed')
  t.match(home.body, '<p class="kicker">fastify-oauth1 · example app</p>', 'named at the top')
  t.match(home.body, 'This app asks the demo provider for permission')
  t.match(home.body, '<code>OAUTH_CONSUMER_KEY</code>', 'how to point it at a real provider')
  t.match(home.body, /<title>Connect your account — fastify-oauth1 example<\/title>/)

  const real = await buildApp({ ...loadConfig({ SESSION_SECRET: 'test-session-secret-of-32-chars-or-more', LOG_LEVEL: 'silent' }), provider: demo.provider, providerName: 'Trello' })
  t.teardown(() => real.close())
  const page = await real.inject({ url: '/', headers: { accept: 'text/html' } })
  t.match(page.body, 'fastify-oauth1')
  t.notMatch(page.body, 'fake OAuth 1.0a provider', 'not called a demo provider when one is configured')
  t.match(page.body, 'Its provider is Trello')
  t.match(page.body, '<h1>Connect your Trello account</h1>')
})

t.test('another host name than the callback URL\'s: a warning before starting, and the notice names the host', async (t) => {
  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const wrong = await app.inject({ url: '/', headers: { accept: 'text/html', host: 'localhost:3000' } })
  t.match(wrong.body, 'id="host-warning"')
  t.match(wrong.body, 'You opened this app at <code>localhost:3000</code>, but its callback URL is on <code>127.0.0.1:3000</code>')
  t.match(wrong.body, 'href="http://127.0.0.1:3000/"', 'a link to the right host')
  const right = await app.inject({ url: '/', headers: { accept: 'text/html', host: '127.0.0.1:3000' } })
  t.notMatch(right.body, 'host-warning', 'no warning at the callback URL\'s host')
  const upper = await app.inject({ url: '/', headers: { accept: 'text/html', host: '127.0.0.1:3000'.toUpperCase() } })
  t.notMatch(upper.body, 'host-warning', 'host names compare case-insensitively')

  const lost = await app.inject({ url: '/?oauth1_error=OAUTH1_NO_SESSION', headers: { accept: 'text/html', host: 'localhost:3000' } })
  const notice = /<div class="notice error" role="alert" id="notice">(.*?)<\/div>/.exec(lost.body)?.[1] ?? ''
  t.match(notice, /^<p>Your session was lost on the way back[^.]*\. This is most likely the host name: open this app at 127\.0\.0\.1:3000, not localhost:3000/,
    'what happened first, then the host name')
  t.ok(notice.indexOf('host name') < notice.indexOf('cookies'), 'cookies only after the host name')
  t.match(notice, 'the sign-in link was already used (a reload, or the Back button after connecting)',
    'a replayed callback after disconnecting is named too (it has no flow cookie either)')
  t.ok(lost.body.indexOf('id="notice"') < lost.body.indexOf('id="host-warning"'), 'the notice before the host warning')
  const lostHere = await app.inject({ url: '/?oauth1_error=OAUTH1_NO_SESSION', headers: { accept: 'text/html', host: '127.0.0.1:3000' } })
  t.notMatch(lostHere.body, /host name|open this app at|host-warning/i, 'at the callback URL\'s host: no host-name advice')
})

t.test('every error code gets its own notice, connected or not', async (t) => {
  const internal = new Set<string>([ErrorCodes.INVALID_OPTION, ErrorCodes.INVALID_REQUEST])
  for (const code of Object.values(ErrorCodes)) {
    if (internal.has(code)) continue
    t.ok(isKnownErrorCode(code), `${code} has a sentence`)
    t.notMatch(errorMessage(code), 'did not work. Please try again.', `${code}: not the generic sentence`)
    const page = homePage({ providerName: 'demo', connected: true, error: code })
    t.match(page, /class="notice (info|cancelled|warning)" role="status"/, `${code}: connected, an information`)
    t.notMatch(page, 'role="alert"', `${code}: connected, not an alert`)
    t.notMatch(page, /start again/i, `${code}: connected, no "start again"`)
  }
  t.equal(connectedErrorMessage('OAUTH1_ACCESS_DENIED'), 'You cancelled at the provider. Your existing connection is unchanged.')
  t.equal(connectedErrorMessage('OAUTH1_NETWORK'), 'Connecting again did not work, and your existing connection is unchanged.')
  t.match(connectedErrorNotice('OAUTH1_NETWORK').details, /^The account provider could not be reached/, 'why, in the details')
  t.match(errorMessage('OAUTH1_CALLBACK_PROBLEM'), 'sent you back with an error')
  t.match(errorMessage('OAUTH1_TOKEN_INVALID'), 'connect again')
  t.match(errorMessage('OAUTH1_REVOKE_FAILED'), 'did not confirm')
  t.equal(errorMessage('toString'), 'Connecting your account did not work. Please try again.', 'no inherited properties')
  t.equal(errorMessage('OAUTH1_SOMETHING_NEW'), 'Connecting your account did not work. Please try again.', 'unknown codes: generic')
})

t.test('notices: one or two sentences, an error unlike the user\'s own cancel, host-name advice only at another host', async (t) => {
  const mismatch = { current: 'localhost:3000', expected: '127.0.0.1:3000', url: 'http://127.0.0.1:3000/' }
  for (const code of [...Object.values(ErrorCodes), 'OAUTH1_SOMETHING_NEW']) {
    const notices = [errorNotice(code), errorNotice(code, { hostMismatch: mismatch }), connectedErrorNotice(code),
      connectedErrorNotice(code, { hostMismatch: mismatch })]
    for (const notice of notices) {
      t.ok(notice.message.split(/(?<=[.!?])\s+(?=[A-Z])/).length <= 2, `${code}: at most two sentences: ${notice.message}`)
      t.ok(notice.message.split(/\s+/).length <= 40, `${code}: at most 40 words: ${notice.message}`)
    }
    const page = homePage({ providerName: 'demo', connected: false, error: code })
    t.notMatch(page, /host name|open this app at/i, `${code}: no host-name advice at the callback URL's host`)
    const tone = code === 'OAUTH1_ACCESS_DENIED' ? 'cancelled' : 'error'
    t.match(page, `<div class="notice ${tone}" role="${tone === 'error' ? 'alert' : 'status'}" id="notice">`, `${code}: ${tone}`)
  }
  t.notMatch(errorMessage('OAUTH1_NO_SESSION'), /host/i, 'no host name without a mismatch')
  t.match(errorMessage('OAUTH1_NO_SESSION', { hostMismatch: mismatch }),
    /^Your session was lost on the way back[^.]*\. This is most likely the host name: open this app at 127\.0\.0\.1:3000, not localhost/,
    'with one: named second, after what happened')
  t.notMatch(errorMessage('OAUTH1_NETWORK', { hostMismatch: mismatch }), /host/i, 'only where the host name can be the cause')

  const css = /<style>([^<]*)<\/style>/.exec(homePage({ providerName: 'demo', connected: false }))?.[1] ?? ''
  const colours = (name: string): string => [...css.matchAll(/\.([a-z]+)\{([^}]*)\}/g)].find((rule) => rule[1] === name)?.[2] ?? ''
  t.match(colours('error'), /background:#[0-9a-f]+;color:#[0-9a-f]+/, 'errors have their colours')
  t.match(colours('cancelled'), /background:#[0-9a-f]+;color:#[0-9a-f]+/, 'and a cancel its own')
  t.not(/background:(#[0-9a-f]+)/.exec(colours('error'))?.[1], /background:(#[0-9a-f]+)/.exec(colours('cancelled'))?.[1], 'not the same background')
  t.not(/color:(#[0-9a-f]+)/.exec(colours('error'))?.[1], /color:(#[0-9a-f]+)/.exec(colours('cancelled'))?.[1], 'nor the same text colour')
})

t.test('the developer footer (what the demo is, the environment variables) only on the plain home page', async (t) => {
  const footer = /class="about"|OAUTH_CONSUMER_KEY/
  const view = { providerName: 'demo', demo: true }
  t.match(homePage({ ...view, connected: false }), footer, 'the home page: not connected, nothing to report')
  const hostMismatch = { current: 'localhost:3000', expected: '127.0.0.1:3000', url: 'http://127.0.0.1:3000/' }
  t.match(homePage({ ...view, connected: false, hostMismatch }), footer, 'the home page at another host (a developer\'s mistake): still there')
  const others = {
    connected: homePage({ ...view, connected: true, profile: { ok: true, data: demoProfile } }),
    'connected, with a notice': homePage({ ...view, connected: true, error: 'OAUTH1_UNKNOWN_TOKEN' }),
    'an error notice': homePage({ ...view, connected: false, error: 'OAUTH1_NETWORK' }),
    'a cancel notice': homePage({ ...view, connected: false, error: 'OAUTH1_ACCESS_DENIED' }),
    'just disconnected': homePage({ ...view, connected: false, disconnected: 'revoked' })
  }
  for (const [what, page] of Object.entries(others)) t.notMatch(page, footer, `${what}: no developer footer`)

  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const browser = new Browser(app)
  t.match((await browser.request('GET', '/')).body, footer, 'GET / before connecting')
  await connectBrowser(browser, demo)
  t.notMatch((await browser.request('GET', '/')).body, footer, 'GET / connected')
})

t.test('a notice from the query is shown once: a script allowed by its hash clears ?oauth1_error= from the address bar', async (t) => {
  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const withNotice = await app.inject({ url: '/?oauth1_error=OAUTH1_ACCESS_DENIED', headers: { accept: 'text/html' } })
  t.match(withNotice.body, 'You cancelled at the provider', 'the notice is in the page itself (no script needed to see it)')
  const script = /<script>([^<]*)<\/script>/.exec(withNotice.body)?.[1] ?? ''
  t.equal(script, clearQueryScript)
  t.match(script, /^history\.replaceState\(null,"",location\.pathname\+location\.hash\)$/, 'it replaces the address with the path alone')
  const hash = `'sha256-${createHash('sha256').update(script).digest('base64')}'`
  t.equal(scriptHashSource, hash)
  const policy = withNotice.headers['content-security-policy']
  t.match(policy, `script-src ${hash};`, 'the Content-Security-Policy allows this script by its hash')
  t.notMatch(policy, /script-src[^;]*(unsafe-inline|\*)/, 'and no other script')
  const plain = await app.inject({ url: '/', headers: { accept: 'text/html' } })
  t.notMatch(plain.body, '<script', 'no script on a page without a query notice')
})

t.test('the demo provider\'s "Link expired" pages lead back to the app', async (t) => {
  const configured = buildDemoProvider({ consumerKey: 'ck', consumerSecret: 'cs', appUrl: 'http://127.0.0.1:3000/' })
  t.teardown(() => configured.close())
  for (const request of [
    { method: 'GET' as const, url: '/oauth/authorize?oauth_token=nope' },
    { method: 'POST' as const, url: '/oauth/authorize', payload: 'oauth_token=nope&decision=approve', headers: { 'content-type': 'application/x-www-form-urlencoded' } }
  ]) {
    const page = await configured.inject(request)
    t.equal(page.statusCode, 400)
    t.match(page.body, '<h1>Link expired</h1>')
    t.match(page.body, '<a class="button primary" href="http://127.0.0.1:3000/">Back to the application</a>', `${request.method}: a link to the app`)
  }
  t.match((await configured.inject('/')).body, 'href="http://127.0.0.1:3000/">Back to the application', 'its own home page too')
  const unknown = buildDemoProvider({ consumerKey: 'ck', consumerSecret: 'cs' })
  t.teardown(() => unknown.close())
  t.notMatch((await unknown.inject('/oauth/authorize?oauth_token=nope')).body, 'Back to the application', 'no link when the app is not known yet')

  const { demo, app } = await setup()
  t.teardown(() => close(app, demo))
  const browser = new Browser(app)
  const authorizeUrl = location(await browser.request('GET', '/oauth/start'))
  await answerAtProvider(authorizeUrl, 'approve')
  const used = await fetch(authorizeUrl)
  t.equal(used.status, 400, 'a used authorize link')
  t.match(await used.text(), 'href="http://127.0.0.1:3000/">Back to the application', 'without appUrl: the origin of the registered callback')
})

/** FakeRedis that can be switched off, as a Redis outage looks to ioredis' callers. */
class FlakyRedis extends FakeRedis {
  down = false
  get status (): string { return this.down ? 'reconnecting' : 'ready' }
  check (): void {
    if (this.down) throw new Error('Reached the max retries per request limit (which is 2). Refer to "maxRetriesPerRequest" option for details.')
  }

  override async get (key: string): Promise<string | null> { this.check(); return super.get(key) }
  override async set (key: string, value: string, mode: 'PX', milliseconds: number): Promise<'OK'> { this.check(); return super.set(key, value, mode, milliseconds) }
  override async del (key: string): Promise<number> { this.check(); return super.del(key) }
  async ping (): Promise<string> { this.check(); return 'PONG' }
}

function assertOutagePage (t: Test, page: LightMyRequestResponse, what: string): void {
  t.equal(page.statusCode, 503, `${what}: 503`)
  t.match(page.headers['content-type'], /^text\/html/, `${what}: a page`)
  t.match(page.body, 'OAUTH1_STORE_UNAVAILABLE', `${what}: the code`)
  t.match(page.body, 'cannot reach its session store', `${what}: a clear sentence`)
  t.notMatch(page.body, /max retries/i, `${what}: not Redis' message`)
  t.equal(page.headers.location, undefined, `${what}: no redirect`)
  t.equal(page.headers['retry-after'], '30', `${what}: Retry-After`)
}

t.test('a session store outage: coded 503 pages, no start sent to the provider, a started flow kept for after, /healthz 503', async (t) => {
  const redis = new FlakyRedis()
  const { demo, app, logs } = await setup({ redis })
  t.teardown(() => close(app, demo))
  t.same((await app.inject('/healthz')).json(), { status: 'ok', sessionStore: 'redis' })

  // A connected user, and a new visitor mid-flow (approved at the provider, callback not back yet).
  const connected = new Browser(app)
  const { callback: first } = await answerAtProvider(location(await connected.request('GET', '/oauth/start')), 'approve')
  t.equal(location(await connected.request('GET', pathOf(first))), '/')
  const visitor = new Browser(app)
  const { callback } = await answerAtProvider(location(await visitor.request('GET', '/oauth/start')), 'approve')
  t.notOk(visitor.cookies.has('sid'), 'the visitor has no server session yet: the flow waits in its cookie')
  redis.down = true

  const health = await app.inject('/healthz')
  t.equal(health.statusCode, 503)
  t.same(health.json(), { status: 'unavailable', sessionStore: 'redis', error: 'OAUTH1_STORE_UNAVAILABLE' })

  for (const path of ['/', '/me', '/oauth/start']) assertOutagePage(t, await connected.request('GET', path), `connected user, ${path}`)
  const failedStart = await new Browser(app).request('GET', '/oauth/start')
  assertOutagePage(t, failedStart, 'a new visitor\'s start')
  t.equal(failedStart.headers['set-cookie'], undefined, 'no flow cookie, no session cookie')
  const backDuringOutage = await visitor.request('GET', pathOf(callback))
  assertOutagePage(t, backDuringOutage, 'the visitor\'s callback')
  t.equal(backDuringOutage.headers['set-cookie'], undefined, 'the flow cookie is kept')
  t.match(errorNotice('OAUTH1_STORE_UNAVAILABLE').details, 'reload', 'the notice says the approved sign-in is kept (in its details)')

  const json = await app.inject({ url: '/oauth/start', headers: { accept: 'application/json' } })
  t.equal(json.statusCode, 503)
  t.same(json.json(), { error: 'OAUTH1_STORE_UNAVAILABLE', message: 'The session store is unavailable; try again in a minute' })

  redis.down = false
  t.equal((await app.inject('/healthz')).statusCode, 200, 'healthy again')
  t.equal(location(await visitor.request('GET', pathOf(callback))), '/', 'the flow approved before the outage completes after it (the verifier was not spent)')
  t.match((await visitor.request('GET', '/')).body, 'Dana Demo')
  t.match((await connected.request('GET', '/')).body, 'Dana Demo', 'the connected user is still connected')
  t.notMatch(logs.join(''), /"statusCode":500/, 'no 500 in the logs')
})

t.test('credentials at rest: the session holds them sealed by the plugin (credentialsSecret), not in clear', async (t) => {
  const redis = new FakeRedis()
  const { demo, app, config } = await setup({ redis })
  t.teardown(() => close(app, demo))
  const browser = new Browser(app)
  const { response } = await connectBrowser(browser, demo)
  t.equal(response.headers.location, '/')
  t.match((await browser.request('GET', '/')).body, 'Dana Demo', 'the profile is read with the sealed credentials')

  const stored = [...redis.data.values()].map((entry) => entry.value)
  t.equal(stored.length, 1, 'one session')
  const session = JSON.parse(stored[0] as string) as Record<string, { sealed?: unknown }>
  const sealed = session['oauth1:oauth1']?.sealed
  t.type(sealed, 'string')
  t.same(Object.keys(session['oauth1:oauth1'] ?? {}), ['sealed'], 'nothing else under the plugin\'s key')
  t.notMatch(stored[0], /tokenSecret|oauth_token_secret|demo_user/, 'no credential field in clear')
  const opened = createSealer(config.sessionSecret, 'x', 'fastify-oauth1 credentials v1').open(sealed as string, 'oauth1:oauth1')
  const credentials = JSON.parse(opened ?? '{}') as { token?: string, tokenSecret?: string }
  t.ok(typeof credentials.tokenSecret === 'string' && credentials.tokenSecret.length > 10, 'the sealed value is the credentials')
  t.notMatch(stored[0], credentials.tokenSecret ?? 'x', 'the token secret is nowhere in the store')
  t.notMatch(stored[0], credentials.token ?? 'x', 'nor the token')

  const tampered = JSON.stringify({ ...session, 'oauth1:oauth1': { sealed: (sealed as string).slice(0, -3) + 'AAA' } })
  for (const key of redis.data.keys()) redis.data.set(key, { value: tampered, expires: Date.now() + 60_000 })
  t.match((await browser.request('GET', '/')).body, 'Not connected', 'tampered credentials: not connected')
  t.equal((await browser.request('GET', '/me')).statusCode, 401, '/me: 401, not a 500')
  const wrongShape = JSON.stringify({ ...session, 'oauth1:oauth1': { credentials: { token: 5, tokenSecret: ['x'], extra: 'e', connectedAt: 'now' } } })
  for (const key of redis.data.keys()) redis.data.set(key, { value: wrongShape, expires: Date.now() + 60_000 })
  const me = await browser.request('GET', '/me')
  t.equal(me.statusCode, 401, 'credentials of the wrong shape: /me 401, not OAUTH1_INVALID_OPTION or a 500')
  t.notMatch(me.body, 'OAUTH1_INVALID_OPTION')

  for (const key of redis.data.keys()) redis.data.set(key, { value: stored[0] as string, expires: Date.now() + 60_000 })
  t.equal((await browser.request('POST', '/disconnect', '')).statusCode, 303)
  const after = JSON.parse([...redis.data.values()][0]?.value ?? '{}') as Record<string, { sealed?: unknown }>
  t.equal(after['oauth1:oauth1']?.sealed, undefined, 'disconnect removes them')
})

/** Which secrets open a connected browser's flow cookie and the credentials the session holds (in Redis). */
async function sealedWith (t: Test, env: Record<string, string>, secrets: string[]): Promise<{ flowCookie: string[], credentials: string[] }> {
  const redis = new FakeRedis()
  const { demo, app } = await setup({ redis, env: { LOG_LEVEL: 'silent', ...env } })
  t.teardown(() => close(app, demo))
  const start = await new Browser(app).request('GET', '/oauth/start')
  const flow = (start.cookies as Array<{ name: string, value: string }>).find(({ name }) => name.startsWith('oauth1-oauth1-') && name !== 'oauth1-oauth1-flows')
  t.ok(flow, 'a flow cookie')
  const browser = new Browser(app)
  t.equal((await connectBrowser(browser, demo)).response.headers.location, '/', 'the sign-in completes')
  t.match((await browser.request('GET', '/')).body, 'Dana Demo', 'the sealed credentials open for the profile call')
  const session = JSON.parse([...redis.data.values()][0]?.value ?? '{}') as Record<string, { sealed?: string }>
  const sealed = session['oauth1:oauth1']?.sealed ?? ''
  const opens = (purpose: string, value: string, context: string): string[] =>
    secrets.filter((secret) => createSealer(secret, 'x', purpose).open(value, context) !== undefined)
  return {
    flowCookie: opens('fastify-oauth1 flow cookie v1', flow?.value ?? '', flow?.name ?? ''),
    credentials: opens('fastify-oauth1 credentials v1', sealed, 'oauth1:oauth1')
  }
}

t.test('OAUTH1_SECRET alone seals both the flow cookies and the credentials; FLOW_SECRET and CREDENTIALS_SECRET of an older .env still override it', async (t) => {
  const session = 'session-secret-of-at-least-32-characters'
  const oauth1 = 'oauth1-secret-of-at-least-32-characters!'
  const flow = 'old-flow-secret-of-at-least-32-characters'
  const credentials = 'old-credentials-secret-of-32-characters!'
  const all = [session, oauth1, flow, credentials]
  t.same(await sealedWith(t, { SESSION_SECRET: session, OAUTH1_SECRET: oauth1 }, all), { flowCookie: [oauth1], credentials: [oauth1] },
    'OAUTH1_SECRET: both keys derived from it, none from SESSION_SECRET')
  t.same(await sealedWith(t, { SESSION_SECRET: session }, all), { flowCookie: [session], credentials: [session] },
    'an older .env with SESSION_SECRET only: the same keys as before')
  t.same(await sealedWith(t, { SESSION_SECRET: session, OAUTH1_SECRET: oauth1, FLOW_SECRET: flow, CREDENTIALS_SECRET: credentials }, all),
    { flowCookie: [flow], credentials: [credentials] }, 'FLOW_SECRET and CREDENTIALS_SECRET override OAUTH1_SECRET')
  t.same(await sealedWith(t, { OAUTH1_SECRET: oauth1, FLOW_SECRET: flow }, all), { flowCookie: [flow], credentials: [oauth1] },
    'each overrides its own use only')
})

t.test('a comma-separated OAUTH1_SECRET is a list for rotation: the first one seals', async (t) => {
  const newer = 'a-new-oauth1-secret-of-at-least-32-characters'
  const older = 'an-old-oauth1-secret-of-at-least-32-characters'
  t.same(await sealedWith(t, { OAUTH1_SECRET: `${newer},${older}` }, [newer, older]), { flowCookie: [newer], credentials: [newer] },
    'flow cookie and credentials sealed with the first (the plugin opens with every one: test/one-secret.test.ts)')
})

t.test('Disconnect revokes at the provider and the home page says what happened', async (t) => {
  const { demo, app, logs } = await setup()
  t.teardown(() => close(app, demo))
  const browser = new Browser(app)
  await connectBrowser(browser, demo)
  t.match((await browser.request('GET', '/')).body, 'Dana Demo', 'connected through the kit')
  const token = demo.kit.requests.filter((r) => r.endpoint === 'resource').at(-1)?.oauth?.oauth_token as string
  t.ok(token, 'the profile was read with the user\'s token')

  t.equal(location(await browser.request('POST', '/disconnect', '')), '/')
  const revocation = demo.kit.requests.at(-1)
  t.equal(revocation?.endpoint, 'invalidate_token', 'Disconnect called the revocation endpoint')
  t.equal(revocation?.oauth?.oauth_token, token, 'signed with the user\'s token')
  t.ok(demo.kit.revoked.has(token), 'the demo provider revoked it')
  const home = await browser.request('GET', '/')
  t.match(home.body, 'Not connected')
  t.match(home.body, /id="disconnected">Disconnected: the demo provider confirmed/)
  t.notMatch(home.body, 'role="alert"', 'a confirmation, not an alert')
  t.notMatch((await browser.request('GET', '/')).body, 'id="disconnected"', 'shown once')
  t.notMatch((await browser.request('GET', '/?disconnected=revoked')).body, 'id="disconnected"', 'a link cannot fake it')

  await connectBrowser(browser, demo)
  demo.kit.misbehaveNext('http_500', { endpoint: 'invalidate_token' })
  t.equal((await browser.request('POST', '/disconnect', '')).statusCode, 303)
  const unconfirmed = await browser.request('GET', '/')
  t.match(unconfirmed.body, 'Not connected', 'forgotten here even though the provider failed')
  t.match(unconfirmed.body, 'Disconnected here, but the demo provider did not confirm', 'not confirmed by the provider')
  t.match(unconfirmed.body, /class="notice warning" role="alert" id="disconnected"/)
  t.equal(demo.kit.revoked.size, 1, 'nothing more revoked')
  t.match(logs.join(''), /"code":"OAUTH1_REVOKE_FAILED".*the provider did not confirm the revocation/, 'logged with its code')
  t.equal((await browser.request('GET', '/me')).statusCode, 401)

  const disconnectedAlready = await browser.request('POST', '/disconnect', '')
  t.equal(disconnectedAlready.statusCode, 303, 'disconnecting twice is harmless')
  t.notMatch((await browser.request('GET', '/')).body, 'id="disconnected"', 'and says nothing')
})

t.test('Disconnect with a provider without a revocation endpoint: forgotten here, and the page says so', async (t) => {
  const { demo, app } = await setup({ withoutRevokeUrl: true })
  t.teardown(() => close(app, demo))
  const browser = new Browser(app)
  await connectBrowser(browser, demo)
  t.equal((await browser.request('POST', '/disconnect', '')).statusCode, 303)
  const home = await browser.request('GET', '/')
  t.match(home.body, 'Not connected')
  t.match(home.body, 'Disconnected here. This app cannot revoke its access at the demo provider')
  t.equal(demo.kit.requests.filter((r) => r.endpoint === 'invalidate_token').length, 0, 'no revocation call')
  t.equal(demo.kit.revoked.size, 0)
})

t.test('OAUTH_REVOKE_URL from the environment reaches the plugin: set, Disconnect revokes there; unset, it only forgets', async (t) => {
  const demo = await startDemoProvider({ host: '127.0.0.1', port: 0 })
  t.teardown(() => close(demo))
  const { provider } = demo
  const env = {
    SESSION_SECRET: 'test-session-secret-of-32-chars-or-more',
    PROVIDER_NAME: 'demo',
    OAUTH_CONSUMER_KEY: provider.consumerKey,
    OAUTH_CONSUMER_SECRET: provider.consumerSecret as string,
    OAUTH_REQUEST_TOKEN_URL: provider.requestTokenUrl,
    OAUTH_AUTHORIZE_URL: provider.authorizeUrl,
    OAUTH_ACCESS_TOKEN_URL: provider.accessTokenUrl,
    OAUTH_RESOURCE_URL: provider.resourceUrl
  }
  for (const revokeUrl of [provider.revokeUrl as string, undefined]) {
    const config = loadConfig(revokeUrl === undefined ? env : { ...env, OAUTH_REVOKE_URL: revokeUrl }) as ResolvedConfig
    const app = await buildApp(config, { logStream: new Writable({ write: (_chunk, _encoding, callback) => callback() }) })
    t.teardown(() => close(app))
    const browser = new Browser(app)
    await connectBrowser(browser, demo)
    const revokedBefore = demo.kit.revoked.size
    t.equal((await browser.request('POST', '/disconnect', '')).statusCode, 303)
    const home = await browser.request('GET', '/')
    t.match(home.body, 'Not connected')
    if (revokeUrl === undefined) {
      t.equal(demo.kit.revoked.size, revokedBefore, 'unset: nothing revoked at the provider')
      t.match(home.body, 'Disconnected here. This app cannot revoke its access at demo', 'unset: the page says it was only forgotten')
    } else {
      t.equal(demo.kit.revoked.size, revokedBefore + 1, 'set: the token was revoked at OAUTH_REVOKE_URL')
      t.equal(demo.kit.requests.at(-1)?.endpoint, 'invalidate_token')
      t.match(home.body, 'Disconnected: demo confirmed', 'set: the page says the provider confirmed it')
    }
  }
})

t.test('a 404 under the callback path logs no verifier', async (t) => {
  const { demo, app, logs } = await setup()
  t.teardown(() => close(app, demo))
  const missing = await app.inject({ url: '/oauth/callback/x?oauth_token=tok-123&oauth_verifier=ver-456', headers: { accept: 'text/html' } })
  t.equal(missing.statusCode, 404)
  t.match(missing.headers['content-type'], /^text\/html/)
  t.match(missing.body, '<h1>Page not found</h1>', 'a 404 page says what happened, not "Something went wrong"')
  const slash = await app.inject({ url: '/oauth/callback/?oauth_token=tok-123&oauth_verifier=ver-456', headers: { accept: 'text/html' } })
  t.equal(slash.statusCode, 302, 'the trailing-slash form is the callback (here: no flow, the friendly notice)')
  t.match(logs.join(''), 'route not found')
  t.notMatch(logs.join(''), /ver-456|tok-123/, 'neither the verifier nor the token in any log line')
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
  for (const [operation, attempt] of [
    ['read', call((cb) => failing.get('x', cb))],
    ['save', call((cb) => failing.set('x', session as never, cb))],
    ['delete', call((cb) => failing.destroy('x', cb))]
  ] as const) {
    const error = await attempt.then(() => undefined, (reason: unknown) => reason)
    t.ok(isSessionStoreError(error), `${operation}: a SessionStoreError`)
    t.match(error, { code: 'OAUTH1_STORE_UNAVAILABLE', statusCode: 503, message: `The session store could not ${operation} a session`, cause: { message: 'down' } })
  }
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
  t.notMatch(withoutOwnScript(page), /<script>|<img|<b>x/)
  t.match(page, '&lt;img src=x onerror=alert(1)&gt;')
  t.match(page, '<dt>a&lt;b</dt>')
  t.equal(escapeHtml('&<>"\''), '&amp;&lt;&gt;&quot;&#39;')
  t.equal(html`<p>${html`<i>${'<'}</i>`}${['a', '&']}${undefined}</p>`.value, '<p><i>&lt;</i>a&amp;</p>', 'nested templates are not escaped twice')
  t.match(homePage({ providerName: 'p', connected: true, profile: { ok: false, status: 401 } }), 'HTTP 401')
  for (const disconnected of ['revoked', 'unconfirmed', 'local'] as const) {
    const notice = homePage({ providerName: '<b>x</b>', connected: false, disconnected })
    t.notMatch(notice, /<b>x/, `${disconnected}: the provider name is escaped`)
    t.match(notice, `id="disconnected">${escapeHtml(disconnectedMessage(disconnected, '<b>x</b>'))}</p>`, `${disconnected}: the notice is shown`)
  }
  t.notMatch(homePage({ providerName: 'p', connected: true, disconnected: 'revoked' }), 'id="disconnected"', 'never beside "Connected"')
})

t.test('redactUrl keeps paths and harmless parameters, hides token values', async (t) => {
  t.equal(redactUrl('/oauth/callback?oauth_token=abc&oauth_verifier=def'), '/oauth/callback?oauth_token=[redacted]&oauth_verifier=[redacted]')
  t.equal(redactUrl('/oauth/callback?denied=abc'), '/oauth/callback?denied=[redacted]')
  t.equal(redactUrl('/?oauth1_error=OAUTH1_ACCESS_DENIED'), '/?oauth1_error=OAUTH1_ACCESS_DENIED')
  t.equal(redactUrl('/x?oauth%5Ftoken=abc'), '/x?oauth%5Ftoken=[redacted]', 'encoded names too')
  t.equal(redactUrl('/plain'), '/plain')
})
