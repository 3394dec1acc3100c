/**
 * `fastify-oauth1/express`: the "connect your account" flow of RFC 5849 §2 for Express 4 and 5,
 * over the same framework-free connect core as the Fastify plugin: one middleware that answers
 * the start and callback routes and puts the user's signed client on `req.oauth1` (or `req[name]`).
 *
 * @packageDocumentation
 * @module fastify-oauth1/express
 */
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express'
import { ErrorCodes, invalidOption, OAuth1Error } from '../errors.js'
import { checkStartCookies, closedSignal, onceEach, prepareErrorAnswer, sessionStoreError, setupAdapter } from '../sign-in/adapter.js'
import type { BeginOptions, Completed } from '../sign-in/connect.js'
import type { ProviderClient } from '../provider/provider-client.js'
import type { OAuth1RequestClient } from '../sign-in/request-client.js'
import { type AdapterOptions, noSessionForCredentials, resolveOptions } from '../sign-in/resolve-options.js'
import { createRoutes, noDefaultProvider, type RouteContext } from '../sign-in/routes.js'
import { readSessionStore } from '../sign-in/state/context.js'
import { callbackSession, parseCookieHeader, saveCallbackSession } from '../sign-in/callback-session.js'
import { watchStores } from '../sign-in/state/store-watch.js'
import type { CallerSignal } from '../http/client.js'

export type { OAuth1Credentials, BeginOptions, Completed } from '../sign-in/connect.js'
export type { OAuth1RequestClient } from '../sign-in/request-client.js'
export type { FlowStateOption } from '../sign-in/resolve-options.js'

/**
 * Options of {@link expressOAuth1}: the same as the Fastify plugin's (the provider, `callbackUrl`,
 * `flowState` with `secret`, the credential hooks, `failureRedirect`, ...), with Express's
 * `req` and `res` in the functions. `flowState: 'session'` and credentials kept in the session
 * need `express-session` mounted before this middleware; `saveCredentials`/`loadCredentials`
 * and the default cookie store need no session at all.
 */
export interface ExpressOAuth1Options extends AdapterOptions<Request, Response> {
  /**
   * How coded errors ({@link OAuth1Error}) are answered: `'json'` (default) answers them as
   * `{ code, message }` with their status (and `Retry-After` where it applies), on the start and
   * callback routes and in {@link ExpressOAuth1.errorHandler}, so a user never meets Express's
   * HTML error page; `'next'` hands them to your error handler with `next(err)`.
   */
  errors?: 'json' | 'next' | undefined
}

/** The middleware returned by {@link expressOAuth1}, with the provider client's steps for apps that want their own routes. */
export interface ExpressOAuth1 {
  (req: Request, res: Response, next: NextFunction): void
  /** The provider's name (`req[name]`). */
  readonly name: string
  /** The session key holding this provider's state in `req.session`. */
  readonly sessionKey: string
  /** The provider client: the three RFC 5849 §2 steps and `clientFor`, for scripts and custom routes. */
  readonly providerClient: ProviderClient
  /** @deprecated Renamed to {@link ExpressOAuth1.providerClient} in 0.2: the same object. */
  readonly flow: ProviderClient
  /** Starts a flow for this request (a flow cookie on `res`, or the session); returns the authorize URL. */
  begin (req: Request, res: Response, options?: string | BeginOptions): Promise<string>
  /** Completes a callback for this request (every check, one exchange, session renewed); returns the credentials and return path. */
  complete (req: Request, res: Response): Promise<Completed>
  /**
   * Error middleware for express-session's load failures: express-session hands a store that
   * cannot load the session to `next(err)` before this middleware runs, so mount this one after
   * it (`app.use(oauth1, oauth1.errorHandler)`) to have them on the start and callback routes as
   * `OAUTH1_STORE_UNAVAILABLE` (503, `Retry-After: 30`). With `errors: 'json'` (the default) it
   * also answers any coded error as JSON: mount it once more after your routes
   * (`app.use(oauth1.errorHandler)`) and a `req.oauth1` call's `OAUTH1_NOT_CONNECTED` is a JSON 401,
   * not Express's HTML page. Other errors pass as they are.
   */
  readonly errorHandler: ErrorRequestHandler
  /** Closes the provider connections (at shutdown). */
  close (): Promise<void>
}

/**
 * The request decorations of named providers, for a declaration merge:
 * `declare global { namespace Express { interface Request extends OAuth1ExpressDecorations<'trello'> {} } }`.
 */
