import { inspect } from 'node:util'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { fastifyOAuth1, type FastifyOAuth1Options } from '../src/fastify/plugin.js'
import { sessionSecret } from './helpers/build-app.js'

/** What the helpers need of a test: somewhere to register clean-up. */
interface Test { teardown (fn: () => unknown): void }

const valid: FastifyOAuth1Options = {
  consumerKey: 'key',
  consumerSecret: 'secret',
  requestTokenUrl: 'https://provider.example/oauth/request_token',
  authorizeUrl: 'https://provider.example/oauth/authorize',
  accessTokenUrl: 'https://provider.example/oauth/access_token',
  callbackUrl: 'https://app.example/oauth/callback',
  flowSecret: 'a-flow-cookie-secret-of-at-least-32-chars'
}

/** `app.ready()` as a real promise (Fastify returns a thenable instance). */
async function ready (app: FastifyInstance): Promise<void> {
  await app.ready()
}

function appWith (t: Test, plugins: { cookie?: boolean, session?: boolean } = {}): FastifyInstance {
  const app = Fastify()
  t.teardown(() => app.close())
  if (plugins.cookie !== false) app.register(fastifyCookie)
  if (plugins.session !== false) app.register(fastifySession, { secret: sessionSecret, cookie: { secure: false } })
  return app
}

t.test('valid options register', async (t) => {
  const app = appWith(t)
  app.register(fastifyOAuth1, valid)
  await app.ready()
  t.ok(app.hasDecorator('oauth1'))
  t.ok(app.hasRequestDecorator('oauth1'))
  t.equal(app.oauth1.sessionKey, 'oauth1:oauth1')
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/start' }))
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/callback' }))
})

t.test('each invalid option rejects ready() with OAUTH1_INVALID_OPTION naming it', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['name', { name: 'not-an-identifier' }],
    ['name', { name: '' }],
    ['name', { name: 42 }],
    ['name', { name: 'session' }],
    ['name', { name: 'log' }],
    ['callbackUrl', { callbackUrl: undefined }],
    ['callbackUrl', { callbackUrl: '/oauth/callback' }],
    ['callbackUrl', { callbackUrl: 'not a url' }],
    ['callbackUrl', { callbackUrl: 'ftp://app.example/cb' }],
    ['callbackUrl', { callbackUrl: 42 }],
    ['startPath', { startPath: 'oauth/start' }],
    ['startPath', { startPath: true }],
    ['callbackPath', { callbackPath: 'cb' }],
    ['successRedirect', { successRedirect: 'https://elsewhere.example/' }],
    ['failureRedirect', { failureRedirect: 'failed' }],
    ['returnToParam', { returnToParam: 1 }],
    ['pendingTtl', { pendingTtl: 0 }],
    ['pendingTtl', { pendingTtl: -5 }],
    ['pendingTtl', { pendingTtl: Number.NaN }],
    ['pendingTtl', { pendingTtl: Number.POSITIVE_INFINITY }],
    ['pendingTtl', { pendingTtl: '600000' }],
    ['maxPending', { maxPending: 0 }],
    ['maxPending', { maxPending: 2.5 }],
    ['maxPending', { maxPending: '5' }],
    ['saveCredentials', { saveCredentials: 'db', loadCredentials: async () => undefined }],
    ['loadCredentials', { loadCredentials: {} }],
    ['deleteCredentials', { deleteCredentials: 1 }],
    ['loadCredentials', { saveCredentials: async () => {} }],
    ['consumerKey', { consumerKey: undefined }],
    ['requestTokenUrl', { requestTokenUrl: undefined }],
    ['authorizeUrl', { authorizeUrl: 'mailto:x@example.com' }],
    ['accessTokenUrl', { accessTokenUrl: 'nope' }],
    ['authorizeParams', { authorizeParams: { perms: 1 } }],
    ['requestTokenParams', { requestTokenParams: 'x_auth_access_type=write' }],
    ['tokenMethod', { tokenMethod: 'PUT' }],
    ['timeout', { timeout: 0 }],
    ['flowSecret', { flowSecret: undefined }],
    ['flowSecret', { flowSecret: 'too-short' }],
    ['flowSecret', { flowSecret: [] }],
    ['flowSecret', { flowSecret: ['a-flow-cookie-secret-of-at-least-32-chars', 'short'] }],
    ['flowState', { flowState: 'redis' }],
    ['flowState', { flowState: { put () {} } }],
    ['sucessRedirect', { sucessRedirect: '/' }],
    ['callbackUrl', { callbackUrl: { href: 'https://app.example/cb' } }],
    ['callbackOrigins', { callbackUrl: () => 'https://app.example/cb' }],
    ['callbackOrigins', { callbackOrigins: 'https://app.example' }],
    ['callbackOrigins', { callbackOrigins: [] }],
    ['callbackOrigins', { callbackOrigins: ['https://app.example/oauth'] }],
    ['callbackOrigins', { callbackOrigins: ['app.example'] }],
    ['callbackOrigins', { callbackOrigins: ['ftp://app.example'] }]
  ]
  for (const [name, patch] of cases) {
    t.test(`${name}: ${inspect(patch)}`, async (t) => {
      const app = appWith(t)
      app.register(fastifyOAuth1, { ...valid, ...patch } as FastifyOAuth1Options)
      await t.rejects(ready(app), { code: ErrorCodes.INVALID_OPTION, message: new RegExp(`"${name}"`) })
    })
  }
})

