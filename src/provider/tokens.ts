/**
 * The credentials of RFC 5849 §2: temporary (request token) and token credentials, as the
 * provider steps return them.
 *
 * @packageDocumentation
 */

/** Temporary credentials (RFC 5849 §2.1). */
export interface RequestToken {
  /** `oauth_token`: the temporary credentials identifier, sent to the authorize URL. */
  token: string
  /** `oauth_token_secret`: signs the token request (§2.3); never leaves the server. */
  tokenSecret: string
  /** Every other field of the provider's response (at most 64, each at most 1 KiB; see `maxExtraFields`). */
  extra: Record<string, string>
}

/** Token credentials for one user (RFC 5849 §2.3), plus what the provider said about the user. */
export interface AccessToken {
  /** `oauth_token`: the user's token identifier. */
  token: string
  /** `oauth_token_secret`: the user's shared secret; keep it server-side, never in a client-visible cookie. */
  tokenSecret: string
  /** Other fields of the provider's response, e.g. X's `user_id` and `screen_name` (at most 64, each at most 1 KiB; the rest dropped). */
  extra: Record<string, string>
  /** Milliseconds since the epoch when the token stops working, when the provider said (`oauth_expires_in`, Evernote's `edam_expires`). */
  expiresAt?: number
  /** Milliseconds since the epoch after which `ProviderClient.renew` cannot renew it (`oauth_authorization_expires_in`). */
  authorizationExpiresAt?: number
  /** `oauth_session_handle` (OAuth Session 1.0): lets `ProviderClient.renew` exchange the token for a fresh one. */
  sessionHandle?: string
}

/** Credentials `ProviderClient.renew` renews: the token, its secret and the session handle. */
export interface RenewableToken {
  /** The expired (or expiring) `oauth_token`. */
  token: string
  /** Its `oauth_token_secret`, which signs the renewal. */
  tokenSecret: string
  /** `oauth_session_handle`, sent with the renewal; a provider without handles refuses it. */
  sessionHandle?: string | undefined
}
