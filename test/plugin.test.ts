import fastifyCookie from '@fastify/cookie'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import t from 'tap'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { fastifyOAuth1, type FastifyOAuth1Options, type OAuth1Credentials, type OAuth1RequestClient, type OAuth1SessionState } from '../src/fastify/plugin.js'
import { Browser, buildApp, type BuildOptions, callbackUrl, flowSecret, logCapture, providerOptions } from './helpers/build-app.js'
import { type AuthorizeMode, type FakeProvider, startFakeProvider } from './helpers/fake-provider.js'

/** What the helpers need of a test: somewhere to register clean-up. */
interface Test { teardown (fn: () => unknown): void }

function sessionState (request: FastifyRequest, key: string): OAuth1SessionState | undefined {
  return (request.session as unknown as { get (key: string): unknown }).get(key) as OAuth1SessionState | undefined
}

function named (request: FastifyRequest, name: string): OAuth1RequestClient {
  return (request as unknown as Record<string, OAuth1RequestClient>)[name] as OAuth1RequestClient
}

/** Inspection routes: the pending tokens and whether the session holds credentials. */
function inspectRoutes (app: FastifyInstance): void {
  app.get('/state', async (request) => {
    const state = sessionState(request, app.oauth1.sessionKey)
    return { pending: state?.pending?.map((entry) => entry.token) ?? [], inSession: state?.credentials !== undefined }
  })
  app.get('/creds', async (request) => ({
    connected: await request.oauth1.isConnected(),
    credentials: (await request.oauth1.getCredentials()) ?? null
  }))
  app.post('/disconnect', async (request) => {
    await request.oauth1.disconnect()
    return { connected: await request.oauth1.isConnected() }
  })
}

async function setup (t: Test, overrides: Partial<FastifyOAuth1Options> = {}, build: BuildOptions = {}): Promise<{ provider: FakeProvider, app: FastifyInstance, browser: Browser }> {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const app = await buildApp(providerOptions(provider, { flowState: 'session', ...overrides }), {
    apiUrl: provider.meUrl,
    ...build,
    setup (app) {
      inspectRoutes(app)
      build.setup?.(app)
    }
  })
  t.teardown(() => app.close())
  return { provider, app, browser: new Browser(app) }
}

function calls (provider: FakeProvider, path: string): number {
  return provider.seen.filter((item) => item.path === path).length
}

t.test('full flow: start, authorize, callback, then a signed call as the user', async (t) => {
  const { provider, browser } = await setup(t)

  const started = await browser.start()
  t.equal(started.statusCode, 302)
  const location = new URL(started.headers.location as string)
  t.equal(location.origin + location.pathname, provider.authorizeUrl, 'redirects to the authorize URL')
  t.equal(location.searchParams.get('oauth_token'), provider.requestTokens[0], 'with the issued request token')
  t.ok(browser.jar.get('sessionId'), 'a session cookie is set')
  const setCookie = String(started.headers['set-cookie'])
  t.match(setCookie, /HttpOnly/)
  t.match(setCookie, /SameSite=Lax/)
  t.equal(provider.seen[0]?.method, 'POST', 'request token by POST')
  t.equal(provider.seen[0]?.oauth.oauth_callback, callbackUrl, 'oauth_callback signed in')

  const before = await browser.get('/state')
  t.same(before.json(), { pending: provider.requestTokens, inSession: false })

  const done = await browser.callback(await provider.authorize(location.href))
  t.equal(done.statusCode, 302)
  t.equal(done.headers.location, '/', 'successRedirect defaults to /')

  const creds = (await browser.get('/creds')).json() as { connected: boolean, credentials: OAuth1Credentials }
  const issued = provider.accessTokens[0]
  t.equal(creds.connected, true)
  t.equal(creds.credentials.token, issued?.token)
  t.equal(creds.credentials.tokenSecret, issued?.secret)
  t.same(creds.credentials.extra, { user_id: provider.user.userId, screen_name: provider.user.screenName })
  t.type(creds.credentials.connectedAt, 'number')
  t.same((await browser.get('/state')).json(), { pending: [], inSession: true }, 'pending entry consumed')

  const me = await browser.get('/me')
  t.equal(me.statusCode, 200)
  t.same(me.json(), { status: 200, body: { id: provider.user.userId, screen_name: provider.user.screenName, query: { include: 'a b+c' } } })
  t.same(provider.seen.map((item) => item.path), ['/oauth/request_token', '/oauth/access_token', '/api/me'])
  t.same(provider.rejected(), [], 'every signature verified by oauth-sign')
})

