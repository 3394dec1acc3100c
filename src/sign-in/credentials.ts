/**
 * A user's token credentials (RFC 5849 §2.3): their shape, how a stored value is checked, and how
 * two are compared.
 *
 * @packageDocumentation
 */
import type { AccessToken } from '../provider/provider-client.js'
import { ErrorCodes, OAuth1Error } from '../errors.js'
import { safeEqual } from './pending-tokens.js'

/** A user's token credentials and what the provider said about the user (RFC 5849 §2.3). */
export interface OAuth1Credentials {
  /** `oauth_token`: the user's token identifier. */
  token: string
  /** `oauth_token_secret`: the user's shared secret; kept server-side (sealed when stored in the session). */
  tokenSecret: string
  /** Extra fields of the access-token response (`user_id`, `screen_name`, ...). */
  extra: Record<string, string>
  /** Milliseconds since the epoch. */
  connectedAt: number
  /** Who connected, read from `extra` with the provider preset's field names (default `user_id`, `screen_name`). */
  user?: {
    /** The provider's user id (X `user_id`). */
    id?: string
    /** The provider's user name (X `screen_name`). */
    name?: string
  }
  /** Milliseconds since the epoch when the token stops working, when the provider said (see `tokenLifetime`). */
  expiresAt?: number
  /** Milliseconds since the epoch after which the session handle cannot renew the token. */
  authorizationExpiresAt?: number
  /** `oauth_session_handle` (OAuth Session 1.0): the request client renews an expired token with it. */
  sessionHandle?: string
}

/**
 * What a save replaces, passed to `saveCredentials` as its third argument. Set for a renewal
 * (OAuth Session 1.0 §4): the store should write `credentials` only while it still holds
 * `replaces` (e.g. `UPDATE ... WHERE token = replaces.token`), so a renewal that finishes after a
 * disconnect or another renewal changes nothing.
 */
export interface CredentialsChange {
  /** The credentials being replaced; absent for a new connection. */
  replaces?: OAuth1Credentials
}

/** True when both are the same token credentials (RFC 5849 §2.3), compared in constant time. */
export function sameCredentials (a: OAuth1Credentials | undefined, b: OAuth1Credentials): boolean {
  return a !== undefined && safeEqual(a.token, b.token) && safeEqual(a.tokenSecret, b.tokenSecret)
}

/** Copies the token's lifetime (`expiresAt`, `sessionHandle`, ...) from an access-token answer onto credentials. */
export function withLifetime (credentials: OAuth1Credentials, access: AccessToken): OAuth1Credentials {
  if (access.expiresAt !== undefined) credentials.expiresAt = access.expiresAt
  if (access.authorizationExpiresAt !== undefined) credentials.authorizationExpiresAt = access.authorizationExpiresAt
  if (access.sessionHandle !== undefined) credentials.sessionHandle = access.sessionHandle
  return credentials
}

function isStringRecord (value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  for (const key in value) if (typeof (value as Record<string, unknown>)[key] !== 'string') return false
  return true
}

/**
 * True for a value shaped like {@link OAuth1Credentials} (what a session gives back is checked):
 * string token and secret, string-valued `extra`, a finite `connectedAt`, and `user`, when present,
 * with string fields. Anything else is read as "not connected", never thrown on.
 */
export function isCredentials (value: unknown): value is OAuth1Credentials {
  if (typeof value !== 'object' || value === null) return false
  const { token, tokenSecret, extra, connectedAt, user } = value as Record<string, unknown>
  if (typeof token !== 'string' || token === '' || typeof tokenSecret !== 'string' || !isStringRecord(extra) ||
    typeof connectedAt !== 'number' || !Number.isFinite(connectedAt)) return false
  if (user === undefined) return true
  if (typeof user !== 'object' || user === null) return false
  const { id, name } = user as Record<string, unknown>
  return (id === undefined || typeof id === 'string') && (name === undefined || typeof name === 'string')
}

/** Wraps a failure of the session store (not of this library) as `OAUTH1_STORE_UNAVAILABLE`. */
export function storeUnavailable (cause: unknown, message: string): OAuth1Error {
  if (cause instanceof OAuth1Error) return cause
  return new OAuth1Error(ErrorCodes.STORE_UNAVAILABLE, message, { cause })
}
