// The test kit (src/testing): the mock provider is checked against signers we did not write
// (oauth-sign, and oauth-1.0a for HMAC-SHA512), then used through the provider client, the plugin and connect().
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance } from 'fastify'
import { createHmac, createPublicKey, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import OAuth from 'oauth-1.0a'
import oauthSign from 'oauth-sign'
import t from 'tap'
import { fetch, interceptors } from 'undici'
import { createProviderClient } from '../src/provider/provider-client.js'
import { fastifyOAuth1, type FastifyOAuth1Options } from '../src/fastify/plugin.js'
import { connect, createMockProvider, type MockProvider } from '../src/testing/index.js'

const privateKey = readFileSync(new URL('./fixtures/oauth-wiki-rsa-private.pem', import.meta.url), 'utf8')
const rfc3986 = (value: string): string => encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())

interface SignAs {
  signatureMethod: string
  consumerKey: string
  consumerSecret: string
  token?: string
  tokenSecret?: string
  extra?: Record<string, string>
  nonce?: string
  timestamp?: number
}

/** An Authorization header signed by oauth-sign (or oauth-1.0a for HMAC-SHA512), not by src/. */
function independentHeader (method: string, url: string, options: SignAs): string {
  const oauth: Record<string, string> = {
    oauth_consumer_key: options.consumerKey,
    oauth_nonce: options.nonce ?? randomBytes(12).toString('hex'),
    oauth_signature_method: options.signatureMethod,
    oauth_timestamp: String(options.timestamp ?? Math.floor(Date.now() / 1000)),
    oauth_version: '1.0',
    ...(options.token === undefined ? {} : { oauth_token: options.token }),
    ...options.extra
  }
  const parsed = new URL(url)
  const query: Record<string, string> = {}
  for (const [name, value] of parsed.searchParams) query[name] = value
  let signature: string
  if (options.signatureMethod === 'HMAC-SHA512') {
    const signer = new OAuth({
      consumer: { key: options.consumerKey, secret: options.consumerSecret },
      signature_method: 'HMAC-SHA512',
      hash_function: (base, key) => createHmac('sha512', key).update(base).digest('base64')
    })
    // oauth-1.0a merges the URL's query into the parameters itself (into the object it is given: a copy).
    signature = signer.getSignature({ url, method, data: {} }, options.tokenSecret ?? '', { ...oauth } as unknown as OAuth.Data)
  } else {
    const key = options.signatureMethod === 'RSA-SHA1' ? privateKey : options.consumerSecret
    signature = oauthSign.sign(options.signatureMethod, method, parsed.origin + parsed.pathname, { ...query, ...oauth }, key, options.tokenSecret ?? '')
  }
  return 'OAuth ' + Object.entries({ ...oauth, oauth_signature: signature }).map(([name, value]) => `${rfc3986(name)}="${rfc3986(value)}"`).join(', ')
}

const problemOf = (body: string): string | null => new URLSearchParams(body).get('oauth_problem')
const call = (provider: MockProvider, method: string, url: string, authorization: string) =>
  provider.handle({ method, url, headers: { host: new URL(url).host, authorization }, body: Buffer.alloc(0) })

