/**
 * `fastify-oauth1/express`: the "connect your account" flow of RFC 5849 §2 for Express 4 and 5,
 * over the same framework-free connect core as the Fastify plugin: one middleware that answers
 * the start and callback routes and puts the user's signed client on `req.oauth1` (or `req[name]`).
 *
 * @packageDocumentation
 * @module fastify-oauth1/express
 */
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express'
import { ErrorCodes, OAuth1Error } from '../errors.js'
import { type AdapterOptions, checkStartCookies, closedSignal, failureLocation, onceEach, retryAfterOf, retryableCallback, retryableStart, sessionStoreError, setupAdapter } from '../flow/adapter.js'
import { type BeginOptions, type Completed, firstString } from '../flow/connect.js'
import type { Flow } from '../flow/flow.js'
import { createRequestClient, type OAuth1RequestClient } from '../flow/request-client.js'
import { type FlowContext, type FlowSession, readSessionStore } from '../flow/state/context.js'
import { watchStores } from './store-watch.js'
import type { CallerSignal } from '../http/client.js'

export type { OAuth1Credentials, BeginOptions, Completed } from '../flow/connect.js'
export type { OAuth1RequestClient } from '../flow/request-client.js'
export type { FlowStateOption } from '../flow/adapter.js'

/**
 * Options of {@link expressOAuth1}: the same as the Fastify plugin's (the provider, `callbackUrl`,
 * `flowState` with `flowSecret`, the credential hooks, `failureRedirect`, ...), with Express's
 * `req` and `res` in the functions. `flowState: 'session'` and credentials kept in the session
 * need `express-session` mounted before this middleware; `saveCredentials`/`loadCredentials`
 * and the default cookie store need no session at all.
 */
export interface ExpressOAuth1Options extends AdapterOptions<Request, Response> {}

