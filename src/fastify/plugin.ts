import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { rejectUnknownOptions } from '../options.js'
import { createFlow, type Flow, flowOptionKeys, type FlowOptions } from '../flow/flow.js'
import { type BeginOptions, type Completed, createConnect, firstString, type OAuth1Credentials } from '../flow/connect.js'
import { asFlowSession, type FlowContext, type FlowCookieOptions } from '../flow/state/context.js'
import { createCookieFlowStore } from '../flow/state/cookie-store.js'
import { createSessionFlowStore, type SessionState } from '../flow/state/session-store.js'
import type { FlowStore } from '../flow/state/store.js'
import { isCredentials } from '../flow/connect.js'
import { createRequestClient, type OAuth1RequestClient } from '../flow/request-client.js'
import { type PresetFields, presetFacts, userOf } from '../presets/presets.js'

export type { OAuth1Credentials } from '../flow/connect.js'
export type { OAuth1RequestClient } from '../flow/request-client.js'

/** Where started flows wait for their callback: see the README's "Flow state". */
export type FlowStateOption = 'cookie' | 'session' | FlowStore

/** Options of the plugin. Everything is validated at registration; unknown keys are refused. */
export interface FastifyOAuth1Options extends Omit<FlowOptions, 'authorizeParams'>, PresetFields {
  /**
   * Names the request and instance decorations (`request[name]`, `app[name]`), the session
   * key and the flow cookies. Default `'oauth1'`. Register once per provider with distinct names.
   */
  name?: string | undefined
  /**
   * Absolute callback URL registered at the provider (`oauth_callback`, RFC 5849 §2.1), or a
   * function of the request (several domains, preview deployments; then set `callbackPath`
   * if its path is not `/oauth/callback`).
   */
  callbackUrl: string | ((request: FastifyRequest) => string)
  /** Extra authorize parameters (RFC 5849 §2.2): fixed, or per request. `begin()` may add more. */
  authorizeParams?: Record<string, string> | ((request: FastifyRequest) => Record<string, string> | undefined) | undefined
  /**
   * Where started flows wait: `'cookie'` (default; one encrypted cookie per flow, needs
   * `flowSecret` and `@fastify/cookie`), `'session'` (the session plugin's session), or a
   * {@link FlowStore} of your own.
   */
  flowState?: FlowStateOption | undefined
  /** Secret(s) of the cookie store, 32+ characters each; the first encrypts, all decrypt (rotation). */
  flowSecret?: string | string[] | undefined
  /** Route that starts the flow; default `/oauth/start` (`/oauth/<name>/start` for other names); `false` for none. */
  startPath?: string | false | undefined
  /** Route the provider redirects back to; default the path of `callbackUrl` (`/oauth/callback` when it is a function). */
  callbackPath?: string | undefined
  /** Where to go after connecting (when no return path was given). Default `/`. */
  successRedirect?: string | undefined
  /**
   * Where to send the user when a start or callback fails in a way they can retry (denial,
   * unknown or expired token, lost flow state, too many flows, provider unreachable), with
   * `?oauth1_error=<code>`. Unset: the error goes to Fastify's error handler.
   */
  failureRedirect?: string | undefined
  /** Query parameter of the start route holding a same-site return path. Default `returnTo`. */
  returnToParam?: string | undefined
  /** Milliseconds a started flow may take. Default 10 minutes. */
  pendingTtl?: number | undefined
  /** Flows one browser may have open at once (tabs); at the limit a new start is refused (429). Default 5. */
  maxPending?: number | undefined
  /**
   * Keeps the credentials somewhere else than the session (a database). Called after a
   * successful callback; when given, `loadCredentials` is required and nothing goes in the session.
   * With these hooks no session plugin is needed at all.
   */
  saveCredentials?: ((request: FastifyRequest, credentials: OAuth1Credentials) => Promise<void>) | undefined
  /** Loads the current user's credentials; called at most once per request. */
  loadCredentials?: ((request: FastifyRequest) => Promise<OAuth1Credentials | null | undefined>) | undefined
  /** Forgets the current user's credentials (called by `request[name].disconnect()`). */
  deleteCredentials?: ((request: FastifyRequest) => Promise<void>) | undefined
  /**
   * Called after a successful callback, before the redirect to the success target. Send a reply
   * from it (`reply.redirect(...)`, `reply.send(...)`) to replace that redirect.
   */
  onConnect?: ((request: FastifyRequest, reply: FastifyReply, credentials: OAuth1Credentials) => Promise<void> | void) | undefined
  /**
   * Called when the start or the callback fails (denial, unknown or expired token, lost flow
   * state, provider failure), before the failure redirect or the error handler. Send a reply
   * from it to replace them.
   */
  onFailure?: ((request: FastifyRequest, reply: FastifyReply, error: OAuth1Error) => Promise<void> | void) | undefined
  /**
   * Called when the provider refuses the user's token on a `request[name]` call (`token_expired`
   * that could not be renewed, `token_revoked`, `token_rejected`, X's code 89), before the call
   * rejects with that `OAUTH1_TOKEN_INVALID` (401): drop the credentials
   * (`request[name].disconnect()`) and ask the user to connect again.
   */
  onTokenInvalid?: ((request: FastifyRequest, error: OAuth1Error) => Promise<void> | void) | undefined
}

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
export type OAuth1RequestDecorations<Name extends string> = { [K in Name]: OAuth1RequestClient }
/** The instance decorations of named providers (see {@link OAuth1RequestDecorations}). */
export type OAuth1InstanceDecorations<Name extends string> = { [K in Name]: OAuth1Instance }
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
     * register only named providers use `request[name]` (see {@link OAuth1RequestDecorations}).
     */
    oauth1: OAuth1RequestClient
  }
  interface FastifyInstance {
    /** The flow steps of the default-named provider. */
    oauth1: OAuth1Instance
  }
  /** `@fastify/session` reads its keys' types from here. */
  interface Session {
    'oauth1:oauth1'?: OAuth1SessionState
  }
}