t.test('accepts requests signed by oauth-sign / oauth-1.0a, refuses tampered ones', async (t) => {
  const provider = createMockProvider({ consumerKey: 'ck', consumerSecret: 'cs', rsaPublicKey: createPublicKey(privateKey) })
  t.teardown(() => provider.close())
  const url = `${provider.url}/oauth/request_token?x_auth_access_type=read`
  const callback = { oauth_callback: 'http://127.0.0.1/oauth/callback' }
  for (const signatureMethod of ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512', 'PLAINTEXT', 'RSA-SHA1']) {
    const header = independentHeader('POST', url, { signatureMethod, consumerKey: 'ck', consumerSecret: 'cs', extra: callback })
    const ok = await call(provider, 'POST', url, header)
    t.equal(ok?.status, 200, `${signatureMethod}: accepted`, { body: ok?.body })
    t.equal(new URLSearchParams(ok?.body).get('oauth_callback_confirmed'), 'true', `${signatureMethod}: callback confirmed`)
    const record = provider.requests.at(-1)
    t.equal(record?.endpoint, 'request_token')
    t.equal(record?.oauth?.oauth_signature_method, signatureMethod, 'recorded with the verified oauth params')
    t.equal(record?.oauth?.oauth_callback, callback.oauth_callback)

    const forged = independentHeader('POST', url, { signatureMethod, consumerKey: 'ck', consumerSecret: 'cs', extra: callback })
      .replace('oauth_signature="', 'oauth_signature="A')
    const refused = await call(provider, 'POST', url, forged)
    t.equal(refused?.status, 401, `${signatureMethod}: a changed signature is refused`)
    t.equal(problemOf(refused?.body ?? ''), 'signature_invalid')
    t.equal(provider.requests.at(-1)?.problem, 'signature_invalid', 'the refusal is recorded')
    t.equal(provider.requests.at(-1)?.oauth, undefined, 'no verified params on a refusal')
    if (signatureMethod !== 'PLAINTEXT') {
      const otherQuery = await call(provider, 'POST', url.replace('read', 'write'),
        independentHeader('POST', url, { signatureMethod, consumerKey: 'ck', consumerSecret: 'cs', extra: callback }))
      t.equal(problemOf(otherQuery?.body ?? ''), 'signature_invalid', `${signatureMethod}: a changed query parameter is refused`)
    }
  }
  const wrongSecret = await call(provider, 'POST', url,
    independentHeader('POST', url, { signatureMethod: 'HMAC-SHA1', consumerKey: 'ck', consumerSecret: 'other', extra: callback }))
  t.equal(problemOf(wrongSecret?.body ?? ''), 'signature_invalid', 'another consumer secret')
  const tampered = independentHeader('POST', url, { signatureMethod: 'HMAC-SHA256', consumerKey: 'ck', consumerSecret: 'cs', extra: callback })
    .replace('oauth_callback="http', 'oauth_callback="https')
  t.equal(problemOf((await call(provider, 'POST', url, tampered))?.body ?? ''), 'signature_invalid', 'a changed oauth parameter')
  const unknown = await call(provider, 'POST', url,
    independentHeader('POST', url, { signatureMethod: 'HMAC-SHA1', consumerKey: 'nobody', consumerSecret: 'cs', extra: callback }))
  t.equal(problemOf(unknown?.body ?? ''), 'consumer_key_unknown')
  t.match(unknown?.headers['www-authenticate'], /^OAuth realm="mock", oauth_problem="consumer_key_unknown"/)
})

t.test('replayed nonces and stale timestamps are refused; request tokens expire', async (t) => {
  let clock = Date.parse('2026-06-01T00:00:00Z')
  const provider = createMockProvider({ consumerKey: 'ck', consumerSecret: 'cs', now: () => clock, requestTokenTtl: 60_000 })
  t.teardown(() => provider.close())
  const url = `${provider.url}/oauth/request_token`
  const signed = (extra: { nonce?: string, timestamp?: number } = {}) =>
    independentHeader('POST', url, {
      signatureMethod: 'HMAC-SHA1',
      consumerKey: 'ck',
      consumerSecret: 'cs',
      timestamp: Math.floor(clock / 1000),
      extra: { oauth_callback: 'oob' },
      ...extra
    })
  const first = signed({ nonce: 'once' })
  t.equal((await call(provider, 'POST', url, first))?.status, 200)
  const replay = await call(provider, 'POST', url, first)
  t.equal(replay?.status, 401)
  t.equal(problemOf(replay?.body ?? ''), 'nonce_used', 'the same request twice: the nonce is refused')
  const stale = await call(provider, 'POST', url, signed({ timestamp: Math.floor(clock / 1000) - 301 }))
  t.equal(problemOf(stale?.body ?? ''), 'timestamp_refused', 'a timestamp outside the window')
  t.ok(new URLSearchParams(stale?.body).get('oauth_acceptable_timestamps'))

  const issued = new URLSearchParams((await call(provider, 'POST', url, signed()))?.body)
  const token = issued.get('oauth_token') as string
  const decision = provider.decide(token, { approve: true })
  t.ok(decision?.verifier, 'oob: a verifier to type in')
  t.equal(decision?.location, undefined)
  clock += 61_000
  const accessUrl = `${provider.url}/oauth/access_token`
  const late = await call(provider, 'POST', accessUrl, independentHeader('POST', accessUrl, {
    signatureMethod: 'HMAC-SHA1',
    consumerKey: 'ck',
    consumerSecret: 'cs',
    token,
    tokenSecret: issued.get('oauth_token_secret') as string,
    timestamp: Math.floor(clock / 1000),
    extra: { oauth_verifier: decision?.verifier as string }
  }))
  t.equal(problemOf(late?.body ?? ''), 'token_rejected', 'an expired request token')
})

