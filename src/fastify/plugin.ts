import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ErrorCodes, invalidOption, OAuth1Error } from '../errors.js'
import { type AdapterOptions, checkStartCookies, closedSignal, failureLocation, onceEach, retryAfterOf, retryableCallback, retryableStart, sessionStoreError, setupAdapter } from '../flow/adapter.js'
import { type BeginOptions, type Completed, firstString, type OAuth1Credentials } from '../flow/connect.js'
import type { Flow } from '../flow/flow.js'
import { asFlowSession, type FlowContext, type FlowCookieOptions, type FlowSession, readSessionStore } from '../flow/state/context.js'
import type { SessionState } from '../flow/state/session-store.js'
import { createRequestClient, type OAuth1RequestClient } from '../flow/request-client.js'
import type { CallerSignal } from '../http/client.js'

export type { OAuth1Credentials } from '../flow/connect.js'
export type { FlowStateOption } from '../flow/adapter.js'
export type { OAuth1RequestClient } from '../flow/request-client.js'

/**
 * Options of the plugin: the provider, `callbackUrl`, the flow
 * state (the cookie store needs `@fastify/cookie`), hooks. Validated at registration; unknown keys are refused.
 */
export interface FastifyOAuth1Options extends AdapterOptions<FastifyRequest, FastifyReply> {}

/** Options of {@link OAuth1Instance.begin}: a return path, per-start authorize parameters, a callback URL. */
export type OAuth1BeginOptions = BeginOptions

/** The instance decoration: the flow's steps for apps that want their own routes. */
export interface OAuth1Instance extends Flow {
  /** The session key holding this provider's state. */
  readonly sessionKey: string
  /**
   * Starts a flow for this request: stores the pending flow (a cookie on `reply`, or the
   * session) and returns the authorize URL. A string second-to-last argument is the return path.
   */
  begin (request: FastifyRequest, reply: FastifyReply, options?: string | OAuth1BeginOptions): Promise<string>
  /** Completes a callback for this request; returns the stored credentials and the return path. */
  complete (request: FastifyRequest, reply: FastifyReply): Promise<Completed>
}

/**
 * The request decorations of named providers, for a declaration merge:
 * `declare module 'fastify' { interface FastifyRequest extends OAuth1RequestDecorations<'trello'> {} }`.
 */
export type OAuth1RequestDecorations<Name extends string> = { readonly [K in Name]: OAuth1RequestClient }
/** The instance decorations of named providers (see {@link OAuth1RequestDecorations}). */
export type OAuth1InstanceDecorations<Name extends string> = { readonly [K in Name]: OAuth1Instance }
/** What the plugin keeps in the session under its key. Plain data, so any store can serialise it. */
export type OAuth1SessionState = SessionState<OAuth1Credentials>
/**
 * The session keys of named providers, for typing `request.session.get('oauth1:<name>')`:
 * `declare module 'fastify' { interface Session extends OAuth1SessionData<'trello'> {} }`.
 */
export type OAuth1SessionData<Name extends string> = { [K in Name as `oauth1:${K}`]?: OAuth1SessionState }

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The current user's signed client of the provider registered without a `name`. Apps that
     * register only named providers use `request[name]` (see {@link OAuth1RequestDecorations});
     * there, reading `request.oauth1` throws `OAUTH1_INVALID_OPTION` (500) saying so.
     */
    readonly oauth1: OAuth1RequestClient
  }
  interface FastifyInstance {
    /** The flow steps of the default-named provider (throws `OAUTH1_INVALID_OPTION` when only named providers are registered). */
    readonly oauth1: OAuth1Instance
  }
  /** `@fastify/session` reads its keys' types from here. */
  interface Session {
    'oauth1:oauth1'?: OAuth1SessionState
  }
}

interface CookieReply {
  setCookie (name: string, value: string, options: FlowCookieOptions): void
  clearCookie (name: string, options: object): void
}

/**
 * The request context of the connect core, with the Fastify request and reply it wraps. A class,
 * not an object of closures: one is built for every flow step and every request client.
 */