/** The option keys the plugin itself reads; the rest go to the flow, which knows its own (`flowOptionKeys`). */
const pluginKeys = [
  'name', 'callbackUrl', 'authorizeParams', 'flowState', 'flowSecret', 'startPath', 'callbackPath', 'successRedirect',
  'failureRedirect', 'returnToParam', 'pendingTtl', 'maxPending', 'saveCredentials', 'loadCredentials',
  'deleteCredentials', 'onConnect', 'onFailure', 'onTokenInvalid'
] as const satisfies ReadonlyArray<keyof FastifyOAuth1Options>
type UnlistedKey = Exclude<keyof FastifyOAuth1Options, typeof pluginKeys[number] | keyof FlowOptions | keyof PresetFields>
// Fails to compile when an option is added to the interface but not to the list above.
const everyKeyListed: [UnlistedKey] extends [never] ? true : UnlistedKey = true
const pluginKeySet: ReadonlySet<string> = new Set(everyKeyListed ? pluginKeys : [])
const knownKeySet: ReadonlySet<string> = new Set([...pluginKeySet, ...flowOptionKeys])

const namePattern = /^[A-Za-z_$][\w$]*$/

/** The request context of the connect core, with the Fastify request and reply it wraps. */
interface FastifyFlowContext extends FlowContext {
  readonly request: FastifyRequest
  readonly reply: FastifyReply
}

function contextOf (request: FastifyRequest, reply: FastifyReply, sessionName: string): FastifyFlowContext {
  const cookies = (request as unknown as { cookies?: Record<string, string | undefined> }).cookies ?? {}
  const cookieReply = reply as unknown as {
    setCookie (name: string, value: string, options: FlowCookieOptions): void
    clearCookie (name: string, options: object): void
  }
  let signal: AbortSignal | undefined
  return {
    request,
    reply,
    getCookie: (name) => cookies[name],
    cookieNames: () => Object.keys(cookies),
    setCookie: (name, value, options) => cookieReply.setCookie(name, value, options),
    clearCookie: (name, options) => cookieReply.clearCookie(name, options),
    get session () { return asFlowSession((request as unknown as Record<string, unknown>)[sessionName]) },
    host: request.host,
    protocol: request.protocol === 'https' ? 'https' : 'http',
    get signal () { return (signal ??= goneSignal(reply)) }
  }
}