t.test('dispatcher mode: the provider client against the mock provider, tokens and verifiers once', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(provider.options())
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('http://app.test/oauth/callback')
  const user = { id: '42', name: 'Ada', screen_name: 'ada' }
  provider.approveNext({ user, extra: { x_auth_expires: '0' } })
  const back = new URL(await provider.authorize(providerClient.authorizeUrl(requestToken.token)))
  t.equal(back.origin + back.pathname, 'http://app.test/oauth/callback')
  t.equal(back.searchParams.get('oauth_token'), requestToken.token)
  const verifier = back.searchParams.get('oauth_verifier') as string
  await t.rejects(provider.authorize(providerClient.authorizeUrl(requestToken.token)), /answered 400/, 'the authorize step is single use')
  const access = await providerClient.getAccessToken(requestToken, verifier)
  t.match(access.extra, { user_id: '42', screen_name: 'ada', x_auth_expires: '0' })
  await t.rejects(providerClient.getAccessToken(requestToken, verifier), { code: 'OAUTH1_PROVIDER_ERROR', problem: 'token_rejected' }, 'the verifier works once')

  const me = await providerClient.clientFor(access).get(`${provider.url}/1.1/account/verify_credentials.json`)
  t.same(me.json(), user, 'the default "who am I" resource')
  const forged = await providerClient.clientFor({ token: access.token, tokenSecret: 'guess' }).get(`${provider.url}/1.1/account/verify_credentials.json`)
  t.equal(forged.status, 401, 'the access-token secret is checked')
  provider.route('POST', '/api/notes', ({ user, query }) => ({ status: 201, body: { by: user?.id, tag: query.get('tag') } }))
  const note = await providerClient.clientFor(access).post(`${provider.url}/api/notes`, { query: { tag: 'a b' }, form: { text: 'hi' } })
  t.equal(note.status, 201)
  t.same(note.json(), { by: '42', tag: 'a b' }, 'a custom route with the verified user')
  t.equal(provider.requests.at(-1)?.oauth?.oauth_token, access.token)
  const twoLegged = await providerClient.client.post(`${provider.url}/api/notes`)
  t.equal(twoLegged.status, 400, 'a route needs an access token by default')
  provider.route('GET', '/api/public', ({ user }) => ({ body: { user: user ?? null } }), { twoLegged: true })
  t.same((await providerClient.client.get(`${provider.url}/api/public`)).json(), { user: null }, 'twoLegged routes accept consumer-only calls')

  const elsewhere = createProviderClient({ ...provider.options(), requestTokenUrl: 'http://elsewhere.test/oauth/request_token' })
  t.teardown(() => elsewhere.close())
  const refused = await elsewhere.getRequestToken('http://app.test/cb').then(() => ({ code: 'resolved', cause: new Error('') }),
    (error: unknown) => error as { code: string, cause: Error })
  t.equal(refused.code, 'OAUTH1_NETWORK', 'the dispatcher refuses other origins')
  t.match(refused.cause.message, /only serves http:\/\/provider\.test; refused http:\/\/elsewhere\.test/)
  const reason = /UND_ERR_INFO: The mock provider dispatcher only serves http:\/\/provider\.test; .*baseUrl of provider\.options\(\)\)\)$/
  t.match((refused as unknown as Error).message,
    new RegExp(/^Could not reach http:\/\/elsewhere\.test\/oauth\/request_token \(/.source + reason.source), 'the error message itself says why and what to do')
  t.equal(provider.requests.at(-1)?.url, `${provider.url}/api/public`, 'nothing reached the provider')
})

t.test('misbehaviour on purpose', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient({ ...provider.options(), timeout: 150 })
  t.teardown(() => providerClient.close())
  const callbackUrl = 'http://app.test/oauth/callback'

  provider.misbehaveNext('http_500')
  await t.rejects(providerClient.getRequestToken(callbackUrl), { code: 'OAUTH1_PROVIDER_ERROR', status: 500 })
  provider.misbehaveNext('garbage')
  await t.rejects(providerClient.getRequestToken(callbackUrl), { code: 'OAUTH1_PROVIDER_BAD_RESPONSE' })
  provider.misbehaveNext('hang')
  await t.rejects(providerClient.getRequestToken(callbackUrl), { code: 'OAUTH1_TIMEOUT' }, 'a hanging provider ends in the client timeout')
  provider.misbehaveNext('unconfirmed_callback')
  await t.rejects(providerClient.getRequestToken(callbackUrl), { code: 'OAUTH1_CALLBACK_NOT_CONFIRMED' })
  t.same(provider.requests.map((r) => r.misbehaviour), ['http_500', 'garbage', 'hang', 'unconfirmed_callback'], 'recorded')
  const fine = await providerClient.getRequestToken(callbackUrl)
  t.ok(fine.token, 'the next call behaves again')

  provider.misbehaveNext('http_500', { endpoint: 'access_token', times: 2 })
  const requestToken = await providerClient.getRequestToken(callbackUrl)
  t.equal(provider.requests.at(-1)?.misbehaviour, undefined, 'another endpoint is not affected')
  const verifier = new URL(await provider.authorize(providerClient.authorizeUrl(requestToken.token))).searchParams.get('oauth_verifier') as string
  await t.rejects(providerClient.getAccessToken(requestToken, verifier), { code: 'OAUTH1_PROVIDER_ERROR', status: 500 })
  await t.rejects(providerClient.getAccessToken(requestToken, verifier), { code: 'OAUTH1_PROVIDER_ERROR', status: 500 }, 'times: 2')
  const access = await providerClient.getAccessToken(requestToken, verifier)
  t.ok(access.token, 'the request token was not used by the failed calls')

  provider.misbehaveNext('http_500', { endpoint: 'authorize' })
  const another = await providerClient.getRequestToken(callbackUrl)
  await t.rejects(provider.authorize(providerClient.authorizeUrl(another.token)), /answered 500/)

  const patient = createProviderClient({ ...provider.options(), timeout: 60_000 })
  provider.misbehaveNext('hang')
  const pending = patient.getRequestToken(callbackUrl)
  setTimeout(() => { provider.close().catch(() => {}) }, 50)
  await t.rejects(pending, { code: 'OAUTH1_NETWORK' }, 'a hang ends when the provider is closed')
  await patient.close()
})