t.test('the fake provider refuses a wrong signature (control)', async (t) => {
  const { provider, browser } = await setup(t, { consumerSecret: 'not-the-secret' }, {
    setup (app) {
      app.setErrorHandler(async (error, _request, reply) => {
        const e = error as OAuth1Error
        return reply.code(e.statusCode).send({ code: e.code, status: e.status, problem: e.problem })
      })
    }
  })
  const started = await browser.start()
  t.equal(started.statusCode, 502)
  t.same(started.json(), { code: ErrorCodes.PROVIDER_ERROR, status: 401, problem: 'signature_invalid' })
  t.equal(provider.rejected()[0]?.rejected, 'signature_invalid')
})

t.test('several tabs: two flows completed in reverse order', async (t) => {
  const { provider, browser } = await setup(t)
  const first = await browser.start()
  const second = await browser.start()
  t.equal(provider.requestTokens.length, 2)
  t.same((await browser.get('/state')).json(), { pending: provider.requestTokens, inSession: false })

  const secondDone = await browser.callback(await provider.authorize(second.headers.location as string))
  t.equal(secondDone.statusCode, 302)
  t.same((await browser.get('/state')).json(), { pending: [provider.requestTokens[0]], inSession: true },
    'the first tab is still pending after the session id changed')

  provider.user = { userId: '42', screenName: 'second_account' }
  const firstDone = await browser.callback(await provider.authorize(first.headers.location as string))
  t.equal(firstDone.statusCode, 302)
  const creds = (await browser.get('/creds')).json() as { credentials: OAuth1Credentials }
  t.equal(creds.credentials.token, provider.accessTokens[1]?.token, 'the last completed flow wins')
  t.equal(creds.credentials.extra.screen_name, 'second_account')
  t.same((await browser.get('/state')).json(), { pending: [], inSession: true })
  t.same(provider.rejected(), [])
})

t.test('a replayed callback is refused and never reaches the provider', async (t) => {
  const { provider, browser } = await setup(t)
  const started = await browser.start()
  const callback = await provider.authorize(started.headers.location as string)
  t.equal((await browser.callback(callback)).statusCode, 302)

  const replay = await browser.callback(callback)
  t.equal(replay.statusCode, 400)
  t.equal(replay.json().code, ErrorCodes.UNKNOWN_TOKEN, 'the session knows this provider but nothing is pending: the token is unknown, the session not lost')

  await browser.start()
  const replayWithTab = await browser.callback(callback)
  t.equal(replayWithTab.statusCode, 400)
  t.equal(replayWithTab.json().code, ErrorCodes.UNKNOWN_TOKEN, 'another flow pending: the token is unknown')
  t.equal(calls(provider, '/oauth/access_token'), 1, 'the verifier was exchanged once')
})

t.test("a token from another session is refused and does not consume the owner's flow", async (t) => {
  const { provider, app, browser: victim } = await setup(t)
  const started = await victim.start()
  const callback = await provider.authorize(started.headers.location as string)

  const attacker = new Browser(app)
  await attacker.start()
  const stolen = await attacker.callback(callback)
  t.equal(stolen.statusCode, 400)
  t.equal(stolen.json().code, ErrorCodes.UNKNOWN_TOKEN)

  const fresh = new Browser(app)
  const none = await fresh.callback(callback)
  t.equal(none.statusCode, 400)
  t.equal(none.json().code, ErrorCodes.NO_SESSION, 'a session with nothing pending')
  t.equal((await attacker.get('/me')).statusCode, 401, 'the attacker is not connected')
  t.equal(calls(provider, '/oauth/access_token'), 0)

  t.equal((await victim.callback(callback)).statusCode, 302, 'the owner can still complete')
  t.equal((await victim.get('/me')).statusCode, 200)
})

t.test('a callback without a session cookie answers 400 NO_SESSION', async (t) => {
  const { provider, app, browser } = await setup(t)
  const started = await browser.start()
  const callback = new URL(await provider.authorize(started.headers.location as string))
  const response = await app.inject({ method: 'GET', url: callback.pathname + callback.search })
  t.equal(response.statusCode, 400)
  t.equal(response.json().code, ErrorCodes.NO_SESSION)
  t.match(response.json().message, /cookie did not come back/)
  t.equal(calls(provider, '/oauth/access_token'), 0)
})

