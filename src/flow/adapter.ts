import { ErrorCodes, invalidOption, OAuth1Error } from '../errors.js'
import { rejectUnknownOptions } from '../options.js'
import { type PresetFields, presetFacts, userOf } from '../presets/presets.js'
import { type Connect, createConnect, type CredentialsChange, isCredentials, type OAuth1Credentials, storeUnavailable } from './connect.js'
import { createFlow, type Flow, flowOptionKeys, type FlowOptions } from './flow.js'
import type { FlowContext } from './state/context.js'
import { createCookieFlowStore } from './state/cookie-store.js'
import { createSealer } from './state/seal.js'
import { createSessionFlowStore } from './state/session-store.js'
import type { FlowLimits, FlowStore } from './state/store.js'
import type { CallerSignal } from '../http/client.js'

/** Where started flows wait for their callback: see the README's "Flow state". */
export type FlowStateOption = 'cookie' | 'session' | FlowStore

/**
 * The options every framework adapter (the Fastify plugin, the Express middleware) takes; `Req`
 * and `Res` are the framework's request and response. Validated when the adapter is created;
 * unknown keys are refused.
 */
export interface AdapterOptions<Req, Res> extends Omit<FlowOptions, 'authorizeParams'>, PresetFields {
  /**
   * Names the request decoration (`request[name]`), the session key and the flow cookies.
   * Default `'oauth1'`. Use one per provider, with distinct names.
   */
  name?: string | undefined
  /**
   * Absolute callback URL registered at the provider (`oauth_callback`, RFC 5849 §2.1), or a
   * function of the request (several domains, preview deployments; then set `callbackPath`
   * if its path is not `/oauth/callback`, and `callbackOrigins`).
   */
  callbackUrl: string | ((request: Req) => string)
  /**
   * The origins (`https://app.example.com`, no path) a start's callback URL may be on: what a
   * `callbackUrl` function returns and a `begin(..., { callbackUrl })` override are checked, and
   * any other origin is `OAUTH1_CALLBACK_NOT_ALLOWED` (400) before any provider call. A URL built
   * from the request's `Host` or `X-Forwarded-Host` is attacker-chosen without it: a provider that
   * accepts any `oauth_callback` would send the verifier there. Required when `callbackUrl` is a
   * function; default for a string `callbackUrl`: its own origin.
   */
  callbackOrigins?: string[] | undefined
  /** Extra authorize parameters (RFC 5849 §2.2): fixed, or per request. `begin()` may add more. */
  authorizeParams?: Record<string, string> | ((request: Req) => Record<string, string> | undefined) | undefined
  /**
   * Where started flows wait: `'cookie'` (default; one encrypted cookie per flow, needs
   * `flowSecret`), `'session'` (the session middleware's session), or a {@link FlowStore} of your own.
   */
  flowState?: FlowStateOption | undefined
  /** Secret(s) of the cookie store, 32+ characters each; the first encrypts, all decrypt (rotation). */
  flowSecret?: string | string[] | undefined
  /**
   * Secret(s) sealing the credentials kept in the session (AES-256-GCM, keys by HKDF-SHA256):
   * the session then holds `{ sealed }`, never the token secret in clear. 32+ characters each;
   * the first encrypts, all decrypt: rotate by putting a new secret first and dropping the old
   * one when the sessions it sealed have expired. Values that do not open (tampered, a dropped
   * key) and clear credentials read as "not connected". Not used with `saveCredentials`.
   */
  credentialsSecret?: string | string[] | undefined
  /**
   * Request-token calls the start route makes at once in this process; beyond it a start is
   * answered `OAUTH1_BUSY` (503, `Retry-After`) without calling the provider. Default 100.
   */
  maxConcurrentStarts?: number | undefined
  /** Route that starts the flow; default `/oauth/start` (`/oauth/<name>/start` for other names); `false` for none. */
  startPath?: string | false | undefined
  /** Route the provider redirects back to; default the path of `callbackUrl` (`/oauth/callback` when it is a function). */
  callbackPath?: string | undefined
  /** Where to go after connecting (when no return path was given). Default `/`. */
  successRedirect?: string | undefined
  /**
   * Where to send the user when a start or callback fails in a way they can retry (denial,
   * unknown or expired token, lost flow state, too many flows, provider unreachable), with
   * `?oauth1_error=<code>`. Unset: the error goes to the framework's error handler.
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
   * With these hooks no session at all is needed. For a renewed token the third argument names
   * the credentials it replaces: write only while the database still holds those (a conditional
   * update), so a renewal finishing after a disconnect does not reconnect the user. The adapter
   * has already re-read them with `loadCredentials` just before.
   */
  saveCredentials?: ((request: Req, credentials: OAuth1Credentials, change: CredentialsChange) => Promise<void>) | undefined
  /** Loads the current user's credentials; called at most once per request. */
  loadCredentials?: ((request: Req) => Promise<OAuth1Credentials | null | undefined>) | undefined
  /** Forgets the current user's credentials (called by `request[name].disconnect()`). */
  deleteCredentials?: ((request: Req) => Promise<void>) | undefined
  /**
   * Called after a successful callback, before the redirect to the success target. Send a
   * response from it to replace that redirect. A session that cannot be saved is
   * `OAUTH1_STORE_UNAVAILABLE` (503) for the error handler all the same: with Fastify the session
   * is saved as the hook's reply is sent, and the 503 replaces that reply (a warn line says so);
   * Express saves the credentials before calling the hook, which then is not called, and a
   * failure to save what the hook itself changed, once its answer is out, is a
   * `FastifyOAuth1Warning` from `errorHandler`.
   */
  onConnect?: ((request: Req, reply: Res, credentials: OAuth1Credentials) => Promise<void> | void) | undefined
  /**
   * Called when the start or the callback fails (denial, unknown or expired token, lost flow
   * state, provider failure), before the failure redirect or the error handler. Send a
   * response from it to replace them.
   */
  onFailure?: ((request: Req, reply: Res, error: OAuth1Error) => Promise<void> | void) | undefined
  /**
   * Called when the provider refuses the user's token on a `request[name]` call (`token_expired`
   * that could not be renewed, `token_revoked`, `token_rejected`, X's code 89), before the call
   * rejects with that `OAUTH1_TOKEN_INVALID` (401): drop the credentials
   * (`request[name].disconnect()`) and ask the user to connect again.
   */
  onTokenInvalid?: ((request: Req, error: OAuth1Error) => Promise<void> | void) | undefined
}

