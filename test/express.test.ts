// What is Express-specific in src/express/index.ts (the shared flow cases are in
// test/adapter-express.test.ts): options refused at creation, a missing express-session as a
// coded error, the Cookie header parsed by hand, the browser's abort as ctx.signal, the hooks
// replacing the redirects, named providers.
import express, { type ErrorRequestHandler, type Express } from 'express'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import session, { type SessionData } from 'express-session'
import t, { type Test } from 'tap'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { expressOAuth1, type ExpressOAuth1Options } from '../src/express/index.js'
import { serveExpress } from './helpers/express-app.js'
import type { SignInContext } from '../src/sign-in/state/context.js'
import type { FlowStore } from '../src/sign-in/state/store.js'
import type { CallerSignal } from '../src/http/client.js'
import { Browser, flowSecret, sessionSecret } from './helpers/adapter-suite.js'
import { type FakeProvider, flowOptions, startFakeProvider } from './helpers/fake-provider.js'

const callbackUrl = (req: { headers: Record<string, unknown> }): string => `http://${String(req.headers.host)}/oauth/callback`

async function serve (t: Test, options: ExpressOAuth1Options, session: boolean, routes?: (app: Express) => void, store?: FlakyStore): Promise<string> {
  const app = await serveExpress(options, { session, routes, store })
  t.teardown(() => app.close())
  return app.origin
}

/** Waits up to a second for a condition. */
async function waitFor (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
}

let provider: FakeProvider
t.before(async () => { provider = await startFakeProvider() })
t.teardown(() => provider.close())
t.beforeEach(() => { provider.mode = { requestToken: 'ok', accessToken: 'ok', api: 'ok', authorize: 'approve' } })

t.test('invalid options are refused when the middleware is created (the plugin\'s checks)', async (t) => {
  const base = { ...flowOptions(provider), callbackUrl, callbackOrigins: ['http://localhost'], flowSecret }
  t.throws(() => expressOAuth1({ ...base, falureRedirect: '/x' } as ExpressOAuth1Options), { code: 'OAUTH1_INVALID_OPTION', message: /failureRedirect/ }, 'unknown key, with a suggestion')
  t.throws(() => expressOAuth1({ ...base, failureRedirect: '//evil.example' }), { code: 'OAUTH1_INVALID_OPTION', message: /failureRedirect/ })
  t.throws(() => expressOAuth1({ ...base, flowSecret: undefined }), { code: 'OAUTH1_INVALID_OPTION', message: /flowSecret/ })
  t.throws(() => expressOAuth1({ ...base, saveCredentials: async () => {} }), { code: 'OAUTH1_INVALID_OPTION', message: /loadCredentials/ })
  t.throws(() => expressOAuth1({ ...base, name: 'not a name' }), { code: 'OAUTH1_INVALID_OPTION', message: /name/ })
})

t.test('without express-session: a coded 500 before any provider call, unless the DB hooks keep the credentials', async (t) => {
  const before = provider.seen.length
  for (const options of [{ flowState: 'session' as const }, { flowSecret }]) {
    const origin = await serve(t, { ...flowOptions(provider), callbackUrl, ...options }, false)
    const answer = await new Browser(origin).get('/oauth/start')
    t.equal(answer.status, 500)
    t.equal(answer.json().code, 'OAUTH1_INVALID_OPTION')
    t.match(answer.json().message, /express-session/)
  }
  t.equal(provider.seen.length, before, 'the provider was not called')
})

t.test('without express-session: the error says it is not mounted, and for the credentials that the hooks are the other way', async (t) => {
  const hooks = await new Browser(await serve(t, { ...flowOptions(provider), callbackUrl, flowSecret }, false)).get('/oauth/start')
  t.match(hooks.json(), { code: 'OAUTH1_INVALID_OPTION', message: /^express-session is not mounted; mount it before the fastify-oauth1 middleware or pass saveCredentials\/loadCredentials/ })
  const flows = await new Browser(await serve(t, { ...flowOptions(provider), callbackUrl, flowState: 'session' }, false)).get('/oauth/start')
  t.match(flows.json(), { code: 'OAUTH1_INVALID_OPTION', message: /^express-session is not mounted; .*flowState 'session'/ })
})

