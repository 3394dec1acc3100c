// Type tests of fastify-oauth1/express: `npx tsc -p tsconfig.json --noEmit` checks this file.
// Lines under `@ts-expect-error` must NOT compile; the others must. tap runs the small runtime part.
import express, { type ErrorRequestHandler, type Request, type Response } from 'express'
import t from 'tap'
import expressOAuth1Default, {
  type ExpressOAuth1, type ExpressOAuth1Options, expressOAuth1, type OAuth1Credentials, type OAuth1ExpressDecorations,
  type OAuth1RequestClient
} from '../src/express/index.js'

declare global {
  namespace Express {
    interface Request extends OAuth1ExpressDecorations<'trello'> {}
  }
}

const saved = new Map<string, string>()
const options: ExpressOAuth1Options = {
  provider: 'x',
  consumerKey: 'key',
  consumerSecret: 'secret',
  callbackUrl: (req: Request) => `https://${req.hostname}/oauth/callback`,
  callbackOrigins: ['https://app.example'],
  authorizeParams: (req) => ({ screen_name: String(req.query.hint ?? '') }),
  flowSecret: 'a-flow-cookie-secret-of-at-least-32-chars',
  saveCredentials: async (req: Request, credentials: OAuth1Credentials) => { saved.set(req.ip ?? '', credentials.token) },
  loadCredentials: async (req) => (req.ip === undefined ? null : undefined),
  onConnect: (_req, res: Response, credentials) => { res.redirect(`/hello/${credentials.user?.name ?? ''}`) },
  onFailure: async (_req, res, error) => { res.status(error.statusCode).send(error.code) }
}
// @ts-expect-error callbackUrl is required
const noCallback: ExpressOAuth1Options = { provider: 'x', consumerKey: 'key', consumerSecret: 'secret' }
// @ts-expect-error flowState is 'cookie', 'session' or a FlowStore
const badState: ExpressOAuth1Options = { ...options, flowState: 'redis' }
export const refused = [noCallback, badState]

const middleware: ExpressOAuth1 = expressOAuth1(options)
const app = express()
app.use(middleware, middleware.errorHandler)
export const errorHandler: ErrorRequestHandler = middleware.errorHandler
app.get('/me', async (req, res) => {
  const client: OAuth1RequestClient = req.oauth1
  const trello: OAuth1RequestClient = req.trello
  // @ts-expect-error only declared names exist
  if (req.flickr !== undefined) res.status(500)
  // @ts-expect-error req.oauth1 is a getter
  req.oauth1 = trello
  const connected: boolean = await client.isConnected()
  res.json({ connected, trello: await trello.isConnected() })
})
/** A custom start route (compiled, not run). */
export async function customStart (req: Request, res: Response): Promise<void> {
  const url: string = await middleware.begin(req, res, '/back')
  await middleware.begin(req, res, { returnTo: '/back', authorizeParams: { force_login: 'true' } })
  // @ts-expect-error begin takes a return path or BeginOptions
  await middleware.begin(req, res, 42)
  const { credentials, returnTo } = await middleware.complete(req, res)
  res.redirect(returnTo ?? `/hello/${credentials.user?.name ?? url}`)
}

t.test('the express entry exports the factory as default and by name', async (t) => {
  t.equal(expressOAuth1Default, expressOAuth1)
  t.equal(middleware.name, 'oauth1')
  t.equal(middleware.sessionKey, 'oauth1:oauth1')
  t.equal(typeof middleware.flow.authorizeUrl, 'function')
  await middleware.close()
})