t.test('real-port mode: listen(), the same checks over HTTP', async (t) => {
  const provider = createMockProvider()
  const { url, close } = await provider.listen()
  t.teardown(close)
  t.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(provider.url, url)
  const options = provider.options()
  t.equal(options.dispatcher, undefined, 'no dispatcher once listening')
  t.equal(options.requestTokenUrl, `${url}/oauth/request_token`)
  const providerClient = createProviderClient({ ...options, timeout: 150 })
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('http://127.0.0.1/cb')
  const verifier = new URL(await provider.authorize(providerClient.authorizeUrl(requestToken.token))).searchParams.get('oauth_verifier') as string
  const access = await providerClient.getAccessToken(requestToken, verifier)
  t.same((await providerClient.clientFor(access).get(`${url}/1.1/account/verify_credentials.json`)).json(), { id: '1001', name: 'Test User', screen_name: 'Test User' })
  t.same(provider.requests.map((r) => r.endpoint), ['request_token', 'authorize', 'access_token', 'resource'])
  t.equal(provider.requests[0]?.headers.host, new URL(url).host, 'signed and verified with the real Host')

  const header = independentHeader('POST', `${url}/oauth/request_token`,
    { signatureMethod: 'HMAC-SHA1', consumerKey: provider.consumerKey, consumerSecret: provider.consumerSecret, extra: { oauth_callback: 'oob' } })
  const raw = await fetch(`${url}/oauth/request_token`, { method: 'POST', headers: { authorization: header } })
  t.equal(raw.status, 200, 'oauth-sign over a real socket')
  const replay = await fetch(`${url}/oauth/request_token`, { method: 'POST', headers: { authorization: header } })
  t.equal(problemOf(await replay.text()), 'nonce_used')
  provider.misbehaveNext('hang')
  await t.rejects(providerClient.getRequestToken('http://127.0.0.1/cb'), { code: 'OAUTH1_TIMEOUT' }, 'hang over a socket')
})

async function appWith (provider: MockProvider, overrides: Partial<FastifyOAuth1Options> = {}): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: 'a-session-secret-of-at-least-32-characters!', cookie: { secure: false } })
  await app.register(fastifyOAuth1,
    { ...provider.options(), callbackUrl: 'http://localhost/oauth/callback', flowSecret: 'a-flow-secret-of-at-least-32-characters!!', ...overrides })
  app.get('/me', async (request) => (await request.oauth1.get(`${provider.url}/1.1/account/verify_credentials.json`)).json())
  app.post('/disconnect', async (request) => {
    const result = await request.oauth1.disconnect({ revoke: true })
    return { revoked: result.revoked, error: result.error?.code ?? null }
  })
  await app.ready()
  return app
}

t.test('the three-line pattern: connect() then inject with the cookies', async (t) => {
  const provider = createMockProvider()
  const app = await appWith(provider)
  t.teardown(async () => { await app.close(); await provider.close() })

  const { headers } = await connect(app, provider, { user: { id: '7', name: 'grace' } })
  const response = await app.inject({ url: '/me', headers })
  t.same(response.json(), { id: '7', name: 'grace', screen_name: 'grace' })

  t.equal((await app.inject({ url: '/me' })).statusCode, 401, 'without the cookies: not connected')
  t.same(provider.requests.map((r) => r.endpoint), ['request_token', 'authorize', 'access_token', 'resource'], 'the whole flow went through the mock provider')

  const second = await connect(app, provider, { user: { id: '8', name: 'hopper' } })
  t.notSame(second.cookie, '', 'a cookie header')
  t.same((await app.inject({ url: '/me', headers: second.headers })).json().id, '8', 'each connect is its own browser')
  t.equal(second.response.statusCode, 302, 'the callback redirected to the success page')
  t.equal(second.response.headers.location, '/')

  provider.misbehaveNext('http_500', { endpoint: 'request_token' })
  await t.rejects(connect(app, provider), /GET \/oauth\/start answered 502: .*HTTP 500/, 'a failing step throws with the status')
})

