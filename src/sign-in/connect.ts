import { ErrorCodes, OAuth1Error } from '../errors.js'
import type { AccessToken, ProviderClient } from '../provider/provider-client.js'
import { type CredentialsChange, isCredentials, type OAuth1Credentials, sameCredentials, storeUnavailable, withLifetime } from './credentials.js'
import { callbackOriginsOf, callbackTargetOf, fixedCallbackTarget, hostLabelOf, requestHostname, returnPathOf, sameBinding } from './start-checks.js'
import { type DenialStyle, defaultDenialStyles } from '../presets/presets.js'
import { callbackError, classifyCallback } from './callback.js'
import { safeEqual } from './pending-tokens.js'
import { firstString } from './query.js'
import { browserBinding, minBindingAge, readBrowserBindings, sessionBinding, setBrowserBinding } from './state/binding.js'
import { type SignInContext, type SignInSession, sessionDataKeys } from './state/context.js'
import type { Sealer } from './state/seal.js'
import { readSessionState, type SessionState } from './state/session-store.js'
import type { FlowLimits, FlowStore, PendingFlow } from './state/store.js'

export { firstString } from './query.js'
export { isCredentials, sameCredentials, storeUnavailable, withLifetime } from './credentials.js'
export type { CredentialsChange, OAuth1Credentials } from './credentials.js'

/** Options of {@link createConnect}; `C` is the adapter's request context. */
export interface CreateConnectOptions<C extends SignInContext = SignInContext> {
  /**
   * The provider client: the provider's three RFC 5849 §2 steps ({@link createProviderClient}).
   * The option keeps its 0.1 name `flow`.
   */
  flow: ProviderClient
  /** Where started flows wait for their callback: {@link createCookieFlowStore}, {@link createSessionFlowStore} or your own. */
  store: FlowStore
  /** How many flows a browser may have open at once, and for how long. */
  limits: FlowLimits
  /** The session key holding credentials (and, with the session store, pending flows). */
  sessionKey: string
  /** Absolute callback URL (`oauth_callback`, RFC 5849 §2.1), or one per request. */
  callbackUrl: string | ((ctx: C) => string)
  /**
   * Origins (`https://app.example.com`) a start's callback URL may have: a function's result or
   * a `begin()` override elsewhere is `OAUTH1_CALLBACK_NOT_ALLOWED`. Default: the origin of a
   * string `callbackUrl`; required when it is a function.
   */
  callbackOrigins?: readonly string[] | undefined
  /** Authorize parameters per request (merged over the provider client's `authorizeParams`). */
  authorizeParams?: ((ctx: C) => Record<string, string> | undefined) | undefined
  /** How the provider reports a refusal at the callback (the preset's `denial`); default the styles of {@link DenialStyle} but `missing-verifier`. */
  denial?: readonly DenialStyle[] | undefined
  /** Builds the stored credentials from the access-token answer. */
  toCredentials: (access: AccessToken, now: number) => OAuth1Credentials
  /** Keeps credentials elsewhere than the session; then `loadCredentials` is used to read them. */
  saveCredentials?: ((ctx: C, credentials: OAuth1Credentials, change?: CredentialsChange) => Promise<void>) | undefined
  /** Reads the current user's credentials kept by `saveCredentials` (`null` or `undefined`: not connected). */
  loadCredentials?: ((ctx: C) => Promise<OAuth1Credentials | null | undefined>) | undefined
  /** Forgets the current user's credentials kept by `saveCredentials` (a disconnect). */
  deleteCredentials?: ((ctx: C) => Promise<void>) | undefined
  /** Told when a start request's host differs from the callback's (the flow state will not come back). */
  onHostMismatch?: ((ctx: C, requestHost: string, callbackHost: string) => void) | undefined
  /**
   * Seals the credentials kept in the session (AES-256-GCM, bound to `sessionKey`): the session
   * holds `{ sealed }`, never the token secret in clear. Values it cannot open (tampered, another
   * key) and clear credentials are read as "not connected".
   */
  credentialsSealer?: Sealer | undefined
  /**
   * Request-token calls this process makes at once; beyond it a start is refused at once with
   * `OAUTH1_BUSY` (503) instead of queueing more provider calls. Default: no cap.
   */
  maxConcurrentStarts?: number | undefined
}

/** Per-start choices of {@link Connect.begin}. */
export interface BeginOptions {
  /**
   * A same-site path to come back to (anything else is ignored); longer than 1,024 characters
   * once URL-encoded it is refused with `OAUTH1_RETURN_TO_TOO_LONG`.
   */
  returnTo?: string | undefined
  /** Authorize parameters for this start only (`force_login`, `screen_name`). */
  authorizeParams?: Record<string, string> | undefined
  /** Overrides the callback URL for this start; its origin must be one of `callbackOrigins`. */
  callbackUrl?: string | undefined
}