class FastifyFlowContext implements FlowContext {
  readonly host: string
  readonly protocol: 'http' | 'https'
  private readonly cookies: Record<string, string | undefined>
  private abortSignal: CallerSignal | undefined

  constructor (readonly request: FastifyRequest, readonly reply: FastifyReply, private readonly sessionName: string) {
    this.cookies = (request as unknown as { cookies?: Record<string, string | undefined> }).cookies ?? {}
    this.host = request.host
    this.protocol = request.protocol === 'https' ? 'https' : 'http'
  }

  getCookie (name: string): string | undefined { return this.cookies[name] }
  cookieNames (): string[] { return Object.keys(this.cookies) }
  setCookie (name: string, value: string, options: FlowCookieOptions): void { (this.reply as unknown as CookieReply).setCookie(name, value, options) }
  clearCookie (name: string, options: object): void { (this.reply as unknown as CookieReply).clearCookie(name, options) }
  get session (): FlowSession | undefined { return asFlowSession((this.request as unknown as Record<string, unknown>)[this.sessionName]) }
  async readStoredSession (key: string): Promise<{ value: unknown } | undefined> {
    const { sessionStore, session } = this.request as unknown as { sessionStore?: unknown, session?: { sessionId?: unknown } }
    return readSessionStore(sessionStore, session?.sessionId, key)
  }

  get signal (): CallerSignal { return (this.abortSignal ??= closedSignal(this.reply.raw)) }
}

/** The provider registered without a name, on the instance it was registered on (children inherit it). */
const kDefault = Symbol.for('fastify-oauth1.default')
/** Set where the `oauth1` decorations below are ours. */
const kDefaultDecorated = Symbol.for('fastify-oauth1.default-decorated')
interface DefaultProvider {
  readonly instance: OAuth1Instance
  readonly client: (request: FastifyRequest) => OAuth1RequestClient
}

function defaultOf (server: FastifyInstance, what: string): DefaultProvider {
  const found = (server as unknown as Record<symbol, DefaultProvider | undefined>)[kDefault]
  if (found === undefined) {
    throw new OAuth1Error(ErrorCodes.INVALID_OPTION,
      `${what}.oauth1 is the provider registered without a name, and none is registered here: use ${what}[name] of the named provider (type it with OAuth1RequestDecorations<'name'>), or register one without a name`)
  }
  return found
}

/**
 * `request.oauth1` and `fastify.oauth1` (typed for every app) as getters of the default-named
 * provider, so an app with only named providers gets a coded error there, not a TypeError.
 */
function decorateDefault (fastify: FastifyInstance): void {
  if (fastify.hasDecorator(kDefaultDecorated) || fastify.hasDecorator('oauth1') || fastify.hasRequestDecorator('oauth1')) return
  fastify.decorate(kDefaultDecorated, true)
  fastify.decorate('oauth1', { getter (this: FastifyInstance) { return defaultOf(this, 'fastify').instance } })
  fastify.decorateRequest('oauth1', { getter (this: FastifyRequest) { return defaultOf(this.server, 'request').client(this) } })
}

