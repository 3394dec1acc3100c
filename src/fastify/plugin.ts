import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { ClientResponse, OAuth1Client, RequestOptions } from '../http/client.js'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { type AccessToken, createFlow, type Flow, flowOptionKeys, type FlowOptions } from '../flow/flow.js'
import { type PresetFields, presetFacts, userOf } from '../presets/presets.js'
import { callbackError, classifyCallback } from '../flow/callback.js'
import { addPending, type PendingToken, safeReturnPath, takePending } from '../flow/pending-tokens.js'

/** A user's token credentials and what the provider said about the user (RFC 5849 §2.3). */
export interface OAuth1Credentials {
  token: string
  tokenSecret: string
  /** Extra fields of the access-token response (`user_id`, `screen_name`, ...). */
  extra: Record<string, string>
  /** Milliseconds since the epoch. */
  connectedAt: number
  /** Who connected, read from `extra` with the provider preset's field names (default `user_id`, `screen_name`). */
  user?: { id?: string, name?: string }
}

/** Options of the plugin. Everything is validated at registration. */
export interface FastifyOAuth1Options extends FlowOptions, PresetFields {
  /**
   * Names the request and instance decorations (`request[name]`, `app[name]`) and the session
   * key. Default `'oauth1'`. Register once per provider with distinct names.
   */
  name?: string | undefined
  /** Absolute callback URL registered at the provider (`oauth_callback`, RFC 5849 §2.1). */
  callbackUrl: string
  /** Route that starts the flow; default `/oauth/start` (`/oauth/<name>/start` for other names); `false` for none. */
  startPath?: string | false | undefined
  /** Route the provider redirects back to; default the path of `callbackUrl`. */
  callbackPath?: string | undefined
  /** Where to go after connecting (when no return path was given). Default `/`. */
  successRedirect?: string | undefined
  /**
   * Where to send the user when the callback fails on their side (denial, unknown or expired
   * token, lost session), with `?oauth1_error=<code>`. Unset: the error goes to Fastify's error handler.
   */
  failureRedirect?: string | undefined
  /** Query parameter of the start route holding a same-site return path. Default `returnTo`. */
  returnToParam?: string | undefined
  /** Milliseconds a started flow may take. Default 10 minutes. */
  pendingTtl?: number | undefined
  /** Flows one session may have open at once (tabs). Default 5. */
  maxPending?: number | undefined
  /**
   * Keeps the credentials somewhere else than the session (a database). Called after a
   * successful callback; when given, `loadCredentials` is required and nothing goes in the session.
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
   * Called when the callback fails (denial, unknown or expired token, lost session, provider
   * failure), before the failure redirect or the error handler. Send a reply from it to replace them.
   */
  onFailure?: ((request: FastifyRequest, reply: FastifyReply, error: OAuth1Error) => Promise<void> | void) | undefined
}

