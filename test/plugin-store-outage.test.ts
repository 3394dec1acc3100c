// The plugin over a session store that fails: load (onRequest), regenerate and save (onSend) of
// @fastify/session are OAUTH1_STORE_UNAVAILABLE (503), never a raw 500 and never a redirect to
// the provider; a callback that meets the outage before its exchange keeps its flow. Also: the
// cost of anonymous starts (no server session), the OAUTH1_BUSY cap, the trailing-slash callback.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance, type Session } from 'fastify'
import t, { type Test } from 'tap'
import { ErrorCodes, isOAuth1Error } from '../src/errors.js'
import { fastifyOAuth1, type FastifyOAuth1Options } from '../src/fastify/plugin.js'
import { Browser, logCapture, providerOptions, sessionSecret } from './helpers/build-app.js'
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js'

type Callback = (error?: unknown) => void

/** A @fastify/session store that can fail its reads or writes, counting what it is asked. */
class FlakyStore {
  readonly data = new Map<string, string>()
  readDown = false
  writeDown = false
  writes = 0
  fail (): Error { return new Error('Reached the max retries per request limit (which is 2)') }
  set (id: string, session: Session, callback: Callback): void {
    this.writes++
    if (this.writeDown) { callback(this.fail()); return }
    this.data.set(id, JSON.stringify(session))
    callback()
  }

  get (id: string, callback: (error: unknown, session?: Session | null) => void): void {
    if (this.readDown) { callback(this.fail()); return }
    const text = this.data.get(id)
    callback(null, text === undefined ? null : JSON.parse(text) as Session)
  }

  destroy (id: string, callback: Callback): void {
    if (this.writeDown) { callback(this.fail()); return }
    this.data.delete(id)
    callback()
  }

  down (value: boolean): void {
    this.readDown = value
    this.writeDown = value
  }
}

interface Setup { provider: FakeProvider, app: FastifyInstance, store: FlakyStore, logs: () => string, handled: unknown[] }

async function setup (t: { teardown (fn: () => unknown): void }, overrides: Partial<FastifyOAuth1Options> = {}, sessionOptions: { saveUninitialized?: boolean } = {}): Promise<Setup> {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const capture = logCapture()
  const app = Fastify({ logger: { level: 'info', stream: capture.stream } })
  const store = new FlakyStore()
  const handled: unknown[] = []
  app.setErrorHandler((error, _request, reply) => {
    handled.push(error)
    const status = isOAuth1Error(error) ? error.statusCode : 500
    return reply.code(status).send({ code: isOAuth1Error(error) ? error.code : 'raw', message: (error as Error).message })
  })
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: sessionSecret, store, saveUninitialized: sessionOptions.saveUninitialized ?? false, cookie: { secure: false, sameSite: 'lax' } })
  await app.register(fastifyOAuth1, providerOptions(provider, overrides))
  app.get('/me', async (request) => ({ connected: await request.oauth1.isConnected() }))
  app.get('/touch', async (request) => {
    ;(request.session as unknown as { set (key: string, value: unknown): void }).set('visits', 1)
    return 'ok'
  })
  await app.ready()
  t.teardown(() => app.close())
  return { provider, app, store, logs: capture.text, handled }
}

const exchanges = (provider: FakeProvider): number => provider.seen.filter((item) => item.path === '/oauth/access_token').length

function assertStoreUnavailable (t: Test, answer: Awaited<ReturnType<Browser['get']>>, what: string): void {
  t.equal(answer.statusCode, 503, `${what}: 503`)
  t.equal(answer.json().code, ErrorCodes.STORE_UNAVAILABLE, `${what}: the code`)
  t.notMatch(answer.body, /max retries/i, `${what}: not the store's message`)
  t.equal(answer.headers.location, undefined, `${what}: no redirect`)
  t.equal(answer.headers['set-cookie'], undefined, `${what}: no cookie changes`)
  t.equal(answer.headers['retry-after'], '30', `${what}: Retry-After`)
}

