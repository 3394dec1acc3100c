import type { MockResponse } from '../dispatcher.js'
import { type EndpointContext, json, tokenRefusal } from './answers.js'
import type { PlannedApiAnswer } from './state.js'
import type { MockRateLimit, MockUser } from './types.js'

/**
 * The body of the mock's HTTP 402 for a pay-per-use account without credits
 * ({@link MockProvider.creditsDepletedNext}), in the problem shape of X API v2 errors (`title`,
 * `detail`, `type`). X documents the 402 but not this body: it follows the answers reported by
 * X API users, so match on the status and `type`, not on the wording.
 */
export const mockCreditsDepletedBody: Readonly<{
  /** The problem's name. */
  title: string
  /** What happened, for people. */
  detail: string
  /** The problem's URI. */
  type: string
}> = Object.freeze({
  title: 'CreditsDepleted',
  detail: 'Your account does not have any credits left to fulfil this request.',
  type: 'https://api.x.com/2/problems/credits-depleted'
})

/** X's `x-rate-limit-*` headers (the reset in epoch seconds) and `Retry-After` of a planned rate limit. */
function rateLimitHeaders (limit: MockRateLimit, now: number, refused: boolean): Record<string, string> {
  const max = limit.limit ?? 900
  const resetAt = limit.resetAt === undefined ? now + 15 * 60_000 : typeof limit.resetAt === 'number' ? limit.resetAt : limit.resetAt.getTime()
  const headers: Record<string, string> = {
    'x-rate-limit-limit': String(max),
    'x-rate-limit-remaining': String(limit.remaining ?? (refused ? 0 : Math.max(max - 1, 0))),
    'x-rate-limit-reset': String(Math.ceil(resetAt / 1000))
  }
  const retryAfter = limit.retryAfter ?? (refused ? Math.max(0, Math.ceil((resetAt - now) / 1000)) : undefined)
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter)
  return headers
}

/** A planned API answer: the answer refusing the call, or the headers to add to the resource's answer. */
function plannedAnswer (planned: PlannedApiAnswer | undefined, now: number): { refusal: MockResponse } | { headers: Record<string, string> } | undefined {
  if (planned === undefined) return undefined
  if (planned.kind === 'credits_depleted') return { refusal: json(402, planned.body) }
  const status = planned.limit.status ?? 429
  const refused = status >= 300
  const headers = rateLimitHeaders(planned.limit, now, refused)
  if (!refused) return { headers }
  const refusal = json(status, { errors: [{ code: 88, message: 'Rate limit exceeded' }] })
  Object.assign(refusal.headers, headers)
  return { refusal }
}

/** The route's answer: an object body is sent as JSON. */
async function routeAnswer (context: EndpointContext, oauth: Record<string, string>, user: MockUser | undefined): Promise<MockResponse> {
  const { state, request, url } = context
  const route = state.routes.find((each) => each.method === request.method && each.path === url.pathname)
  if (route === undefined) {
    const who = user as MockUser
    return json(200, { id: who.id, name: who.name, screen_name: who.screen_name ?? who.name })
  }
  const result = await route.handler({ request, query: url.searchParams, oauth, user })
  const headers: Record<string, string> = { ...result.headers }
  let body = ''
  if (typeof result.body === 'string') body = result.body
  else if (result.body !== undefined) {
    body = JSON.stringify(result.body)
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
  }
  return { status: result.status ?? 200, headers, body }
}

/**
 * A protected resource (RFC 5849 §3): a route added with `route()`, or the default "who am I"
 * (`verifyCredentials`). The access token's signature is verified (the consumer's alone on a
 * two-legged route called without a token), revoked and expired tokens are refused, and an answer
 * planned by `rateLimitNext()` or `creditsDepletedNext()` is applied.
 */
export async function resourceEndpoint (context: EndpointContext): Promise<MockResponse> {
  const { state, request, url, form } = context
  const route = state.routes.find((each) => each.method === request.method && each.path === url.pathname)
  const twoLegged = route?.twoLegged ?? false
  const hasToken = /(?:^|[\s,])oauth_token\s*=/.test(request.headers.authorization ?? '') || url.searchParams.has('oauth_token') ||
    new URLSearchParams(form ?? '').has('oauth_token')
  const { oauth, token } = context.verified(twoLegged && !hasToken ? null : (candidate) => state.accessTokens.get(candidate)?.secret)
  const access = token === undefined ? undefined : state.accessTokens.get(token)
  if (access !== undefined && state.revoked.has(token as string)) return tokenRefusal(context, 'token_revoked')
  if (access !== undefined && state.isExpired(access)) return tokenRefusal(context, 'token_expired')
  const planned = plannedAnswer(state.takeApiAnswer(), state.settings.now())
  if (planned !== undefined && 'refusal' in planned) return planned.refusal
  const answer = await routeAnswer(context, oauth, access?.user)
  if (planned !== undefined) for (const [name, value] of Object.entries(planned.headers)) if (!Object.hasOwn(answer.headers, name)) answer.headers[name] = value
  return answer
}