const plugin: FastifyPluginAsync<FastifyOAuth1Options> = async (fastify: FastifyInstance, options: FastifyOAuth1Options) => {
  const sessionName = 'session'
  const hasSession = fastify.hasRequestDecorator(sessionName)
  const warnOnce = onceEach((request: FastifyRequest, message: string) => request.log.warn(message))
  const setup = setupAdapter<FastifyRequest, FastifyReply, FastifyFlowContext>(options, {
    hasSession,
    cookiesMissing: fastify.hasReplyDecorator('setCookie') ? undefined : "@fastify/cookie registered before fastify-oauth1 (the cookie flow store sets cookies), or flowState: 'session'",
    sessionNeeded: "'session' only with @fastify/session or @fastify/secure-session registered before fastify-oauth1",
    credentialsNeeded: 'saveCredentials/loadCredentials hooks, or a session plugin (@fastify/session or @fastify/secure-session) registered before fastify-oauth1 to keep the credentials in',
    warn: (ctx, key, message) => warnOnce(key, ctx.request, message)
  })
  const { name, sessionKey, startPath, callbackPath, successRedirect, failureRedirect, returnToParam, flow, connect } = setup
  const taken = name === 'oauth1'
    ? fastify.hasDecorator(kDefault) || (!fastify.hasDecorator(kDefaultDecorated) && (fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)))
    : fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)
  if (taken) invalidOption('name', `a name not decorated yet ("${name}" is taken; register each provider with its own name)`)
  const pathOption = options.callbackPath !== undefined ? 'callbackPath' : 'callbackUrl'
  if (fastify.hasRoute({ method: 'GET', url: callbackPath })) {
    invalidOption(pathOption, `a callback path no other route has ("${callbackPath}" is taken, by another provider's callback?): give each provider its own, e.g. /oauth/${name}/callback`)
  }
  if (startPath !== false && fastify.hasRoute({ method: 'GET', url: startPath })) {
    invalidOption('startPath', `a path no other route has ("${startPath}" is taken): give each provider its own, e.g. /oauth/${name}/start`)
  }
  const { onConnect, onFailure, onTokenInvalid } = options

  const begin = async (request: FastifyRequest, reply: FastifyReply, beginOptions?: string | BeginOptions): Promise<string> =>
    connect.begin(new FastifyFlowContext(request, reply, sessionName), typeof beginOptions === 'string' ? { returnTo: beginOptions } : beginOptions)
  const complete = async (request: FastifyRequest, reply: FastifyReply): Promise<Completed> =>
    connect.complete(new FastifyFlowContext(request, reply, sessionName), (request.query ?? {}) as Record<string, unknown>)

  const instance: OAuth1Instance = Object.assign(Object.create(null) as object, flow, { sessionKey, begin, complete })
  decorateDefault(fastify)

  const cache = Symbol(`oauth1:${name}:client`)
  const makeRequestClient = (request: FastifyRequest): OAuth1RequestClient =>
    createRequestClient({
      connect,
      flow,
      ctx: new FastifyFlowContext(request, undefined as unknown as FastifyReply, sessionName),
      name,
      onTokenInvalid: onTokenInvalid === undefined ? undefined : (ctx, error) => onTokenInvalid(ctx.request, error)
    })
  const clientOf = (request: FastifyRequest): OAuth1RequestClient => {
    const holder = request as unknown as Record<symbol, OAuth1RequestClient | undefined>
    let value = holder[cache]
    if (value === undefined) {
      value = makeRequestClient(request)
      holder[cache] = value
    }
    return value
  }
  if (name === 'oauth1') {
    fastify.decorate(kDefault, { instance, client: clientOf } satisfies DefaultProvider)
  } else {
    fastify.decorate(name, instance)
    fastify.decorateRequest(name, { getter (this: FastifyRequest) { return clientOf(this) } })
  }

  const fail = async (request: FastifyRequest, reply: FastifyReply, error: unknown, retryable: (error: OAuth1Error) => boolean): Promise<FastifyReply> => {
    if (onFailure !== undefined && error instanceof OAuth1Error) {
      await onFailure(request, reply, error)
      if (reply.sent) return reply
    }
    const location = failureLocation(failureRedirect, error, retryable)
    if (location !== undefined) {
      reply.log.info({ code: (error as OAuth1Error).code }, 'oauth1 sign-in refused')
      return reply.redirect(location)
    }
    throw error
  }

  // Session-store failures around the routes: @fastify/session loads in its onRequest hook
  // (before the handler) and saves in onSend (after it). Such a failure on these routes is an
  // OAUTH1_STORE_UNAVAILABLE (503) for the app's error handler, without the redirect or the
  // cookies that were being prepared, and with the session dropped so nothing tries to save again.
  // Recognised by where it happened: a non-coded 5xx (or status-less) error while the session is
  // not loaded, or after the handler finished (onSend); other hooks' errors with a status pass as they are.
  // `true` once the handler has finished, `'onConnect'` while the hook runs (it may send the reply).
  const handled = Symbol('oauth1 handler done')
  const storeErrors = (error: Error, request: FastifyRequest): unknown => {
    if (!hasSession) return error
    const holder = request as unknown as Record<string | symbol, unknown>
    if (asFlowSession(holder[sessionName]) === undefined) return sessionStoreError(error, 'load')
    return holder[handled] === undefined ? error : sessionStoreError(error, 'save')
  }
  // Throwing from a route's error handler hands the error to the app's own (the parent).
  const routeErrorHandler = (error: Error & { statusCode?: number }, request: FastifyRequest, reply: FastifyReply): never => {
    const coded = storeErrors(error, request)
    if (coded instanceof OAuth1Error && coded.code === ErrorCodes.STORE_UNAVAILABLE) {
      if ((request as unknown as Record<symbol, unknown>)[handled] === 'onConnect') {
        reply.log.warn({ code: coded.code }, 'fastify-oauth1: the session could not be saved after onConnect answered; the error handler answers instead')
      }
      reply.removeHeader('location')
      reply.removeHeader('set-cookie')
      ;(request as unknown as Record<string, unknown>)[sessionName] = null
    }
    const retryAfter = retryAfterOf(coded)
    if (retryAfter !== undefined) reply.header('retry-after', retryAfter)
    throw coded
  }
  const markHandled = (request: FastifyRequest, step: true | 'onConnect' = true): void => {
    (request as unknown as Record<symbol, unknown>)[handled] = step
  }

  if (startPath !== false) {
    // The cookies a start response sets are the same for every request of an app (per protocol):
    // the first starts are checked, then the hook only passes the payload on.
    let checks = 0
    fastify.get(startPath, {
      errorHandler: routeErrorHandler,
      onSend (request, reply, payload, done) {
        if (checks < 50) {
          checks++
          checkStartCookies(reply.getHeader('set-cookie'), request.protocol === 'https', 'trustProxy', (key, message) => warnOnce(key, request, message))
        }
        done(null, payload)
      }
    }, async (request, reply) => {
      const returnTo = firstString((request.query as Record<string, unknown> | undefined)?.[returnToParam])
      let location: string
      try {
        location = await begin(request, reply, { returnTo })
      } catch (error) {
        return fail(request, reply, error, retryableStart)
      }
      markHandled(request)
      return reply.redirect(location)
    })
  }
  const callbackHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let result: Completed
    try {
      result = await complete(request, reply)
    } catch (error) {
      return fail(request, reply, error, retryableCallback)
    }
    if (onConnect !== undefined) {
      // A reply the hook sends is saved (onSend) while it runs: a failure there is the store's.
      markHandled(request, 'onConnect')
      try {
        await onConnect(request, reply, result.credentials)
      } catch (error) {
        delete (request as unknown as Record<symbol, unknown>)[handled]
        throw error
      }
      if (reply.sent) return reply
    }
    markHandled(request)
    return reply.redirect(result.returnTo ?? successRedirect)
  }
  fastify.get(callbackPath, { errorHandler: routeErrorHandler }, callbackHandler)
  // The same handler for the trailing-slash form, so a provider (or a user) adding a "/" does not
  // end in Fastify's 404, whose "Route ... not found" log line would carry the verifier in clear.
  const slashPath = callbackPath.endsWith('/') ? callbackPath.slice(0, -1) : `${callbackPath}/`
  if (slashPath !== '' && !fastify.hasRoute({ method: 'GET', url: slashPath })) {
    fastify.get(slashPath, { errorHandler: routeErrorHandler }, callbackHandler)
  }
  fastify.addHook('onClose', async () => { await flow.close() })
}
/**
 * The Fastify plugin: `/oauth/start` and `/oauth/callback` for the three-legged flow of
 * RFC 5849 §2 over the framework-free connect core, started flows kept in encrypted per-flow
 * cookies (or the session), and the user's signed client on `request[name]`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2
 */
export const fastifyOAuth1 = fp(plugin, {
  fastify: '5.x',
  name: 'fastify-oauth1'
})

export default fastifyOAuth1