t.test('a callback while the store cannot be written: 503, the verifier is not spent, the same link completes after', async (t) => {
  const { provider, store, app, handled } = await setup(t)
  const browser = new Browser(app)
  const callback = await provider.authorize((await browser.start()).headers.location as string)
  t.equal(store.writes, 0, 'the anonymous start wrote nothing to the store')
  store.down(true)
  assertStoreUnavailable(t, await browser.callback(callback), 'callback (regenerate fails)')
  t.equal(exchanges(provider), 0, 'the verifier was not spent')
  t.ok(handled.every((error: unknown) => isOAuth1Error(error, ErrorCodes.STORE_UNAVAILABLE)), 'the app\'s error handler saw only the coded error')
  store.down(false)
  t.equal((await browser.callback(callback)).statusCode, 302, 'the same callback URL connects once the store is back')
  t.equal(exchanges(provider), 1)
  t.same((await browser.get('/me')).json(), { connected: true })
  t.same(provider.rejected(), [])
})

t.test('a callback whose session cannot be loaded: 503 before the plugin runs, flow kept', async (t) => {
  const { provider, store, app } = await setup(t)
  const browser = new Browser(app)
  await browser.get('/touch')
  t.ok(browser.jar.get('sessionId') !== undefined, 'a stored session')
  const callback = await provider.authorize((await browser.start()).headers.location as string)
  store.readDown = true
  assertStoreUnavailable(t, await browser.callback(callback), 'callback (load fails)')
  assertStoreUnavailable(t, await browser.start(), 'start with a known session (load fails)')
  t.equal(provider.requestTokens.length, 1, 'that start did not call the provider')
  t.equal(exchanges(provider), 0)
  store.readDown = false
  t.equal((await browser.callback(callback)).statusCode, 302, 'completes after')
  t.same((await browser.get('/me')).json(), { connected: true })
})

/** Makes the store's second `set` from now on fail; returns what puts the real `set` back. */
function failSecondSave (store: FlakyStore): () => void {
  const original = store.set.bind(store)
  let calls = 0
  store.set = (id, session, done) => { calls++; if (calls === 2) done(store.fail()); else original(id, session, done) }
  return () => { store.set = original }
}

t.test('the credentials cannot be saved after the exchange: 503, not a redirect as if connected', async (t) => {
  const { provider, store, app } = await setup(t)
  const browser = new Browser(app)
  const callback = await provider.authorize((await browser.start()).headers.location as string)
  // The store dies between the renewal (before the exchange) and the save (after it).
  const restore = failSecondSave(store)
  const failed = await browser.callback(callback)
  assertStoreUnavailable(t, failed, 'callback (save fails in onSend)')
  t.equal((await browser.callback(callback)).json().code, ErrorCodes.UNKNOWN_TOKEN, 'a retry of the spent flow is refused before the provider')
  t.equal(exchanges(provider), 1, 'that flow is spent (documented): the user starts again')
  t.same((await browser.get('/me')).json(), { connected: false })
  restore()
  t.equal((await browser.connect(provider)).statusCode, 302, 'a new flow connects')
})

t.test('onConnect answers itself, then the session save fails: the coded 503 instead of its answer, logged without secrets', async (t) => {
  const connected: string[] = []
  const { provider, store, app, logs, handled } = await setup(t, {
    onConnect: async (_request, reply, credentials) => {
      connected.push(credentials.token)
      await reply.code(200).send({ welcome: credentials.user?.name })
    }
  })
  const browser = new Browser(app)
  const callback = await provider.authorize((await browser.start()).headers.location as string)
  const restore = failSecondSave(store)
  const failed = await browser.callback(callback)
  assertStoreUnavailable(t, failed, 'callback (save fails after onConnect sent)')
  t.notMatch(failed.body, 'welcome', 'not the hook\'s answer as if connected')
  t.equal(connected.length, 1, 'the hook ran once')
  t.equal(handled.length, 1, 'one error, to the app\'s error handler')
  t.ok(isOAuth1Error(handled[0], ErrorCodes.STORE_UNAVAILABLE), 'coded')
  const issued = provider.accessTokens.at(-1)
  t.equal(issued?.token, connected[0], 'the token the provider issued')
  t.match(logs(), 'OAUTH1_STORE_UNAVAILABLE', 'the coded error is logged')
  t.notMatch(logs(), issued?.token as string, 'no token in the logs')
  t.notMatch(logs(), issued?.secret as string, 'no token secret in the logs')
  restore()
  t.same((await browser.get('/me')).json(), { connected: false })
  t.equal((await browser.connect(provider)).statusCode, 200, 'a new flow connects, and the hook answers')
  t.same((await browser.get('/me')).json(), { connected: true })
})

