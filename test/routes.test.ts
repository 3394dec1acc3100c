// The framework-neutral route core (src/sign-in/routes.ts) on its own, with a stub connect core:
// the plain outcomes, the failure policy, the onConnect bookkeeping and the request-client cache.
import t from 'tap'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import type { Connect, OAuth1Credentials } from '../src/sign-in/connect.js'
import type { ProviderClient } from '../src/provider/provider-client.js'
import { type AdapterOptions, resolveOptions } from '../src/sign-in/resolve-options.js'
import { createRoutes, type RouteContext, type RouteState } from '../src/sign-in/routes.js'

interface Req { id: string }
interface Res { sent: boolean }
type Ctx = RouteContext<Req, Res> & { marks: Array<RouteState | undefined> }

const credentials: OAuth1Credentials = { token: 't', tokenSecret: 's', extra: {}, connectedAt: 1 }
const env = { hasSession: true, sessionNeeded: 'a session', sessionMissing: 'no session plugin' }

function context (query: Record<string, unknown> = {}): Ctx {
  const reply: Res = { sent: false }
  const marks: Array<RouteState | undefined> = []
  return {
    request: { id: 'r' },
    reply,
    query,
    marks,
    answered: () => reply.sent,
    mark: (state) => { marks.push(state) },
    getCookie: () => undefined,
    cookieNames: () => [],
    setCookie () {},
    clearCookie () {},
    session: undefined,
    host: 'app.example',
    protocol: 'https'
  }
}

function routesWith (options: Partial<AdapterOptions<Req, Res>>, connect: Partial<Connect<Ctx>>) {
  const config = resolveOptions<Req, Res>({
    provider: 'x', consumerKey: 'k', consumerSecret: 's', callbackUrl: 'https://app.example/oauth/callback', flowSecret: 'a-flow-cookie-secret-of-at-least-32-chars', ...options
  }, env)
  return createRoutes(config, {} as ProviderClient, connect as Connect<Ctx>)
}

t.test('start: the authorize URL as a redirect, with the return path of returnToParam', async (t) => {
  let returnTo: string | undefined
  const routes = routesWith({ returnToParam: 'next' }, { begin: async (_ctx, options) => { returnTo = options?.returnTo; return 'https://provider.example/authorize?oauth_token=x' } })
  const ctx = context({ next: ['/a', '/b'] })
  t.same(await routes.start(ctx), { redirect: 'https://provider.example/authorize?oauth_token=x' })
  t.equal(returnTo, '/a', 'the first value of the parameter')
  t.same(ctx.marks, ['started'])
})

t.test('failure policy: onFailure may answer; a retryable error goes to failureRedirect; others are handed on', async (t) => {
  const denied = new OAuth1Error(ErrorCodes.ACCESS_DENIED, 'denied')
  const broken = new OAuth1Error(ErrorCodes.CALLBACK_NOT_CONFIRMED, 'not confirmed')
  const seen: OAuth1Error[] = []
  const answering = routesWith({ onFailure: (_request, reply, error) => { seen.push(error); reply.sent = true } }, { complete: async () => { throw denied } })
  t.same(await answering.callback(context()), { answered: true })
  t.same(seen, [denied])

  const redirecting = routesWith({ failureRedirect: '/login?x=1' }, { complete: async () => { throw denied } })
  t.same(await redirecting.callback(context()), { redirect: `/login?x=1&oauth1_error=${ErrorCodes.ACCESS_DENIED}`, refused: denied })

  const handing = routesWith({ failureRedirect: '/login' }, { begin: async () => { throw broken } })
  t.same(await handing.start(context()), { error: broken }, 'a 5xx the user cannot retry goes to the error handler')
  const plain = new Error('not ours')
  const notCoded = routesWith({ failureRedirect: '/login', onFailure: () => { t.fail('onFailure sees coded errors only') } }, { begin: async () => { throw plain } })
  t.same(await notCoded.start(context()), { error: plain })
})

t.test('callback: onConnect between the marks; its own answer wins; a throw is told and passes', async (t) => {
  const connect = { complete: async () => ({ credentials, returnTo: '/back' }) }
  const plain = routesWith({ successRedirect: '/home' }, { complete: async () => ({ credentials, returnTo: undefined }) })
  const ctx = context()
  t.same(await plain.callback(ctx), { redirect: '/home' })
  t.same(ctx.marks, ['connected'])

  const answering = routesWith({ onConnect: (_request, reply, value) => { t.equal(value, credentials); reply.sent = true } }, connect)
  const answered = context()
  t.same(await answering.callback(answered), { answered: true })
  t.same(answered.marks, ['onConnect'])

  const throwing = routesWith({ onConnect: () => { throw new Error('hook') } }, connect)
  const thrown = context()
  await t.rejects(throwing.callback(thrown), { message: 'hook' })
  t.same(thrown.marks, ['onConnect', undefined])

  const committing = routesWith({}, connect)
  const failing = { ...context(), commit: async () => { throw new Error('save') } }
  t.match(await committing.callback(failing), { error: { message: 'save' } }, 'a commit failure is handed on, not sent to failureRedirect')
})

t.test('request clients: one per request object, built from that request\'s context', async (t) => {
  const routes = routesWith({}, {})
  const first = { id: 'a' }
  let built = 0
  const ctx = (): Ctx => { built++; return context() }
  t.equal(routes.clientOf(first, ctx), routes.clientOf(first, ctx))
  t.not(routes.clientOf({ id: 'b' }, ctx), routes.clientOf(first, ctx))
  t.equal(built, 2, 'a context per request, not per read')
})

t.test('routeOf: the route of a request path, its query and fragment aside', async (t) => {
  const routes = routesWith({ startPath: '/go' }, {})
  t.equal(routes.routeOf('/go?returnTo=/x'), 'start')
  t.equal(routes.routeOf('/oauth/callback#x'), 'callback')
  t.equal(routes.routeOf('/oauth/callback/'), undefined)
  t.equal(routesWith({ startPath: false }, {}).routeOf('/oauth/start'), undefined)
})
