import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ErrorCodes, invalidOption, OAuth1Error } from '../errors.js'
import { checkStartCookies, closedSignal, onceEach, prepareErrorAnswer, sessionStoreError, setupAdapter } from '../sign-in/adapter.js'
import type { BeginOptions, Completed, OAuth1Credentials } from '../sign-in/connect.js'
import type { ProviderClient } from '../provider/provider-client.js'
import type { OAuth1RequestClient } from '../sign-in/request-client.js'
import { type AdapterOptions, type OAuth1Config, resolveOptions } from '../sign-in/resolve-options.js'
import { createRoutes, noDefaultProvider, type RouteContext, type RouteOutcome, type RouteState } from '../sign-in/routes.js'
import { asSignInSession, type SignInContext, type SignInCookieOptions, type SignInSession, readSessionStore } from '../sign-in/state/context.js'
import type { SessionState } from '../sign-in/state/session-store.js'
import type { CallerSignal } from '../http/client.js'

export type { OAuth1Credentials } from '../sign-in/connect.js'
export type { FlowStateOption } from '../sign-in/resolve-options.js'
export type { OAuth1RequestClient } from '../sign-in/request-client.js'

/** Options of the plugin: the provider, `callbackUrl`, the flow state (the cookie store needs `@fastify/cookie`), hooks. Checked at registration. */
export interface FastifyOAuth1Options extends AdapterOptions<FastifyRequest, FastifyReply> {}

/** Options of {@link OAuth1Instance.begin}: a return path, per-start authorize parameters, a callback URL. */
export type OAuth1BeginOptions = BeginOptions

/** The instance decoration: the provider client's steps, and `begin`/`complete` for apps that want their own routes. */
export interface OAuth1Instance extends ProviderClient {
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
    /** The provider client steps of the default-named provider (throws `OAUTH1_INVALID_OPTION` when only named providers are registered). */
    readonly oauth1: OAuth1Instance
  }
  /** `@fastify/session` reads its keys' types from here. */
  interface Session {
    'oauth1:oauth1'?: OAuth1SessionState
  }
}

interface CookieReply { setCookie (name: string, value: string, options: SignInCookieOptions): void, clearCookie (name: string, options: object): void }
/** What the plugin reads of a request besides Fastify's own fields (set by the cookie and session plugins). */
interface PluginFields { cookies?: Record<string, string | undefined>, session?: unknown, sessionStore?: unknown }
const fieldsOf = (request: FastifyRequest): PluginFields => request as PluginFields
/** `true` once a route's handler has finished, `'onConnect'` while the hook runs (it may send the reply). */
const handled = new WeakMap<FastifyRequest, true | 'onConnect'>()

/**
 * The request context of the connect core and the route core, with the Fastify request and reply
 * it wraps (no reply for a request client). A class, not an object of closures: one is built for
 * every flow step and every request client.
 */
class FastifySignInContext implements SignInContext {
  readonly host: string
  readonly protocol: 'http' | 'https'
  private readonly cookies: Record<string, string | undefined>
  private abortSignal: CallerSignal | undefined

  constructor (readonly request: FastifyRequest, readonly reply: FastifyReply | undefined) {
    this.cookies = fieldsOf(request).cookies ?? {}
    this.host = request.host
    this.protocol = request.protocol === 'https' ? 'https' : 'http'
  }

  getCookie (name: string): string | undefined { return this.cookies[name] }
  cookieNames (): string[] { return Object.keys(this.cookies) }
  setCookie (name: string, value: string, options: SignInCookieOptions): void { (this.reply as CookieReply | undefined)?.setCookie(name, value, options) }
  clearCookie (name: string, options: object): void { (this.reply as CookieReply | undefined)?.clearCookie(name, options) }
  get session (): SignInSession | undefined { return asSignInSession(fieldsOf(this.request).session) }
  async readStoredSession (key: string): Promise<{ value: unknown } | undefined> {
    const { sessionStore, session } = fieldsOf(this.request)
    return readSessionStore(sessionStore, (session as { sessionId?: unknown } | undefined)?.sessionId, key)
  }

