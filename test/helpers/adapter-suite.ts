// One suite of connect-flow tests run against every adapter (the Fastify plugin, the Express
// middleware on Express 4 and 5), each over real loopback HTTP with a browser-like cookie jar,
// in three set-ups: the session flow store, the cookie store with a session for the
// credentials, and the cookie store with no session at all (credentials in a "DB").
import t, { type Test } from 'tap'
import type { OAuth1Credentials } from '../../src/flow/connect.js'
import { type FakeProvider, flowOptions, startFakeProvider } from './fake-provider.js'

export const flowSecret = 'a-flow-cookie-secret-of-at-least-32-chars'
export const sessionSecret = 'a-session-secret-of-at-least-32-characters!'

/** How a test app keeps flows and credentials. */
export type StateMode = 'session' | 'cookie' | 'stateless'

/** The request as the suite's hooks read it (both frameworks have `headers`). */
export interface HookRequest { headers: Record<string, string | string[] | undefined> }

/** Adapter options in the suite's terms (hooks typed loosely; each app builder passes them on). */
export type SuiteOptions = Record<string, unknown>

/**
 * A running test app. Routes every builder adds: `GET /mark` (puts `mark: 'kept'` in the
 * session), `GET /me` (`{ connected, user, mark }`), `GET /api` (a signed call to the
 * provider's `meUrl`), and an error handler answering `{ code }` with the error's status.
 */
export interface TestApp {
  readonly origin: string
  /** The session cookie's name, when the app has a session. */
  readonly sessionCookie: string | undefined
  close (): Promise<void>
}

/** Builds and starts an app on 127.0.0.1 with the adapter set up with `options`. */
export type AppBuilder = (options: SuiteOptions, build: { session: boolean, apiUrl: string }) => Promise<TestApp>

/** A browser: a cookie jar, manual redirects, an `x-user` header the "DB" hooks key on. */
export class Browser {
  readonly cookies = new Map<string, string>()
  constructor (readonly origin: string, readonly user = 'alice') {}

  async get (path: string): Promise<{ status: number, location: string | null, headers: Headers, body: string, json: () => Record<string, unknown> }> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await fetch(new URL(path, this.origin), { redirect: 'manual', headers: { 'x-user': this.user, ...(cookie === '' ? {} : { cookie }) } })
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';')
      const index = pair.indexOf('=')
      const name = pair.slice(0, index).trim()
      const value = pair.slice(index + 1).trim()
      const expired = attributes.some((attribute) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(attribute))
      if (expired || value === '') this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const body = await response.text()
    return { status: response.status, location: response.headers.get('location'), headers: response.headers, body, json: () => JSON.parse(body) as Record<string, unknown> }
  }

  /** GET the start route; returns the provider's authorize URL. */
  async start (path = '/oauth/start'): Promise<string> {
    const started = await this.get(path)
    if (started.status !== 302 || started.location === null) throw new Error(`start answered ${started.status}: ${started.body}`)
    return started.location
  }

  /** start -> authorize -> callback; returns the callback's answer. */
  async connect (provider: FakeProvider, path?: string): Promise<Awaited<ReturnType<Browser['get']>>> {
    return this.get(await provider.authorize(await this.start(path)))
  }
}

/** The adapter options of a mode: the flow store, and for `stateless` the "DB" hooks keyed on `x-user`. */
function modeOptions (mode: StateMode, db: Map<string, OAuth1Credentials>): SuiteOptions {
  const user = (request: HookRequest): string => String(request.headers['x-user'])
  if (mode === 'session') return { flowState: 'session' }
  if (mode === 'cookie') return { flowSecret }
  return {
    flowSecret,
    saveCredentials: async (request: HookRequest, credentials: OAuth1Credentials) => { db.set(user(request), credentials) },
    loadCredentials: async (request: HookRequest) => db.get(user(request)),
    deleteCredentials: async (request: HookRequest) => { db.delete(user(request)) }
  }
}

const denialStyles = ['denied', 'user_refused', 'verifier_denied', 'authorize_0'] as const