type AnyOptions = AdapterOptions<unknown, unknown>
/** The option keys the adapters read; the rest go to the flow, which knows its own (`flowOptionKeys`). */
const adapterKeys = [
  'name', 'callbackUrl', 'callbackOrigins', 'authorizeParams', 'flowState', 'flowSecret', 'credentialsSecret', 'maxConcurrentStarts', 'startPath', 'callbackPath', 'successRedirect',
  'failureRedirect', 'returnToParam', 'pendingTtl', 'maxPending', 'saveCredentials', 'loadCredentials',
  'deleteCredentials', 'onConnect', 'onFailure', 'onTokenInvalid'
] as const satisfies ReadonlyArray<keyof AnyOptions>
type UnlistedKey = Exclude<keyof AnyOptions, typeof adapterKeys[number] | keyof FlowOptions | keyof PresetFields>
// Fails to compile when an option is added to the interface but not to the list above.
const everyKeyListed: [UnlistedKey] extends [never] ? true : UnlistedKey = true
const knownKeySet: ReadonlySet<string> = new Set([...(everyKeyListed ? adapterKeys : []), ...flowOptionKeys])

const namePattern = /^[A-Za-z_$][\w$]*$/

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

function checkCallbackOrigins (value: unknown, required: boolean): void {
  const expected = 'a list of origins such as ["https://app.example.com"] (scheme, host and port, no path)'
  if (value === undefined) {
    if (required) invalidOption('callbackOrigins', `${expected}: a callbackUrl function needs it, so a forged Host cannot choose where the verifier goes`)
    return
  }
  if (!Array.isArray(value) || value.length === 0) invalidOption('callbackOrigins', expected)
  for (const origin of value as unknown[]) {
    let url: URL | undefined
    try {
      url = new URL(origin as string)
    } catch {}
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== String(origin).replace(/\/$/, '')) {
      invalidOption('callbackOrigins', expected)
    }
  }
}

