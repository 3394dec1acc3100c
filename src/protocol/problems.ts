import { parseFormToRecord } from './encoding.js'
import type { ProviderProblem } from '../errors.js'

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
