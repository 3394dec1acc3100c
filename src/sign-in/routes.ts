import { ErrorCodes, OAuth1Error } from '../errors.js'
import { type BeginOptions, type Completed, type Connect, firstString } from './connect.js'
import type { ProviderClient } from '../provider/provider-client.js'
import { createRequestClient, type OAuth1RequestClient } from './request-client.js'
import type { OAuth1Config } from './resolve-options.js'
import type { SignInContext } from './state/context.js'
import { flowChannel, type FlowTraceContext } from '../tracing/channels.js'

/** Where a route is, for an adapter that plumbs session-store failures around it. */
export type RouteState = 'started' | 'onConnect' | 'connected'

/**
 * One request on an adapter's start or callback route, as the route core sees it: the flow
 * context plus the framework's request and reply (the hooks are called with them).
 */
export interface RouteContext<Req, Res> extends SignInContext {
  readonly request: Req
  readonly reply: Res
  /** The request's query, as the framework parsed it. */
  readonly query: Record<string, unknown>
  /** True once the answer is sent (a hook answered itself). */
  answered (): boolean
  /**
   * Optional: makes what the step changed durable before the redirect is sent (Express saves
   * the session here). A failure is answered as it is, not by the failure policy.
   */
  commit? (): Promise<void>
  /** Optional: told where the route is (`undefined` when `onConnect` threw). */
  mark? (state: RouteState | undefined): void
}

/** What a route asks its adapter to do: redirect (`refused` for a failure redirect), hand an error on, or nothing (a hook answered). */
export type RouteOutcome =
  | { readonly redirect: string, readonly refused?: OAuth1Error | undefined }
  | { readonly error: unknown }
  | { readonly answered: true }

/** What differs between adapters in the route core. */
export interface RouteAdapter<C> {
  /**
   * Optional: the error for a request without the session the options need, checked before each
   * step (Express learns per request whether express-session is mounted).
   */
  sessionMissing?: ((ctx: C) => OAuth1Error) | undefined
  /** Optional: throws before a request client touches the credentials (Express: a disconnected session store). */
  guardCredentials?: ((ctx: C) => void) | undefined
}