t.test('the Cookie header: junk, quoted and undecodable values do not hide the flow cookie', async (t) => {
  const origin = await serve(t, { ...flowOptions(provider), callbackUrl, flowSecret }, true, (app) => {
    app.get('/me', (req, res, next) => { req.oauth1.isConnected().then((connected) => { res.json({ connected }) }, next) })
  })
  const browser = new Browser(origin)
  const target = await provider.authorize(await browser.start())
  for (const [name, value] of [['bad', '%E0%A4%A'], ['quoted', '"a b"'], ['empty', '']]) browser.cookies.set(name, value)
  t.equal((await browser.get(target)).status, 302, 'connected')
  t.equal((await browser.get('/me')).json().connected, true)
})

t.test('the browser going away aborts ctx.signal (provider calls stop with it)', async (t) => {
  let seen: CallerSignal | undefined
  const store: FlowStore = {
    async count (ctx: SignInContext) { seen = ctx.signal; return 0 },
    async put () {},
    async take () { return { status: 'none' } }
  }
  const origin = await serve(t, { ...flowOptions(provider), callbackUrl, flowState: store, timeout: 30_000 }, true)
  provider.mode.requestToken = 'hang'
  const controller = new AbortController()
  const request = fetch(`${origin}/oauth/start`, { signal: controller.signal, redirect: 'manual' }).catch((error: unknown) => error)
  await waitFor(() => seen !== undefined)
  t.ok(seen, 'the store saw the context\'s signal')
  t.equal(seen?.aborted, false, 'not aborted while the browser waits')
  controller.abort()
  await request
  await waitFor(() => seen?.aborted === true)
  t.equal(seen?.aborted, true, 'aborted once the browser went away')
})

t.test('onConnect and onFailure may answer instead of the redirects', async (t) => {
  const failures: string[] = []
  const origin = await serve(t, {
    ...flowOptions(provider),
    callbackUrl,
    flowSecret,
    failureRedirect: '/failed',
    onConnect: (_req, res, credentials) => { res.redirect(`/welcome/${credentials.user?.name ?? ''}`) },
    onFailure: async (_req, res, error: OAuth1Error) => {
      failures.push(error.code)
      if (error.code === ErrorCodes.ACCESS_DENIED) res.status(403).send('you said no')
    }
  }, true)
  const browser = new Browser(origin)
  const done = await browser.connect(provider)
  t.equal(done.location, `/welcome/${provider.user.screenName}`)
  const url = await browser.start()
  provider.mode.authorize = 'denied'
  const denied = await browser.get(await provider.authorize(url))
  t.equal(denied.status, 403)
  t.equal(denied.body, 'you said no')
  const unknown = await browser.get('/oauth/callback?oauth_token=nope&oauth_verifier=x')
  t.equal(unknown.location, '/failed?oauth1_error=OAUTH1_NO_SESSION', 'onFailure sent nothing: the failure redirect')
  t.same(failures, ['OAUTH1_ACCESS_DENIED', 'OAUTH1_NO_SESSION'])
})

