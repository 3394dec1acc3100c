// The shared connect-flow suite (test/helpers/adapter-suite.ts) against the Fastify plugin.
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fastifyOAuth1, type FastifyOAuth1Options } from '../src/fastify/plugin.js'
import { adapterSuite, sessionSecret } from './helpers/adapter-suite.js'

interface SessionLike { get (key: string): unknown, set (key: string, value: unknown): void }

adapterSuite('fastify', async (options, build) => {
  // The server listens first, so a callbackUrl function gets the app's own origin as callbackOrigins.
  let handle = (_request: IncomingMessage, _response: ServerResponse): void => {}
  const server = createServer((request, response) => { handle(request, response) }).listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  if (typeof options.callbackUrl === 'function' && options.callbackOrigins === undefined) options = { ...options, callbackOrigins: [origin] }
  const app = Fastify({ serverFactory: (handler) => { handle = handler; return server } })
  await app.register(fastifyCookie)
  if (build.session) await app.register(fastifySession, { secret: sessionSecret, cookie: { secure: false, sameSite: 'lax' }, saveUninitialized: false })
  await app.register(fastifyOAuth1, options as unknown as FastifyOAuth1Options)
  const session = (request: object): SessionLike | undefined => (request as { session?: SessionLike }).session
  app.get('/mark', async (request) => {
    session(request)?.set('mark', 'kept')
    return 'ok'
  })
  app.get('/me', async (request) => {
    const credentials = await request.oauth1.getCredentials()
    return { connected: credentials !== undefined, user: credentials?.user, mark: session(request)?.get('mark') }
  })
  app.get('/api', async (request) => {
    const response = await request.oauth1.get(build.apiUrl)
    return { status: response.status }
  })
  app.get('/disconnect', async (request) => {
    await request.oauth1.disconnect()
    return 'ok'
  })
  app.setErrorHandler(async (error: { statusCode?: number, code?: string }, _request, reply) =>
    reply.code(error.statusCode ?? 500).send({ code: error.code }))
  await app.ready()
  return {
    origin,
    sessionCookie: build.session ? 'sessionId' : undefined,
    async close () {
      await app.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }
})