t.test('the same name twice is refused with a hint; distinct names coexist', async (t) => {
  const twice = appWith(t)
  twice.register(fastifyOAuth1, valid)
  twice.register(fastifyOAuth1, { ...valid, callbackUrl: 'https://app.example/other' })
  await t.rejects(ready(twice), { code: ErrorCodes.INVALID_OPTION, message: /own name/ })

  const distinct = appWith(t)
  distinct.register(fastifyOAuth1, { ...valid, name: 'alpha', callbackUrl: 'https://app.example/alpha/cb' })
  distinct.register(fastifyOAuth1, { ...valid, name: 'beta', callbackUrl: 'https://app.example/beta/cb' })
  await distinct.ready()
  t.ok(distinct.hasRoute({ method: 'GET', url: '/oauth/alpha/start' }))
  t.ok(distinct.hasRoute({ method: 'GET', url: '/oauth/beta/start' }))
  t.ok(distinct.hasRoute({ method: 'GET', url: '/alpha/cb' }))
})

t.test('missing @fastify/session fails at ready()', async (t) => {
  const app = appWith(t, { session: false })
  app.register(fastifyOAuth1, valid)
  await t.rejects(ready(app), { message: /@fastify\/session/ })
})

t.test('no session plugin and no credential hooks: the error names the missing plugin, not an option the user never set', async (t) => {
  const app = appWith(t, { session: false })
  app.register(fastifyOAuth1, valid)
  const error = await ready(app).catch((error: Error) => error)
  t.match(error, { code: ErrorCodes.INVALID_OPTION, message: /^@fastify\/session or @fastify\/secure-session is not registered; register one \(before fastify-oauth1\) or pass saveCredentials\/loadCredentials/ })
  t.notMatch(error, { message: /Invalid option "saveCredentials"/ })
})

t.test('missing @fastify/cookie fails at ready()', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(fastifyOAuth1, valid)
  await t.rejects(ready(app), { message: /@fastify\/cookie/ })
})

t.test('@fastify/session registered after the plugin fails at ready()', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(fastifyCookie)
  app.register(fastifyOAuth1, valid)
  app.register(fastifySession, { secret: sessionSecret })
  await t.rejects(ready(app), { message: /@fastify\/session/ })
})

t.test('an unknown option key is refused with the closest valid name', async (t) => {
  const app = appWith(t)
  app.register(fastifyOAuth1, { ...valid, sucessRedirect: '/' } as FastifyOAuth1Options)
  await t.rejects(ready(app), { code: ErrorCodes.INVALID_OPTION, message: /Unknown option "sucessRedirect".*Did you mean "successRedirect"\?/ })
})