t.test('a named provider: its own routes and req[name]; other methods and paths pass through', async (t) => {
  const origin = await serve(t, {
    ...flowOptions(provider),
    name: 'twitter',
    callbackUrl: (req) => `http://${String(req.headers.host)}/oauth/twitter/callback`,
    callbackPath: '/oauth/twitter/callback',
    flowSecret
  }, true, (app) => {
    app.get('/me', (req, res, next) => {
      (req as unknown as { twitter: { isConnected (): Promise<boolean> } }).twitter.isConnected().then((connected) => { res.json({ connected }) }, next)
    })
    app.post('/oauth/twitter/start', (_req, res) => { res.send('a POST of the app') })
    app.get('/wrong', (req, res, next) => { req.oauth1.isConnected().then((connected) => { res.json({ connected }) }, next) })
  })
  const browser = new Browser(origin)
  t.equal((await browser.get('/oauth/start')).status, 404, 'the default path is not ours')
  t.equal((await browser.connect(provider, '/oauth/twitter/start')).status, 302)
  t.equal((await browser.get('/me')).json().connected, true)
  const wrong = await browser.get('/wrong')
  t.equal(wrong.status, 500)
  t.equal(wrong.json().code, ErrorCodes.INVALID_OPTION, 'req.oauth1 without a default-named provider: a coded error, not a TypeError')
  t.match(wrong.json().message, /req\[name\]/)
  const posted = await fetch(`${origin}/oauth/twitter/start`, { method: 'POST' })
  t.equal(await posted.text(), 'a POST of the app')
})

/** An express-session store that fails its reads, writes or deletes on demand, counting its writes. */
class FlakyStore extends session.Store {
  readonly data = new Map<string, string>()
  readDown = false
  setDown = false
  destroyDown = false
  writes = 0
  fail (): Error { return new Error('Reached the max retries per request limit (which is 2)') }
  override get (id: string, done: (error: unknown, data?: SessionData | null) => void): void {
    if (this.readDown) { done(this.fail()); return }
    const text = this.data.get(id)
    done(null, text === undefined ? null : JSON.parse(text) as SessionData)
  }

  override set (id: string, data: SessionData, done?: (error?: unknown) => void): void {
    this.writes++
    if (this.setDown) { done?.(this.fail()); return }
    this.data.set(id, JSON.stringify(data))
    done?.()
  }

  override destroy (id: string, done?: (error?: unknown) => void): void {
    if (this.destroyDown) { done?.(this.fail()); return }
    this.data.delete(id)
    done?.()
  }

  down (value: boolean): void {
    this.readDown = value
    this.setDown = value
    this.destroyDown = value
  }
}