  get signal (): CallerSignal | undefined { return this.reply === undefined ? undefined : (this.abortSignal ??= closedSignal(this.reply.raw)) }
  get query (): Record<string, unknown> { return (this.request.query ?? {}) as Record<string, unknown> }
  answered (): boolean { return this.reply?.sent === true }
  mark (state: RouteState | undefined): void {
    if (state === undefined) handled.delete(this.request)
    else handled.set(this.request, state === 'onConnect' ? state : true)
  }
}
/** A context of the start or callback route: it has the reply. */
type RouteSignInContext = FastifySignInContext & RouteContext<FastifyRequest, FastifyReply>

/** The provider registered without a name, on the instance it was registered on (children inherit it). */
const kDefault = Symbol.for('fastify-oauth1.default')
/** Set where the `oauth1` decorations below are ours. */
const kDefaultDecorated = Symbol.for('fastify-oauth1.default-decorated')
interface DefaultProvider {
  readonly instance: OAuth1Instance
  readonly client: (request: FastifyRequest) => OAuth1RequestClient
}

function defaultOf (server: FastifyInstance & { [kDefault]?: DefaultProvider }, what: string): DefaultProvider {
  const found = server[kDefault]
  if (found === undefined) throw noDefaultProvider(what, 'OAuth1RequestDecorations', 'register')
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

/** Refuses a name or a path another provider (or the app) already has. */
function checkFree (fastify: FastifyInstance, config: OAuth1Config<FastifyRequest, FastifyReply>): void {
  const { name, routes: { callbackPath, callbackPathOption, startPath } } = config
  const taken = name === 'oauth1'
    ? fastify.hasDecorator(kDefault) || (!fastify.hasDecorator(kDefaultDecorated) && (fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)))
    : fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)
  if (taken) invalidOption('name', `a name not decorated yet ("${name}" is taken; register each provider with its own name)`)
  if (fastify.hasRoute({ method: 'GET', url: callbackPath })) {
    invalidOption(callbackPathOption, `a callback path no other route has ("${callbackPath}" is taken, by another provider's callback?): ` +
      `give each provider its own, e.g. /oauth/${name}/callback`)
  }
  if (startPath !== false && fastify.hasRoute({ method: 'GET', url: startPath })) {
    invalidOption('startPath', `a path no other route has ("${startPath}" is taken): give each provider its own, e.g. /oauth/${name}/start`)
  }
}

