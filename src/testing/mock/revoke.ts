import type { MockResponse } from '../dispatcher.js'
import { type EndpointContext, json, text, tokenRefusal } from './answers.js'

/** X's `POST /1.1/oauth/invalidate_token`, signed with the access token it revokes. */
export function revokeEndpoint (context: EndpointContext): MockResponse {
  const { state, request } = context
  if (request.method !== 'POST') return text(405, 'Method Not Allowed')
  const { token } = context.verified((candidate) => state.accessTokens.get(candidate)?.secret)
  if (state.revoked.has(token as string)) return tokenRefusal(context, 'token_revoked')
  state.revoked.add(token as string)
  // X answers with the token it invalidated.
  return json(200, { access_token: token })
}
