import { parseProblem } from '../protocol/problems.js'

/** Smallest disagreement, in seconds, worth correcting when the provider did not name the timestamp as the problem. */
export const unexplainedSkewThreshold = 300

function headerValue (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/**
 * How many seconds to add to our timestamps after a refusal, or `undefined` when the refusal is
 * not about the clock. Reads `oauth_problem=timestamp_refused` with `oauth_acceptable_timestamps`
 * (OAuth Problem Reporting) from the `WWW-Authenticate` header or the body, else the response
 * `Date` header. A 401 without `timestamp_refused` is corrected only when `Date` is more than
 * {@link unexplainedSkewThreshold} seconds away from our timestamp.
 *
 * @param ourTimestamp - the `oauth_timestamp` our signer would send now (RFC 5849 §3.3).
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.3
 * @see https://wiki.oauth.net/w/page/12238543/ProblemReporting
 */
export function clockSkewCorrection (
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  ourTimestamp: number
): number | undefined {
  if (status !== 400 && status !== 401 && status !== 403) return undefined
  const challenge = headers['www-authenticate']
  const problem = parseProblem(status, body, Array.isArray(challenge) ? challenge.join(', ') : challenge)
  const refused = problem.problem === 'timestamp_refused'
  const range = problem.details?.oauth_acceptable_timestamps
  if (refused && range !== undefined) {
    const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(range)
    if (match !== null) {
      const low = Number(match[1])
      const high = Number(match[2])
      if (low <= high) return Math.floor((low + high) / 2) - ourTimestamp
    }
  }
  const date = headerValue(headers.date)
  const providerTime = date === undefined ? NaN : Math.floor(Date.parse(date) / 1000)
  if (Number.isNaN(providerTime)) return undefined
  const delta = providerTime - ourTimestamp
  if (refused ? Math.abs(delta) >= 2 : Math.abs(delta) > unexplainedSkewThreshold && status === 401) return delta
  return undefined
}