/** The middleware returned by {@link expressOAuth1}, with the flow's steps for apps that want their own routes. */
export interface ExpressOAuth1 {
  (req: Request, res: Response, next: NextFunction): void
  /** The provider's name (`req[name]`). */
  readonly name: string
  /** The session key holding this provider's state in `req.session`. */
  readonly sessionKey: string
  /** The three RFC 5849 §2 steps and `clientFor`, for scripts and custom routes. */
  readonly flow: Flow
  /** Starts a flow for this request (a flow cookie on `res`, or the session); returns the authorize URL. */
  begin (req: Request, res: Response, options?: string | BeginOptions): Promise<string>
  /** Completes a callback for this request (every check, one exchange, session renewed); returns the credentials and return path. */
  complete (req: Request, res: Response): Promise<Completed>
  /**
   * Error middleware for express-session's load failures: express-session hands a store that
   * cannot load the session to `next(err)` before this middleware runs, so mount this one after
   * it (`app.use(oauth1, oauth1.errorHandler)`) to have them on the start and callback routes as
   * `OAUTH1_STORE_UNAVAILABLE` (503, `Retry-After: 30`) for your error handler. Other errors pass as they are.
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

/** The request context of the connect core for Express. */
interface ExpressFlowContext extends FlowContext {
  readonly request: Request
  readonly response: Response
  /** Whether the connect core wrote to (or regenerated) the session, which then has to be saved before the answer. */
  readonly sessionChanged: boolean
}

/** The cookies of a `Cookie` header (RFC 6265 §5.4); the first of a repeated name wins, undecodable values are kept as sent. */
function parseCookies (header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  if (header === undefined) return cookies
  for (const pair of header.split(';')) {
    const index = pair.indexOf('=')
    if (index < 0) continue
    const name = pair.slice(0, index).trim()
    if (name === '' || cookies.has(name)) continue
    let value = pair.slice(index + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length > 1) value = value.slice(1, -1)
    try {
      value = decodeURIComponent(value)
    } catch {}
    cookies.set(name, value)
  }
  return cookies
}

type ExpressSession = Record<string, unknown> & { regenerate?: (done: (error?: unknown) => void) => void }

/**
 * express-session's `req.session` as a {@link FlowSession}: plain properties, and a callback
 * `regenerate` that replaces `req.session` (so it is always read through `req`).
 */
function sessionOf (req: Request, changed: () => void = () => {}): FlowSession | undefined {
  const holder = req as unknown as { session?: ExpressSession }
  const first = holder.session
  if (typeof first !== 'object' || first === null) return undefined
  const current = (): ExpressSession => holder.session ?? first
  return {
    get: (key) => current()[key],
    set: (key, value) => {
      changed()
      current()[key] = value
    },
    data: () => Object.fromEntries(Object.entries(current()).filter(([key]) => key !== 'cookie')),
    regenerate: typeof first.regenerate !== 'function'
      ? undefined
      : (keep: string[] = []) => new Promise<void>((resolve, reject) => {
          const old = current()
          const kept = keep.map((key) => [key, old[key]] as const)
          changed()
          old.regenerate?.((error) => {
            if (error !== undefined && error !== null) {
              reject(error)
              return
            }
            Object.assign(current(), Object.fromEntries(kept))
            resolve()
          })
        })
  }
}

function contextOf (req: Request, res: Response): ExpressFlowContext {
  let cookies: Map<string, string> | undefined
  const jar = (): Map<string, string> => (cookies ??= parseCookies(req.headers.cookie))
  let signal: CallerSignal | undefined
  let sessionChanged = false
  const changed = (): void => { sessionChanged = true }
  return {
    request: req,
    response: res,
    get sessionChanged () { return sessionChanged },
    getCookie: (name) => jar().get(name),
    cookieNames: () => jar().keys(),
    setCookie: (name, value, { path, maxAge, httpOnly, secure, sameSite }) => { res.cookie(name, value, { path, maxAge: maxAge * 1000, httpOnly, secure, sameSite }) },
    clearCookie: (name, { path, httpOnly, secure, sameSite }) => { res.clearCookie(name, { path, httpOnly, secure, sameSite }) },
    get session () { return sessionOf(req, changed) },
    readStoredSession: (key) => readSessionStore((req as unknown as { sessionStore?: unknown }).sessionStore, (req as unknown as { sessionID?: string }).sessionID, key),
    host: req.hostname ?? '',
    protocol: req.protocol === 'https' ? 'https' : 'http',
    get signal () { return (signal ??= closedSignal(res)) }
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
export function expressOAuth1 (options: ExpressOAuth1Options): ExpressOAuth1 {
  const warnOnce = onceEach((message: string) => { process.emitWarning(message, 'FastifyOAuth1Warning') })
  const setup = setupAdapter<Request, Response, ExpressFlowContext>(options, {
    hasSession: undefined,
    sessionNeeded: "'session' only with express-session mounted before the fastify-oauth1 middleware",
    credentialsNeeded: 'saveCredentials/loadCredentials hooks, or express-session mounted before the fastify-oauth1 middleware',
    warn: (_ctx, key, message) => warnOnce(key, message)
  })
  const { name, sessionKey, startPath, callbackPath, successRedirect, failureRedirect, returnToParam, flow, connect, needsSession } = setup
  const { onConnect, onFailure, onTokenInvalid } = options
  // express-session gives no session, and no error, while its store is disconnected.
  const stores = watchStores()
  const storeDown = (): OAuth1Error => new OAuth1Error(ErrorCodes.STORE_UNAVAILABLE,
    'The session store is disconnected (express-session gives requests no session until it reconnects); try again in a minute')
  const sessionMissing = (): OAuth1Error => stores.down()
    ? storeDown()
    : new OAuth1Error(ErrorCodes.INVALID_OPTION, options.flowState === 'session'
      ? "flowState 'session' needs express-session mounted before the fastify-oauth1 middleware"
      : 'Keeping the credentials needs express-session mounted before the fastify-oauth1 middleware, or saveCredentials/loadCredentials hooks')

  const beginIn = async (ctx: ExpressFlowContext, beginOptions?: string | BeginOptions): Promise<string> => {
    if (needsSession && ctx.session === undefined) throw sessionMissing()
    return connect.begin(ctx, typeof beginOptions === 'string' ? { returnTo: beginOptions } : beginOptions)
  }
  const completeIn = async (ctx: ExpressFlowContext): Promise<Completed> => {
    if (needsSession && ctx.session === undefined) throw sessionMissing()
    return connect.complete(ctx, (ctx.request.query ?? {}) as Record<string, unknown>)
  }
  // req[name]'s credentials live in the session: while its store is disconnected, an outage, not "not connected".
  const credentialsInSession = options.saveCredentials === undefined
  const whenStoreUp = <A extends unknown[], R>(step: (ctx: ExpressFlowContext, ...args: A) => Promise<R>) =>
    async (ctx: ExpressFlowContext, ...args: A): Promise<R> => {
      if (credentialsInSession && ctx.session === undefined && stores.down()) throw storeDown()
      return step(ctx, ...args)
    }
  const clientConnect: typeof connect = {
    ...connect,
    loadCredentials: whenStoreUp(connect.loadCredentials),
    storeCredentials: whenStoreUp(connect.storeCredentials),
    replaceCredentials: whenStoreUp(connect.replaceCredentials),
    deleteCredentials: whenStoreUp(connect.deleteCredentials)
  }
  const begin = async (req: Request, res: Response, beginOptions?: string | BeginOptions): Promise<string> => beginIn(contextOf(req, res), beginOptions)
  const complete = async (req: Request, res: Response): Promise<Completed> => completeIn(contextOf(req, res))

  /** Set on a callback's request once its credentials are saved (until onConnect throws). */
  const connected = Symbol(`oauth1:${name}:connected`)
  // express-session saves when the answer ends and, when that save fails, still sends the answer
  // (a redirect to the provider, or to the app as if connected) while the error goes to next().
  // So the routes save a session the core changed themselves, before redirecting.
  const saved = async (ctx: ExpressFlowContext): Promise<void> => {
    const session = (ctx.request as unknown as { session?: { save?: (done: (error?: unknown) => void) => void } }).session
    if (!ctx.sessionChanged || typeof session?.save !== 'function') return
    try {
      await new Promise<void>((resolve, reject) => { session.save?.((error) => { if (error === undefined || error === null) resolve(); else reject(error) }) })
    } catch (error) {
      throw sessionStoreError(error, 'save')
    }
  }
  // Hands an error to Express's error handling; a store outage without the redirect or the
  // cookies being prepared, and with the session dropped so express-session neither saves it
  // again nor sets its cookie.
  const handOn = (req: Request, res: Response, next: NextFunction, error: unknown): void => {
    if (error instanceof OAuth1Error && error.code === ErrorCodes.STORE_UNAVAILABLE && !res.headersSent) {
      res.removeHeader('location')
      res.removeHeader('set-cookie')
      ;(req as unknown as { session?: unknown }).session = undefined
    }
    const retryAfter = retryAfterOf(error)
    if (retryAfter !== undefined && !res.headersSent) res.setHeader('retry-after', retryAfter)
    next(error)
  }

  const fail = async (req: Request, res: Response, next: NextFunction, error: unknown, retryable: (error: OAuth1Error) => boolean): Promise<void> => {
    if (onFailure !== undefined && error instanceof OAuth1Error) {
      await onFailure(req, res, error)
      if (res.headersSent) return
    }
    const location = failureLocation(failureRedirect, error, retryable)
    if (location === undefined) handOn(req, res, next, error)
    else res.redirect(location)
  }
  // The cookies a start response sets are the same for every request of an app (per protocol):
  // the first starts are checked once the answer is written (express-session sets its cookie then).
  let checks = 0
  const start = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (checks < 50) {
      checks++
      res.once('finish', () => { checkStartCookies(res.getHeader('set-cookie'), req.protocol === 'https', "app.set('trust proxy', 1)", warnOnce) })
    }
    const ctx = contextOf(req, res)
    let location: string
    try {
      location = await beginIn(ctx, { returnTo: firstString((req.query as Record<string, unknown> | undefined)?.[returnToParam]) })
    } catch (error) {
      return fail(req, res, next, error, retryableStart)
    }
    try {
      await saved(ctx)
    } catch (error) {
      handOn(req, res, next, error)
      return
    }
    res.redirect(location)
  }
  // The credentials are saved before onConnect, which may answer itself: a failure is then the
  // coded 503 and the hook is not called. What the hook changes in the session express-session
  // saves when the answer ends; the error handler takes a failure there (see `connected`).
  const callback = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const ctx = contextOf(req, res)
    let result: Completed
    try {
      result = await completeIn(ctx)
    } catch (error) {
      return fail(req, res, next, error, retryableCallback)
    }
    try {
      await saved(ctx)
    } catch (error) {
      handOn(req, res, next, error)
      return
    }
    const holder = req as unknown as Record<symbol, boolean>
    holder[connected] = true
    if (onConnect !== undefined) {
      try {
        await onConnect(req, res, result.credentials)
      } catch (error) {
        delete holder[connected]
        throw error
      }
      if (res.headersSent) return
    }
    res.redirect(result.returnTo ?? successRedirect)
  }

  const routeOf = (req: Request): typeof start | undefined => {
    const path = pathOf(req.originalUrl ?? req.url)
    return path === callbackPath ? callback : startPath !== false && path === startPath ? start : undefined
  }
  // Four parameters: Express calls it with errors only. express-session exposes its store
  // before loading; the session is not there when the load failed.
  const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
    const sessionStore = (req as unknown as { sessionStore?: unknown }).sessionStore
    stores.see(sessionStore)
    if (res.headersSent && (req as unknown as Record<symbol, boolean>)[connected] === true) {
      // express-session's save after the answer went out (what onConnect changed): nothing can
      // be answered any more, and an error handler trying would fail on the sent headers.
      const coded = sessionStoreError(error, 'save')
      process.emitWarning(`fastify-oauth1: ${coded instanceof OAuth1Error ? coded.code : 'an error'} after the callback answered: the session changes made in onConnect were not saved`, 'FastifyOAuth1Warning')
      return
    }
    if (req.method !== 'GET' || routeOf(req) === undefined || sessionStore === undefined || sessionOf(req) !== undefined) {
      next(error)
      return
    }
    handOn(req, res, next, sessionStoreError(error, 'load'))
  }

