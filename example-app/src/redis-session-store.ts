import type { Session } from 'fastify'
import type { SessionStore } from '@fastify/session'
import { ErrorCodes, isOAuth1Error, OAuth1Error } from '../../src/index.js'

/** The part of an ioredis client the store uses (a `Redis` instance fits; tests pass a fake). */
export interface RedisLike {
  get (key: string): Promise<string | null>
  set (key: string, value: string, mode: 'PX', milliseconds: number): Promise<unknown>
  del (key: string): Promise<number>
  /** For the health check (`PONG`). */
  ping?: () => Promise<string>
  /** ioredis' connection state (`'ready'` when connected); the start route refuses while it is anything else. */
  readonly status?: string
}

/**
 * The session store could not be read or written (Redis down or unreachable): the library's
 * `OAUTH1_STORE_UNAVAILABLE` (503). The app answers it with a coded 503 page; it never carries
 * Redis' own message to the client.
 */
export class SessionStoreError extends OAuth1Error {
  constructor (operation: 'read' | 'write' | 'delete', cause: unknown) {
    super(ErrorCodes.STORE_UNAVAILABLE, `The session store could not ${operation === 'read' ? 'read' : operation === 'write' ? 'save' : 'delete'} a session`, { cause })
    this.name = 'SessionStoreError'
  }
}

/** True for a store outage: a {@link SessionStoreError}, or the plugin's `OAUTH1_STORE_UNAVAILABLE` around its routes. */
export function isSessionStoreError (error: unknown): error is OAuth1Error {
  return isOAuth1Error(error, ErrorCodes.STORE_UNAVAILABLE)
}

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  client: RedisLike
  /** Key prefix. Default `'sess:'`. */
  prefix?: string | undefined
  /** Milliseconds to keep a session whose cookie has no max age. Default 24 hours. */
  defaultTtl?: number | undefined
}

type Callback = (error?: unknown) => void
type GetCallback = (error: unknown, session?: Session | null) => void

/** Milliseconds a session should live in Redis: its cookie's remaining max age, or the default. */
export function sessionTtl (session: Session, fallback: number): number {
  const cookie = (session as { cookie?: { maxAge?: unknown, originalMaxAge?: unknown } }).cookie
  for (const value of [cookie?.maxAge, cookie?.originalMaxAge]) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.ceil(value)
  }
  return fallback
}

/**
 * A `@fastify/session` store on Redis: sessions are JSON under `prefix + sessionId` with an
 * expiry, so every instance of the app sees the same sessions and a sign-in started on one
 * instance can finish on another. Redis failures reach the callbacks as {@link SessionStoreError}.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisLike
  readonly #prefix: string
  readonly #defaultTtl: number

  constructor (options: RedisSessionStoreOptions) {
    this.#client = options.client
    this.#prefix = options.prefix ?? 'sess:'
    this.#defaultTtl = options.defaultTtl ?? 24 * 60 * 60 * 1000
  }

  /** Stores the session (its cookie serialises through `toJSON`). */
  set (sessionId: string, session: Session, callback: Callback): void {
    let text: string
    try {
      text = JSON.stringify(session)
    } catch (error) {
      callback(error)
      return
    }
    this.#client.set(this.#prefix + sessionId, text, 'PX', sessionTtl(session, this.#defaultTtl))
      .then(() => callback(), (error: unknown) => callback(new SessionStoreError('write', error)))
  }

  /** Loads a session, or `null` when it does not exist or expired. */
  get (sessionId: string, callback: GetCallback): void {
    this.#client.get(this.#prefix + sessionId).then((text) => {
      if (text === null) {
        callback(null, null)
        return
      }
      let session: Session
      try {
        session = JSON.parse(text) as Session
      } catch {
        // A corrupt entry is a missing session, not a failed request.
        callback(null, null)
        return
      }
      callback(null, session)
    }, (error: unknown) => callback(new SessionStoreError('read', error)))
  }

  /** Deletes a session. */
  destroy (sessionId: string, callback: Callback): void {
    this.#client.del(this.#prefix + sessionId).then(() => callback(), (error: unknown) => callback(new SessionStoreError('delete', error)))
  }
}