/** Validates an adapter's options (unknown keys refused); returns the static callback URL, if any. */
function checkAdapterOptions (options: AnyOptions): URL | undefined {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  rejectUnknownOptions(options, knownKeySet, 'fastify-oauth1')
  if (options.name !== undefined && (typeof options.name !== 'string' || !namePattern.test(options.name))) {
    invalidOption('name', 'an identifier such as "twitter"')
  }
  const callback = checkCallbackUrl(options.callbackUrl)
  checkCallbackOrigins(options.callbackOrigins, callback === undefined)
  if (options.startPath !== undefined && options.startPath !== false) checkPath('startPath', options.startPath)
  if (options.callbackPath !== undefined) checkPath('callbackPath', options.callbackPath)
  if (options.successRedirect !== undefined) checkPath('successRedirect', options.successRedirect)
  if (options.failureRedirect !== undefined) checkPath('failureRedirect', options.failureRedirect)
  if (options.returnToParam !== undefined && typeof options.returnToParam !== 'string') invalidOption('returnToParam', 'a string')
  if (options.pendingTtl !== undefined) checkPositive('pendingTtl', options.pendingTtl)
  for (const key of ['maxPending', 'maxConcurrentStarts'] as const) {
    if (options[key] === undefined) continue
    checkPositive(key, options[key])
    if (!Number.isInteger(options[key])) invalidOption(key, 'a whole number')
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

/** A flow context that knows the framework request it wraps (the hooks are called with it). */
export interface AdapterContext<Req> extends FlowContext {
  readonly request: Req
}

/** What an adapter can offer, and what to tell its users when something is missing. */
export interface AdapterEnvironment<C> {
  /** Whether requests carry a session: known at creation (Fastify), or `undefined` when checked per request (Express). */
  hasSession: boolean | undefined
  /** Why the cookie store cannot work here (a missing cookie plugin), or `undefined` when it can. */
  cookiesMissing?: string | undefined
  /** What `flowState: 'session'` needs, for the error when no session is there. */
  sessionNeeded: string
  /** What keeping credentials needs, for the error when there is neither a session nor `saveCredentials`. */
  credentialsNeeded: string
  /** Tells the app's operator about a misconfiguration seen at request time (once per kind). */
  warn: (ctx: C, key: string, message: string) => void
}

/** An adapter's settings resolved from its options, and the connect core built from them. */
export interface AdapterSetup<C extends FlowContext> {
  name: string
  sessionKey: string
  startPath: string | false
  callbackPath: string
  successRedirect: string
  failureRedirect: string | undefined
  returnToParam: string
  limits: FlowLimits
  flow: Flow
  connect: Connect<C>
  /** True when the session store or the credentials need a session (checked per request when `hasSession` is unknown). */
  needsSession: boolean
}

/**
 * Validates an adapter's options and builds the flow, the flow store and the connect core
 * (RFC 5849 §2) the same way for every framework; the hooks are called with `ctx.request`.
 */
export function setupAdapter<Req, Res, C extends AdapterContext<Req>> (options: AdapterOptions<Req, Res>, env: AdapterEnvironment<C>): AdapterSetup<C> {
  const staticCallback = checkAdapterOptions(options as AnyOptions)
  const name = options.name ?? 'oauth1'
  const sessionKey = `oauth1:${name}`
  const callbackPath = options.callbackPath ?? staticCallback?.pathname ?? '/oauth/callback'
  const limits = { ttl: options.pendingTtl ?? 10 * 60_000, max: options.maxPending ?? 5 }
  const startPath = options.startPath ?? (name === 'oauth1' ? '/oauth/start' : `/oauth/${name}/start`)
  const { saveCredentials, loadCredentials, deleteCredentials, authorizeParams } = options
  // The flow validates the provider options first (it opens no connection until used).
  const preset = presetFacts(options)
  const flowOptions = Object.fromEntries(Object.entries(options).filter(([key]) => flowOptionKeys.has(key) && key !== 'authorizeParams')) as FlowOptions
  const flow = createFlow(typeof authorizeParams === 'function' ? flowOptions : { ...flowOptions, authorizeParams })
  const stateOption = options.flowState ?? 'cookie'
  let store: FlowStore
  if (stateOption === 'cookie') {
    if (options.flowSecret === undefined) {
      invalidOption('flowSecret', "a secret of at least 32 random characters for the encrypted flow cookies (openssl rand -base64 32), or flowState: 'session'")
    }
    if (env.cookiesMissing !== undefined) invalidOption('flowState', env.cookiesMissing)
    store = createCookieFlowStore({
      secrets: options.flowSecret,
      prefix: `oauth1-${name}-`,
      callbackPath,
      secure: staticCallback === undefined ? 'auto' : staticCallback.protocol === 'https:',
      ...limits
    })
  } else if (stateOption === 'session') {
    if (env.hasSession === false) invalidOption('flowState', env.sessionNeeded)
    store = createSessionFlowStore({ key: sessionKey, ...limits }, isCredentials)
  } else {
    store = stateOption
  }
  if (env.hasSession === false && saveCredentials === undefined) invalidOption('saveCredentials', env.credentialsNeeded)

  const connect = createConnect<C>({
    flow,
    credentialsSealer: options.credentialsSecret === undefined
      ? undefined
      : createSealer(options.credentialsSecret, 'credentialsSecret', 'fastify-oauth1 credentials v1'),
    maxConcurrentStarts: options.maxConcurrentStarts ?? 100,
    store,
    limits,
    sessionKey,
    callbackUrl: typeof options.callbackUrl === 'function'
      ? ((fn) => (ctx: C) => fn(ctx.request))(options.callbackUrl)
      : options.callbackUrl,
    callbackOrigins: options.callbackOrigins === undefined || staticCallback === undefined
      ? options.callbackOrigins
      : [staticCallback.origin, ...options.callbackOrigins],
    authorizeParams: typeof authorizeParams === 'function' ? (ctx) => authorizeParams(ctx.request) : undefined,
    denial: preset.denial,
    toCredentials: (access, now) => ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now, user: userOf(preset, access.extra) }),
    saveCredentials: saveCredentials === undefined ? undefined : (ctx, credentials, change = {}) => saveCredentials(ctx.request, credentials, change),
    loadCredentials: loadCredentials === undefined ? undefined : (ctx) => loadCredentials(ctx.request),
    deleteCredentials: deleteCredentials === undefined ? undefined : (ctx) => deleteCredentials(ctx.request),
    // Keyed by the callback host (an allowed origin), never by the request's Host: a forged Host must not fill the warn-once set.
    onHostMismatch: (ctx, requestHost, callbackHost) => env.warn(ctx, `host:${callbackHost}`,
      `fastify-oauth1: ${startPath === false ? 'the start route' : startPath} was requested on host ${requestHost} but the callback is on ${callbackHost}: the browser will not send the flow cookie back and the callback will fail with OAUTH1_NO_SESSION. Open the app on ${callbackHost} (or make callbackUrl a function of the request, with callbackOrigins listing its origins).`)
  })
  return {
    name,
    sessionKey,
    startPath,
    callbackPath,
    successRedirect: options.successRedirect ?? '/',
    failureRedirect: options.failureRedirect,
    returnToParam: options.returnToParam ?? 'returnTo',
    limits,
    flow,
    connect,
    needsSession: stateOption === 'session' || saveCredentials === undefined
  }
}