/** The result of a completed callback. */
export interface Completed {
  /** The user's new token credentials (RFC 5849 §2.3), already stored. */
  credentials: OAuth1Credentials
  /** The same-site path given at the start, to redirect to; `undefined` when none was given. */
  returnTo: string | undefined
}

/** The framework-free connect logic: the two browser-facing steps of RFC 5849 §2. */
export interface Connect<C extends SignInContext = SignInContext> {
  /** Starts a flow: a request token, stored in the flow store; returns the authorize URL. */
  begin (ctx: C, options?: BeginOptions): Promise<string>
  /** Completes a callback: every check, exactly one exchange, credentials stored, session renewed. */
  complete (ctx: C, query: Record<string, unknown>): Promise<Completed>
  /** The current user's credentials (session or `loadCredentials`). */
  loadCredentials (ctx: C): Promise<OAuth1Credentials | undefined>
  /** Forgets the current user's credentials. */
  deleteCredentials (ctx: C): Promise<void>
  /** Replaces the current user's credentials where they live (`saveCredentials`, or the session): renewed tokens. */
  storeCredentials (ctx: C, credentials: OAuth1Credentials): Promise<void>
  /**
   * Compare-and-set for renewed tokens: writes `next` only while the stored credentials are still
   * `previous` (re-read from the hooks' `loadCredentials`, or from the session and, where it has
   * one, the session's store), so a renewal racing a disconnect never reconnects the user.
   * Returns whether it wrote. With a session whose store holds something else by now, this
   * request's copy takes the store's credentials, so its own save does not write the old ones back.
   */
  replaceCredentials (ctx: C, previous: OAuth1Credentials, next: OAuth1Credentials): Promise<boolean>
}

/**
 * Creates the connect logic over a {@link FlowStore}. Checks of the callback (RFC 5849 §2.2,
 * §2.3): a denial is never exchanged; the token is compared in constant time and used once; an
 * expired flow is refused; a verifier is required; a token already being exchanged in this
 * process is refused at once (`OAUTH1_FLOW_IN_PROGRESS`, 409), so a doubled callback never makes
 * a second exchange; the session id is renewed on connect where the session can do it.
 *
 * Store outages: where a session exists and credentials go to it, the session is renewed (its
 * store written) *before* the flow is taken and the verifier spent, and only for a callback
 * that can complete (`store.peek`). A store that fails then answers `OAUTH1_STORE_UNAVAILABLE`
 * (503) with the flow left untouched: the same callback URL completes once the store is back
 * (within the flow's TTL). The session plugin saves the credentials when the answer is sent;
 * the adapter turns a failure there into a 503 too, never a redirect as if connected (the Fastify
 * plugin does, in its routes' error handler); that flow is spent (the provider took the
 * verifier) and the user starts again.
 *
 * Binding (login CSRF): every start sets a browser binding cookie (`__Host-oauth1-binding` over
 * https) and the flow records its hash, and the hash of the session's binding value when the
 * session carries the app's data. A callback whose binding cookie or session does not match is
 * `OAUTH1_FLOW_NOT_BOUND` (403) with no exchange, and that flow is spent: a flow planted from
 * another browser is not this browser's, and this browser's own flows match.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when `callbackUrl` is a function and `callbackOrigins` is not given.
 */
