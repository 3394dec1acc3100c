// The session flow store (today's design) with @fastify/session and @fastify/secure-session.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import type { FastifyOAuth1Options } from '../src/fastify/plugin.js'
import { isCredentials } from '../src/sign-in/connect.js'
import type { SignInSession } from '../src/sign-in/state/context.js'
import { createSealer } from '../src/sign-in/state/seal.js'
import { createSessionFlowStore, readSessionState } from '../src/sign-in/state/session-store.js'
import { Browser, buildApp, providerOptions, type SessionKind } from './helpers/build-app.js'
import { type FakeProvider, startFakeProvider } from './helpers/fake-provider.js'

interface Test { teardown (fn: () => unknown): void }

async function setup (t: Test, session: SessionKind, overrides: Partial<FastifyOAuth1Options> = {}): Promise<{ provider: FakeProvider, app: FastifyInstance, browser: Browser }> {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const app = await buildApp(providerOptions(provider, { flowState: 'session', ...overrides }), {
    apiUrl: provider.meUrl,
    session,
    setup (app) {
      app.get('/creds', async (request) => ({ connected: await request.oauth1.isConnected() }))
      app.get('/poison', async (request) => {
        const value = JSON.parse(String((request.query as Record<string, string>).value)) as unknown
        ;(request.session as unknown as SignInSession).set(app.oauth1.sessionKey, value)
        return 'ok'
      })
      app.get('/raw', async (request) => ({ value: (request.session as unknown as SignInSession).get(app.oauth1.sessionKey) ?? null }))
      app.get('/off', async (request) => { await request.oauth1.disconnect(); return 'ok' })
    }
  })
  t.teardown(() => app.close())
  return { provider, app, browser: new Browser(app) }
}

const exchanges = (provider: FakeProvider): number => provider.seen.filter((item) => item.path === '/oauth/access_token').length

for (const session of ['session', 'secure-session'] as const) {
  t.test(`${session}: doubled callback, exactly one exchange, the other a 409`, async (t) => {
    const { provider, browser } = await setup(t, session)
    const started = await browser.start()
    const callback = await provider.authorize(started.headers.location as string)
    const answers = await Promise.all([browser.callback(callback), browser.callback(callback)])
    t.same(answers.map((answer) => answer.statusCode).sort(), [302, 409])
    t.equal(exchanges(provider), 1, 'one exchange reached the provider')
    t.same(provider.rejected(), [])
  })

  t.test(`${session}: two starts at once in one session never end in a 5xx`, async (t) => {
    const { provider, browser } = await setup(t, session)
    const starts = await Promise.all([browser.start(), browser.start()])
    const answers = []
    for (const start of starts) answers.push(await browser.callback(await provider.authorize(start.headers.location as string)))
    const codes = answers.map((answer) => answer.statusCode)
    t.ok(codes.includes(302), `at least one connects (${codes.join(', ')})`)
    for (const answer of answers) {
      if (answer.statusCode !== 302) t.equal(answer.json().code, ErrorCodes.UNKNOWN_TOKEN, 'the overwritten one is a 400 (whole-session save: the later wins; the cookie store has no such race)')
    }
    t.same(provider.rejected(), [])
  })

  t.test(`${session}: stored state of an unexpected shape is treated as absent, never a 500`, async (t) => {
    const { provider, browser } = await setup(t, session)
    const poisons = [
      'null', '"x"', '42', '{"pending":"x"}', '{"pending":[{"token":1,"secret":2,"created":3}]}',
      '{"pending":[null,"a",{"token":"t"}]}', '{"credentials":{"token":5}}', '{"credentials":"secret"}',
      '{"pending":{"length":2}}', '{"credentials":{"token":"t","tokenSecret":"s","extra":null,"connectedAt":1}}',
      '{"credentials":{"token":"t","tokenSecret":5,"extra":{},"connectedAt":1}}',
      '{"credentials":{"token":"t","tokenSecret":"s","extra":{"user_id":1},"connectedAt":1}}',
      '{"credentials":{"token":"t","tokenSecret":"s","extra":[],"connectedAt":1}}',
      '{"credentials":{"token":"t","tokenSecret":"s","extra":{},"connectedAt":"1"}}',
      '{"credentials":{"token":"t","tokenSecret":"s","extra":{},"connectedAt":1,"user":"u"}}',
      '{"credentials":{"token":"t","tokenSecret":"s","extra":{},"connectedAt":1,"user":{"id":7}}}',
      '{"credentials":{"token":["t"],"tokenSecret":{"a":1},"extra":{},"connectedAt":1}}',
      '{"sealed":"x"}', '{"sealed":5}', '{"sealed":{"a":1}}'
    ]
    for (const poison of poisons) {
      await browser.get('/poison?value=' + encodeURIComponent(poison))
      const callback = await browser.get('/oauth/callback?oauth_token=t&oauth_verifier=v')
      t.ok(callback.statusCode === 400, `callback with ${poison}: 400 (${callback.statusCode})`)
      const me = await browser.get('/me')
      t.equal(me.statusCode, 401, `/me with ${poison}: 401`)
      t.same((await browser.get('/creds')).json(), { connected: false })
    }
    t.equal(exchanges(provider), 0)
    await browser.get('/poison?value=' + encodeURIComponent('{"pending":"x"}'))
    t.equal((await browser.connect(provider)).statusCode, 302, 'a new flow over poisoned state works')
    t.equal((await browser.get('/me')).statusCode, 200)
  })
}