const denials: AuthorizeMode[] = ['denied', 'user_refused', 'verifier_denied', 'authorize_0']

t.test('every denial style: 403 ACCESS_DENIED, the user stays unconnected', async (t) => {
  for (const mode of denials) {
    t.test(mode, async (t) => {
      const { provider, browser } = await setup(t)
      provider.mode.authorize = mode
      const started = await browser.start()
      const location = await provider.authorize(started.headers.location as string)
      const response = await browser.callback(location)
      t.equal(response.statusCode, 403)
      t.equal(response.json().code, ErrorCodes.ACCESS_DENIED)
      t.equal((await browser.get('/me')).json().code, ErrorCodes.NOT_CONNECTED)
      t.same((await browser.get('/state')).json(), { pending: [], inSession: false }, 'the pending entry is dropped')
      const forged = new URL(location)
      forged.search = new URLSearchParams({ oauth_token: provider.requestTokens[0] as string, oauth_verifier: 'x' }).toString()
      t.equal((await browser.callback(forged.href)).statusCode, 400, 'the refused token cannot be used afterwards')
      t.equal(calls(provider, '/oauth/access_token'), 0)
    })
  }
})

t.test('every denial style with failureRedirect: redirect with oauth1_error', async (t) => {
  for (const mode of denials) {
    t.test(mode, async (t) => {
      const { provider, browser } = await setup(t, { failureRedirect: '/connect?failed=1' })
      provider.mode.authorize = mode
      const started = await browser.start()
      const response = await browser.callback(await provider.authorize(started.headers.location as string))
      t.equal(response.statusCode, 302)
      t.equal(response.headers.location, '/connect?failed=1&oauth1_error=OAUTH1_ACCESS_DENIED')
      t.equal((await browser.get('/creds')).json().connected, false)
    })
  }
})

t.test('a callback without a session and failureRedirect: redirect with NO_SESSION', async (t) => {
  const { app } = await setup(t, { failureRedirect: '/login' })
  const response = await app.inject({ method: 'GET', url: '/oauth/callback?oauth_token=x&oauth_verifier=y' })
  t.equal(response.statusCode, 302)
  t.equal(response.headers.location, '/login?oauth1_error=OAUTH1_NO_SESSION')
})

t.test('a failed exchange still consumes the pending entry (single use)', async (t) => {
  const { provider, browser } = await setup(t)
  provider.mode.accessToken = 'error'
  await browser.start()
  const callback = await provider.authorize(provider.authorizeUrl + '?oauth_token=' + provider.requestTokens[0])
  t.equal((await browser.callback(callback)).statusCode, 502)
  provider.mode.accessToken = 'ok'
  const retried = await browser.callback(callback)
  t.equal(retried.statusCode, 400)
  t.equal(retried.json().code, ErrorCodes.UNKNOWN_TOKEN)
  t.equal(calls(provider, '/oauth/access_token'), 1)
})

t.test('a callback without oauth_verifier', async (t) => {
  const { provider, browser } = await setup(t)
  provider.mode.authorize = 'no_verifier'
  const started = await browser.start()
  const response = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(response.statusCode, 400)
  t.equal(response.json().code, ErrorCodes.MISSING_VERIFIER)
  t.equal((await browser.get('/creds')).json().connected, false)
  t.equal(calls(provider, '/oauth/access_token'), 0)

  const redirecting = await setup(t, { failureRedirect: '/oops' })
  redirecting.provider.mode.authorize = 'no_verifier'
  const again = await redirecting.browser.start()
  const redirected = await redirecting.browser.callback(await redirecting.provider.authorize(again.headers.location as string))
  t.equal(redirected.headers.location, '/oops?oauth1_error=OAUTH1_MISSING_VERIFIER')
})

t.test('a callback without oauth_token', async (t) => {
  const { browser } = await setup(t)
  await browser.start()
  const response = await browser.get('/oauth/callback?oauth_verifier=abc')
  t.equal(response.statusCode, 400)
  t.equal(response.json().code, ErrorCodes.UNKNOWN_TOKEN)
})

