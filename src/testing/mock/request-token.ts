import { ProviderRefusal } from '../verify.js'
import { type EndpointContext, tokenResponse } from './answers.js'
import { maxPendingTokens } from './state.js'
import type { MockResponse } from '../dispatcher.js'

/**
 * The Temporary Credential Request endpoint (RFC 5849 §2.1): a consumer-signed request with an
 * `oauth_callback` (an http(s) URL or `oob`) gets a request token and
 * `oauth_callback_confirmed=true` (left out under the `unconfirmed_callback` misbehaviour).
 */
export function requestTokenEndpoint (context: EndpointContext): MockResponse {
  const { state, record } = context
  const { oauth } = context.verified(null)
  const callback = oauth.oauth_callback
  if (callback === undefined) throw new ProviderRefusal(400, 'parameter_absent', { oauth_parameters_absent: 'oauth_callback' })
  if (callback !== 'oob' && !/^https?:\/\//i.test(callback)) {
    throw new ProviderRefusal(400, 'parameter_rejected', { oauth_parameters_rejected: 'oauth_callback' })
  }
  state.sweep()
  if (state.requestTokens.size >= maxPendingTokens) throw new ProviderRefusal(503, 'temporarily_unavailable')
  const [token, secret] = state.issueRequestToken(callback)
  const fields: Array<[string, string]> = [['oauth_token', token], ['oauth_token_secret', secret]]
  if (record.misbehaviour !== 'unconfirmed_callback') fields.push(['oauth_callback_confirmed', 'true'])
  return tokenResponse(fields)
}