  const cache = Symbol(`oauth1:${name}:client`)
  const descriptor: PropertyDescriptor = {
    configurable: true,
    enumerable: false,
    get (this: Request & Record<symbol, OAuth1RequestClient | undefined>) {
      return (this[cache] ??= createRequestClient({
        connect: clientConnect,
        flow,
        ctx: contextOf(this, this.res as Response),
        name,
        onTokenInvalid: onTokenInvalid === undefined ? undefined : (ctx, error) => onTokenInvalid(ctx.request, error)
      }))
    }
  }
  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    Object.defineProperty(req, name, descriptor)
    stores.see((req as unknown as { sessionStore?: unknown }).sessionStore)
    if (name !== 'oauth1' && !('oauth1' in req)) Object.defineProperty(req, 'oauth1', noDefaultProvider)
    if (req.method !== 'GET') {
      next()
      return
    }
    const route = routeOf(req)
    if (route === undefined) {
      next()
      return
    }
    route(req, res, next).catch(next)
  }
  Object.defineProperty(middleware, 'name', { value: name })
  return Object.assign(middleware, { sessionKey, flow, begin, complete, errorHandler, close: () => flow.close() }) as ExpressOAuth1
}

/** `req.oauth1` where only named providers' middleware ran: a coded error, not a TypeError on `undefined`. */
const noDefaultProvider: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get () {
    throw new OAuth1Error(ErrorCodes.INVALID_OPTION,
      "req.oauth1 is the provider set up without a name, and none ran for this request: use req[name] of the named provider (type it with OAuth1ExpressDecorations<'name'>), or mount one without a name")
  }
}

function pathOf (url: string): string {
  const end = url.search(/[?#]/)
  return end < 0 ? url : url.slice(0, end)
}

export default expressOAuth1