/** Errors of the start route a user can retry (a busy or unreachable provider, too many flows, too many starts at once). */
export function retryableStart (error: OAuth1Error): boolean {
  return error.statusCode < 500 || error.code === ErrorCodes.TIMEOUT || error.code === ErrorCodes.NETWORK || error.code === ErrorCodes.BUSY ||
    (error.code === ErrorCodes.PROVIDER_ERROR && (error.status ?? 0) >= 500)
}

/** Errors of the callback a user can retry (every refusal: denial, unknown token, lost flow). */
export function retryableCallback (error: OAuth1Error): boolean {
  return error.statusCode < 500
}

/**
 * The failure redirect's target for an error (`<failureRedirect>?oauth1_error=<code>`), or
 * `undefined` when the error goes to the framework's error handler instead.
 */
export function failureLocation (failureRedirect: string | undefined, error: unknown, retryable: (error: OAuth1Error) => boolean): string | undefined {
  if (failureRedirect === undefined || !(error instanceof OAuth1Error) || !retryable(error)) return undefined
  const url = new URL(failureRedirect, 'http://x.invalid')
  url.searchParams.set('oauth1_error', error.code)
  return url.pathname + url.search
}

/**
 * A session middleware's failure on the start or callback route as the adapters answer it:
 * `OAUTH1_STORE_UNAVAILABLE` (503) for a non-coded 5xx (or status-less) error of loading the
 * session (`'load'`) or of saving it after the route finished (`'save'`), so the app's error
 * handler sees a coded outage, not the store's own message. Coded errors and errors with a 4xx
 * status pass as they are.
 */
