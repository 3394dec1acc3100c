import { parseFormToRecord } from './encoding.js'
import type { ProviderProblem } from '../errors.js'

const maxBody = 512
const redacted = '[redacted]'
const secretName = /secret|token|verifier|session_handle/i
// A quoted JSON member whose name is token-like, at any depth: "oauth_token_secret": "..." (or a bare value).
const jsonMember = /"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"|[^\s,{}[\]"]+)/g
// name=value, name: value, <name>value, name value, for token-like names, any case (forms, headers, free text, XML).
const textMember = /([\w.-]*(?:secret|token|verifier|session_handle)[\w.-]*)(\s*[=:>]\s*|\s+)([^\s&,;"'<>()[\]{}]+)/gi

/**
 * Hides what a provider body may echo of credentials, for logs and errors: the value of every
 * token-like field (a name containing `secret`, `token`, `verifier` or `session_handle`, any
 * case) in a form, in JSON at any depth, in XML or in free text, and every `known` value (the
 * tokens and verifier a call sent) wherever it appears.
 */
export function redactSecrets (text: string, known: ReadonlyArray<string | undefined> = []): string {
  let out = text
  for (const value of known) if (value !== undefined && value.length >= 4) out = out.split(value).join(redacted)
  out = out.replace(jsonMember, (member: string, name: string, colon: string) => secretName.test(name) ? `"${name}"${colon}"${redacted}"` : member)
  return out.replace(textMember, (member: string, name: string, separator: string, value: string) =>
    value === redacted || value === `"${redacted}"` ? member : name + separator + redacted)
}

/** True when a field name is token-like (see {@link redactSecrets}). */
export function isSecretName (name: string): boolean {
  return secretName.test(name)
}
const problemFieldName = /^oauth_[A-Za-z0-9_]{1,64}$/
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
 * Token-like fields and the `known` secret values are redacted in the body, the details and the
 * advice (see {@link redactSecrets}), so the result can be logged.
 *
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.2
 */
export function parseProblem (status: number, body: string, wwwAuthenticate: string | undefined, known?: ReadonlyArray<string | undefined>): ProviderProblem {
  const fields: Record<string, string> = Object.create(null)
  if (wwwAuthenticate !== undefined) Object.assign(fields, parseAuthParams(wwwAuthenticate))
  if (body.includes('oauth_problem=')) {
    try {
      const record = parseFormToRecord(body.slice(body.indexOf('oauth_problem=')))
      // Only well-formed names: a provider's echoed base string (Flickr's debug_sbs) decodes into
      // "names" like `oauth_consumer_key=...&oauth_verifier=...` that would carry values out.
      for (const name in record) if (problemFieldName.test(name)) fields[name] = record[name] as string
    } catch {}
  }
  const shown = redactSecrets(body.length > maxBody * 2 ? body.slice(0, maxBody * 2) : body, known)
  const problem: ProviderProblem = { status, body: shown.length > maxBody ? shown.slice(0, maxBody) + '…' : shown }
  const details: Record<string, string> = {}
  for (const name in fields) {
    const value = fields[name] as string
    if (name === 'oauth_problem') problem.problem = redactSecrets(value, known)
    else if (name === 'oauth_problem_advice') problem.advice = redactSecrets(value, known)
    else if (name.startsWith('oauth_')) details[name] = secretName.test(name) ? redacted : redactSecrets(value, known)
  }
  if (Object.keys(details).length > 0) problem.details = details
  return problem
}
