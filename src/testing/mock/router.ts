import { isFormContentType } from '../../protocol/headers.js'
import type { MockRequest, MockResponse } from '../dispatcher.js'
import { ProviderRefusal } from '../verify.js'
import { accessTokenEndpoint } from './access-token.js'
import { type EndpointContext, type EndpointHandler, refusal, text } from './answers.js'
import { authorizeEndpoint } from './authorize.js'
import { requestTokenEndpoint } from './request-token.js'
import { resourceEndpoint } from './resource.js'
import { revokeEndpoint } from './revoke.js'
import type { MockState } from './state.js'
import type { MockEndpoint, MockRecordedRequest } from './types.js'

const handlers: Readonly<Record<MockEndpoint, EndpointHandler>> = {
  request_token: requestTokenEndpoint,
  authorize: authorizeEndpoint,
  access_token: accessTokenEndpoint,
  invalidate_token: revokeEndpoint,
  resource: resourceEndpoint,
  unknown: () => text(404, 'Not found')
}

/** Which endpoint a request reaches, by its path (and, for resources, its method). */
export function endpointOf (state: MockState, method: string, path: string): MockEndpoint {
  const paths = state.settings.paths
  if (path === paths.requestToken) return 'request_token'
  if (path === paths.authorize) return 'authorize'
  if (path === paths.accessToken) return 'access_token'
  if (path === paths.invalidateToken) return 'invalidate_token'
  if (state.routes.some((route) => route.path === path && route.method === method) || (path === paths.verifyCredentials && method === 'GET')) return 'resource'
  return 'unknown'
}

/** What a hanging request waits on: released when the provider closes. */
export interface Hanging {
  closed: boolean
  readonly waiting: Set<() => void>
}

/**
 * Handles one request: records it, applies a queued misbehaviour, else runs the endpoint's
 * handler and turns a {@link ProviderRefusal} into its `oauth_problem` answer. `undefined`: the
 * request hung and is dropped without an answer.
 */
export async function routeRequest (state: MockState, hanging: Hanging, request: MockRequest): Promise<MockResponse | undefined> {
  const url = new URL(request.url)
  const endpoint = endpointOf(state, request.method, url.pathname)
  const record: MockRecordedRequest = {
    method: request.method,
    url: url.href,
    endpoint,
    headers: { ...request.headers },
    body: request.body.toString('utf8'),
    oauth: undefined,
    status: 0,
    problem: undefined,
    misbehaviour: state.takeMisbehaviour(endpoint)
  }
  state.record(record)
  if (record.misbehaviour === 'hang') {
    if (!hanging.closed) await new Promise<void>((resolve) => hanging.waiting.add(resolve))
    return undefined
  }
  let response: MockResponse
  if (record.misbehaviour === 'http_500') response = text(500, 'Internal Server Error')
  else if (record.misbehaviour === 'garbage') response = text(200, '<html><body>Something went wrong \u0000\u00ff</body></html>', 'text/html')
  else {
    const form = isFormContentType(request.headers['content-type']) ? request.body.toString('utf8') : undefined
    const context: EndpointContext = {
      state,
      request,
      url,
      record,
      form,
      verified: (tokenSecretOf) => {
        const result = state.verify({ method: request.method, url, authorization: request.headers.authorization, body: form }, tokenSecretOf)
        record.oauth = { ...result.oauth }
        return result
      }
    }
    try {
      response = await handlers[endpoint](context)
    } catch (error) {
      if (!(error instanceof ProviderRefusal)) throw error
      response = refusal(error, state.settings.realm)
      record.problem = error.problem
    }
  }
  record.status = response.status
  return response
}