t.test('an app on a preset (provider: x) with the mock options: relative API paths reach the mock', async (t) => {
  const provider = createMockProvider()
  const app = Fastify()
  t.teardown(async () => { await app.close(); await provider.close() })
  await app.register(fastifyCookie)
  await app.register(fastifySession, { secret: 'a-session-secret-of-at-least-32-characters!', cookie: { secure: false } })
  const appOptions: FastifyOAuth1Options = {
    provider: 'x',
    consumerKey: 'real-key',
    consumerSecret: 'real-secret',
    callbackUrl: 'https://app.example.com/oauth/callback',
    flowSecret: 'a-flow-secret-of-at-least-32-characters!!'
  }
  await app.register(fastifyOAuth1, { ...appOptions, ...provider.options(), callbackUrl: 'http://localhost/oauth/callback' })
  app.get('/me', async (request) => (await request.oauth1.get('1.1/account/verify_credentials.json')).json())
  t.equal(provider.options().baseUrl, `${provider.url}/`)

  const { headers } = await connect(app, provider, { user: { id: '42', name: 'ada' } })
  const response = await app.inject({ url: '/me', headers })
  t.same(response.json(), { id: '42', name: 'ada', screen_name: 'ada' }, 'the README test-kit example: the preset\'s api.x.com base is replaced by the mock')
  t.equal(provider.requests.at(-1)?.endpoint, 'resource')
})

t.test('denial, per style, as the plugin sees it', async (t) => {
  const provider = createMockProvider()
  const app = await appWith(provider, { failureRedirect: '/oops' })
  t.teardown(async () => { await app.close(); await provider.close() })
  const expected = {
    denied: 'OAUTH1_ACCESS_DENIED',
    user_refused: 'OAUTH1_ACCESS_DENIED',
    verifier_denied: 'OAUTH1_ACCESS_DENIED',
    no_verifier: 'OAUTH1_MISSING_VERIFIER'
  } as const
  for (const [style, code] of Object.entries(expected)) {
    const { response } = await connect(app, provider, { deny: style as keyof typeof expected })
    t.equal(response.headers.location, `/oops?oauth1_error=${code}`, `${style}: ${code}`)
    t.equal(provider.requests.filter((r) => r.endpoint === 'access_token').length, 0, `${style}: no token exchange`)
  }
  const denied = createMockProvider({ denialStyle: 'verifier_denied' })
  t.teardown(() => denied.close())
  const providerClient = createProviderClient(denied.options())
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('http://app.test/cb')
  denied.denyNext()
  const back = new URL(await denied.authorize(providerClient.authorizeUrl(requestToken.token)))
  t.equal(back.searchParams.get('oauth_verifier'), 'denied', 'the default style is configurable (Jira)')
  await t.rejects(providerClient.getAccessToken(requestToken, 'denied'), { code: 'OAUTH1_PROVIDER_ERROR', problem: 'token_rejected' }, 'a refused request token is gone')
})

t.test('the dispatcher serves both undici handler styles: fetch and composed interceptors', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  const header = independentHeader('POST', `${provider.url}/oauth/request_token`,
    { signatureMethod: 'HMAC-SHA1', consumerKey: provider.consumerKey, consumerSecret: provider.consumerSecret, extra: { oauth_callback: 'oob' } })
  const viaFetch = await fetch(`${provider.url}/oauth/request_token`, { method: 'POST', headers: { authorization: header }, dispatcher: provider.dispatcher })
  t.equal(viaFetch.status, 200, 'undici fetch')
  t.ok(new URLSearchParams(await viaFetch.text()).get('oauth_token'))
  const composed = provider.dispatcher.compose(interceptors.retry({ maxRetries: 1 }))
  const providerClient = createProviderClient({ ...provider.options(), dispatcher: composed })
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('http://app.test/cb')
  t.ok(requestToken.token, 'a composed dispatcher (v7 handler API)')
  provider.misbehaveNext('garbage')
  await t.rejects(providerClient.getRequestToken('http://app.test/cb'), { code: 'OAUTH1_PROVIDER_BAD_RESPONSE' })
})

