import { ErrorCodes, OAuth1Error, OAuthProblems } from '../errors.js'
import type { ClientResponse, OAuth1Client, CallerSignal } from '../http/client.js'
import type { AccessToken } from './tokens.js'
import { parseTokenResponse } from './token-response.js'

/**
 * How long a token lasts, read from the fields of an access-token response.
 *
 * @see http://oauth.googlecode.com/svn/spec/ext/session/1.0/drafts/1/spec.html (OAuth Session 1.0, §4)
 */
export interface TokenLifetime {
  /** Milliseconds since the epoch when the token stops working (`oauth_expires_in`, Evernote's `edam_expires`). */
  expiresAt?: number
  /** Milliseconds since the epoch after which the session handle cannot renew it (`oauth_authorization_expires_in`). */
  authorizationExpiresAt?: number
  /** `oauth_session_handle`: exchanges an expired token for a fresh one (see {@link renewToken}). */
  sessionHandle?: string
}

/** Credentials that {@link renewToken} can renew. */
export interface RenewableCredentials {
  /** The expired (or expiring) `oauth_token`. */
  token: string
  /** Its `oauth_token_secret`, which signs the renewal request. */
  tokenSecret: string
  /** `oauth_session_handle`, sent as a protocol parameter of the renewal (OAuth Session 1.0 §4). */
  sessionHandle?: string | undefined
}

const largestDelay = 100 * 365 * 24 * 3600

function seconds (value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,12}$/.test(value)) return undefined
  const number = Number(value)
  return number <= largestDelay ? number : undefined
}

/**
 * Reads a token's lifetime from the extra fields of an access-token response: `oauth_expires_in`
 * and `oauth_authorization_expires_in` (seconds, OAuth Session 1.0), Evernote's `edam_expires`
 * (milliseconds since the epoch), and the `oauth_session_handle`. Malformed values are ignored.
 *
 * @param now - the clock, in milliseconds since the epoch, at which the response arrived.
 */
export function tokenLifetime (extra: Readonly<Record<string, string>>, now: number): TokenLifetime {
  const lifetime: TokenLifetime = {}
  const expiresIn = seconds(extra.oauth_expires_in)
  if (expiresIn !== undefined) lifetime.expiresAt = now + expiresIn * 1000
  else if (extra.edam_expires !== undefined && /^\d{10,15}$/.test(extra.edam_expires)) lifetime.expiresAt = Number(extra.edam_expires)
  const authorizationIn = seconds(extra.oauth_authorization_expires_in)
  if (authorizationIn !== undefined) lifetime.authorizationExpiresAt = now + authorizationIn * 1000
  const handle = extra.oauth_session_handle
  if (handle !== undefined && handle.length > 0 && handle.length <= 1024) lifetime.sessionHandle = handle
  return lifetime
}

const invalidTokenProblems: ReadonlySet<string> = new Set([
  OAuthProblems.TOKEN_EXPIRED, OAuthProblems.TOKEN_REVOKED, OAuthProblems.TOKEN_REJECTED, OAuthProblems.TOKEN_USED
])

/** WordPress's OAuth 1.0a server plugin (WP-API/OAuth1) answers a revoked or unknown token with these JSON codes. */
const wordPressInvalidTokenCodes: ReadonlySet<string> = new Set(['json_oauth1_invalid_token', 'json_oauth1_expired_token'])

/**
 * A JSON 401 refusing the token itself: X's error code 89 (`{"errors":[{"code":89}]}`), or
 * WordPress's `{"code":"json_oauth1_invalid_token"}`.
 */
function isJsonInvalidToken (response: ClientResponse): boolean {
  const text = response.text()
  if (!text.startsWith('{')) return false
  try {
    const body = JSON.parse(text) as { errors?: Array<{ code?: unknown }>, code?: unknown }
    if (typeof body.code === 'string' && wordPressInvalidTokenCodes.has(body.code)) return true
    return Array.isArray(body.errors) && body.errors.some((item) => item?.code === 89)
  } catch {
    return false
  }
}