t.test('an onConnect that throws is its own error, not read as a store outage', async (t) => {
  const { provider, app, handled } = await setup(t, { onConnect: () => { throw new Error('hook bug') } })
  const failed = await new Browser(app).connect(provider)
  t.equal(failed.statusCode, 500)
  t.same(failed.json(), { code: 'raw', message: 'hook bug' })
  t.equal(handled.length, 1)
})

t.test('a start whose rolling session save fails in onSend: 503, no redirect to the provider, no flow cookie', async (t) => {
  const { store, app, logs } = await setup(t, {}, { saveUninitialized: true })
  const browser = new Browser(app)
  await browser.get('/touch')
  store.writeDown = true
  const start = await browser.start()
  assertStoreUnavailable(t, start, 'start (save fails)')
  t.notMatch(logs(), /"statusCode":500/, 'no 500 logged')
})

t.test('anonymous starts create no server session with the cookie store', async (t) => {
  const { store, app, provider } = await setup(t)
  for (let i = 0; i < 20; i++) t.equal((await new Browser(app).start()).statusCode, 302)
  t.equal(provider.requestTokens.length, 20)
  t.equal(store.writes, 0, 'no store write')
  t.equal(store.data.size, 0, 'no session in the store')
})

t.test('maxConcurrentStarts: beyond it a start is OAUTH1_BUSY (503) without calling the provider', async (t) => {
  const { app, provider } = await setup(t, { maxConcurrentStarts: 2, timeout: 2000 })
  provider.mode.requestToken = 'hang'
  const hanging = [new Browser(app).start(), new Browser(app).start()]
  const calls = (): number => provider.seen.filter((item) => item.path === '/oauth/request_token').length
  // Both hanging starts at the provider (a fixed wait was too short for a loaded machine).
  for (let i = 0; i < 100 && calls() < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10))
  const busy = await new Browser(app).start()
  t.equal(busy.statusCode, 503)
  t.equal(busy.json().code, ErrorCodes.BUSY)
  t.equal(busy.headers['retry-after'], '5')
  t.equal(calls(), 2, 'two provider calls, not three')
  const ended = await Promise.all(hanging)
  t.same(ended.map((answer) => answer.statusCode), [504, 504], 'the hanging ones end at their deadline')
  provider.mode.requestToken = 'ok'
  t.equal((await new Browser(app).start()).statusCode, 302, 'the slots are free again')
  t.rejects(setup(t, { maxConcurrentStarts: 0 }), { code: ErrorCodes.INVALID_OPTION, message: /maxConcurrentStarts/ })
})

t.test('/oauth/callback/ (trailing slash) is the callback, not a 404', async (t) => {
  const { provider, app, logs } = await setup(t)
  const browser = new Browser(app)
  const callback = new URL(await provider.authorize((await browser.start()).headers.location as string))
  const answer = await browser.get(`${callback.pathname}/${callback.search}`)
  t.equal(answer.statusCode, 302, 'connected')
  t.same((await browser.get('/me')).json(), { connected: true })
  t.notMatch(logs(), /not found/i, 'no "Route ... not found" line (it would carry the verifier; the request log line is the app\'s to redact)')
})