t.test('connect() is cookie-agnostic: per-flow cookies, in-app hops, a cookie cleared on the way', async (t) => {
  // Not the plugin: a hand-made app keeping the flow in its own cookies, to show connect()
  // depends on nothing but the routes, the redirects and Set-Cookie.
  const provider = createMockProvider()
  const providerClient = createProviderClient(provider.options())
  const app = Fastify()
  await app.register(fastifyCookie)
  app.get('/connect', async (_request, reply) => reply.header('set-cookie', 'hop=1; Path=/').redirect('/oauth/start'))
  app.get('/oauth/start', async (request, reply) => {
    if (request.cookies.hop !== '1') return reply.code(400).send('the hop cookie did not come back')
    const requestToken = await providerClient.getRequestToken('http://localhost/oauth/callback')
    reply.header('set-cookie', [`flow=${requestToken.token}.${requestToken.tokenSecret}; Path=/oauth/callback; HttpOnly`, 'hop=; Max-Age=0; Path=/'])
    return reply.redirect(providerClient.authorizeUrl(requestToken.token))
  })
  app.get('/oauth/callback', async (request, reply) => {
    const query = request.query as Record<string, string>
    if (query.step === 'done') return reply.redirect('/')
    const [token = '', tokenSecret = ''] = (request.cookies.flow ?? '').split('.')
    if (token !== query.oauth_token) return reply.code(400).send('no flow cookie')
    const access = await providerClient.getAccessToken({ token, tokenSecret }, query.oauth_verifier ?? '')
    reply.header('set-cookie', [`who=${access.extra.user_id}`, 'flow=; Max-Age=0; Path=/oauth/callback'])
    return reply.redirect('/oauth/callback?step=done')
  })
  await app.ready()
  t.teardown(async () => { await app.close(); await providerClient.close(); await provider.close() })

  const result = await connect(app, provider, { startPath: '/connect', user: { id: '99', name: 'linus' } })
  t.same(result.cookies, { who: '99' }, 'cleared cookies are dropped, new ones kept')
  t.equal(result.headers.cookie, 'who=99')
  t.equal(result.response.headers.location, '/', 'the self-redirect of the callback was followed, the success redirect was not')
  t.equal(provider.requests.filter((r) => r.endpoint === 'access_token').length, 1)
})