t.test('session store outages on the routes: OAUTH1_STORE_UNAVAILABLE (503, Retry-After: 30) to next(err), never a redirect', async (t) => {
  const exchanges = (): number => provider.seen.filter((seen) => seen.path === '/oauth/access_token').length
  const starts = (): number => provider.seen.filter((seen) => seen.path === '/oauth/request_token').length
  const outage = async (t: Test, options: Partial<ExpressOAuth1Options> = {}): Promise<{ browser: Browser, store: FlakyStore, handled: string[] }> => {
    const store = new FlakyStore()
    const handled: string[] = []
    // errors: 'next', so the app's own error handler sees the coded errors this test counts.
    const origin = await serve(t, { ...flowOptions(provider), callbackUrl, flowSecret, errors: 'next', ...options }, true, (app) => {
      app.get('/me', (req, res, next) => { req.oauth1.isConnected().then((connected) => { res.json({ connected }) }, next) })
      app.get('/touch', (req, res) => {
        (req.session as unknown as Record<string, unknown>).visits = 1
        res.send('ok')
      })
      app.use(((error: { code?: string }, _req, _res, next) => { handled.push(error.code ?? 'raw'); next(error) }) satisfies ErrorRequestHandler)
    }, store)
    return { browser: new Browser(origin), store, handled }
  }
  const assertUnavailable = (t: Test, answer: Awaited<ReturnType<Browser['get']>>, what: string): void => {
    t.equal(answer.status, 503, `${what}: 503`)
    t.equal(answer.json().code, ErrorCodes.STORE_UNAVAILABLE, `${what}: the code`)
    t.notMatch(answer.body, /max retries/i, `${what}: not the store's message`)
    t.equal(answer.location, null, `${what}: no redirect`)
    t.same(answer.headers.getSetCookie(), [], `${what}: no cookie changes`)
    t.equal(answer.headers.get('retry-after'), '30', `${what}: Retry-After`)
  }

  t.test('regeneration fails on the callback: the verifier is not spent, the same link completes after', async (t) => {
    const { browser, store, handled } = await outage(t)
    const callback = await provider.authorize(await browser.start())
    const before = exchanges()
    store.down(true)
    assertUnavailable(t, await browser.get(callback), 'callback (regenerate fails)')
    t.equal(exchanges(), before, 'no exchange')
    t.same(handled, [ErrorCodes.STORE_UNAVAILABLE], 'the app\'s error handler saw the coded error')
    store.down(false)
    t.equal((await browser.get(callback)).status, 302, 'the same callback URL connects once the store is back')
    t.same((await browser.get('/me')).json(), { connected: true })
  })

  t.test('the session cannot be loaded: 503 on both routes before the provider is called, flow kept', async (t) => {
    const { browser, store } = await outage(t)
    await browser.get('/touch')
    t.equal(store.data.size, 1, 'a stored session')
    const callback = await provider.authorize(await browser.start())
    const [before, started] = [exchanges(), starts()]
    store.readDown = true
    assertUnavailable(t, await browser.get(callback), 'callback (load fails)')
    assertUnavailable(t, await browser.get('/oauth/start'), 'start (load fails)')
    t.equal(starts(), started, 'that start did not call the provider')
    t.equal(exchanges(), before)
    store.readDown = false
    t.equal((await browser.get(callback)).status, 302, 'completes after')
    t.same((await browser.get('/me')).json(), { connected: true })
    t.equal((await browser.get('/touch?fails')).status, 200, 'other routes are untouched')
    store.readDown = true
    t.equal((await browser.get('/me')).json().code, undefined, 'elsewhere the error passes as it is')
  })

  t.test("a disconnected store (express-session then gives no session, no error): 503, not 'express-session not mounted'", async (t) => {
    const { browser, store } = await outage(t)
    t.same((await browser.get('/me')).json(), { connected: false }, 'a request with a session: the store is seen')
    const callback = await provider.authorize(await browser.start())
    const [before, started] = [exchanges(), starts()]
    store.emit('disconnect')
    assertUnavailable(t, await browser.get('/oauth/start'), 'start (store disconnected)')
    assertUnavailable(t, await browser.get(callback), 'callback (store disconnected)')
    t.equal(starts(), started, 'the start did not call the provider')
    t.equal(exchanges(), before, 'the callback did not spend the verifier')
    const me = await browser.get('/me')
    t.equal(me.status, 503, 'req.oauth1 says outage, not "not connected"')
    t.equal(me.json().code, ErrorCodes.STORE_UNAVAILABLE)
    store.emit('connect')
    t.equal((await browser.get(callback)).status, 302, 'the same callback connects once the store is back')
    t.same((await browser.get('/me')).json(), { connected: true })
  })

  t.test('the credentials cannot be saved after the exchange: 503, not a redirect as if connected', async (t) => {
    const { browser, store } = await outage(t)
    const callback = await provider.authorize(await browser.start())
    const before = exchanges()
    store.setDown = true
    assertUnavailable(t, await browser.get(callback), 'callback (save fails)')
    t.equal(exchanges(), before + 1, 'that flow is spent (documented): the user starts again')
    store.setDown = false
    t.same((await browser.get('/me')).json(), { connected: false })
    t.equal((await browser.connect(provider)).status, 302, 'a new flow connects')
    t.same((await browser.get('/me')).json(), { connected: true })
  })

  t.test('onConnect answers itself: the credentials are saved first, so a failed save is the coded 503 and the hook is not called', async (t) => {
    const calls: string[] = []
    const { browser, store, handled } = await outage(t, {
      onConnect: (_req, res, credentials) => {
        calls.push(credentials.token)
        res.json({ welcome: credentials.user?.name })
      }
    })
    const callback = await provider.authorize(await browser.start())
    store.setDown = true
    const failed = await browser.get(callback)
    assertUnavailable(t, failed, 'callback (save fails, onConnect would answer)')
    t.notMatch(failed.body, 'welcome', 'not the hook\'s answer as if connected')
    t.same(calls, [], 'the hook was not called')
    t.same(handled, [ErrorCodes.STORE_UNAVAILABLE], 'one coded error for the app\'s error handler')
    store.setDown = false
    t.same((await browser.get('/me')).json(), { connected: false })
    const answered = await browser.connect(provider)
    t.equal(answered.status, 200, 'a new flow connects, and the hook answers')
    t.match(answered.json(), { welcome: String })
    t.same((await browser.get('/me')).json(), { connected: true })
  })

  t.test('onConnect changes the session and answers, then express-session cannot save: one warning, no second answer', async (t) => {
    const warnings: Error[] = []
    const listen = (warning: Error): void => { if (warning.name === 'FastifyOAuth1Warning') warnings.push(warning) }
    process.on('warning', listen)
    t.teardown(() => { process.off('warning', listen) })
    const { browser, store, handled } = await outage(t, {
      onConnect: (req, res) => {
        store.setDown = true
        ;(req.session as unknown as Record<string, unknown>).welcomed = true
        res.json({ welcome: true })
      }
    })
    const answered = await browser.connect(provider)
    t.equal(answered.status, 200, 'the hook\'s answer, whole')
    t.same(answered.json(), { welcome: true })
    await waitFor(() => warnings.length > 0)
    t.equal(warnings.length, 1)
    t.match(warnings[0]?.message, /OAUTH1_STORE_UNAVAILABLE after the callback answered: the session changes made in onConnect were not saved/)
    t.notMatch(warnings[0]?.message, /max retries/i, 'not the store\'s message')
    t.same(handled, [], 'nothing for the app\'s error handler, which could not answer any more')
    store.setDown = false
    t.same((await browser.get('/me')).json(), { connected: true }, 'the credentials were saved before the hook')
  })

  t.test('onConnect that answers and then throws: its own error for the app, not read as a store failure', async (t) => {
    const warnings: Error[] = []
    const listen = (warning: Error): void => { if (warning.name === 'FastifyOAuth1Warning') warnings.push(warning) }
    process.on('warning', listen)
    t.teardown(() => { process.off('warning', listen) })
    const { browser, handled } = await outage(t, {
      onConnect: async (_req, res) => {
        res.json({ welcome: true })
        throw new Error('hook bug')
      }
    })
    t.same((await browser.connect(provider)).json(), { welcome: true })
    await waitFor(() => handled.length > 0)
    t.same(handled, ['raw'], 'the hook\'s error reached the app\'s error handler')
    t.same(warnings, [], 'no store warning')
  })

  t.test("flowState 'session': a start whose session cannot be saved is no redirect to the provider", async (t) => {
    const { browser, store } = await outage(t, { flowState: 'session', flowSecret: undefined })
    store.setDown = true
    assertUnavailable(t, await browser.get('/oauth/start'), 'start (save fails)')
    t.equal(store.data.size, 0, 'nothing stored')
    store.setDown = false
    t.equal((await browser.connect(provider)).status, 302, 'connects once the store is back')
  })

  t.test('the cookie store writes no session for an anonymous start', async (t) => {
    const { browser, store } = await outage(t)
    await browser.start()
    t.equal(store.writes, 0)
  })
})