export type OAuth1ExpressDecorations<Name extends string> = { readonly [K in Name]: OAuth1RequestClient }

declare global {
  namespace Express {
    interface Request {
      /**
       * The current user's signed client of the provider set up without a `name` (put there
       * by the `fastify-oauth1/express` middleware). Other names: {@link OAuth1ExpressDecorations};
       * where only named providers ran, reading `req.oauth1` throws `OAUTH1_INVALID_OPTION` (500) saying so.
       */
      readonly oauth1: OAuth1RequestClient
    }
  }
}

/** What the middleware reads of a request besides Express's own fields (set by express-session). */
interface SessionFields { session?: unknown, sessionStore?: unknown, sessionID?: unknown }
const fieldsOf = (req: Request): SessionFields => req as SessionFields

/** The request context of the connect core and the route core for Express. */
type ExpressSignInContext = RouteContext<Request, Response>

/** Set on a callback's request once its credentials are saved (until onConnect throws). */
const connected = new WeakSet<Request>()

function contextOf (req: Request, res: Response): ExpressSignInContext {
  let cookies: Map<string, string> | undefined
  const jar = (): Map<string, string> => (cookies ??= parseCookieHeader(req.headers.cookie))
  let signal: CallerSignal | undefined
  let sessionChanged = false
  const changed = (): void => { sessionChanged = true }
  return {
    request: req,
    reply: res,
    getCookie: (name) => jar().get(name),
    cookieNames: () => jar().keys(),
    setCookie: (name, value, { path, maxAge, httpOnly, secure, sameSite }) => {
      res.cookie(name, value, { path, maxAge: maxAge * 1000, httpOnly, secure, sameSite })
    },
    clearCookie: (name, { path, httpOnly, secure, sameSite }) => { res.clearCookie(name, { path, httpOnly, secure, sameSite }) },
    get session () { return callbackSession(fieldsOf(req), changed) },
    readStoredSession: (key) => readSessionStore(fieldsOf(req).sessionStore, fieldsOf(req).sessionID, key),
    host: req.hostname ?? '',
    protocol: req.protocol === 'https' ? 'https' : 'http',
    get signal () { return (signal ??= closedSignal(res)) },
    get query () { return (req.query ?? {}) as Record<string, unknown> },
    answered: () => res.headersSent,
    // express-session saves when the answer ends and, when that save fails, still sends the answer
    // (a redirect to the provider, or to the app as if connected) while the error goes to next().
    // So the routes save a session the core changed themselves, before redirecting.
    commit: async () => { if (sessionChanged) await saveCallbackSession(fieldsOf(req)) },
    mark: (state) => { if (state === undefined) connected.delete(req); else if (state !== 'started') connected.add(req) }
  }
}

/**
 * Creates the Express middleware of the three-legged flow (RFC 5849 §2): mount it before your
 * routes with `app.use(...)`. It answers `GET startPath` (a request token, a flow cookie or
 * session entry, a redirect to the provider) and `GET callbackPath` (every check, exactly one
 * token exchange, the session renewed, a redirect to the same-site return path), and puts the
 * user's signed client on `req[name]` for every request. Refusals are coded {@link OAuth1Error}s
 * handed to Express's error handling with `next(err)`, or sent to `failureRedirect`.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for invalid or unknown options.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2
 */
