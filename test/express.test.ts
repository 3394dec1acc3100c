// What is Express-specific in src/express/index.ts (the shared flow cases are in
// test/adapter-express.test.ts): options refused at creation, a missing express-session as a
// coded error, the Cookie header parsed by hand, the browser's abort as ctx.signal, the hooks
// replacing the redirects, named providers.
import type { Express } from 'express'
import t, { type Test } from 'tap'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { expressOAuth1, type ExpressOAuth1Options } from '../src/express/index.js'
import { serveExpress } from './helpers/express-app.js'
import type { FlowContext } from '../src/flow/state/context.js'
import type { FlowStore } from '../src/flow/state/store.js'
import { Browser, flowSecret } from './helpers/adapter-suite.js'
import { type FakeProvider, flowOptions, startFakeProvider } from './helpers/fake-provider.js'

const callbackUrl = (req: { headers: Record<string, unknown> }): string => `http://${String(req.headers.host)}/oauth/callback`

async function serve (t: Test, options: ExpressOAuth1Options, session: boolean, routes?: (app: Express) => void): Promise<string> {
  const app = await serveExpress(options, { session, routes })
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
  const base = { ...flowOptions(provider), callbackUrl, flowSecret }
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
  let seen: AbortSignal | undefined
  const store: FlowStore = {
    async count (ctx: FlowContext) { seen = ctx.signal; return 0 },
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
  })
  const browser = new Browser(origin)
  t.equal((await browser.get('/oauth/start')).status, 404, 'the default path is not ours')
  t.equal((await browser.connect(provider, '/oauth/twitter/start')).status, 302)
  t.equal((await browser.get('/me')).json().connected, true)
  const posted = await fetch(`${origin}/oauth/twitter/start`, { method: 'POST' })
  t.equal(await posted.text(), 'a POST of the app')
})