export function createConnect<C extends SignInContext = SignInContext> (options: CreateConnectOptions<C>): Connect<C> {
  const { flow, store, limits, sessionKey, toCredentials, saveCredentials } = options
  const denial = options.denial ?? defaultDenialStyles
  const refuseDenial = (query: Record<string, unknown>): void => {
    const refused = callbackError(classifyCallback(query, denial))
    if (refused !== undefined) throw refused
  }
  const inFlight = new Set<string>()
  const sealer = options.credentialsSealer
  /** Puts the credentials in the session state: sealed when a credentials secret is set, never both forms. */
  const writeCredentials = (state: SessionState, credentials: OAuth1Credentials): void => {
    if (sealer === undefined) {
      state.credentials = credentials
      delete state.sealed
    } else {
      state.sealed = sealer.seal(JSON.stringify(credentials), sessionKey)
      delete state.credentials
    }
  }
  /** Takes the stored copy's credentials (or their absence) into this request's state. */
  const adoptCredentials = (state: SessionState, stored: SessionState): void => {
    delete state.credentials
    delete state.sealed
    if (stored.credentials !== undefined) state.credentials = stored.credentials
    if (stored.sealed !== undefined) state.sealed = stored.sealed
  }
  const maxStarts = options.maxConcurrentStarts ?? Infinity
  let starting = 0
  const allowedOrigins = callbackOriginsOf(options.callbackUrl, options.callbackOrigins)
  // A string callbackUrl is parsed and checked here, once: a start then reads the result.
  const fixedTarget = fixedCallbackTarget(options.callbackUrl, allowedOrigins)
  const bindingAge = Math.max(minBindingAge, Math.ceil(limits.ttl / 1000))

  const sessionState = (session: SignInSession | undefined): SessionState | undefined =>
    session === undefined ? undefined : readSessionState(session, sessionKey, isCredentials)

  async function begin (ctx: C, begin: BeginOptions = {}): Promise<string> {
    const now = Date.now()
    const callbackUrl = begin.callbackUrl ?? (typeof options.callbackUrl === 'function' ? options.callbackUrl(ctx) : options.callbackUrl)
    const target = begin.callbackUrl === undefined && fixedTarget !== undefined ? fixedTarget : callbackTargetOf(callbackUrl, allowedOrigins)
    const returnTo = returnPathOf(begin.returnTo)
    if (ctx.host !== '') {
      const requestHost = requestHostname(ctx.host, target)
      if (requestHost !== target.hostname) options.onHostMismatch?.(ctx, requestHost, target.hostname)
    }
    const binding = browserBinding(ctx, ctx.protocol === 'https' || target.https)
    const sessionBound = sessionBinding(ctx.session, sessionDataKeys, true)
    if (await store.count(ctx, now, binding.hash) >= limits.max) {
      throw new OAuth1Error(ErrorCodes.TOO_MANY_FLOWS,
        `This browser already has ${limits.max} sign-ins in progress; finish one or start again in ${Math.ceil(limits.ttl / 60_000)} minutes`)
    }
    if (starting >= maxStarts) {
      throw new OAuth1Error(ErrorCodes.BUSY, 'Too many sign-ins are starting at once; try again in a moment')
    }
    starting++
    let requestToken
    try {
      requestToken = await flow.getRequestToken(callbackUrl, undefined, { signal: ctx.signal })
    } finally {
      starting--
    }
    const entry: PendingFlow = { token: requestToken.token, secret: requestToken.tokenSecret, created: Date.now(), binding: binding.hash }
    if (returnTo !== undefined) entry.returnTo = returnTo
    if (sessionBound !== undefined) entry.session = sessionBound
    await store.put(ctx, entry)
    setBrowserBinding(ctx, binding, bindingAge)
    const params = { ...options.authorizeParams?.(ctx), ...begin.authorizeParams }
    return flow.authorizeUrl(requestToken.token, Object.keys(params).length === 0 ? undefined : params)
  }

  /** Built from the callback request alone: never from what another request did. */
  function noSession (ctx: C): OAuth1Error {
    const host = ctx.host === '' ? undefined : hostLabelOf(ctx.host)
    const hint = host === undefined ? '' : ` If you started it on another host name than ${host}, open the app on ${host} and start again.`
    return new OAuth1Error(ErrorCodes.NO_SESSION,
      'No sign-in is in progress in this browser: its cookie did not come back (another host name, SameSite=Strict, a secure cookie over http), ' +
      'the flow expired, or this callback was already completed (a reload or the Back button).' + hint)
  }

  /** A new session id keeping the session's data (RFC 6265 session fixation); writes the session store where it has one. */
  async function renew (ctx: C): Promise<void> {
    const session = ctx.session
    if (session === undefined || typeof session.regenerate !== 'function') return
    try {
      await session.regenerate(sessionDataKeys(session))
    } catch (error) {
      throw storeUnavailable(error,
        'The session store is unavailable, so the sign-in cannot be saved yet; the flow is kept: try the same link again in a minute')
    }
  }

  /** This session's state as its store holds it now (another request may have saved since this one loaded it). */
  async function readStored (ctx: C): Promise<SessionState | undefined> {
    if (ctx.readStoredSession === undefined) return undefined
    let stored: { value: unknown } | undefined
    try {
      stored = await ctx.readStoredSession(sessionKey)
    } catch (error) {
      throw storeUnavailable(error, 'The session store is unavailable, so the renewed token cannot be saved; connect again')
    }
    if (stored === undefined) return undefined
    return readSessionState({ get: () => stored.value, set () {} }, sessionKey, isCredentials) ?? {}
  }

  function readCredentials (state: SessionState | undefined): OAuth1Credentials | undefined {
    if (state === undefined) return undefined
    if (sealer === undefined) return state.credentials as OAuth1Credentials | undefined
    if (state.sealed === undefined) return undefined
    const text = sealer.open(state.sealed, sessionKey)
    if (text === undefined) return undefined
    try {
      const value: unknown = JSON.parse(text)
      return isCredentials(value) ? value : undefined
    } catch {
      return undefined
    }
  }

  async function exchange (ctx: C, query: Record<string, unknown>, token: string): Promise<Completed> {
    const now = Date.now()
    const bindings = readBrowserBindings(ctx)
    const sessionBound = sessionBinding(ctx.session, sessionDataKeys, false)
    const denied = callbackError(classifyCallback(query, denial))
    const verifier = firstString(query.oauth_verifier)
    const canComplete = denied === undefined && verifier !== undefined && verifier.length > 0
    const boundHere = (entry: PendingFlow): boolean => {
      const recorded = entry.binding
      return recorded !== undefined && bindings.some((binding) => safeEqual(binding, recorded)) && sameBinding(entry.session, sessionBound)
    }
    let renewed = false
    if (canComplete && ctx.session !== undefined) {
      const peeked = store.peek === undefined ? true : await store.peek(ctx, token, now)
      if (typeof peeked === 'object' && peeked !== null ? boundHere(peeked) : peeked === true) {
        await renew(ctx)
        renewed = true
      }
    }
    const taken = await store.take(ctx, token, now, bindings[0])
    if (denied !== undefined) throw denied
    if (taken.status === 'none') throw noSession(ctx)
    if (taken.status !== 'found') {
      throw new OAuth1Error(ErrorCodes.UNKNOWN_TOKEN, taken.status === 'expired'
        ? 'The sign-in took too long; start again'
        : 'The callback oauth_token does not match a sign-in in progress in this browser: it was already completed (a reload or the Back button), ' +
          'or another browser started it; start again')
    }
    if (!boundHere(taken.entry)) {
      throw new OAuth1Error(ErrorCodes.FLOW_NOT_BOUND, 'This sign-in was started in another browser or session, so it cannot complete here; start again')
    }
    if (verifier === undefined || verifier.length === 0) {
      throw new OAuth1Error(ErrorCodes.MISSING_VERIFIER, 'The callback carried no oauth_verifier')
    }
    const access = await flow.getAccessToken({ token: taken.entry.token, tokenSecret: taken.entry.secret }, verifier, { signal: ctx.signal })
    const credentials = withLifetime(toCredentials(access, Date.now()), access)
    if (saveCredentials !== undefined) await saveCredentials(ctx, credentials)
    if (!renewed) await renew(ctx)
    const session = ctx.session
    if (session !== undefined) {
      const state = sessionState(session) ?? {}
      if (saveCredentials === undefined) writeCredentials(state, credentials)
      session.set(sessionKey, state)
    }
    return { credentials, returnTo: taken.entry.returnTo }
  }

  return {
    begin,
    async complete (ctx, query) {
      const token = firstString(query.oauth_token) ?? firstString(query.denied)
      if (token === undefined || token === '') {
        refuseDenial(query)
        throw new OAuth1Error(ErrorCodes.UNKNOWN_TOKEN, 'The callback carried no oauth_token')
      }
      if (inFlight.has(token)) {
        throw new OAuth1Error(ErrorCodes.FLOW_IN_PROGRESS, 'This sign-in is being completed by another request; it will connect there')
      }
      inFlight.add(token)
      try {
        return await exchange(ctx, query, token)
      } finally {
        inFlight.delete(token)
      }
    },
    async loadCredentials (ctx) {
      if (options.loadCredentials !== undefined) return (await options.loadCredentials(ctx)) ?? undefined
      return readCredentials(sessionState(ctx.session))
    },
    async storeCredentials (ctx, credentials) {
      if (saveCredentials !== undefined) {
        await saveCredentials(ctx, credentials)
        return
      }
      const session = ctx.session
      if (session === undefined) return
      const state = sessionState(session) ?? {}
      writeCredentials(state, credentials)
      session.set(sessionKey, state)
    },
    async replaceCredentials (ctx, previous, next) {
      if (saveCredentials !== undefined) {
        const current = (await options.loadCredentials?.(ctx)) ?? undefined
        if (!sameCredentials(current, previous)) return false
        await saveCredentials(ctx, next, { replaces: previous })
        return true
      }
      const session = ctx.session
      if (session === undefined) return false
      const state = sessionState(session) ?? {}
      if (!sameCredentials(readCredentials(state), previous)) return false
      const stored = await readStored(ctx)
      if (stored !== undefined && !sameCredentials(readCredentials(stored), previous)) {
        adoptCredentials(state, stored)
        session.set(sessionKey, state)
        return false
      }
      writeCredentials(state, next)
      session.set(sessionKey, state)
      return true
    },
    async deleteCredentials (ctx) {
      const session = ctx.session
      const state = sessionState(session)
      if (session !== undefined && (state?.credentials !== undefined || state?.sealed !== undefined)) {
        delete state.credentials
        delete state.sealed
        session.set(sessionKey, state)
      }
      if (options.deleteCredentials !== undefined) await options.deleteCredentials(ctx)
    }
  }
}
