// The shared connect-flow suite (test/helpers/adapter-suite.ts) against the Express middleware,
// on Express 4 (`express`) and Express 5 (`express5`, an aliased devDependency), with
// express-session or with no session at all.
import express4 from 'express'
import express5 from 'express5'
import type { ErrorRequestHandler, Express } from 'express'
import session from 'express-session'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { expressOAuth1, type ExpressOAuth1Options } from '../src/express/index.js'
import { adapterSuite, sessionSecret } from './helpers/adapter-suite.js'

for (const [label, express] of [['express 4', express4], ['express 5', express5]] as const) {
  adapterSuite(label, async (options, build) => {
    const app: Express = express()
    if (build.session) app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: { secure: false, sameSite: 'lax' } }))
    const oauth1 = expressOAuth1(options as unknown as ExpressOAuth1Options)
    app.use(oauth1)
    const data = (req: express4.Request): Record<string, unknown> | undefined => (req as unknown as { session?: Record<string, unknown> }).session
    app.get('/mark', (req, res) => {
      const current = data(req)
      if (current !== undefined) current.mark = 'kept'
      res.send('ok')
    })
    app.get('/me', (req, res, next) => {
      req.oauth1.getCredentials().then((credentials) => {
        res.json({ connected: credentials !== undefined, user: credentials?.user, mark: data(req)?.mark })
      }, next)
    })
    app.get('/api', (req, res, next) => {
      req.oauth1.get(build.apiUrl).then((response) => { res.json({ status: response.status }) }, next)
    })
    app.get('/disconnect', (req, res, next) => {
      req.oauth1.disconnect().then(() => { res.send('ok') }, next)
    })
    const errors: ErrorRequestHandler = (error: { statusCode?: number, code?: string }, _req, res, _next) => {
      res.status(error.statusCode ?? 500).json({ code: error.code })
    }
    app.use(errors)
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    return {
      origin: `http://127.0.0.1:${port}`,
      sessionCookie: build.session ? 'connect.sid' : undefined,
      async close () {
        server.closeAllConnections()
        await new Promise((resolve) => server.close(resolve))
        await oauth1.close()
      }
    }
  })
}