t.test('an expired pending token is refused', async (t) => {
  const { provider, browser } = await setup(t, { pendingTtl: 50 })
  const started = await browser.start()
  const callback = await provider.authorize(started.headers.location as string)
  await new Promise((resolve) => setTimeout(resolve, 80))
  const response = await browser.callback(callback)
  t.equal(response.statusCode, 400)
  t.equal(response.json().code, ErrorCodes.UNKNOWN_TOKEN)
  t.match(response.json().message, /too long/)
  t.equal(calls(provider, '/oauth/access_token'), 0)
  t.same((await browser.get('/state')).json().pending, [], 'the expired entry is gone')
})

t.test('maxPending bounds the flows of one session: at the limit a start is refused, no flow is evicted', async (t) => {
  const { provider, browser } = await setup(t, { maxPending: 2 })
  const first = await browser.start()
  const second = await browser.start()
  const third = await browser.start()
  t.equal(third.statusCode, 429)
  t.equal(third.json().code, ErrorCodes.TOO_MANY_FLOWS)
  t.equal(calls(provider, '/oauth/request_token'), 2, 'the refused start never reached the provider')
  t.same((await browser.get('/state')).json().pending, provider.requestTokens, 'both genuine flows kept')
  t.equal((await browser.callback(await provider.authorize(first.headers.location as string))).statusCode, 302)
  t.equal((await browser.start()).statusCode, 302, 'a completed flow frees its slot')
  t.equal((await browser.callback(await provider.authorize(second.headers.location as string))).statusCode, 302)
})

t.test('the session id changes on callback (fixation) and the old id is worthless', async (t) => {
  const { provider, app, browser } = await setup(t)
  const started = await browser.start()
  const before = browser.jar.get('sessionId')
  await browser.callback(await provider.authorize(started.headers.location as string))
  const after = browser.jar.get('sessionId')
  t.ok(before)
  t.ok(after)
  t.not(after, before, 'a new session cookie')
  t.equal((await browser.get('/me')).statusCode, 200)

  const old = await app.inject({ method: 'GET', url: '/me', headers: { cookie: `sessionId=${before}` } })
  t.equal(old.statusCode, 401, 'the pre-login session id is not connected')
})

t.test('other session data survives the regeneration', async (t) => {
  const { provider, browser } = await setup(t, {}, {
    setup (app) {
      app.get('/login', async (request) => {
        (request.session as unknown as { set (key: string, value: unknown): void }).set('userId', 'u1')
        return 'ok'
      })
      app.get('/whoami', async (request) => ({ userId: (request.session as unknown as { get (key: string): unknown }).get('userId') }))
    }
  })
  await browser.get('/login')
  await browser.connect(provider)
  t.same((await browser.get('/whoami')).json(), { userId: 'u1' })
})

t.test('returnTo: same-site paths accepted, anything else ignored', async (t) => {
  const { provider, browser } = await setup(t, { successRedirect: '/done' })
  const connectWith = async (returnTo: string): Promise<string | undefined> => {
    const started = await browser.start('/oauth/start?returnTo=' + encodeURIComponent(returnTo))
    t.equal(started.statusCode, 302)
    const done = await browser.callback(await provider.authorize(started.headers.location as string))
    return done.headers.location as string | undefined
  }
  t.equal(await connectWith('/settings?x=1'), '/settings?x=1')
  for (const evil of ['//evil.com', 'https://evil.com', '/\\evil.com', 'javascript:alert(1)', '/.//evil.com', '/%2e//evil.com', '/x/..//evil.com', 'evil.com', '/\t/evil.com']) {
    t.equal(await connectWith(evil), '/done', `refused: ${JSON.stringify(evil)}`)
  }
  t.same(provider.rejected(), [])
})

t.test('returnToParam renames the query parameter', async (t) => {
  const { provider, browser } = await setup(t, { returnToParam: 'next' })
  const started = await browser.start('/oauth/start?next=%2Fa&returnTo=%2Fb')
  const done = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(done.headers.location, '/a')
})