t.test('maxConcurrentStarts: beyond it OAUTH1_BUSY (503, Retry-After: 5) without calling the provider', async (t) => {
  const origin = await serve(t, { ...flowOptions(provider), callbackUrl, flowSecret, maxConcurrentStarts: 1, timeout: 2000 }, true)
  provider.mode.requestToken = 'hang'
  const hanging = new Browser(origin).get('/oauth/start')
  await waitFor(() => provider.seen.some((seen) => seen.path === '/oauth/request_token'))
  const busy = await new Browser(origin).get('/oauth/start')
  t.equal(busy.status, 503)
  t.equal(busy.json().code, ErrorCodes.BUSY)
  t.equal(busy.headers.get('retry-after'), '5')
  t.equal((await hanging).status, 504, 'the hanging start ends at its deadline')
})

t.test('start cookies that will not come back to the callback are warned about, once per kind', async (t) => {
  const warnings: string[] = []
  const listen = (warning: Error): void => { if (warning.name === 'FastifyOAuth1Warning') warnings.push(warning.message) }
  process.on('warning', listen)
  t.teardown(() => { process.off('warning', listen) })
  const settle = async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 20)) }

  const strict = await serveExpress({ ...flowOptions(provider), callbackUrl, flowState: 'session' }, { session: true, cookie: { secure: false, sameSite: 'strict' } })
  t.teardown(() => strict.close())
  for (let i = 0; i < 3; i++) await new Browser(strict.origin).start()
  await settle()
  t.equal(warnings.length, 1, 'one warning for three starts')
  t.match(warnings[0], /cookie "connect\.sid" is SameSite=Strict/)

  const secure = await serveExpress({ ...flowOptions(provider), callbackUrl: 'https://127.0.0.1/oauth/callback', flowSecret }, { session: true })
  t.teardown(() => secure.close())
  for (let i = 0; i < 2; i++) await new Browser(secure.origin).start()
  await settle()
  t.equal(warnings.length, 2, 'one more warning')
  t.match(warnings[1], /cookie "oauth1-oauth1-[^"]*" is Secure but this request came over plain http.*trust proxy/)

  const fine = await serveExpress({ ...flowOptions(provider), callbackUrl, flowState: 'session' }, { session: true })
  t.teardown(() => fine.close())
  await new Browser(fine.origin).start()
  await settle()
  t.equal(warnings.length, 2, 'lax cookies over http: nothing to say')
})

