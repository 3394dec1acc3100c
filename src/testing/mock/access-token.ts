import type { MockResponse } from '../dispatcher.js'
import { ProviderRefusal } from '../verify.js'
import { type EndpointContext, tokenResponse } from './answers.js'
import type { RequestTokenEntry } from './state.js'
import { safeEqual } from '../../sign-in/pending-tokens.js'

/**
 * The Token Request endpoint (RFC 5849 §2.3): exchanges an approved request token and its
 * verifier for an access token (once), or renews an access token signed with it and its
 * `oauth_session_handle` (OAuth Session 1.0 §4).
 */
export function accessTokenEndpoint (context: EndpointContext): MockResponse {
  const { state } = context
  const { oauth, token } = context.verified((candidate) => state.liveRequestToken(candidate)?.secret ?? state.accessTokens.get(candidate)?.secret)
  const handle = oauth.oauth_session_handle
  const access = state.accessTokens.get(token as string)
  if (access !== undefined) {
    // OAuth Session 1.0 §4: renewal, signed with the (expired) access token and its handle.
    if (handle === undefined) throw new ProviderRefusal(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_session_handle' })
    if (state.revoked.has(token as string)) throw new ProviderRefusal(401, 'token_revoked')
    if (access.sessionHandle === undefined || !safeEqual(handle, access.sessionHandle)) throw new ProviderRefusal(401, 'token_rejected')
    state.accessTokens.delete(token as string)
    return tokenResponse(state.issueAccessToken(access.user, access.sessionHandle))
  }
  if (handle !== undefined) throw new ProviderRefusal(400, 'parameter_rejected', { oauth_parameters_rejected: 'oauth_session_handle' })
  const entry = state.requestTokens.get(token as string) as RequestTokenEntry
  // Single use: once a correctly signed exchange is attempted, the request token is gone,
  // whether or not the verifier matches.
  state.requestTokens.delete(token as string)
  const verifier = oauth.oauth_verifier
  if (verifier === undefined) throw new ProviderRefusal(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_verifier' })
  if (entry.verifier === undefined || entry.user === undefined) throw new ProviderRefusal(401, 'permission_unknown')
  if (!safeEqual(verifier, entry.verifier)) throw new ProviderRefusal(401, 'verifier_invalid')
  const user = entry.user
  return tokenResponse([
    ...state.issueAccessToken(user), ['user_id', user.id], ['screen_name', user.screen_name ?? user.name],
    ...Object.entries(entry.extra ?? {})
  ])
}