for (const session of ['session', 'secure-session'] as const) {
  t.test(`${session}: credentialsSecret keeps the credentials sealed in the session, rotation, tampering`, async (t) => {
    const oldSecret = 'old-credentials-secret-of-32-chars!!'
    const newSecret = 'new-credentials-secret-of-32-chars!!'
    const { provider, app, browser } = await setup(t, session, { credentialsSecret: [newSecret, oldSecret] })
    t.equal((await browser.connect(provider)).statusCode, 302)
    t.equal((await browser.get('/me')).statusCode, 200, 'connected, read through the sealed value')
    const raw = (await browser.get('/raw')).json().value as Record<string, unknown>
    t.same(Object.keys(raw), ['sealed'], 'only the sealed value in the session')
    const text = JSON.stringify(raw)
    const token = provider.seen.find((item) => item.path === '/api/me')?.oauth.oauth_token ?? 'none'
    t.notMatch(text, /tokenSecret|secret|token/i, 'no field names in clear')
    t.notMatch(text, token, 'not the access token either')
    const sealed = raw.sealed as string

    const flipped = (sealed[20] === 'A' ? 'B' : 'A')
    await browser.get('/poison?value=' + encodeURIComponent(JSON.stringify({ sealed: sealed.slice(0, 20) + flipped + sealed.slice(21) })))
    t.same((await browser.get('/creds')).json(), { connected: false }, 'tampered: not connected')
    t.equal((await browser.get('/me')).statusCode, 401, '/me: 401, never a 500')

    const credentials = { token: 'old-token', tokenSecret: 'old-secret', extra: {}, connectedAt: 1 }
    const byOldKey = createSealer(oldSecret, 'x', 'fastify-oauth1 credentials v1').seal(JSON.stringify(credentials), app.oauth1.sessionKey)
    await browser.get('/poison?value=' + encodeURIComponent(JSON.stringify({ sealed: byOldKey })))
    t.same((await browser.get('/creds')).json(), { connected: true }, 'sealed with the old (second) key: still opens')
    const byOtherKey = createSealer('another-secret-entirely-32-chars!!!!', 'x', 'fastify-oauth1 credentials v1').seal(JSON.stringify(credentials), app.oauth1.sessionKey)
    await browser.get('/poison?value=' + encodeURIComponent(JSON.stringify({ sealed: byOtherKey })))
    t.same((await browser.get('/creds')).json(), { connected: false }, 'a key not in the list: not connected')
    const otherName = createSealer(newSecret, 'x', 'fastify-oauth1 credentials v1').seal(JSON.stringify(credentials), 'oauth1:other')
    await browser.get('/poison?value=' + encodeURIComponent(JSON.stringify({ sealed: otherName })))
    t.same((await browser.get('/creds')).json(), { connected: false }, 'sealed for another provider name: not connected')
    const wrongShape = createSealer(newSecret, 'x', 'fastify-oauth1 credentials v1').seal(JSON.stringify({ token: 5 }), app.oauth1.sessionKey)
    await browser.get('/poison?value=' + encodeURIComponent(JSON.stringify({ sealed: wrongShape })))
    t.same((await browser.get('/creds')).json(), { connected: false }, 'sealed, but not credentials: not connected')
    await browser.get('/poison?value=' + encodeURIComponent(JSON.stringify({ credentials })))
    t.same((await browser.get('/creds')).json(), { connected: false }, 'clear credentials are not read when sealing is on')

    await browser.get('/poison?value=' + encodeURIComponent(JSON.stringify({ sealed: byOldKey })))
    t.equal((await browser.get('/off')).statusCode, 200)
    t.same((await browser.get('/raw')).json().value, {}, 'disconnect drops the sealed value')
  })
}

t.test('credentialsSecret is checked at registration', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  await t.rejects(buildApp(providerOptions(provider, { credentialsSecret: 'short' })), { code: ErrorCodes.INVALID_OPTION, message: /credentialsSecret/ })
  await t.rejects(buildApp(providerOptions(provider, { credentialsSecret: [] })), { code: ErrorCodes.INVALID_OPTION, message: /credentialsSecret/ })
})

t.test('readSessionState keeps only well-formed entries', async (t) => {
  const data = new Map<string, unknown>()
  const session: SignInSession = { get: (key) => data.get(key), set: (key, value) => { data.set(key, value) } }
  data.set('k', { pending: [{ token: 'a', secret: 's', created: 1, returnTo: '//evil' }, { token: 2 }], credentials: { token: 1 } })
  t.same(readSessionState(session, 'k', isCredentials), { pending: [{ token: 'a', secret: 's', created: 1 }] }, 'unsafe returnTo dropped, bad entries dropped')
  t.equal(readSessionState(session, 'missing', isCredentials), undefined)

  const store = createSessionFlowStore({ key: 'k', ttl: 1000, max: 2 }, isCredentials)
  const ctx = { session, getCookie: () => undefined, cookieNames: () => [], setCookie () {}, clearCookie () {}, host: 'h', protocol: 'http' as const }
  t.equal(store.count(ctx, 500), 1)
  t.same(store.take(ctx, 'a', 500), { status: 'found', entry: { token: 'a', secret: 's', created: 1 } })
  t.same(store.take(ctx, 'a', 500), { status: 'unknown' }, 'once only')
  t.same(store.take({ ...ctx, session: undefined }, 'a', 500), { status: 'none' })
})