t.test('lifecycle endpoints: renewal with the session handle and invalidate_token, signed by oauth-sign', async (t) => {
  let clock = Date.now()
  const provider = createMockProvider({ consumerKey: 'ck', consumerSecret: 'cs', accessTokenTtl: 60_000, now: () => clock })
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(provider.options())
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('http://app.test/cb')
  const verifier = new URL(await provider.authorize(providerClient.authorizeUrl(requestToken.token))).searchParams.get('oauth_verifier') as string
  const asked = Date.now()
  const access = await providerClient.getAccessToken(requestToken, verifier)
  t.equal(access.extra.oauth_expires_in, '60', 'oauth_expires_in in the access-token answer')
  t.ok((access.expiresAt ?? 0) >= asked + 60_000 && (access.expiresAt ?? 0) <= Date.now() + 60_000, 'read by the flow (on its own clock) as expiresAt')
  const handle = access.sessionHandle as string
  t.ok(handle, 'an oauth_session_handle')

  const { revokeUrl, accessTokenUrl } = provider.options()
  t.equal(revokeUrl, `${provider.url}/1.1/oauth/invalidate_token`, 'options() carries the X-style revokeUrl')
  const me = `${provider.url}/1.1/account/verify_credentials.json`
  const signed = (method: string, url: string, token: string, tokenSecret: string, extra: Record<string, string> = {}) =>
    independentHeader(method, url,
      { signatureMethod: 'HMAC-SHA1', consumerKey: 'ck', consumerSecret: 'cs', token, tokenSecret, extra, timestamp: Math.floor(clock / 1000) })

  t.equal((await call(provider, 'GET', me, signed('GET', me, access.token, access.tokenSecret)))?.status, 200, 'a live token works')
  clock += 61_000
  const expired = await call(provider, 'GET', me, signed('GET', me, access.token, access.tokenSecret))
  t.equal(expired?.status, 401, 'after oauth_expires_in: 401')
  t.equal(problemOf(expired?.body ?? ''), 'token_expired')
  t.match(expired?.headers['www-authenticate'], /oauth_problem="token_expired"/)

  const wrongHandle = await call(provider, 'POST', accessTokenUrl,
    signed('POST', accessTokenUrl, access.token, access.tokenSecret, { oauth_session_handle: 'guess' }))
  t.equal(problemOf(wrongHandle?.body ?? ''), 'token_rejected', 'another session handle is refused')
  const noHandle = await call(provider, 'POST', accessTokenUrl, signed('POST', accessTokenUrl, access.token, access.tokenSecret))
  t.equal(problemOf(noHandle?.body ?? ''), 'parameter_absent', 'an access token at the access-token endpoint needs its handle')
  const forgedRenewal = await call(provider, 'POST', accessTokenUrl,
    signed('POST', accessTokenUrl, access.token, 'not-the-secret', { oauth_session_handle: handle }))
  t.equal(problemOf(forgedRenewal?.body ?? ''), 'signature_invalid', 'the renewal signature is checked with the old token secret')
  const renewal = await call(provider, 'POST', accessTokenUrl,
    signed('POST', accessTokenUrl, access.token, access.tokenSecret, { oauth_session_handle: handle }))
  t.equal(renewal?.status, 200, 'renewed with oauth_session_handle', { body: renewal?.body })
  const fresh = new URLSearchParams(renewal?.body)
  const token = fresh.get('oauth_token') as string
  const tokenSecret = fresh.get('oauth_token_secret') as string
  t.not(token, access.token, 'a new token')
  t.equal(fresh.get('oauth_expires_in'), '60')
  t.equal(fresh.get('oauth_session_handle'), handle, 'the same session handle')
  t.equal(problemOf((await call(provider, 'GET', me, signed('GET', me, access.token, access.tokenSecret)))?.body ?? ''), 'token_rejected',
    'the old token is gone')
  t.equal((await call(provider, 'GET', me, signed('GET', me, token, tokenSecret)))?.status, 200, 'the new one works')

  const forged = await call(provider, 'POST', revokeUrl, signed('POST', revokeUrl, token, 'not-the-secret'))
  t.equal(problemOf(forged?.body ?? ''), 'signature_invalid', 'invalidate_token checks the token signature')
  t.equal(provider.revoked.size, 0, 'nothing revoked by a forged request')
  t.equal((await call(provider, 'GET', revokeUrl, signed('GET', revokeUrl, token, tokenSecret)))?.status, 405, 'invalidate_token is POST only')
  const revoked = await call(provider, 'POST', revokeUrl, signed('POST', revokeUrl, token, tokenSecret))
  t.equal(revoked?.status, 200, 'invalidate_token signed by oauth-sign')
  t.same(JSON.parse(revoked?.body ?? '{}'), { access_token: token }, 'answered as X does')
  t.ok(provider.revoked.has(token), 'recorded in provider.revoked')
  t.equal(provider.requests.at(-1)?.endpoint, 'invalidate_token')
  const refused = await call(provider, 'GET', me, signed('GET', me, token, tokenSecret))
  t.equal(refused?.status, 401)
  t.equal(problemOf(refused?.body ?? ''), 'token_revoked', 'a revoked token is refused')
  t.equal(problemOf((await call(provider, 'POST', revokeUrl, signed('POST', revokeUrl, token, tokenSecret)))?.body ?? ''), 'token_revoked', 'revoking twice')
  t.equal(problemOf((await call(provider, 'POST', accessTokenUrl,
    signed('POST', accessTokenUrl, token, tokenSecret, { oauth_session_handle: handle })))?.body ?? ''), 'token_revoked', 'a revoked token cannot be renewed')
})

t.test('X style: revoked tokens answer 401 with code 89; no expiry unless asked', async (t) => {
  const provider = createMockProvider({ invalidTokenStyle: 'x' })
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(provider.options())
  t.teardown(() => providerClient.close())
  const requestToken = await providerClient.getRequestToken('http://app.test/cb')
  const verifier = new URL(await provider.authorize(providerClient.authorizeUrl(requestToken.token))).searchParams.get('oauth_verifier') as string
  const access = await providerClient.getAccessToken(requestToken, verifier)
  t.equal(access.expiresAt, undefined, 'no accessTokenTtl: no oauth_expires_in')
  t.equal(access.sessionHandle, undefined, 'and no session handle')
  provider.revokeTokens()
  t.ok(provider.revoked.has(access.token), 'revokeTokens() revokes the live tokens')
  const response = await providerClient.clientFor(access).get(`${provider.url}/1.1/account/verify_credentials.json`)
  t.equal(response.status, 401)
  t.same(response.json(), { errors: [{ code: 89, message: 'Invalid or expired token.' }] })
  t.equal(provider.requests.at(-1)?.problem, 'token_revoked', 'recorded with the problem')
  await providerClient.revoke(access)
  t.equal(provider.requests.at(-1)?.status, 401, 'providerClient.revoke() of a revoked token: refused with code 89, which counts as revoked')
})