export function sessionStoreError (error: unknown, when: 'load' | 'save'): unknown {
  if (error instanceof OAuth1Error) return error
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  if (typeof status === 'number' && status < 500) return error
  return storeUnavailable(error, when === 'load'
    ? 'The session store is unavailable (the session could not be loaded); try again in a minute'
    : 'The session store is unavailable (the session could not be saved); try again in a minute')
}

/**
 * The `Retry-After` seconds (RFC 9110 §10.2.3) of an error the adapters hand to the framework's
 * error handler: 30 for `OAUTH1_STORE_UNAVAILABLE`, 5 for `OAUTH1_BUSY`, none otherwise.
 */
export function retryAfterOf (error: unknown): string | undefined {
  if (!(error instanceof OAuth1Error)) return undefined
  if (error.code === ErrorCodes.STORE_UNAVAILABLE) return '30'
  if (error.code === ErrorCodes.BUSY) return '5'
  return undefined
}

/**
 * Warns about cookies set on the start response that will not come back with the provider's
 * redirect to the callback (RFC 6265bis §5.6.7 SameSite=Strict; RFC 6265 §4.1.2.5 Secure over
 * plain http). `header` is the response's `Set-Cookie` (a string or a list); `proxySetting`
 * names the framework's setting that makes a TLS proxy's requests count as https. Keyed per
 * kind, not per cookie name (the flow cookies have a name per flow), for a warn-once `warn`.
 */
export function checkStartCookies (header: unknown, https: boolean, proxySetting: string, warn: (key: string, message: string) => void): void {
  const lines = Array.isArray(header) ? header : typeof header === 'string' ? [header] : []
  for (const line of lines as unknown[]) {
    if (typeof line !== 'string') continue
    const cookieName = line.slice(0, line.indexOf('='))
    if (/;\s*samesite=strict/i.test(line)) {
      warn('strict-cookie', `fastify-oauth1: the cookie "${cookieName}" is SameSite=Strict: browsers do not send it on the provider's redirect back to the callback, so the sign-in will be lost. Use sameSite: 'lax'.`)
    }
    if (!https && /;\s*secure/i.test(line)) {
      warn('secure-cookie', `fastify-oauth1: the cookie "${cookieName}" is Secure but this request came over plain http: browsers drop it, so the sign-in will be lost. Serve https (${proxySetting} behind a TLS proxy) or use secure: 'auto'.`)
    }
  }
}

/** A Node response, as far as {@link closedSignal} needs it. */
interface ClosableResponse {
  once (event: 'close', listener: () => void): unknown
  readonly writableFinished: boolean
}

/**
 * Aborts when the browser goes away before the answer is sent, so provider calls stop with it.
 * A {@link CallerSignal}, not an `AbortController`'s signal: building one of those and adding and
 * removing its listener costs microseconds on every provider call of every flow.
 */
export function closedSignal (response: ClosableResponse): CallerSignal {
  return new ResponseClosedSignal(response)
}

class ResponseClosedSignal implements CallerSignal {
  aborted = false
  reason: Error | undefined = undefined
  private listeners: Array<() => void> = []

  constructor (response: ClosableResponse) {
    response.once('close', () => { if (!response.writableFinished) this.abort() })
  }

  private abort (): void {
    this.aborted = true
    this.reason = new Error('The browser closed the request')
    const listeners = this.listeners
    this.listeners = []
    for (const listener of listeners) listener()
  }

  addEventListener (_type: 'abort', listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener)
  }

  removeEventListener (_type: 'abort', listener: () => void): void {
    const at = this.listeners.indexOf(listener)
    if (at !== -1) this.listeners.splice(at, 1)
  }
}

/** Calls `warn` once per key (at most about a hundred keys), so a misconfiguration is told once, not per request. */
export function onceEach<A extends unknown[]> (warn: (...args: A) => void): (key: string, ...args: A) => void {
  const warned = new Set<string>()
  return (key, ...args) => {
    if (warned.has(key) || warned.size > 100) return
    warned.add(key)
    warn(...args)
  }
}