t.test('provider 500: 502 PROVIDER_ERROR through setErrorHandler, no secret in the answer or the logs', async (t) => {
  const logs = logCapture()
  let seen: OAuth1Error | undefined
  const { provider, browser } = await setup(t, { failureRedirect: '/failed' }, {
    fastify: { logger: { level: 'trace', stream: logs.stream } },
    setup (app) {
      app.setErrorHandler(async (error, request, reply) => {
        seen = error as OAuth1Error
        request.log.error({ err: error }, 'custom handler')
        return reply.code(seen.statusCode).send({ code: seen.code, message: seen.message })
      })
    }
  })
  provider.mode.accessToken = 'error'
  provider.problem = 'token_rejected'
  const started = await browser.start()
  const response = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(response.statusCode, 502, 'a provider failure is not redirected as a user failure')
  t.equal(response.json().code, ErrorCodes.PROVIDER_ERROR)
  t.ok(seen instanceof OAuth1Error)
  t.equal(seen?.status, 500)
  t.equal(seen?.problem, 'token_rejected')
  t.equal(seen?.advice, 'try again later')
  t.match(seen?.body, /oauth_problem=token_rejected/)
  t.match(seen?.message, /HTTP 500.*token_rejected/)
  t.equal((await browser.get('/creds')).json().connected, false)

  t.match(logs.text(), /OAUTH1_PROVIDER_ERROR/, 'the error was logged')
  const secrets = [provider.consumerSecret, encodeURIComponent(provider.consumerSecret), ...provider.issuedSecrets,
    ...provider.issuedSecrets.map(encodeURIComponent)]
  t.equal(provider.issuedSecrets.length, 1, 'a request-token secret was issued')
  t.same(provider.rejected(), [], 'the failing call was correctly signed')
  for (const secret of secrets) {
    t.notOk(response.body.includes(secret), 'no secret in the response')
    t.notOk(logs.text().includes(secret), 'no secret in the logs')
  }
})

t.test('provider 500 with the default error handler', async (t) => {
  const { provider, browser } = await setup(t)
  provider.mode.requestToken = 'error'
  const response = await browser.start()
  t.equal(response.statusCode, 502)
  t.equal(response.json().code, ErrorCodes.PROVIDER_ERROR)
  t.match(response.json().message, /consumer_key_rejected/)
  t.notOk(response.body.includes(provider.consumerSecret))
})

t.test('provider 401 with WWW-Authenticate: the problem is on the error', async (t) => {
  let seen: OAuth1Error | undefined
  const { provider, browser } = await setup(t, {}, {
    setup (app) {
      app.setErrorHandler(async (error, _request, reply) => {
        seen = error as OAuth1Error
        return reply.code(seen.statusCode).send({ code: seen.code })
      })
    }
  })
  provider.mode.requestToken = 'unauthorized'
  provider.problem = 'timestamp_refused'
  const response = await browser.start()
  t.equal(response.statusCode, 502)
  t.equal(seen?.code, ErrorCodes.PROVIDER_ERROR)
  t.equal(seen?.status, 401)
  t.equal(seen?.problem, 'timestamp_refused')
})

t.test('garbage from the provider: 502 PROVIDER_BAD_RESPONSE', async (t) => {
  const { provider, browser } = await setup(t)
  provider.mode.requestToken = 'garbage'
  const response = await browser.start()
  t.equal(response.statusCode, 502)
  t.equal(response.json().code, ErrorCodes.PROVIDER_BAD_RESPONSE)

  provider.mode.requestToken = 'ok'
  provider.mode.accessToken = 'garbage'
  const started = await browser.start()
  const done = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(done.statusCode, 502)
  t.equal(done.json().code, ErrorCodes.PROVIDER_BAD_RESPONSE)
  t.equal((await browser.get('/creds')).json().connected, false)
  t.same(provider.rejected(), [])
})

t.test('missing oauth_callback_confirmed: 502 CALLBACK_NOT_CONFIRMED unless allowed', async (t) => {
  const { provider, browser } = await setup(t)
  provider.mode.requestToken = 'unconfirmed'
  const response = await browser.start()
  t.equal(response.statusCode, 502)
  t.equal(response.json().code, ErrorCodes.CALLBACK_NOT_CONFIRMED)
  t.same((await browser.get('/state')).json().pending, [], 'nothing kept')

  const lenient = await setup(t, { requireCallbackConfirmed: false })
  lenient.provider.mode.requestToken = 'unconfirmed'
  t.equal((await lenient.browser.start()).statusCode, 302)
})

