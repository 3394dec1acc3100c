// One secret (issue 18): `secret` alone is enough for the default cookie flow store, and it also
// seals the credentials kept in the session; the flow and credentials keys are derived with HKDF
// under distinct labels, so a value sealed for one use never opens for the other.
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
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
