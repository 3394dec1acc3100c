import type { ClientResponse } from '../http/client.js'
import { parseForm } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error } from '../errors.js'
import { parseProblem, redactSecrets } from '../protocol/problems.js'
import { findHeader } from '../protocol/headers.js'

/** Token credentials of a token endpoint's answer (RFC 5849 §2.1, §2.3). */
export interface TokenResponse {
  token: string
  tokenSecret: string
  /** Every other field of the provider's response, at most {@link maxExtraFields} of at most {@link maxExtraFieldLength} characters. */
  extra: Record<string, string>
}

/** Default largest token-endpoint answer read, in bytes (16 KiB): token responses are tiny. */
export const defaultMaxTokenResponseBytes = 16 * 1024

/** Extra fields kept from a token response; the rest are dropped. */
export const maxExtraFields = 64

/** Longest name or value of an extra field kept, in characters; longer fields are dropped. */
export const maxExtraFieldLength = 1024

/**
 * Turns a token endpoint's answer into credentials, or into a coded error carrying the
 * provider's status, `oauth_problem` and the start of its body, with every token-like field
 * (any case, form, JSON at any depth, XML, free text) and every `known` value (the token and
 * verifier the call sent) redacted, in the body, the details, the message and the `cause`.
 *
 * Extra fields (`user_id`, `screen_name`, ...) are kept up to {@link maxExtraFields}, each name
 * and value up to {@link maxExtraFieldLength} characters; the others are dropped.
 *
 * A refused signature (`signature_invalid`) also carries `error.diagnosis` (see
 * `ClientResponse.diagnosis`): the base string we signed, with `oauth_verifier` masked and the
 * token kept (it is sent in clear anyway), and the provider's own with the first difference.
 *
 * @throws {OAuth1Error} `OAUTH1_PROVIDER_ERROR` (non-2xx) or `OAUTH1_PROVIDER_BAD_RESPONSE`.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1
 */
export function parseTokenResponse (response: ClientResponse, step: string, known: ReadonlyArray<string | undefined> = []): TokenResponse {
  const text = response.text()
  if (!response.ok) {
    const problem = parseProblem(response.status, text, findHeader(response.headers as Record<string, string>, 'www-authenticate'), known)
    const reason = problem.problem === undefined ? '' : ` (oauth_problem=${problem.problem})`
    const diagnosis = response.diagnosis()
    throw new OAuth1Error(ErrorCodes.PROVIDER_ERROR, `The provider refused the ${step} request with HTTP ${response.status}${reason}`,
      diagnosis === undefined ? problem : { ...problem, diagnosis })
  }
  let fields: Iterable<readonly [string, string]>
  const body = text.trim()
  const json = body.startsWith('{')
  try {
    fields = json ? Object.entries(jsonFields(body)) : parseForm(body)
  } catch (error) {
    // The parser's own message quotes the body: keep it only redacted.
    const cause = new SyntaxError(redactSecrets(String((error as Error).message), known))
    throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The ${step} response could not be parsed as ${json ? 'a JSON object' : 'a form'}`,
      { status: response.status, body: shownBody(body, known), cause })
  }
  // One pass over the fields; the first occurrence of a name wins.
  let token: string | undefined
  let tokenSecret: string | undefined
  const extra: Record<string, string> = {}
  let kept = 0
  let seen = 0
  for (const [name, value] of fields) {
    seen++
    if (name === 'oauth_token') token ??= value
    else if (name === 'oauth_token_secret') tokenSecret ??= value
    else if (kept < maxExtraFields && name.length <= maxExtraFieldLength && value.length <= maxExtraFieldLength && !Object.hasOwn(extra, name)) {
      kept++
      if (name === '__proto__') Object.defineProperty(extra, name, { value, enumerable: true, writable: true, configurable: true })
      else extra[name] = value
    }
  }
  if (token === undefined || token === '' || tokenSecret === undefined) {
    throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE,
      `The ${step} response (${json ? 'JSON' : 'form'}, ${seen} fields) lacks oauth_token or oauth_token_secret`,
      { status: response.status, body: shownBody(body, known) })
  }
  return { token, tokenSecret, extra }
}

/** The start of a body for an error: redacted first, then cut, so no cut-off secret survives. */
function shownBody (body: string, known: ReadonlyArray<string | undefined>): string {
  return redactSecrets(body.slice(0, 1024), known).slice(0, 120)
}

function jsonFields (text: string): Record<string, string> {
  const value = JSON.parse(text) as unknown
  const out: Record<string, string> = Object.create(null)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError('not an object')
  for (const [name, field] of Object.entries(value)) {
    if (typeof field === 'string' || typeof field === 'number' || typeof field === 'boolean') out[name] = String(field)
  }
  return out
}