/** The framework-neutral routes of one provider: the two flow steps, their failure policy, and the request clients. */
export interface Routes<Req, C> {
  /** Starts a flow (RFC 5849 §2.1, §2.2); returns the authorize URL. A string option is the return path. */
  begin (ctx: C, options?: string | BeginOptions): Promise<string>
  /** Completes a callback (RFC 5849 §2.3) with the request's query. */
  complete (ctx: C): Promise<Completed>
  /** The start route: `begin` with the return path of `returnToParam`, then the outcome. */
  start (ctx: C): Promise<RouteOutcome>
  /** The callback route: `complete`, then `onConnect`, then the outcome. */
  callback (ctx: C): Promise<RouteOutcome>
  /** The request's signed client, built once per request object. */
  clientOf (request: Req, ctx: () => C): OAuth1RequestClient
  /** Which route a request URL (a path with its query) is for, for adapters that route requests themselves. */
  routeOf (url: string): 'start' | 'callback' | undefined
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

/** The outcome of a route as a trace names it: `redirect`, `connected`, `answered`, or the error's code. */
function outcomeName (step: FlowTraceContext['step'], outcome: RouteOutcome): string {
  if ('answered' in outcome) return 'answered'
  if ('error' in outcome) return outcome.error instanceof OAuth1Error ? outcome.error.code : 'error'
  if (outcome.refused !== undefined) return outcome.refused.code
  return step === 'start' ? 'redirect' : 'connected'
}

/**
 * Runs a route step inside a `fastify-oauth1:flow` trace when someone subscribes. The traced
 * function returns nothing, so the channel's `result` never holds the outcome (a start's
 * redirect carries the request token); the context gets only the outcome's name.
 */
function traced<C> (provider: string, store: FlowTraceContext['store'], step: FlowTraceContext['step'],
  run: (ctx: C) => Promise<RouteOutcome>): (ctx: C) => Promise<RouteOutcome> {
  return async (ctx) => {
    if (!flowChannel.hasSubscribers) return run(ctx)
    const context: FlowTraceContext = { provider, step, store }
    let outcome: RouteOutcome | undefined
    await flowChannel.tracePromise(async () => {
      outcome = await run(ctx)
      context.outcome = outcomeName(step, outcome)
    }, context)
    return outcome as RouteOutcome
  }
}

/** How each framework words the default-provider guard. */
const defaultGuardWords = {
  register: { setUp: 'registered', none: 'is registered here' },
  mount: { setUp: 'set up', none: 'ran for this request' }
} as const

/**
 * The error for `request.oauth1` (or `fastify.oauth1`) where no provider without a name is there:
 * a coded `OAUTH1_INVALID_OPTION` (500) naming `request[name]`, not a TypeError on `undefined`.
 */
export function noDefaultProvider (what: string, decorations: string, verb: keyof typeof defaultGuardWords): OAuth1Error {
  const words = defaultGuardWords[verb]
  return new OAuth1Error(ErrorCodes.INVALID_OPTION,
    `${what}.oauth1 is the provider ${words.setUp} without a name, and none ${words.none}: use ${what}[name] of the named provider ` +
    `(type it with ${decorations}<'name'>), or ${verb} one without a name`)
}

/** A connect core whose credential steps first pass `guard` (for the request clients). */
function guarded<C extends SignInContext> (connect: Connect<C>, guard: (ctx: C) => void): Connect<C> {
  const wrap = <A extends unknown[], R>(step: (ctx: C, ...args: A) => Promise<R>) => async (ctx: C, ...args: A): Promise<R> => {
    guard(ctx)
    return step(ctx, ...args)
  }
  return {
    ...connect,
    loadCredentials: wrap(connect.loadCredentials),
    storeCredentials: wrap(connect.storeCredentials),
    replaceCredentials: wrap(connect.replaceCredentials),
    deleteCredentials: wrap(connect.deleteCredentials)
  }
}

/**
 * The start and callback routes of RFC 5849 §2 once, for every framework: each returns a plain
 * {@link RouteOutcome} the adapter translates into its reply. Holds the failure policy (the
 * `onFailure` hook, then `failureRedirect?oauth1_error=<code>` for errors the user can retry,
 * else the error for the framework's error handler), the `onConnect` bookkeeping, and the cache
 * of request clients (one per request object, so the credentials are loaded once per request).
 */
export function createRoutes<Req extends object, Res, C extends RouteContext<Req, Res>> (
  config: OAuth1Config<Req, Res>, providerClient: ProviderClient, connect: Connect<C>, adapter: RouteAdapter<C> = {}
): Routes<Req, C> {
  const { name, needsSession } = config
  const { startPath, callbackPath, successRedirect, failureRedirect, returnToParam } = config.routes
  const { onConnect, onFailure, onTokenInvalid } = config.hooks
  const { sessionMissing, guardCredentials } = adapter
  const checkSession = (ctx: C): void => {
    if (sessionMissing !== undefined && needsSession && ctx.session === undefined) throw sessionMissing(ctx)
  }
  const begin = async (ctx: C, options?: string | BeginOptions): Promise<string> => {
    checkSession(ctx)
    return connect.begin(ctx, typeof options === 'string' ? { returnTo: options } : options)
  }
  const complete = async (ctx: C): Promise<Completed> => {
    checkSession(ctx)
    return connect.complete(ctx, ctx.query)
  }
  const fail = async (ctx: C, error: unknown, retryable: (error: OAuth1Error) => boolean): Promise<RouteOutcome> => {
    if (onFailure !== undefined && error instanceof OAuth1Error) {
      await onFailure(ctx.request, ctx.reply, error)
      if (ctx.answered()) return { answered: true }
    }
    const location = failureLocation(failureRedirect, error, retryable)
    return location === undefined ? { error } : { redirect: location, refused: error as OAuth1Error }
  }
  const commit = async (ctx: C): Promise<RouteOutcome | undefined> => {
    try {
      await ctx.commit?.()
    } catch (error) {
      return { error }
    }
    return undefined
  }

  const clients = new WeakMap<Req, OAuth1RequestClient>()
  const clientConnect = guardCredentials === undefined ? connect : guarded(connect, guardCredentials)
  const tokenInvalid = onTokenInvalid === undefined ? undefined : (ctx: C, error: OAuth1Error) => onTokenInvalid(ctx.request, error)

  return {
    begin,
    complete,
    start: traced(name, config.flowState.kind, 'start', async (ctx: C): Promise<RouteOutcome> => {
      let location: string
      try {
        location = await begin(ctx, { returnTo: firstString(ctx.query[returnToParam]) })
      } catch (error) {
        return fail(ctx, error, retryableStart)
      }
      const failed = await commit(ctx)
      if (failed !== undefined) return failed
      ctx.mark?.('started')
      return { redirect: location }
    }),
    callback: traced(name, config.flowState.kind, 'callback', async (ctx: C): Promise<RouteOutcome> => {
      let result: Completed
      try {
        result = await complete(ctx)
      } catch (error) {
        return fail(ctx, error, retryableCallback)
      }
      const failed = await commit(ctx)
      if (failed !== undefined) return failed
      if (onConnect !== undefined) {
        // A reply the hook sends may save the session while it runs: the adapter is told.
        ctx.mark?.('onConnect')
        try {
          await onConnect(ctx.request, ctx.reply, result.credentials)
        } catch (error) {
          ctx.mark?.(undefined)
          throw error
        }
        if (ctx.answered()) return { answered: true }
      }
      ctx.mark?.('connected')
      return { redirect: result.returnTo ?? successRedirect }
    }),
    routeOf (url) {
      const end = url.search(/[?#]/)
      const path = end < 0 ? url : url.slice(0, end)
      return path === callbackPath ? 'callback' : startPath !== false && path === startPath ? 'start' : undefined
    },
    clientOf (request, ctx) {
      let client = clients.get(request)
      if (client === undefined) {
        client = createRequestClient({ connect: clientConnect, providerClient, ctx: ctx(), name, onTokenInvalid: tokenInvalid })
        clients.set(request, client)
      }
      return client
    }
  }
}