export function expressOAuth1 ({ errors = 'json', ...options }: ExpressOAuth1Options): ExpressOAuth1 {
  if (errors !== 'json' && errors !== 'next') invalidOption('errors', "'json' or 'next'")
  const warnOnce = onceEach((message: string) => { process.emitWarning(message, 'FastifyOAuth1Warning') })
  const sessionMissing = 'express-session is not mounted; mount it before the fastify-oauth1 middleware'
  const sessionNeeded = "'session' only with express-session mounted before the fastify-oauth1 middleware"
  const config = resolveOptions(options, { hasSession: undefined, sessionNeeded, sessionMissing })
  const { name, credentials: { sessionKey, inSession } } = config
  for (const warning of config.warnings) warnOnce(warning, warning)
  const { providerClient, connect } = setupAdapter<Request, Response, ExpressSignInContext>(config, (_ctx, key, message) => warnOnce(key, message))
  // express-session gives no session, and no error, while its store is disconnected.
  const stores = watchStores()
  const storeDown = (): OAuth1Error => new OAuth1Error(ErrorCodes.STORE_UNAVAILABLE,
    'The session store is disconnected (express-session gives requests no session until it reconnects); try again in a minute')
  const routes = createRoutes(config, providerClient, connect, {
    sessionMissing: () => stores.down()
      ? storeDown()
      : config.flowState.kind === 'session'
        ? new OAuth1Error(ErrorCodes.INVALID_OPTION, `${sessionMissing}: flowState 'session' keeps the flows in it`)
        : noSessionForCredentials(sessionMissing),
    // req[name]'s credentials live in the session: while its store is disconnected, an outage, not "not connected".
    guardCredentials: (ctx) => { if (inSession && ctx.session === undefined && stores.down()) throw storeDown() }
  })

  // Hands an error to Express's error handling; a store outage goes without the prepared redirect and
  // cookies, and without the session, so express-session neither saves it again nor sets its cookie.
  const handOn = (req: Request, res: Response, next: NextFunction, error: unknown): void => {
    if (!res.headersSent) prepareErrorAnswer(error, res, () => { fieldsOf(req).session = undefined })
    if (errors === 'json' && error instanceof OAuth1Error && !res.headersSent) res.status(error.statusCode).json({ code: error.code, message: error.message })
    else next(error)
  }
  // The cookies a start response sets are the same for every request of an app (per protocol):
  // the first starts are checked once the answer is written (express-session sets its cookie then).
  let checks = 0
  // The credentials are saved before onConnect, which may answer itself: a failure is then the
  // coded 503 and the hook is not called. What the hook changes in the session express-session
  // saves when the answer ends; the error handler takes a failure there (see `connected`).
  const run = async (route: 'start' | 'callback', req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (route === 'start' && checks < 50) {
      checks++
      res.once('finish', () => { checkStartCookies(res.getHeader('set-cookie'), req.protocol === 'https', "app.set('trust proxy', 1)", warnOnce) })
    }
    const outcome = await routes[route](contextOf(req, res))
    if ('redirect' in outcome) res.redirect(outcome.redirect)
    else if ('error' in outcome) handOn(req, res, next, outcome.error)
  }
  const routeOf = (req: Request): 'start' | 'callback' | undefined => req.method === 'GET' ? routes.routeOf(req.originalUrl ?? req.url) : undefined
  // Four parameters: Express calls it with errors only. express-session exposes its store
  // before loading; the session is not there when the load failed.
  const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
    const { sessionStore } = fieldsOf(req)
    stores.see(sessionStore)
    if (res.headersSent && connected.has(req)) {
      // express-session's save after the answer went out (what onConnect changed): nothing can
      // be answered any more, and an error handler trying would fail on the sent headers.
      const coded = sessionStoreError(error, 'save')
      const what = coded instanceof OAuth1Error ? coded.code : 'an error'
      process.emitWarning(`fastify-oauth1: ${what} after the callback answered: the session changes made in onConnect were not saved`, 'FastifyOAuth1Warning')
      return
    }
    if (routeOf(req) !== undefined && sessionStore !== undefined && callbackSession(fieldsOf(req)) === undefined) {
      return handOn(req, res, next, sessionStoreError(error, 'load'))
    }
    if (error instanceof OAuth1Error) return handOn(req, res, next, error)
    next(error)
  }

  const descriptor: PropertyDescriptor = {
    configurable: true,
    enumerable: false,
    get (this: Request) { return routes.clientOf(this, () => contextOf(this, this.res as Response)) }
  }
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    Object.defineProperty(req, name, descriptor)
    stores.see(fieldsOf(req).sessionStore)
    if (name !== 'oauth1' && !('oauth1' in req)) Object.defineProperty(req, 'oauth1', noDefault)
    const route = routeOf(req)
    if (route === undefined) return next()
    run(route, req, res, next).catch(next)
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return Object.assign(middleware, {
    sessionKey,
    providerClient,
    flow: providerClient,
    begin: async (req: Request, res: Response, beginOptions?: string | BeginOptions) => routes.begin(contextOf(req, res), beginOptions),
    complete: async (req: Request, res: Response) => routes.complete(contextOf(req, res)),
    errorHandler,
    close: () => providerClient.close()
  })
}

/** `req.oauth1` where only named providers' middleware ran: a coded error, not a TypeError on `undefined`. */
const noDefault: PropertyDescriptor = { configurable: true, enumerable: false, get () { throw noDefaultProvider('req', 'OAuth1ExpressDecorations', 'mount') } }

export default expressOAuth1