/**
 * Recognises a provider's refusal of the token itself (expired, revoked, rejected) in an API
 * answer: a 401 with `oauth_problem=token_expired|token_revoked|token_rejected|token_used`
 * (OAuth Problem Reporting), X's 401 with error code 89, or WordPress's `json_oauth1_invalid_token`. Returns the coded error to raise,
 * or `undefined` when the answer is something else.
 *
 * @returns an {@link OAuth1Error} `OAUTH1_TOKEN_INVALID` (401) carrying the provider's problem.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.2
 */
export function tokenInvalidError (response: ClientResponse): OAuth1Error | undefined {
  if (response.status !== 401) return undefined
  const problem = response.problem()
  const known = problem.problem !== undefined && invalidTokenProblems.has(problem.problem)
  if (!known && !isJsonInvalidToken(response)) return undefined
  const reason = problem.problem === undefined ? '' : ` (oauth_problem=${problem.problem})`
  return new OAuth1Error(ErrorCodes.TOKEN_INVALID, `The provider no longer accepts this user's token${reason}; connect again`,
    { ...problem, status: response.status })
}

/**
 * Renews an access token with its session handle (OAuth Session 1.0 §4): a request to the
 * access-token endpoint signed with the old token and carrying `oauth_session_handle`.
 *
 * @throws {OAuth1Error} `OAUTH1_TOKEN_INVALID` when the credentials have no session handle or the
 *   provider refuses the renewal; `OAUTH1_PROVIDER_BAD_RESPONSE` for an unusable answer.
 * @see http://oauth.googlecode.com/svn/spec/ext/session/1.0/drafts/1/spec.html
 */
export async function renewToken (client: OAuth1Client, accessTokenUrl: string, credentials: RenewableCredentials,
  options: { method?: 'POST' | 'GET', signal?: CallerSignal } = {}): Promise<AccessToken> {
  const handle = credentials.sessionHandle
  if (handle === undefined || handle === '') {
    throw new OAuth1Error(ErrorCodes.TOKEN_INVALID, 'This token cannot be renewed: the provider gave no oauth_session_handle; connect again')
  }
  const response = await client.request(accessTokenUrl, {
    method: options.method ?? 'POST',
    oauth: { token: credentials.token, tokenSecret: credentials.tokenSecret, extraParams: { oauth_session_handle: handle } },
    signal: options.signal
  })
  if (!response.ok) {
    const problem = response.problem()
    const reason = problem.problem === undefined ? '' : ` (oauth_problem=${problem.problem})`
    throw new OAuth1Error(ErrorCodes.TOKEN_INVALID, `The provider refused to renew the token with HTTP ${response.status}${reason}; connect again`, problem)
  }
  return parseTokenResponse(response, 'token-renewal')
}

/** Options for {@link revokeToken}. */
export interface RevokeOptions {
  /** Default `POST`. */
  method?: 'POST' | 'GET' | 'DELETE'
  /** Aborts the call (`OAUTH1_ABORTED`), e.g. when the browser that asked for the disconnect goes away. */
  signal?: CallerSignal
}

/**
 * Asks the provider to invalidate a user's token (X `POST /1.1/oauth/invalidate_token`, signed
 * with the token itself). A 2xx answer is success; a 401 saying the token is already invalid
 * counts as success too, since the token no longer works either way.
 *
 * @throws {OAuth1Error} `OAUTH1_REVOKE_FAILED` (502) with the provider's status and problem.
 */
export async function revokeToken (client: OAuth1Client, revokeUrl: string, credentials: { token: string, tokenSecret: string },
  options: RevokeOptions = {}): Promise<void> {
  let response: ClientResponse
  try {
    response = await client.request(revokeUrl, {
      method: options.method ?? 'POST',
      oauth: { token: credentials.token, tokenSecret: credentials.tokenSecret },
      signal: options.signal
    })
  } catch (cause) {
    const code = cause instanceof OAuth1Error ? ` (${cause.code})` : ''
    throw new OAuth1Error(ErrorCodes.REVOKE_FAILED, `The token could not be revoked at the provider${code}`, { cause })
  }
  if (response.ok || tokenInvalidError(response) !== undefined) return
  const problem = response.problem()
  const reason = problem.problem === undefined ? '' : ` (oauth_problem=${problem.problem})`
  throw new OAuth1Error(ErrorCodes.REVOKE_FAILED, `The provider refused to revoke the token with HTTP ${response.status}${reason}`, problem)
}
