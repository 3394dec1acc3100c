import type { CallerSignal } from '../../http/client.js'

/** Attributes of a cookie the flow state sets (RFC 6265 §4.1; SameSite per RFC 6265bis). */
export interface SignInCookieOptions {
  /** `Path`: where the browser sends the cookie back (the callback route's path or a parent of it). */
  path: string
  /** Seconds. */
  maxAge: number
  /** `HttpOnly`: out of reach of page scripts. Always true for the flow state's cookies. */
  httpOnly: boolean
  /** `Secure`: sent over https only. */
  secure: boolean
  /** `SameSite`: `lax` lets the provider's top-level redirect to the callback bring the cookie back. */
  sameSite: 'lax' | 'strict' | 'none'
}

/**
 * A server-side session as the session plugins expose it (`@fastify/session`,
 * `@fastify/secure-session`, or an Express adapter's equivalent): recognised by shape, never by
 * plugin name.
 */
export interface SignInSession {
  /** The value stored under `key`, or `undefined`. */
  get (key: string): unknown
  /** Stores `value` under `key` (the session plugin saves it with the answer). */
  set (key: string, value: unknown): void
  /** A new session id (or a new encrypted cookie) keeping only `keep`; absent when the session cannot renew itself. */
  regenerate? (keep?: string[]): unknown
  /** `@fastify/secure-session`: the session's data as an object. */
  data? (): unknown
}

/**
 * The sign-in context: what the connect core and the flow state need of one HTTP request,
 * independent of the web framework. An adapter
 * (Fastify, Express) builds one per request.
 */
export interface SignInContext {
  /** The value of a request cookie, or `undefined`. */
  getCookie (name: string): string | undefined
  /** Names of the request's cookies (to count a browser's open flows). */
  cookieNames (): Iterable<string>
  /** Sets a cookie on the answer (`Set-Cookie`). */
  setCookie (name: string, value: string, options: SignInCookieOptions): void
  /** Expires a cookie on the answer; the attributes must be the ones it was set with. */
  clearCookie (name: string, options: Pick<SignInCookieOptions, 'path' | 'secure' | 'sameSite' | 'httpOnly'>): void
  /** The request's session when a session plugin is registered; `undefined` otherwise. */
  readonly session: SignInSession | undefined
  /** `Host` of the request (with port), as the adapter trusts it. */
  readonly host: string
  /** The request's scheme, as the adapter trusts it (`X-Forwarded-Proto` only behind a trusted proxy); `https` makes cookies `Secure`. */
  readonly protocol: 'http' | 'https'
  /**
   * Optional: the value of `key` in this request's session as the session's store holds it now
   * (`{ value: undefined }` when the store has no such session or key), or `undefined` when there
   * is no server-side store to ask (`@fastify/secure-session`). Used to compare before writing
   * renewed credentials.
   */
  readStoredSession? (key: string): Promise<{
    /** The stored value of `key`; `undefined` when the store has no such session or key. */
    value: unknown
  } | undefined>
  /** Aborted when the client goes away; passed to provider calls where supported. */
  readonly signal?: CallerSignal | undefined
}

/** @fastify/session's own fields on its session object (not data; they must not be copied on regenerate). */
const sessionInternals = new Set(['cookie', 'sessionId', 'encryptedSessionId'])

/**
 * Recognises a session object by shape (`get` and `set` functions), or `undefined`.
 */
export function asSignInSession (value: unknown): SignInSession | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const candidate = value as Partial<SignInSession>
  return typeof candidate.get === 'function' && typeof candidate.set === 'function' ? value as SignInSession : undefined
}

/** The data keys of a session, for keeping them across a regeneration. */
export function sessionDataKeys (session: SignInSession): string[] {
  if (typeof session.data === 'function') {
    const data = session.data()
    return typeof data === 'object' && data !== null ? Object.keys(data) : []
  }
  return Object.keys(session).filter((key) => !sessionInternals.has(key))
}

interface CallbackStore {
  get (id: string, done: (error: unknown, session?: unknown) => void): void
}

/**
 * The value of `key` in session `id` as a callback-style session store (`@fastify/session`'s and
 * express-session's `get(id, done)`) holds it now; `undefined` when `store` or `id` is not usable.
 * See {@link SignInContext.readStoredSession}.
 */
export async function readSessionStore (store: unknown, id: unknown, key: string): Promise<{ value: unknown } | undefined> {
  if (typeof store !== 'object' || store === null || typeof (store as Partial<CallbackStore>).get !== 'function' || typeof id !== 'string') return undefined
  const data = await new Promise<unknown>((resolve, reject) => {
    (store as CallbackStore).get(id, (error, session) => { if (error !== undefined && error !== null) reject(error); else resolve(session) })
  })
  return { value: typeof data === 'object' && data !== null && Object.hasOwn(data, key) ? (data as Record<string, unknown>)[key] : undefined }
}

/** @deprecated Renamed to {@link SignInContext} in 0.2: "flow" now means only a started sign-in. */
export type FlowContext = SignInContext
/** @deprecated Renamed to {@link SignInSession} in 0.2. */
export type FlowSession = SignInSession
/** @deprecated Renamed to {@link SignInCookieOptions} in 0.2. */
export type FlowCookieOptions = SignInCookieOptions
/** @deprecated Renamed to {@link asSignInSession} in 0.2: the same function. */
export const asFlowSession: (value: unknown) => SignInSession | undefined = asSignInSession