t.test('a provider that never answers: 504 TIMEOUT', async (t) => {
  const { provider, browser } = await setup(t, { timeout: 200 })
  provider.mode.requestToken = 'hang'
  const began = Date.now()
  const response = await browser.start()
  t.equal(response.statusCode, 504)
  t.equal(response.json().code, ErrorCodes.TIMEOUT)
  t.ok(Date.now() - began < 5000, 'answered soon after the timeout')

  provider.mode.requestToken = 'ok'
  provider.mode.accessToken = 'hang'
  const started = await browser.start()
  const done = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(done.statusCode, 504)
  t.equal(done.json().code, ErrorCodes.TIMEOUT)
})

t.test('not connected: request.oauth1 throws 401 NOT_CONNECTED', async (t) => {
  const { provider, browser } = await setup(t)
  const response = await browser.get('/me')
  t.equal(response.statusCode, 401)
  t.equal(response.json().code, ErrorCodes.NOT_CONNECTED)
  t.same((await browser.get('/creds')).json(), { connected: false, credentials: null })
  t.equal(calls(provider, '/api/me'), 0)
})

t.test('saveCredentials / loadCredentials / deleteCredentials keep credentials in a "DB"', async (t) => {
  const db = new Map<string, OAuth1Credentials>()
  let loads = 0
  const userOf = (request: FastifyRequest): string =>
    String((request.session as unknown as { get (key: string): unknown }).get('userId'))
  const { provider, browser } = await setup(t, {
    async saveCredentials (request, credentials) { db.set(userOf(request), credentials) },
    async loadCredentials (request) {
      loads++
      return db.get(userOf(request))
    },
    async deleteCredentials (request) { db.delete(userOf(request)) }
  }, {
    setup (app) {
      app.get('/login', async (request) => {
        (request.session as unknown as { set (key: string, value: unknown): void }).set('userId', 'u1')
        return 'ok'
      })
      app.get('/twice', async (request) => {
        const connected = await request.oauth1.isConnected()
        const response = await request.oauth1.get(provider.meUrl)
        return { connected, status: response.status }
      })
    }
  })
  await browser.get('/login')
  t.equal((await browser.connect(provider)).statusCode, 302)
  t.same([...db.keys()], ['u1'])
  t.equal(db.get('u1')?.token, provider.accessTokens[0]?.token)
  t.equal(db.get('u1')?.extra.screen_name, provider.user.screenName)
  t.same((await browser.get('/state')).json(), { pending: [], inSession: false }, 'nothing in the session')

  loads = 0
  t.same((await browser.get('/twice')).json(), { connected: true, status: 200 })
  t.equal(loads, 1, 'loaded once per request')
  t.equal((await browser.get('/me')).json().body.id, provider.user.userId)

  t.same((await browser.inject('POST', '/disconnect')).json(), { connected: false })
  t.equal(db.size, 0, 'deleteCredentials called')
  t.equal((await browser.get('/me')).statusCode, 401)
  t.same(provider.rejected(), [])
})

t.test('disconnect drops the credentials from the session', async (t) => {
  const { provider, browser } = await setup(t)
  await browser.connect(provider)
  t.equal((await browser.get('/creds')).json().connected, true)
  t.same((await browser.inject('POST', '/disconnect')).json(), { connected: false })
  t.same((await browser.get('/state')).json(), { pending: [], inSession: false })
  t.equal((await browser.get('/me')).json().code, ErrorCodes.NOT_CONNECTED)
})