/** Aborts when the browser goes away before the answer is sent, so provider calls stop with it. */
function goneSignal (reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => { if (!reply.raw.writableFinished) controller.abort(new Error('The browser closed the request')) })
  return controller.signal
}

function checkPath (name: string, value: unknown): void {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
    invalidOption(name, 'a path on this site, starting with a single "/"')
  }
}

function checkPositive (name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalidOption(name, 'a positive number')
}

function checkCallbackUrl (value: unknown): URL | undefined {
  if (typeof value === 'function') return undefined
  let callback: URL
  try {
    callback = new URL(value as string)
  } catch {
    invalidOption('callbackUrl', 'an absolute URL, e.g. https://app.example.com/oauth/callback, or a function of the request')
  }
  if (callback.protocol !== 'https:' && callback.protocol !== 'http:') invalidOption('callbackUrl', 'an http(s) URL')
  return callback
}

function checkPluginOptions (options: FastifyOAuth1Options): URL | undefined {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  rejectUnknownOptions(options, knownKeySet, 'fastify-oauth1')
  if (options.name !== undefined && (typeof options.name !== 'string' || !namePattern.test(options.name))) {
    invalidOption('name', 'an identifier such as "twitter"')
  }
  const callback = checkCallbackUrl(options.callbackUrl)
  if (options.startPath !== undefined && options.startPath !== false) checkPath('startPath', options.startPath)
  if (options.callbackPath !== undefined) checkPath('callbackPath', options.callbackPath)
  if (options.successRedirect !== undefined) checkPath('successRedirect', options.successRedirect)
  if (options.failureRedirect !== undefined) checkPath('failureRedirect', options.failureRedirect)
  if (options.returnToParam !== undefined && typeof options.returnToParam !== 'string') invalidOption('returnToParam', 'a string')
  if (options.pendingTtl !== undefined) checkPositive('pendingTtl', options.pendingTtl)
  if (options.maxPending !== undefined) {
    checkPositive('maxPending', options.maxPending)
    if (!Number.isInteger(options.maxPending)) invalidOption('maxPending', 'a whole number')
  }
  for (const hook of ['saveCredentials', 'loadCredentials', 'deleteCredentials', 'onConnect', 'onFailure', 'onTokenInvalid'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') invalidOption(hook, 'an async function')
  }
  if (options.saveCredentials !== undefined && options.loadCredentials === undefined) {
    invalidOption('loadCredentials', 'a function when saveCredentials is given (credentials are not kept in the session then)')
  }
  const state = options.flowState
  if (state !== undefined && state !== 'cookie' && state !== 'session' &&
    (typeof state !== 'object' || state === null || typeof state.put !== 'function' || typeof state.take !== 'function' || typeof state.count !== 'function')) {
    invalidOption('flowState', "'cookie', 'session' or a FlowStore ({ count, put, take })")
  }
  return callback
}

/** Errors of the start route a user can retry (a busy or unreachable provider, too many flows). */
function retryableStart (error: OAuth1Error): boolean {
  return error.statusCode < 500 || error.code === ErrorCodes.TIMEOUT || error.code === ErrorCodes.NETWORK ||
    (error.code === ErrorCodes.PROVIDER_ERROR && (error.status ?? 0) >= 500)
}

const plugin: FastifyPluginAsync<FastifyOAuth1Options> = async (fastify: FastifyInstance, options: FastifyOAuth1Options) => {
  const staticCallback = checkPluginOptions(options)
  const name = options.name ?? 'oauth1'
  const sessionKey = `oauth1:${name}`
  const sessionName = 'session'
  const startPath = options.startPath ?? (name === 'oauth1' ? '/oauth/start' : `/oauth/${name}/start`)
  const callbackPath = options.callbackPath ?? staticCallback?.pathname ?? '/oauth/callback'
  const successRedirect = options.successRedirect ?? '/'
  const failureRedirect = options.failureRedirect
  const returnToParam = options.returnToParam ?? 'returnTo'
  const limits = { ttl: options.pendingTtl ?? 10 * 60_000, max: options.maxPending ?? 5 }
  const { saveCredentials, loadCredentials, deleteCredentials, onConnect, onFailure, onTokenInvalid } = options
  if (fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)) {
    invalidOption('name', `a name not decorated yet ("${name}" is taken; register each provider with its own name)`)
  }
  // The flow validates the provider options first (it opens no connection until used).
  const preset = presetFacts(options)
  const flowOptions = Object.fromEntries(Object.entries(options).filter(([key]) => flowOptionKeys.has(key) && key !== 'authorizeParams')) as FlowOptions
  const authorizeParams = options.authorizeParams
  const flow = createFlow(typeof authorizeParams === 'function' ? flowOptions : { ...flowOptions, authorizeParams })
  const hasSession = fastify.hasRequestDecorator(sessionName)
  const stateOption = options.flowState ?? 'cookie'
  let store: FlowStore
  if (stateOption === 'cookie') {
    if (options.flowSecret === undefined) {
      invalidOption('flowSecret', "a secret of at least 32 random characters for the encrypted flow cookies (openssl rand -base64 32), or flowState: 'session'")
    }
    if (!fastify.hasReplyDecorator('setCookie')) {
      invalidOption('flowState', "@fastify/cookie registered before fastify-oauth1 (the cookie flow store sets cookies), or flowState: 'session'")
    }
    store = createCookieFlowStore({
      secrets: options.flowSecret,
      prefix: `oauth1-${name}-`,
      callbackPath,
      secure: staticCallback === undefined ? 'auto' : staticCallback.protocol === 'https:',
      ...limits
    })
  } else if (stateOption === 'session') {
    if (!hasSession) invalidOption('flowState', "'session' only with @fastify/session or @fastify/secure-session registered before fastify-oauth1")
    store = createSessionFlowStore({ key: sessionKey, ...limits }, isCredentials)
  } else {
    store = stateOption
  }
  if (!hasSession && saveCredentials === undefined) {
    invalidOption('saveCredentials', 'saveCredentials/loadCredentials hooks, or a session plugin (@fastify/session or @fastify/secure-session) registered before fastify-oauth1 to keep the credentials in')
  }
  const warned = new Set<string>()
  const warnOnce = (request: FastifyRequest, key: string, message: string): void => {
    if (warned.has(key) || warned.size > 100) return
    warned.add(key)
    request.log.warn(message)
  }

  const connect = createConnect<FastifyFlowContext>({
    flow,
    store,
    limits,
    sessionKey,
    callbackUrl: typeof options.callbackUrl === 'function'
      ? ((fn) => (ctx: FastifyFlowContext) => fn(ctx.request))(options.callbackUrl)
      : options.callbackUrl,
    authorizeParams: typeof authorizeParams === 'function' ? (ctx) => authorizeParams(ctx.request) : undefined,
    denial: preset.denial,
    toCredentials: (access, now) => ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now, user: userOf(preset, access.extra) }),
    saveCredentials: saveCredentials === undefined ? undefined : (ctx, credentials) => saveCredentials(ctx.request, credentials),
    loadCredentials: loadCredentials === undefined ? undefined : (ctx) => loadCredentials(ctx.request),
    deleteCredentials: deleteCredentials === undefined ? undefined : (ctx) => deleteCredentials(ctx.request),
    onHostMismatch: (ctx, requestHost, callbackHost) => warnOnce(ctx.request, `host:${requestHost}>${callbackHost}`,
      `fastify-oauth1: /oauth/start was requested on host ${requestHost} but the callback is on ${callbackHost}: the browser will not send the flow cookie back and the callback will fail with OAUTH1_NO_SESSION. Open the app on ${callbackHost} (or make callbackUrl use the request's host).`)
  })

  const begin = async (request: FastifyRequest, reply: FastifyReply, beginOptions?: string | BeginOptions): Promise<string> =>
    connect.begin(contextOf(request, reply, sessionName), typeof beginOptions === 'string' ? { returnTo: beginOptions } : beginOptions)
  const complete = async (request: FastifyRequest, reply: FastifyReply): Promise<Completed> =>
    connect.complete(contextOf(request, reply, sessionName), (request.query ?? {}) as Record<string, unknown>)

  const instance: OAuth1Instance = Object.assign(Object.create(null) as object, flow, { sessionKey, begin, complete })
  fastify.decorate(name, instance)

  const cache = Symbol(`oauth1:${name}:client`)
  const makeRequestClient = (request: FastifyRequest): OAuth1RequestClient =>
    createRequestClient({
      connect,
      flow,
      ctx: contextOf(request, undefined as unknown as FastifyReply, sessionName),
      name,
      onTokenInvalid: onTokenInvalid === undefined ? undefined : (ctx, error) => onTokenInvalid(ctx.request, error)
    })
  fastify.decorateRequest(name, {
    getter (this: FastifyRequest) {
      const holder = this as unknown as Record<symbol, OAuth1RequestClient | undefined>
      let value = holder[cache]
      if (value === undefined) {
        value = makeRequestClient(this)
        holder[cache] = value
      }
      return value
    }
  })

  const fail = async (request: FastifyRequest, reply: FastifyReply, error: unknown, retryable: (error: OAuth1Error) => boolean): Promise<FastifyReply> => {
    if (onFailure !== undefined && error instanceof OAuth1Error) {
      await onFailure(request, reply, error)
      if (reply.sent) return reply
    }
    if (failureRedirect !== undefined && error instanceof OAuth1Error && retryable(error)) {
      reply.log.info({ code: error.code }, 'oauth1 sign-in refused')
      const url = new URL(failureRedirect, 'http://x.invalid')
      url.searchParams.set('oauth1_error', error.code)
      return reply.redirect(url.pathname + url.search)
    }
    throw error
  }

  if (startPath !== false) {
    // The cookies a start response sets are the same for every request of an app (per protocol):
    // the first starts are checked, then the hook only passes the payload on.
    let checks = 0
    fastify.get(startPath, {
      onSend (request, reply, payload, done) {
        if (checks < 50) {
          checks++
          checkStartCookies(request, reply.getHeader('set-cookie'), warnOnce)
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
      return reply.redirect(location)
    })
  }
  fastify.get(callbackPath, async (request, reply) => {
    let result: Completed
    try {
      result = await complete(request, reply)
    } catch (error) {
      return fail(request, reply, error, (error) => error.statusCode < 500)
    }
    if (onConnect !== undefined) {
      await onConnect(request, reply, result.credentials)
      if (reply.sent) return reply
    }
    return reply.redirect(result.returnTo ?? successRedirect)
  })
  fastify.addHook('onClose', async () => { await flow.close() })
}

/** Warns about cookies set on the start response that will not come back to the callback. */
function checkStartCookies (request: FastifyRequest, header: unknown, warnOnce: (request: FastifyRequest, key: string, message: string) => void): void {
  const lines = Array.isArray(header) ? header : typeof header === 'string' ? [header] : []
  for (const line of lines as string[]) {
    const cookieName = line.slice(0, line.indexOf('='))
    if (/;\s*samesite=strict/i.test(line)) {
      warnOnce(request, `strict:${cookieName}`, `fastify-oauth1: the cookie "${cookieName}" is SameSite=Strict: browsers do not send it on the provider's redirect back to the callback, so the sign-in will be lost. Use sameSite: 'lax'.`)
    }
    if (request.protocol !== 'https' && /;\s*secure/i.test(line)) {
      warnOnce(request, `secure:${cookieName}`, `fastify-oauth1: the cookie "${cookieName}" is Secure but this request came over plain http: browsers drop it, so the sign-in will be lost. Serve https (trustProxy behind a TLS proxy) or use secure: 'auto'.`)
    }
  }
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
