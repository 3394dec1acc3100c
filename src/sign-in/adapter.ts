import { ErrorCodes, OAuth1Error } from '../errors.js'
import { userOf } from '../presets/presets.js'
import { type Connect, createConnect, storeUnavailable } from './connect.js'
import { buildProviderClient, type ProviderClient } from '../provider/provider-client.js'
import type { OAuth1Config } from './resolve-options.js'
import type { SignInContext } from './state/context.js'
import type { CallerSignal } from '../http/client.js'

export type { AdapterOptions, FlowStateOption } from './resolve-options.js'

/** The provider client and the connect core an adapter's routes run on. */
export interface AdapterSetup<C extends SignInContext> {
  providerClient: ProviderClient
  connect: Connect<C>
}

/**
 * Builds the provider client and the connect core (RFC 5849 §2) from a resolved config the same way for
 * every framework; the hooks are called with `ctx.request`. `warn` tells the app's operator
 * about a misconfiguration seen at request time.
 */
export function setupAdapter<Req, Res, C extends SignInContext & { readonly request: Req }> (
  config: OAuth1Config<Req, Res>, warn: (ctx: C, key: string, message: string) => void
): AdapterSetup<C> {
  const { consumer, endpoints, http, provider, routes, flowState, credentials } = config
  const providerClient = buildProviderClient({ ...consumer, ...endpoints, ...http })
  const { callbackUrl, authorizeParams, startPath } = routes
  const { save, load, delete: remove } = credentials
  const connect = createConnect<C>({
    flow: providerClient,
    credentialsSealer: credentials.sealer,
    maxConcurrentStarts: flowState.maxConcurrentStarts,
    store: flowState.store,
    limits: flowState.limits,
    sessionKey: credentials.sessionKey,
    callbackUrl: typeof callbackUrl === 'function' ? (ctx: C) => callbackUrl(ctx.request) : callbackUrl,
    callbackOrigins: routes.callbackOrigins,
    authorizeParams: authorizeParams === undefined ? undefined : (ctx) => authorizeParams(ctx.request),
    denial: provider.denial,
    toCredentials: (access, now) =>
      ({ token: access.token, tokenSecret: access.tokenSecret, extra: access.extra, connectedAt: now, user: userOf(provider, access.extra) }),
    saveCredentials: save === undefined ? undefined : (ctx, value, change = {}) => save(ctx.request, value, change),
    loadCredentials: load === undefined ? undefined : (ctx) => load(ctx.request),
    deleteCredentials: remove === undefined ? undefined : (ctx) => remove(ctx.request),
    // Keyed by the callback host (an allowed origin), never by the request's Host: a forged Host must not fill the warn-once set.
    onHostMismatch: (ctx, requestHost, callbackHost) => warn(ctx, `host:${callbackHost}`,
      `fastify-oauth1: ${startPath === false ? 'the start route' : startPath} was requested on host ${requestHost} but the callback is on ` +
      `${callbackHost}: the browser will not send the flow cookie back and the callback will fail with OAUTH1_NO_SESSION. Open the app on ` +
      `${callbackHost} (or make callbackUrl a function of the request, with callbackOrigins listing its origins).`)
  })
  return { providerClient, connect }
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

/** A reply as far as {@link prepareErrorAnswer} needs it (Fastify's reply and Express's response both fit). */
interface HeaderReply {
  removeHeader (name: string): unknown
  header (name: string, value: string): unknown
}

/**
 * Readies a reply for an error the adapter hands to the framework's error handler: a store
 * outage (`OAUTH1_STORE_UNAVAILABLE`) goes without the redirect or the cookies being prepared,
 * and `dropSession` drops the session so the session plugin neither saves it again nor sets its
 * cookie; `Retry-After` (RFC 9110 §10.2.3) is 30 s for an outage, 5 s for `OAUTH1_BUSY`.
 */
export function prepareErrorAnswer (error: unknown, reply: HeaderReply, dropSession: () => void): void {
  if (!(error instanceof OAuth1Error)) return
  if (error.code === ErrorCodes.STORE_UNAVAILABLE) {
    reply.removeHeader('location')
    reply.removeHeader('set-cookie')
    dropSession()
  }
  const retryAfter = error.code === ErrorCodes.STORE_UNAVAILABLE ? '30' : error.code === ErrorCodes.BUSY ? '5' : undefined
  if (retryAfter !== undefined) reply.header('retry-after', retryAfter)
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
      warn('strict-cookie', `fastify-oauth1: the cookie "${cookieName}" is SameSite=Strict: browsers do not send it on the provider's redirect ` +
        'back to the callback, so the sign-in will be lost. Use sameSite: \'lax\'.')
    }
    if (!https && /;\s*secure/i.test(line)) {
      warn('secure-cookie', `fastify-oauth1: the cookie "${cookieName}" is Secure but this request came over plain http: browsers drop it, ` +
        `so the sign-in will be lost. Serve https (${proxySetting} behind a TLS proxy) or use secure: 'auto'.`)
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
