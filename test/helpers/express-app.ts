// Serves an Express app (4 or 5) with express-session (or none), the middleware and an error
// handler answering `{ code, message }` with the error's status, on 127.0.0.1; closes with the test.
// The server listens before the middleware is made, so a `callbackUrl` function gets the app's own
// origin as `callbackOrigins` when the test gives none.
import express4, { type ErrorRequestHandler, type Express } from 'express'
import express5 from 'express5'
import session from 'express-session'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expressOAuth1, type ExpressOAuth1, type ExpressOAuth1Options } from '../../src/express/index.js'
import { sessionSecret } from './adapter-suite.js'

/** Express 4 and Express 5 (the aliased devDependency), by label. */
export const expressVersions = [['express 4', express4], ['express 5', express5]] as const

export interface ServeOptions {
  /** Which Express; default Express 4. */
  express?: typeof express4
  /** Mount express-session first. */
  session: boolean
  /** express-session's cookie options; default `{ secure: false, sameSite: 'lax' }`. */
  cookie?: session.CookieOptions
  /** The express-session store; default its MemoryStore. */
  store?: session.Store
  /** Routes of the app, after the middleware. */
  routes?: (app: Express, oauth1: ExpressOAuth1) => void
}

/** A running app: its origin, and `close()` (servers, connections, the flow's agent). */
export async function serveExpress (options: ExpressOAuth1Options, serve: ServeOptions): Promise<{ origin: string, close: () => Promise<void> }> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  if (typeof options.callbackUrl === 'function' && options.callbackOrigins === undefined) options = { ...options, callbackOrigins: [origin] }
  const app: Express = (serve.express ?? express4)()
  if (serve.session) app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: serve.cookie ?? { secure: false, sameSite: 'lax' }, store: serve.store }))
  let oauth1: ExpressOAuth1
  try {
    oauth1 = expressOAuth1(options)
  } catch (error) {
    server.close()
    throw error
  }
  app.use(oauth1, oauth1.errorHandler)
  serve.routes?.(app, oauth1)
  const errors: ErrorRequestHandler = (error: { statusCode?: number, code?: string, message?: string }, _req, res, _next) => {
    res.status(error.statusCode ?? 500).json({ code: error.code, message: error.message })
  }
  app.use(errors)
  server.on('request', app)
  return {
    origin,
    async close () {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await oauth1.close()
    }
  }
}