/** The signed client of the current user, decorated on each request. */
export interface OAuth1RequestClient {
  /** True when the user has connected an account. */
  isConnected (): Promise<boolean>
  /** The user's credentials, or `undefined`. */
  getCredentials (): Promise<OAuth1Credentials | undefined>
  /** A client signing as this user. @throws {OAuth1Error} `OAUTH1_NOT_CONNECTED` (401). */
  client (): Promise<OAuth1Client>
  /** Signed request as this user. @throws {OAuth1Error} `OAUTH1_NOT_CONNECTED` (401). */
  request (url: string | URL, options?: RequestOptions): Promise<ClientResponse>
  get (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  post (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  put (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  patch (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  delete (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  /** Drops the user's credentials. */
  disconnect (): Promise<void>
}

/** The instance decoration: the flow's steps for apps that want their own routes. */
export interface OAuth1Instance extends Flow {
  /** The session key holding this provider's state. */
  readonly sessionKey: string
  /** Starts a flow for this request: stores the pending token and returns the authorize URL. */
  begin (request: FastifyRequest, returnTo?: string): Promise<string>
  /** Completes a callback for this request; returns the stored credentials and the return path. */
  complete (request: FastifyRequest): Promise<{ credentials: OAuth1Credentials, returnTo: string | undefined }>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The current user's signed client (default plugin name). */
    oauth1: OAuth1RequestClient
  }
  interface FastifyInstance {
    /** The flow steps of the default-named provider. */
    oauth1: OAuth1Instance
  }
}

/** What the plugin keeps in the session under its key. Plain data, so any store can serialise it. */
export interface OAuth1SessionState {
  pending?: PendingToken[]
  credentials?: OAuth1Credentials
}

interface SessionLike {
  get (key: string): unknown
  set (key: string, value: unknown): void
  regenerate (keys?: string[]): Promise<void>
}

const namePattern = /^[A-Za-z_$][\w$]*$/

function sessionOf (request: FastifyRequest): SessionLike {
  const session = (request as unknown as { session?: SessionLike }).session
  if (session === undefined || typeof session.get !== 'function') {
    throw new OAuth1Error(ErrorCodes.INVALID_OPTION, 'fastify-oauth1 needs @fastify/session registered before it')
  }
  return session
}

function checkPath (name: string, value: unknown): void {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
    invalidOption(name, 'a path on this site, starting with a single "/"')
  }
}

function checkPositive (name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalidOption(name, 'a positive number')
}

function checkPluginOptions (options: FastifyOAuth1Options): void {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  if (options.name !== undefined && (typeof options.name !== 'string' || !namePattern.test(options.name))) {
    invalidOption('name', 'an identifier such as "twitter"')
  }
  let callback: URL
  try {
    callback = new URL(options.callbackUrl)
  } catch {
    invalidOption('callbackUrl', 'an absolute URL, e.g. https://app.example.com/oauth/callback')
  }
  if (callback.protocol !== 'https:' && callback.protocol !== 'http:') invalidOption('callbackUrl', 'an http(s) URL')
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
  for (const hook of ['saveCredentials', 'loadCredentials', 'deleteCredentials', 'onConnect', 'onFailure'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') invalidOption(hook, 'an async function')
  }
  if (options.saveCredentials !== undefined && options.loadCredentials === undefined) {
    invalidOption('loadCredentials', 'a function when saveCredentials is given (credentials are not kept in the session then)')
  }
}

function firstString (value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0]
  return undefined
}

const plugin: FastifyPluginAsync<FastifyOAuth1Options> = async (fastify: FastifyInstance, options: FastifyOAuth1Options) => {
  checkPluginOptions(options)
  const name = options.name ?? 'oauth1'
  const sessionKey = `oauth1:${name}`
  const callbackUrl = options.callbackUrl
  const startPath = options.startPath ?? (name === 'oauth1' ? '/oauth/start' : `/oauth/${name}/start`)
  const callbackPath = options.callbackPath ?? new URL(callbackUrl).pathname
  const successRedirect = options.successRedirect ?? '/'
  const failureRedirect = options.failureRedirect
  const returnToParam = options.returnToParam ?? 'returnTo'
  const limits = { ttl: options.pendingTtl ?? 10 * 60_000, max: options.maxPending ?? 5 }
  const { saveCredentials, loadCredentials, deleteCredentials, onConnect, onFailure } = options
  if (fastify.hasDecorator(name) || fastify.hasRequestDecorator(name)) {
    invalidOption('name', `a name not decorated yet ("${name}" is taken; register each provider with its own name)`)
  }
  const preset = presetFacts(options)
  // createFlow refuses keys it does not know: give it only the flow's (the plugin's own are read above).
  const flow = createFlow(Object.fromEntries(Object.entries(options).filter(([key]) => flowOptionKeys.has(key))) as unknown as FlowOptions)

  const readState = (request: FastifyRequest): OAuth1SessionState => {
    const value = sessionOf(request).get(sessionKey)
    return typeof value === 'object' && value !== null ? value as OAuth1SessionState : {}
  }
  const writeState = (request: FastifyRequest, state: OAuth1SessionState): void => {
    sessionOf(request).set(sessionKey, state)
  }

  async function begin (request: FastifyRequest, returnTo?: string): Promise<string> {
    const session = sessionOf(request)
    const requestToken = await flow.getRequestToken(callbackUrl)
    const now = Date.now()
    const entry: PendingToken = { token: requestToken.token, secret: requestToken.tokenSecret, created: now }
    const safe = safeReturnPath(returnTo)
    if (safe !== undefined) entry.returnTo = safe
    const state = readState(request)
    session.set(sessionKey, { ...state, pending: addPending(state.pending, entry, limits, now) })
    return flow.authorizeUrl(requestToken.token)
  }

  async function complete (request: FastifyRequest): Promise<{ credentials: OAuth1Credentials, returnTo: string | undefined }> {
    const query = (request.query ?? {}) as Record<string, unknown>
    const session = sessionOf(request)
    const state = readState(request)
    const token = firstString(query.oauth_token) ?? firstString(query.denied)
    const now = Date.now()
    const hasPending = state.pending !== undefined && state.pending.length > 0
    const taken = token === undefined || !hasPending ? undefined : takePending(state.pending, token, limits, now)
    if (taken !== undefined) writeState(request, { ...state, pending: taken.rest })
    const refused = callbackError(classifyCallback(query, preset.denial))
    if (refused !== undefined) throw refused
    if (!hasPending && session.get(sessionKey) === undefined) {
      throw new OAuth1Error(ErrorCodes.NO_SESSION,
        'No sign-in is in progress in this session: the session cookie did not come back (SameSite=Strict, secure cookie over http, another host name) or the flow expired')
    }
    if (taken === undefined || taken.entry === undefined) {
      throw new OAuth1Error(ErrorCodes.UNKNOWN_TOKEN, taken?.expired === true
        ? 'The sign-in took too long; start again'
        : 'The callback oauth_token does not match a sign-in started in this session')
    }
    const verifier = firstString(query.oauth_verifier)
    if (verifier === undefined || verifier.length === 0) {
      throw new OAuth1Error(ErrorCodes.MISSING_VERIFIER, 'The callback carried no oauth_verifier')
    }
    const access: AccessToken = await flow.getAccessToken({ token: taken.entry.token, tokenSecret: taken.entry.secret }, verifier)
    const credentials: OAuth1Credentials = { token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now, user: userOf(preset, access.extra) }
    const keep = Object.keys(session).filter((key) => key !== 'cookie' && key !== 'sessionId' && key !== 'encryptedSessionId' && key !== sessionKey)
    const nextState: OAuth1SessionState = taken.rest.length > 0 ? { pending: taken.rest } : {}
    if (saveCredentials === undefined) nextState.credentials = credentials
    else await saveCredentials(request, credentials)
    await session.regenerate(keep)
    sessionOf(request).set(sessionKey, nextState)
    return { credentials, returnTo: taken.entry.returnTo }
  }

  const instance: OAuth1Instance = Object.assign(Object.create(null) as object, flow, { sessionKey, begin, complete })
  fastify.decorate(name, instance)

  const cache = Symbol(`oauth1:${name}:client`)
  const makeRequestClient = (request: FastifyRequest): OAuth1RequestClient => {
    let loaded: Promise<OAuth1Credentials | undefined> | undefined
    const getCredentials = (): Promise<OAuth1Credentials | undefined> => {
      loaded ??= loadCredentials === undefined
        ? Promise.resolve(readState(request).credentials)
        : loadCredentials(request).then((value) => value ?? undefined)
      return loaded
    }
    const client = async (): Promise<OAuth1Client> => {
      const credentials = await getCredentials()
      if (credentials === undefined) throw new OAuth1Error(ErrorCodes.NOT_CONNECTED, `No ${name} account is connected for this user`)
      return flow.clientFor(credentials)
    }
    const verb = (method: string) => async (url: string | URL, requestOptions: Omit<RequestOptions, 'method'> = {}) =>
      (await client()).request(url, { ...requestOptions, method })
    return {
      getCredentials,
      client,
      isConnected: async () => (await getCredentials()) !== undefined,
      request: async (url, requestOptions) => (await client()).request(url, requestOptions),
      get: verb('GET'),
      post: verb('POST'),
      put: verb('PUT'),
      patch: verb('PATCH'),
      delete: verb('DELETE'),
      async disconnect () {
        loaded = Promise.resolve(undefined)
        const state = readState(request)
        if (state.credentials !== undefined) {
          const { credentials: _dropped, ...rest } = state
          writeState(request, rest)
        }
        if (deleteCredentials !== undefined) await deleteCredentials(request)
      }
    }
  }
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

  const fail = (reply: FastifyReply, error: unknown): FastifyReply => {
    if (failureRedirect !== undefined && error instanceof OAuth1Error && error.statusCode < 500) {
      reply.log.info({ code: error.code }, 'oauth1 callback refused')
      const url = new URL(failureRedirect, 'http://x.invalid')
      url.searchParams.set('oauth1_error', error.code)
      return reply.redirect(url.pathname + url.search)
    }
    throw error
  }

  if (startPath !== false) {
    fastify.get(startPath, async (request, reply) => {
      const returnTo = firstString((request.query as Record<string, unknown> | undefined)?.[returnToParam])
      return reply.redirect(await begin(request, returnTo))
    })
  }
  fastify.get(callbackPath, async (request, reply) => {
    let result: Awaited<ReturnType<typeof complete>>
    try {
      result = await complete(request)
    } catch (error) {
      if (onFailure !== undefined && error instanceof OAuth1Error) {
        await onFailure(request, reply, error)
        if (reply.sent) return reply
      }
      return fail(reply, error)
    }
    if (onConnect !== undefined) {
      await onConnect(request, reply, result.credentials)
      if (reply.sent) return reply
    }
    return reply.redirect(result.returnTo ?? successRedirect)
  })
  fastify.addHook('onClose', async () => { await flow.close() })
}

/**
 * The Fastify plugin: `/oauth/start` and `/oauth/callback` for the three-legged flow of
 * RFC 5849 §2, request-token secrets kept in the server-side session, and the user's signed
 * client on `request[name]`. Register `@fastify/cookie` and `@fastify/session` first.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2
 */
export const fastifyOAuth1 = fp(plugin, {
  fastify: '5.x',
  name: 'fastify-oauth1',
  dependencies: ['@fastify/cookie', '@fastify/session']
})

export default fastifyOAuth1
