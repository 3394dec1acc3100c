// The shared connect-flow suite (test/helpers/adapter-suite.ts) against the Express middleware,
// on Express 4 (`express`) and Express 5 (`express5`, an aliased devDependency), with
// express-session or with no session at all.
import type { Request } from 'express'
import type { ExpressOAuth1Options } from '../src/express/index.js'
import { adapterSuite } from './helpers/adapter-suite.js'
import { expressVersions, serveExpress } from './helpers/express-app.js'

const data = (req: Request): Record<string, unknown> | undefined => (req as unknown as { session?: Record<string, unknown> }).session

for (const [label, express] of expressVersions) {
  adapterSuite(label, async (options, build) => {
    const app = await serveExpress(options as unknown as ExpressOAuth1Options, {
      express,
      session: build.session,
      routes (app) {
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
      }
    })
    return { ...app, sessionCookie: build.session ? 'connect.sid' : undefined }
  })
}
