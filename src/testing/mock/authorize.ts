import type { MockResponse } from '../dispatcher.js'
import { type EndpointContext, text } from './answers.js'
import type { MockDecision } from './types.js'

/**
 * The Resource Owner Authorization endpoint (RFC 5849 §2.2): applies the next queued decision
 * (approve by default) to a live request token and redirects to its callback, or shows the
 * verification code for `oob`.
 */
export function authorizeEndpoint ({ state, url }: EndpointContext): MockResponse {
  const token = url.searchParams.get('oauth_token') ?? ''
  const entry = state.liveRequestToken(token)
  if (entry === undefined || entry.verifier !== undefined) return text(400, 'This authorization request is unknown, expired or was already answered.')
  const result = state.decide(token, state.decisions.shift() ?? { approve: true }) as MockDecision
  if (result.location === undefined) return text(200, result.verifier === undefined ? 'Access denied.' : `Verification code: ${result.verifier}`)
  return { status: 302, headers: { location: result.location, 'cache-control': 'no-store' }, body: '' }
}