t.test('two providers side by side with distinct names', async (t) => {
  const alpha = await startFakeProvider({ consumerKey: 'alpha-key' })
  const beta = await startFakeProvider({ consumerKey: 'beta-key', consumerSecret: 'beta secret' })
  t.teardown(() => Promise.all([alpha.close(), beta.close()]))
  beta.user = { userId: '2', screenName: 'beta_user' }
  const alphaOptions = providerOptions(alpha, { flowState: 'session', name: 'alpha', callbackUrl: 'http://localhost/oauth/alpha/callback' })
  const betaOptions = providerOptions(beta, { flowState: 'session', name: 'beta', callbackUrl: 'http://localhost/oauth/beta/callback' })
  const app = await buildApp(alphaOptions, {
    plugins: [alphaOptions, betaOptions],
    setup (app) {
      app.get('/wrong', async (request) => (await request.oauth1.get(alpha.meUrl)).json())
      for (const [name, provider] of [['alpha', alpha], ['beta', beta]] as const) {
        app.get(`/${name}/me`, async (request) => (await named(request, name).get(provider.meUrl)).json())
        app.post(`/${name}/disconnect`, async (request) => {
          await named(request, name).disconnect()
          return 'ok'
        })
      }
    }
  })
  t.teardown(() => app.close())
  const instances = app as unknown as Record<string, { sessionKey: string }>
  t.equal(instances.alpha?.sessionKey, 'oauth1:alpha')
  t.equal(instances.beta?.sessionKey, 'oauth1:beta')
  t.throws(() => app.oauth1, { code: ErrorCodes.INVALID_OPTION, message: /fastify\.oauth1 is the provider registered without a name.*fastify\[name\]/ }, 'no default-named provider: a coded error')

  const browser = new Browser(app)
  const wrong = await browser.get('/wrong')
  t.equal(wrong.statusCode, 500)
  t.equal(wrong.json().code, ErrorCodes.INVALID_OPTION, 'request.oauth1 without a default-named provider: a coded error, not a TypeError')
  t.match(wrong.json().message, /request\[name\]/)
  const alphaStart = await browser.start('/oauth/alpha/start')
  const betaStart = await browser.start('/oauth/beta/start')
  t.equal(alphaStart.statusCode, 302)
  t.equal(betaStart.statusCode, 302)
  const alphaCallback = await alpha.authorize(alphaStart.headers.location as string)
  const betaCallback = await beta.authorize(betaStart.headers.location as string)
  t.match(alphaCallback, /^http:\/\/localhost\/oauth\/alpha\/callback\?/)

  const crossed = new URL(betaCallback)
  crossed.pathname = '/oauth/alpha/callback'
  t.equal((await browser.callback(crossed.href)).statusCode, 400, "beta's token is unknown to alpha")

  t.equal((await browser.callback(alphaCallback)).statusCode, 302)
  t.equal((await browser.callback(betaCallback)).statusCode, 302, "beta's flow survived alpha's regeneration")
  t.equal((await browser.get('/alpha/me')).json().id, alpha.user.userId)
  t.equal((await browser.get('/beta/me')).json().id, '2')

  await browser.inject('POST', '/alpha/disconnect')
  t.equal((await browser.get('/alpha/me')).statusCode, 401)
  t.equal((await browser.get('/beta/me')).statusCode, 200, 'beta stays connected')
  t.same([...alpha.rejected(), ...beta.rejected()], [])
})

t.test('instance decoration: the flow steps for custom routes', async (t) => {
  const { provider, app, browser } = await setup(t, { startPath: false }, {
    setup (app) {
      app.get('/connect', async (request, reply) => reply.redirect(await app.oauth1.begin(request, reply, '/after')))
    }
  })
  t.equal((await browser.get('/oauth/start')).statusCode, 404, 'startPath: false registers no start route')

  const requestToken = await app.oauth1.getRequestToken('http://localhost/custom')
  t.equal(requestToken.token, provider.requestTokens[0])
  t.equal(requestToken.tokenSecret, provider.issuedSecrets[0])
  t.same(requestToken.extra, { oauth_callback_confirmed: 'true' })
  t.equal(provider.seen[0]?.oauth.oauth_callback, 'http://localhost/custom')

  const authorizeUrl = app.oauth1.authorizeUrl(requestToken.token, { force_login: 'true' })
  t.equal(authorizeUrl, `${provider.authorizeUrl}?force_login=true&oauth_token=${requestToken.token}`)
  const verifier = new URL(await provider.authorize(authorizeUrl)).searchParams.get('oauth_verifier') as string

  const access = await app.oauth1.getAccessToken(requestToken, verifier)
  t.equal(access.token, provider.accessTokens[0]?.token)
  t.equal(access.tokenSecret, provider.accessTokens[0]?.secret)
  t.same(access.extra, { user_id: provider.user.userId, screen_name: provider.user.screenName })
  const me = await app.oauth1.clientFor(access).get(provider.meUrl)
  t.equal(me.json<{ id: string }>().id, provider.user.userId)

  const started = await browser.get('/connect')
  t.equal(started.statusCode, 302)
  const done = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(done.headers.location, '/after', 'begin() keeps the return path')
  t.equal((await browser.get('/me')).statusCode, 200)
  t.same(provider.rejected(), [])
})