t.test('req.oauth1 with a named provider mounted before and after the default one', async (t) => {
  const named = { ...flowOptions(provider), name: 'alpha', callbackUrl: (req: { headers: Record<string, unknown> }) => `http://${String(req.headers.host)}/oauth/alpha/callback`, callbackPath: '/oauth/alpha/callback', flowSecret }
  for (const order of ['named first', 'default first'] as const) {
    const server = createServer().listen(0, '127.0.0.1')
    await once(server, 'listening')
    const callbackOrigins = [`http://127.0.0.1:${(server.address() as AddressInfo).port}`]
    const app = express()
    app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false }))
    const alpha = expressOAuth1({ ...named, callbackOrigins })
    const unnamed = expressOAuth1({ ...flowOptions(provider), callbackUrl, callbackOrigins, flowSecret })
    app.use(...(order === 'named first' ? [alpha, unnamed] : [unnamed, alpha]))
    app.get('/me', (req, res, next) => { req.oauth1.isConnected().then((connected) => { res.json({ connected }) }, next) })
    app.use(((error: { code?: string }, _req, res, _next) => { res.status(500).json({ code: error.code }) }) satisfies ErrorRequestHandler)
    server.on('request', app)
    t.teardown(async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await Promise.all([alpha.close(), unnamed.close()])
    })
    const browser = new Browser(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    t.equal((await browser.connect(provider)).status, 302)
    t.same((await browser.get('/me')).json(), { connected: true }, order)
  }
})

t.test('callbackOrigins: required with a callbackUrl function; a begin() override off the list is 400 CALLBACK_NOT_ALLOWED', async (t) => {
  t.throws(() => expressOAuth1({ ...flowOptions(provider), callbackUrl, flowSecret }), { code: 'OAUTH1_INVALID_OPTION', message: /"callbackOrigins"/ })
  const before = provider.seen.length
  const app = await serveExpress({ ...flowOptions(provider), callbackUrl, flowSecret }, {
    session: true,
    routes (app, oauth1) {
      app.get('/login', (req, res, next) => {
        oauth1.begin(req, res, { callbackUrl: 'https://evil.example/oauth/callback' }).then((url) => { res.redirect(url) }, next)
      })
    }
  })
  t.teardown(() => app.close())
  const refused = await new Browser(app.origin).get('/login')
  t.equal(refused.status, 400)
  t.equal(refused.json().code, ErrorCodes.CALLBACK_NOT_ALLOWED)
  t.equal(provider.seen.length, before, 'no provider call')
})