t.test('the plugin against the kit: disconnect({ revoke: true }) revokes at the mock', async (t) => {
  const provider = createMockProvider()
  const app = await appWith(provider)
  t.teardown(async () => { await app.close(); await provider.close() })
  const { headers } = await connect(app, provider)
  t.equal((await app.inject({ url: '/me', headers })).statusCode, 200)
  const disconnected = await app.inject({ method: 'POST', url: '/disconnect', headers })
  t.same(disconnected.json(), { revoked: true, error: null }, 'the provider confirmed the revocation')
  const revocation = provider.requests.at(-1)
  t.equal(revocation?.endpoint, 'invalidate_token')
  t.equal(revocation?.status, 200)
  t.ok(provider.revoked.has(revocation?.oauth?.oauth_token as string), 'the user\'s token is revoked at the provider')
  t.equal((await app.inject({ url: '/me', headers })).statusCode, 401, 'and forgotten by the app')
  t.same((await app.inject({ method: 'POST', url: '/disconnect', headers })).json(), { revoked: false, error: null }, 'nothing left to revoke')
})

t.test('the plugin against the kit: an expired token is renewed once, automatically', async (t) => {
  const provider = createMockProvider({ accessTokenTtl: 3_600_000 })
  const app = await appWith(provider)
  t.teardown(async () => { await app.close(); await provider.close() })
  const { headers } = await connect(app, provider, { user: { id: '5', name: 'ken' } })
  t.equal((await app.inject({ url: '/me', headers })).json().id, '5')
  const before = provider.requests.length
  provider.expireTokens()
  const response = await app.inject({ url: '/me', headers })
  t.equal(response.statusCode, 200, 'the call succeeds', { body: response.body })
  t.equal(response.json().id, '5')
  const steps = provider.requests.slice(before)
  t.same(steps.map((r) => [r.endpoint, r.status, r.problem ?? null]),
    [['resource', 401, 'token_expired'], ['access_token', 200, null], ['resource', 200, null]],
    'refused as expired, renewed with the session handle, retried')
  t.ok(steps[1]?.oauth?.oauth_session_handle, 'the renewal carried oauth_session_handle')
  t.not(steps[2]?.oauth?.oauth_token, steps[0]?.oauth?.oauth_token, 'retried with the new token')
  t.equal((await app.inject({ url: '/me', headers })).statusCode, 200)
  t.same(provider.requests.slice(before + 3).map((r) => r.endpoint), ['resource'], 'the renewed token was saved: no second renewal')
  t.equal(provider.requests.at(-1)?.oauth?.oauth_token, steps[2]?.oauth?.oauth_token)
})

t.test('the plugin against the kit: a revoked token gives OAUTH1_TOKEN_INVALID and onTokenInvalid runs', async (t) => {
  for (const invalidTokenStyle of ['problem', 'x'] as const) {
    const provider = createMockProvider({ invalidTokenStyle })
    const seen: Array<{ code: string, problem: string | undefined }> = []
    const app = await appWith(provider, {
      onTokenInvalid: async (request, error) => {
        seen.push({ code: error.code, problem: error.problem })
        await request.oauth1.disconnect()
      }
    })
    t.teardown(async () => { await app.close(); await provider.close() })
    const { headers } = await connect(app, provider)
    provider.revokeTokens()
    const response = await app.inject({ url: '/me', headers })
    t.equal(response.statusCode, 401, `${invalidTokenStyle}: 401`)
    t.equal(response.json().code, 'OAUTH1_TOKEN_INVALID', `${invalidTokenStyle}: coded`)
    t.same(seen, [{ code: 'OAUTH1_TOKEN_INVALID', problem: invalidTokenStyle === 'problem' ? 'token_revoked' : undefined }],
      `${invalidTokenStyle}: onTokenInvalid ran once`)
    t.equal(provider.requests.filter((r) => r.endpoint === 'access_token').length, 1, `${invalidTokenStyle}: no renewal of a revoked token`)
    t.equal((await app.inject({ url: '/me', headers })).json().code, 'OAUTH1_NOT_CONNECTED', `${invalidTokenStyle}: the hook dropped the credentials`)
  }

  const provider = createMockProvider()
  const seen: string[] = []
  const app = await appWith(provider, { onTokenInvalid: (_request, error) => { seen.push(error.problem ?? '') } })
  t.teardown(async () => { await app.close(); await provider.close() })
  const { headers } = await connect(app, provider)
  provider.expireTokens()
  t.equal((await app.inject({ url: '/me', headers })).json().code, 'OAUTH1_TOKEN_INVALID', 'expired without a session handle: not renewable')
  t.same(seen, ['token_expired'])
  t.equal(provider.requests.filter((r) => r.endpoint === 'access_token').length, 1, 'no renewal attempted')
})
