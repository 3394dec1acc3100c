// Express answers coded errors as JSON by default (errors: 'json'): the start and callback
// routes, and oauth1.errorHandler mounted after the app's routes, never Express's HTML page.
import express from 'express'
import session from 'express-session'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { expressOAuth1, type ExpressOAuth1Options } from '../src/express/index.js'
import { flowSecret, sessionSecret } from './helpers/adapter-suite.js'
import { flowOptions, startFakeProvider } from './helpers/fake-provider.js'

async function serve (t: Test, options: Partial<ExpressOAuth1Options>) {
  const provider = await startFakeProvider()
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const oauth1 = expressOAuth1({ ...flowOptions(provider), callbackUrl: `${origin}/oauth/callback`, flowSecret, ...options })
  const app = express()
  app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false }))
  app.use(oauth1)
  app.get('/me', (req, res, next) => { req.oauth1.get(provider.meUrl).then((answer) => { res.json(answer.json()) }, next) })
  app.use(oauth1.errorHandler)
  server.on('request', app)
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await oauth1.close()
    await provider.close()
  })
  return { origin, provider }
}

t.test("errors: 'json' (the default): the routes and the error handler answer { code, message } with the status", async (t) => {
  const { origin, provider } = await serve(t, {})
  const me = await fetch(`${origin}/me`)
  t.equal(me.status, 401)
  t.match(me.headers.get('content-type'), /application\/json/)
  t.match(await me.json(), { code: ErrorCodes.NOT_CONNECTED, message: /No oauth1 account is connected/ }, 'a req.oauth1 call: JSON 401, not the HTML page')

  const callback = await fetch(`${origin}/oauth/callback?oauth_token=forged&oauth_verifier=v`, { redirect: 'manual' })
  t.equal(callback.status, 400)
  t.match(await callback.json(), { code: ErrorCodes.NO_SESSION }, 'a refused callback: JSON')

  provider.mode.requestToken = 'error'
  const start = await fetch(`${origin}/oauth/start`, { redirect: 'manual' })
  t.equal(start.status, 502)
  const body = await start.text()
  t.notMatch(body, /<html|<pre>|at \w+ \(/i, 'no HTML, no stack')
  t.match(JSON.parse(body), { code: ErrorCodes.PROVIDER_ERROR })
})

t.test("errors: 'next' hands coded errors to the app's error handler; anything else is refused", async (t) => {
  const { origin } = await serve(t, { errors: 'next' })
  const callback = await fetch(`${origin}/oauth/callback?oauth_token=forged&oauth_verifier=v`, { redirect: 'manual' })
  t.equal(callback.status, 400, 'the status is the error\'s')
  t.match(callback.headers.get('content-type'), /text\/html/, 'Express\'s own page: the app chose to handle errors itself')
  t.throws(() => expressOAuth1({ errors: 'html' as 'json' } as ExpressOAuth1Options), { code: ErrorCodes.INVALID_OPTION, message: /"errors"/ })
})
