import { parseFormToRecord } from './encoding.js'
import type { ProviderProblem } from './errors.js'

/**
 * The `oauth_problem` values of the OAuth Problem Reporting extension, as constants to switch on.
 * Providers may send other values; {@link ProviderProblem.problem} keeps them as plain strings.
 *
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 */
export const OAuthProblems = Object.freeze({
  /** `oauth_version` is not supported; see `oauth_acceptable_versions`. */
  VERSION_REJECTED: 'version_rejected',
  /** A required parameter is missing; see `oauth_parameters_absent`. */
  PARAMETER_ABSENT: 'parameter_absent',
  /** An unexpected parameter was received; see `oauth_parameters_rejected`. */
  PARAMETER_REJECTED: 'parameter_rejected',
  /** `oauth_timestamp` is too far from the provider's clock; see `oauth_acceptable_timestamps`. */
  TIMESTAMP_REFUSED: 'timestamp_refused',
  /** `oauth_nonce` was already used. */
  NONCE_USED: 'nonce_used',
  /** `oauth_signature_method` is not supported. */
  SIGNATURE_METHOD_REJECTED: 'signature_method_rejected',
  /** `oauth_signature` is invalid. */
  SIGNATURE_INVALID: 'signature_invalid',
  /** `oauth_consumer_key` is unknown to the provider. */
  CONSUMER_KEY_UNKNOWN: 'consumer_key_unknown',
  /** The consumer key is permanently unacceptable. */
  CONSUMER_KEY_REJECTED: 'consumer_key_rejected',
  /** The consumer key is temporarily unacceptable (throttling). */
  CONSUMER_KEY_REFUSED: 'consumer_key_refused',
  /** The token was already used (a request token exchanged twice). */
  TOKEN_USED: 'token_used',
  /** The token has expired. */
  TOKEN_EXPIRED: 'token_expired',
  /** The token was revoked. */
  TOKEN_REVOKED: 'token_revoked',
  /** The token is unacceptable for another reason. */
  TOKEN_REJECTED: 'token_rejected',
  /** `oauth_verifier` is wrong. */
  VERIFIER_INVALID: 'verifier_invalid',
  /** The token lacks some authorization; see `oauth_acceptable_permissions`. */
  ADDITIONAL_AUTHORIZATION_REQUIRED: 'additional_authorization_required',
  /** The user is not known (permission unknown). */
  PERMISSION_UNKNOWN: 'permission_unknown',
  /** The user refused the requested permission. */
  PERMISSION_DENIED: 'permission_denied',
  /** The user refused access to the consumer. */
  USER_REFUSED: 'user_refused'
} as const)

/** Every `oauth_problem` value of OAuth Problem Reporting. */
export type OAuthProblem = typeof OAuthProblems[keyof typeof OAuthProblems]

const problemValues: ReadonlySet<string> = new Set(Object.values(OAuthProblems))

/** True when `value` is one of the {@link OAuthProblems} of OAuth Problem Reporting. */
export function isOAuthProblem (value: unknown): value is OAuthProblem {
  return typeof value === 'string' && problemValues.has(value)
}

const maxBody = 512
const authParam = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g

/**
 * Reads the `auth-param`s of a `WWW-Authenticate: OAuth ...` header (RFC 5849 §3.5.1 syntax),
 * decoding percent-encoded values.
 */
export function parseAuthParams (header: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null)
  const start = header.search(/oauth\s/i)
  const text = start === -1 ? header : header.slice(start + 6)
  for (const match of text.matchAll(authParam)) {
    const raw = match[2] !== undefined ? match[2].replace(/\\(.)/g, '$1') : match[3] as string
    let value = raw
    try {
      value = decodeURIComponent(raw)
    } catch {}
    out[match[1] as string] = value
  }
  return out
}

/**
 * Extracts OAuth Problem Reporting fields (`oauth_problem`, `oauth_problem_advice`,
 * `oauth_acceptable_timestamps`, `oauth_parameters_absent`, ...) from a provider's
 * `WWW-Authenticate` header and form-encoded body, plus the status and the start of the body.
 *
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.2
 */
export function parseProblem (status: number, body: string, wwwAuthenticate: string | undefined): ProviderProblem {
  const fields: Record<string, string> = Object.create(null)
  if (wwwAuthenticate !== undefined) Object.assign(fields, parseAuthParams(wwwAuthenticate))
  if (body.includes('oauth_problem=')) {
    try {
      const record = parseFormToRecord(body.slice(body.indexOf('oauth_problem=')))
      for (const name in record) if (name.startsWith('oauth_')) fields[name] = record[name] as string
    } catch {}
  }
  const problem: ProviderProblem = { status, body: body.length > maxBody ? body.slice(0, maxBody) + '…' : body }
  const details: Record<string, string> = {}
  for (const name in fields) {
    if (name === 'oauth_problem') problem.problem = fields[name] as string
    else if (name === 'oauth_problem_advice') problem.advice = fields[name] as string
    else if (name.startsWith('oauth_')) details[name] = fields[name] as string
  }
  if (Object.keys(details).length > 0) problem.details = details
  return problem
}