t.test('custom paths and successRedirect', async (t) => {
  const { provider, browser } = await setup(t, {
    startPath: '/connect/x',
    callbackUrl: 'http://localhost/cb/x?from=provider',
    successRedirect: '/welcome'
  })
  const started = await browser.start('/connect/x')
  const callback = await provider.authorize(started.headers.location as string)
  t.match(callback, /^http:\/\/localhost\/cb\/x\?from=provider&oauth_token=/)
  const done = await browser.callback(callback)
  t.equal(done.headers.location, '/welcome')
  t.same(provider.rejected(), [])
})

t.test('onConnect sees the credentials and may replace the success redirect', async (t) => {
  const seen: OAuth1Credentials[] = []
  const { provider, browser } = await setup(t, {
    async onConnect (_request, reply, credentials) {
      seen.push(credentials)
      await reply.code(200).send({ welcome: credentials.user?.name, id: credentials.user?.id })
    }
  })
  const started = await browser.start()
  const done = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(seen.length, 1, 'called once')
  t.equal(seen[0]?.token, provider.accessTokens[0]?.token, 'with the access token the provider issued')
  t.equal(done.statusCode, 200, 'the hook answered instead of the redirect')
  t.same(done.json(), { welcome: 'twitterapi', id: '783214' }, 'credentials.user from user_id and screen_name')
  t.equal((await browser.get('/me')).statusCode, 200, 'the user is connected')
})

t.test('onConnect that sends nothing keeps the default redirect', async (t) => {
  let called = 0
  const { provider, browser } = await setup(t, { onConnect: () => { called++ } })
  const started = await browser.start()
  const done = await browser.callback(await provider.authorize(started.headers.location as string))
  t.equal(called, 1)
  t.equal(done.statusCode, 302)
  t.equal(done.headers.location, '/')
})

t.test('onFailure sees the coded error and may answer; otherwise the default handling runs', async (t) => {
  const errors: string[] = []
  const { app } = await setup(t, {
    failureRedirect: '/login',
    async onFailure (request, reply, error) {
      errors.push(error.code)
      if ((request.query as Record<string, string>).custom === '1') await reply.code(409).send({ custom: error.code })
    }
  })
  const answered = await app.inject({ method: 'GET', url: '/oauth/callback?oauth_token=x&oauth_verifier=y&custom=1' })
  t.equal(answered.statusCode, 409)
  t.same(answered.json(), { custom: 'OAUTH1_NO_SESSION' })
  const defaulted = await app.inject({ method: 'GET', url: '/oauth/callback?denied=x' })
  t.equal(defaulted.statusCode, 302)
  t.equal(defaulted.headers.location, '/login?oauth1_error=OAUTH1_ACCESS_DENIED')
  t.same(errors, ['OAUTH1_NO_SESSION', 'OAUTH1_ACCESS_DENIED'])
})

t.test('request.oauth1 and fastify.oauth1: the default-named provider, registered before or after named ones, once only', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const named = providerOptions(provider, { flowState: 'session', name: 'alpha', callbackUrl: 'http://localhost/oauth/alpha/callback' })
  const unnamed = providerOptions(provider, { flowState: 'session' })
  for (const plugins of [[named, unnamed], [unnamed, named]]) {
    const app = await buildApp(unnamed, {
      plugins,
      setup (app) { app.get('/me', async (request) => (await request.oauth1.get(provider.meUrl)).json()) }
    })
    t.teardown(() => app.close())
    t.equal(app.oauth1.sessionKey, 'oauth1:oauth1', plugins[0] === named ? 'named first' : 'default first')
    const browser = new Browser(app)
    t.equal((await browser.connect(provider)).statusCode, 302)
    t.equal((await browser.get('/me')).json().id, provider.user.userId, 'request.oauth1 is the default provider\'s client')
  }
  await t.rejects(buildApp(unnamed, { plugins: [named, unnamed, unnamed] }), { code: ErrorCodes.INVALID_OPTION, message: /"oauth1" is taken/ }, 'two default-named providers')
  const own = Fastify()
  await own.register(fastifyCookie)
  own.decorateRequest('oauth1', null as never)
  await t.rejects(async () => { await own.register(fastifyOAuth1, providerOptions(provider, { flowSecret, saveCredentials: async () => {}, loadCredentials: async () => undefined })).ready() }, { code: ErrorCodes.INVALID_OPTION, message: /"oauth1" is taken/ }, "an app's own oauth1 decoration is not overwritten")
  await own.close()
})