/** Runs the suite for one adapter in every mode. */
export function adapterSuite (label: string, build: AppBuilder): void {
  for (const mode of ['session', 'cookie', 'stateless'] as const) {
    t.test(`${label}, ${mode}`, async (t) => {
      const provider = await startFakeProvider()
      t.teardown(() => provider.close())
      const exchanges = (): number => provider.seen.filter((seen) => seen.path === '/oauth/access_token').length

      /** A fresh app and browser for one test. */
      const setup = async (t: Test, overrides: SuiteOptions = {}): Promise<{ app: TestApp, browser: Browser, db: Map<string, OAuth1Credentials> }> => {
        const db = new Map<string, OAuth1Credentials>()
        const options = {
          ...flowOptions(provider),
          callbackUrl: (request: HookRequest) => `http://${String(request.headers.host)}/oauth/callback`,
          ...modeOptions(mode, db),
          ...overrides
        }
        const app = await build(options, { session: mode !== 'stateless', apiUrl: provider.meUrl })
        t.teardown(() => app.close())
        provider.mode = { requestToken: 'ok', accessToken: 'ok', api: 'ok', authorize: 'approve' }
        return { app, browser: new Browser(app.origin), db }
      }

      t.test('approve: connected, and a signed call as the user', async (t) => {
        const { browser, db } = await setup(t)
        const before = exchanges()
        const done = await browser.connect(provider)
        t.equal(done.status, 302)
        t.equal(done.location, '/')
        t.equal(exchanges() - before, 1, 'one exchange')
        const me = (await browser.get('/me')).json()
        t.equal(me.connected, true)
        t.same(me.user, { id: provider.user.userId, name: provider.user.screenName })
        const api = (await browser.get('/api')).json()
        t.equal(api.status, 200, 'the provider accepted the signature (oauth-sign)')
        t.equal(provider.rejected().length, 0)
        t.equal(db.size, mode === 'stateless' ? 1 : 0, mode === 'stateless' ? 'credentials in the DB' : 'credentials in the session')
        const other = new Browser(browser.origin, 'bob')
        t.equal((await other.get('/me')).json().connected, false, 'another browser is not connected')
      })

      t.test('deny, every style: 403 ACCESS_DENIED, nothing exchanged', async (t) => {
        const { browser } = await setup(t)
        for (const style of denialStyles) {
          const before = exchanges()
          const url = await browser.start()
          provider.mode.authorize = style
          const refused = await browser.get(await provider.authorize(url))
          provider.mode.authorize = 'approve'
          t.equal(refused.status, 403, style)
          t.equal(refused.json().code, 'OAUTH1_ACCESS_DENIED', style)
          t.equal(exchanges(), before, `${style}: no exchange`)
        }
        t.equal((await browser.get('/me')).json().connected, false)
      })

      t.test('deny with failureRedirect: back to it with the code', async (t) => {
        const { browser } = await setup(t, { failureRedirect: '/failed' })
        for (const style of denialStyles) {
          const url = await browser.start()
          provider.mode.authorize = style
          const refused = await browser.get(await provider.authorize(url))
          provider.mode.authorize = 'approve'
          t.equal(refused.status, 302, style)
          t.equal(refused.location, '/failed?oauth1_error=OAUTH1_ACCESS_DENIED', style)
        }
      })

      t.test('an unknown token is refused and does not consume the started flow', async (t) => {
        const { browser } = await setup(t)
        const target = new URL(await provider.authorize(await browser.start()))
        const forged = new URL(target)
        forged.searchParams.set('oauth_token', 'not-a-token-we-started')
        const refused = await browser.get(forged.pathname + forged.search)
        t.equal(refused.status, 400)
        t.equal(refused.json().code, 'OAUTH1_UNKNOWN_TOKEN')
        t.equal((await browser.get(target.pathname + target.search)).status, 302, 'the real callback still connects')
      })

      t.test('a callback in a browser that started nothing: 400 NO_SESSION', async (t) => {
        const { browser } = await setup(t)
        const target = new URL(await provider.authorize(await browser.start()))
        const stranger = new Browser(browser.origin, 'mallory')
        const refused = await stranger.get(target.pathname + target.search)
        t.equal(refused.status, 400)
        t.equal(refused.json().code, 'OAUTH1_NO_SESSION')
        t.equal((await stranger.get('/me')).json().connected, false)
      })

      t.test('an expired flow is refused', async (t) => {
        const { browser } = await setup(t, { pendingTtl: 40 })
        const target = await provider.authorize(await browser.start())
        await new Promise((resolve) => setTimeout(resolve, 80))
        const before = exchanges()
        const refused = await browser.get(target)
        t.equal(refused.status, 400)
        t.match(refused.json().code, /^OAUTH1_(UNKNOWN_TOKEN|NO_SESSION)$/, 'expired (the cookie store\'s cookie may be gone too)')
        t.equal(exchanges(), before, 'no exchange')
      })

      t.test('a replayed callback is refused and never reaches the provider', async (t) => {
        const { browser } = await setup(t)
        const target = await provider.authorize(await browser.start())
        t.equal((await browser.get(target)).status, 302)
        const before = exchanges()
        const replayed = await browser.get(target)
        t.ok(replayed.status >= 400 && replayed.status < 500, `4xx (${replayed.status})`)
        t.match(replayed.json().code, /^OAUTH1_(UNKNOWN_TOKEN|NO_SESSION)$/)
        t.match(replayed.json().message, /already completed \(a reload or the Back button\)/, 'the message names the likely cause')
        t.equal(exchanges(), before, 'no second exchange')
      })

      t.test('double click: two starts, both complete (in reverse order)', async (t) => {
        const { browser } = await setup(t)
        const first = await provider.authorize(await browser.start())
        const second = await provider.authorize(await browser.start())
        t.equal((await browser.get(second)).status, 302, 'the second flow')
        t.equal((await browser.get(first)).status, 302, 'the first flow')
        t.equal((await browser.get('/me')).json().connected, true)
      })

      t.test('doubled callback: exactly one exchange, the other answer a 4xx', async (t) => {
        const { browser } = await setup(t)
        const target = await provider.authorize(await browser.start())
        const before = exchanges()
        const answers = await Promise.all([browser.get(target), browser.get(target)])
        const statuses = answers.map((answer) => answer.status).sort()
        t.equal(statuses[0], 302, 'one connects')
        t.ok((statuses[1] ?? 0) >= 400 && (statuses[1] ?? 0) < 500, `the other is refused (${statuses[1]})`)
        t.equal(exchanges() - before, 1, 'exactly one exchange at the provider')
        t.equal((await browser.get('/me')).json().connected, true)
      })

      t.test('returnTo: same-site paths only', async (t) => {
        const { browser } = await setup(t)
        const cases: Array<[string, string]> = [
          ['/settings?tab=1', '/settings?tab=1'],
          ['//evil.example/x', '/'],
          ['https://evil.example/', '/'],
          ['/\\evil.example', '/'],
          ['javascript:alert(1)', '/']
        ]
        for (const [returnTo, expected] of cases) {
          const done = await browser.connect(provider, '/oauth/start?returnTo=' + encodeURIComponent(returnTo))
          t.equal(done.location, expected, returnTo)
        }
      })

      if (mode !== 'stateless') {
        t.test('the session is regenerated on connect; other data survives; the old id is worthless', async (t) => {
          const { app, browser } = await setup(t)
          const name = app.sessionCookie as string
          await browser.get('/mark')
          const before = browser.cookies.get(name)
          t.ok(before, 'a session before connecting')
          await browser.connect(provider)
          const after = browser.cookies.get(name)
          t.ok(after)
          t.not(after, before, 'a new session id')
          const me = (await browser.get('/me')).json()
          t.equal(me.connected, true)
          t.equal(me.mark, 'kept', 'other session data kept')
          const old = new Browser(browser.origin)
          old.cookies.set(name, before as string)
          t.equal((await old.get('/me')).json().connected, false, 'the pre-login session is not connected')
        })
      }

      t.test('start errors: coded, nothing leaked; failureRedirect for retryable ones', async (t) => {
        const { browser } = await setup(t)
        provider.mode.requestToken = 'error'
        const failed = await browser.get('/oauth/start')
        t.equal(failed.status, 502)
        t.equal(failed.json().code, 'OAUTH1_PROVIDER_ERROR')
        for (const secret of [provider.consumerSecret, ...provider.issuedSecrets]) t.notOk(failed.body.includes(secret), 'no secret in the answer')
        provider.mode.requestToken = 'garbage'
        t.equal((await browser.get('/oauth/start')).json().code, 'OAUTH1_PROVIDER_BAD_RESPONSE')

        const redirected = await setup(t, { failureRedirect: '/failed', maxPending: 1 })
        provider.mode.requestToken = 'error'
        const back = await redirected.browser.get('/oauth/start')
        t.equal(back.status, 302)
        t.equal(back.location, '/failed?oauth1_error=OAUTH1_PROVIDER_ERROR')
        provider.mode.requestToken = 'ok'
        await redirected.browser.start()
        const busy = await redirected.browser.get('/oauth/start')
        t.equal(busy.location, '/failed?oauth1_error=OAUTH1_TOO_MANY_FLOWS', 'maxPending')
      })

      t.test('disconnect drops the credentials; not connected: 401 NOT_CONNECTED', async (t) => {
        const { browser } = await setup(t)
        const api = await browser.get('/api')
        t.equal(api.status, 401)
        t.equal(api.json().code, 'OAUTH1_NOT_CONNECTED')
        await browser.connect(provider)
        t.equal((await browser.get('/me')).json().connected, true)
        await browser.get('/disconnect')
        t.equal((await browser.get('/me')).json().connected, false)
      })
    })
  }
}
