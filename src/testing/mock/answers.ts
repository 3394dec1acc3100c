import { formatForm } from '../../protocol/encoding.js'
import { formType } from '../../protocol/headers.js'
import type { MockRequest, MockResponse } from '../dispatcher.js'
import { ProviderRefusal, type TokenSecretLookup, type VerifiedRequest } from '../verify.js'
import type { MockState } from './state.js'
import type { MockRecordedRequest } from './types.js'

/** What an endpoint handler gets: the state, the request and its record. */
export interface EndpointContext {
  state: MockState
  request: MockRequest
  url: URL
  record: MockRecordedRequest
  /** The body's text when it is a form (its parameters are signed, RFC 5849 §3.4.1.3.1). */
  form: string | undefined
  /** Verifies the request's signature (recording its protocol parameters), or throws a {@link ProviderRefusal}. */
  verified: (tokenSecretOf: TokenSecretLookup) => VerifiedRequest
}

/** Answers one endpoint; a {@link ProviderRefusal} thrown becomes an `oauth_problem` answer. */
export type EndpointHandler = (context: EndpointContext) => MockResponse | Promise<MockResponse>

/** A text answer that is never cached. */
export function text (status: number, body: string, type = 'text/plain; charset=utf-8'): MockResponse {
  return { status, headers: { 'content-type': type, 'cache-control': 'no-store' }, body }
}

/** A JSON answer that is never cached. */
export function json (status: number, body: unknown): MockResponse {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) }
}

/** A token response (RFC 5849 §2.1, §2.3): a form-encoded body. */
export function tokenResponse (fields: ReadonlyArray<[string, string]>): MockResponse {
  return text(200, formatForm(fields), formType)
}

/** The answer of a refusal: `oauth_problem` in the body and in `WWW-Authenticate` (OAuth Problem Reporting). */
export function refusal (error: ProviderRefusal, realm: string): MockResponse {
  return {
    status: error.statusCode,
    headers: { 'content-type': formType, 'www-authenticate': `OAuth realm="${realm}", oauth_problem="${error.problem}"` },
    body: formatForm([['oauth_problem', error.problem], ...Object.entries(error.details)])
  }
}

/** The refusal of a revoked or expired token, in the configured style (`invalidTokenStyle`). */
export function tokenRefusal (context: EndpointContext, problem: 'token_revoked' | 'token_expired'): MockResponse {
  if (context.state.settings.invalidTokenStyle === 'problem') throw new ProviderRefusal(401, problem)
  context.record.problem = problem
  return text(401, JSON.stringify({ errors: [{ code: 89, message: 'Invalid or expired token.' }] }), 'application/json')
}