const cookiePluginMissing = "@fastify/cookie registered before fastify-oauth1 (it sets the flow cookies), or flowState: 'session'"
const plugin: FastifyPluginAsync<FastifyOAuth1Options> = async (fastify: FastifyInstance, options: FastifyOAuth1Options) => {
  const hasSession = fastify.hasRequestDecorator('session')
  const warnOnce = onceEach((request: FastifyRequest, message: string) => request.log.warn(message))
  const config = resolveOptions(options, {
    hasSession,
    cookiesMissing: fastify.hasReplyDecorator('setCookie') ? undefined : cookiePluginMissing,
    sessionNeeded: "'session' only with @fastify/session or @fastify/secure-session registered before fastify-oauth1",
    sessionMissing: '@fastify/session or @fastify/secure-session is not registered; register one (before fastify-oauth1)'
  })
  checkFree(fastify, config)
  for (const warning of config.warnings) fastify.log.warn(warning)
  const { name, routes: { startPath, callbackPath }, credentials: { sessionKey } } = config
  const { providerClient, connect } = setupAdapter<FastifyRequest, FastifyReply, RouteSignInContext>(config,
    (ctx, key, message) => warnOnce(key, ctx.request, message))
  const routes = createRoutes(config, providerClient, connect)
  const contextOf = (request: FastifyRequest, reply: FastifyReply): RouteSignInContext => new FastifySignInContext(request, reply) as RouteSignInContext
  const instance: OAuth1Instance = Object.assign(Object.create(null) as object, providerClient, {
    sessionKey,
    begin: async (request: FastifyRequest, reply: FastifyReply, beginOptions?: string | BeginOptions) => routes.begin(contextOf(request, reply), beginOptions),
    complete: async (request: FastifyRequest, reply: FastifyReply) => routes.complete(contextOf(request, reply))
  })
  decorateDefault(fastify)
  const clientOf = (request: FastifyRequest): OAuth1RequestClient =>
    routes.clientOf(request, () => new FastifySignInContext(request, undefined) as RouteSignInContext)
  if (name === 'oauth1') {
    fastify.decorate(kDefault, { instance, client: clientOf } satisfies DefaultProvider)
  } else {
    fastify.decorate(name, instance)
    fastify.decorateRequest(name, { getter (this: FastifyRequest) { return clientOf(this) } })
  }

  const answer = (reply: FastifyReply, outcome: RouteOutcome): FastifyReply => {
    if ('answered' in outcome) return reply
    if ('error' in outcome) throw outcome.error
    if (outcome.refused !== undefined) reply.log.info({ code: outcome.refused.code }, 'oauth1 sign-in refused')
    return reply.redirect(outcome.redirect)
  }
  // Session-store failures around the routes: @fastify/session loads in its onRequest hook
  // (before the handler) and saves in onSend (after it). Such a failure on these routes is an
  // OAUTH1_STORE_UNAVAILABLE (503) for the app's error handler, without the redirect or the
  // cookies that were being prepared, and with the session dropped so nothing tries to save again.
  // Recognised by where it happened: a non-coded 5xx (or status-less) error while the session is
  // not loaded, or after the handler finished (onSend); other hooks' errors with a status pass as they are.
  // Throwing from a route's error handler hands the error to the app's own (the parent).
  const routeErrorHandler = (error: Error, request: FastifyRequest, reply: FastifyReply): never => {
    const step = handled.get(request)
    const fields = fieldsOf(request)
    const coded = !hasSession
      ? error
      : asSignInSession(fields.session) === undefined ? sessionStoreError(error, 'load') : step === undefined ? error : sessionStoreError(error, 'save')
    if (step === 'onConnect' && coded instanceof OAuth1Error && coded.code === ErrorCodes.STORE_UNAVAILABLE) {
      reply.log.warn({ code: coded.code }, 'fastify-oauth1: the session could not be saved after onConnect answered; the error handler answers instead')
    }
    prepareErrorAnswer(coded, reply, () => { fields.session = null })
    throw coded
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
    }, async (request, reply) => answer(reply, await routes.start(contextOf(request, reply))))
  }
  const callbackHandler = async (request: FastifyRequest, reply: FastifyReply) => answer(reply, await routes.callback(contextOf(request, reply)))
  fastify.get(callbackPath, { errorHandler: routeErrorHandler }, callbackHandler)
  // The same handler for the trailing-slash form, so a provider (or a user) adding a "/" does not
  // end in Fastify's 404, whose "Route ... not found" log line would carry the verifier in clear.
  const slashPath = callbackPath.endsWith('/') ? callbackPath.slice(0, -1) : `${callbackPath}/`
  if (slashPath !== '' && !fastify.hasRoute({ method: 'GET', url: slashPath })) {
    fastify.get(slashPath, { errorHandler: routeErrorHandler }, callbackHandler)
  }
  fastify.addHook('onClose', async () => { await providerClient.close() })
}
/**
 * The Fastify plugin: `/oauth/start` and `/oauth/callback` for the three-legged flow of
 * RFC 5849 §2 over the framework-free connect core, started flows kept in encrypted per-flow
 * cookies (or the session), and the user's signed client on `request[name]`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2
 */
export const fastifyOAuth1 = fp(plugin, { fastify: '5.x', name: 'fastify-oauth1' })

export default fastifyOAuth1