t.test('the cookie store needs @fastify/cookie, the session store a session plugin', async (t) => {
  const noCookie = Fastify()
  t.teardown(() => noCookie.close())
  noCookie.register(fastifyOAuth1, { ...valid, saveCredentials: async () => {}, loadCredentials: async () => undefined })
  await t.rejects(ready(noCookie), { code: ErrorCodes.INVALID_OPTION, message: /@fastify\/cookie registered before/ })

  const noSession = appWith(t, { session: false })
  noSession.register(fastifyOAuth1, { ...valid, flowState: 'session', saveCredentials: async () => {}, loadCredentials: async () => undefined })
  await t.rejects(ready(noSession), { code: ErrorCodes.INVALID_OPTION, message: /"flowState".*@fastify\/secure-session/ })

  const hooksOnly = appWith(t, { session: false })
  hooksOnly.register(fastifyOAuth1, { ...valid, saveCredentials: async () => {}, loadCredentials: async () => undefined })
  await hooksOnly.ready()
  t.ok(hooksOnly.hasRoute({ method: 'GET', url: '/oauth/callback' }), 'cookie store + hooks: no session plugin needed')

  const fnCallback = appWith(t)
  fnCallback.register(fastifyOAuth1, { ...valid, callbackUrl: (request) => `https://${request.host}/oauth/callback`, callbackOrigins: ['https://app.example'] })
  await fnCallback.ready()
  t.ok(fnCallback.hasRoute({ method: 'GET', url: '/oauth/callback' }), 'a callbackUrl function: the callback route defaults to /oauth/callback')
})

t.test('two providers on one callback or start path: OAUTH1_INVALID_OPTION naming the option and the path, not FST_ERR_DUPLICATED_ROUTE', async (t) => {
  const callback = appWith(t)
  callback.register(fastifyOAuth1, { ...valid, name: 'x', startPath: '/oauth/x/start' })
  callback.register(fastifyOAuth1, { ...valid, name: 'evernote', startPath: '/oauth/evernote/start' })
  await t.rejects(ready(callback), { code: ErrorCodes.INVALID_OPTION, message: /"callbackUrl".*"\/oauth\/callback" is taken.*\/oauth\/evernote\/callback/ })

  const byPath = appWith(t)
  byPath.register(fastifyOAuth1, { ...valid, name: 'x', callbackPath: '/cb', callbackUrl: () => 'https://app.example/cb', callbackOrigins: ['https://app.example'], startPath: '/oauth/x/start' })
  byPath.register(fastifyOAuth1, { ...valid, name: 'y', callbackPath: '/cb', callbackUrl: () => 'https://app.example/cb', callbackOrigins: ['https://app.example'], startPath: '/oauth/y/start' })
  await t.rejects(ready(byPath), { code: ErrorCodes.INVALID_OPTION, message: /"callbackPath".*"\/cb" is taken/ })

  const start = appWith(t)
  start.register(fastifyOAuth1, { ...valid, name: 'x', callbackUrl: 'https://app.example/oauth/x/callback', startPath: '/connect' })
  start.register(fastifyOAuth1, { ...valid, name: 'y', callbackUrl: 'https://app.example/oauth/y/callback', startPath: '/connect' })
  await t.rejects(ready(start), { code: ErrorCodes.INVALID_OPTION, message: /"startPath".*"\/connect" is taken.*\/oauth\/y\/start/ })

  const own = appWith(t)
  own.get('/oauth/callback', async () => 'mine')
  own.register(fastifyOAuth1, valid)
  await t.rejects(ready(own), { code: ErrorCodes.INVALID_OPTION, message: /"\/oauth\/callback" is taken/ }, 'an app route on the path too')

  const apart = appWith(t)
  apart.register(fastifyOAuth1, { ...valid, name: 'x', callbackUrl: 'https://app.example/oauth/x/callback' })
  apart.register(fastifyOAuth1, { ...valid, name: 'y', callbackUrl: 'https://app.example/oauth/y/callback' })
  await ready(apart)
  t.ok(apart.hasRoute({ method: 'GET', url: '/oauth/y/callback' }), 'distinct paths register')
})
