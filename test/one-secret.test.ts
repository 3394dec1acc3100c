// One secret (issue 18): `secret` alone is enough for the default cookie flow store, and it also
// seals the credentials kept in the session; the flow and credentials keys are derived with HKDF
// under distinct labels, so a value sealed for one use never opens for the other.
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { expressOAuth1 } from '../src/express/index.js'
import { resolveOptions } from '../src/sign-in/resolve-options.js'
import { createCookieFlowStore } from '../src/sign-in/state/cookie-store.js'
import { createSealer } from '../src/sign-in/state/seal.js'
import type { FastifyOAuth1Options } from '../src/index.js'
import { Browser, buildApp, callbackUrl } from './helpers/build-app.js'
import { flowOptions, startFakeProvider } from './helpers/fake-provider.js'

const secret = 'one-secret-of-at-least-thirty-two-characters'

t.test('secret alone: the flow completes on the cookie store and the session holds the credentials sealed', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const options: FastifyOAuth1Options = { ...flowOptions(provider), callbackUrl, secret, flowState: 'cookie' }
  const app = await buildApp(options, {
    apiUrl: provider.meUrl,
    setup: (app) => { app.get('/raw', async (request) => request.session.get('oauth1:oauth1') ?? null) }
  })
  t.teardown(() => app.close())
  const browser = new Browser(app)
  const done = await browser.connect(provider)
  t.equal(done.statusCode, 302)
  t.equal(done.headers.location, '/')
  const raw = (await browser.get('/raw')).json() as Record<string, unknown>
  t.type(raw.sealed, 'string', 'sealed credentials in the session')
  t.notOk('credentials' in raw, 'no credentials in clear')
  const access = provider.accessTokens[0]
  t.notOk(JSON.stringify(raw).includes(access?.secret ?? '?'), 'the token secret is not readable in the session')
  t.equal((await browser.get('/me')).json().status, 200, 'the sealed credentials open for a signed call')
})

t.test('flowSecret and credentialsSecret still override, and a short secret is refused naming it', async (t) => {
  const provider = await startFakeProvider()
  t.teardown(() => provider.close())
  const base = { ...flowOptions(provider), callbackUrl, flowState: 'cookie' as const }
  await t.rejects(buildApp({ ...base, secret: 'short' }), { code: ErrorCodes.INVALID_OPTION, message: /"secret"/ })
  await t.rejects(buildApp({ ...base }), { code: ErrorCodes.INVALID_OPTION, message: /"secret".*"flowSecret"/ }, 'no secret at all: both named')
  const app = await buildApp({ ...base, secret, flowSecret: 'a-separate-flow-secret-of-32-chars-or-more', credentialsSecret: 'a-separate-credentials-secret-of-32-chars' },
    { setup: (app) => { app.get('/raw', async (request) => request.session.get('oauth1:oauth1') ?? null) } })
  t.teardown(() => app.close())
  const browser = new Browser(app)
  t.equal((await browser.connect(provider)).statusCode, 302)
  const sealed = ((await browser.get('/raw')).json() as { sealed: string }).sealed
  t.equal(createSealer('a-separate-credentials-secret-of-32-chars', 'credentialsSecret', 'fastify-oauth1 credentials v1').open(sealed, 'oauth1:oauth1') === undefined, false,
    'sealed with credentialsSecret')
  t.equal(createSealer(secret, 'secret', 'fastify-oauth1 credentials v1').open(sealed, 'oauth1:oauth1'), undefined, 'not with secret')
})

t.test('the two keys of one secret differ: a value sealed for the flow cookies does not open as credentials, and back', async (t) => {
  const flow = createSealer(secret, 'secret', 'fastify-oauth1 flow cookie v1')
  const credentials = createSealer(secret, 'secret', 'fastify-oauth1 credentials v1')
  const context = 'oauth1:oauth1'
  t.equal(credentials.open(flow.seal('x', context), context), undefined)
  t.equal(flow.open(credentials.seal('x', context), context), undefined)
  t.equal(flow.open(flow.seal('x', context), context), 'x')
})

t.test('the option an error names is one the user set: no secret at all names "secret"; a bad flowSecret or credentialsSecret names itself', async (t) => {
  const env = { hasSession: true, sessionNeeded: 'a session', sessionMissing: 'no session plugin' }
  const base = { provider: 'x' as const, consumerKey: 'key', consumerSecret: 'cs', callbackUrl: 'https://app.example/oauth/callback' }
  const refusal = (options: Record<string, unknown>): { code?: string, message?: string } => {
    try {
      resolveOptions({ ...base, ...options }, env)
    } catch (error) {
      return error as { code?: string, message?: string }
    }
    return {}
  }
  const none = refusal({})
  t.equal(none.code, ErrorCodes.INVALID_OPTION)
  t.match(none.message, /^Invalid option "secret": expected a secret of at least 32 random characters .*\(openssl rand -base64 32\)/, 'no secret: "secret" first, with how to make one')
  t.notMatch(none.message, /^Invalid option "flowSecret"/)
  t.match(refusal({ secret: 'short' }).message, /^Invalid option "secret": expected a secret of at least 32 random characters \(openssl rand -base64 32\)/)
  t.match(refusal({ secret: 'short', flowSecret: 'a-separate-flow-secret-of-32-chars-or-more' }).message, /^Invalid option "secret"/, 'a short secret is named even when flowSecret is set')
  t.match(refusal({ secret, flowSecret: 'short' }).message, /^Invalid option "flowSecret"/, 'a bad flowSecret the user passed is named')
  t.match(refusal({ flowSecret: ['short'] }).message, /^Invalid option "flowSecret"/)
  t.match(refusal({ secret, credentialsSecret: 'short' }).message, /^Invalid option "credentialsSecret"/)
  t.same(refusal({ flowState: 'session' }), {}, 'no secret is needed with the session store (the credentials are then in clear)')
  t.same(refusal({ secret }), {}, 'secret alone is enough')

  const express = (() => {
    try {
      expressOAuth1({ ...base })
    } catch (error) {
      return error as { code?: string, message?: string }
    }
    return {}
  })()
  t.equal(express.code, ErrorCodes.INVALID_OPTION)
  t.match(express.message, /^Invalid option "secret"/, 'the Express middleware names "secret" too')

  t.throws(() => createCookieFlowStore({ secrets: 'short', prefix: 'p-', callbackPath: '/cb', secure: false, ttl: 1000, max: 3 }),
    { code: ErrorCodes.INVALID_OPTION, message: /^Invalid option "secrets"/ }, 'the cookie store on its own names its own option, not flowSecret')
})
