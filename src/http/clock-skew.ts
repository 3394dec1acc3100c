import { parseProblem } from '../protocol/problems.js'

/** Smallest disagreement, in seconds, worth correcting when the provider did not name the timestamp as the problem. */
export const unexplainedSkewThreshold = 300

/** The largest correction, in seconds, a client adopts unless told otherwise: one day (`ClientOptions.maxClockSkew`). */
export const defaultMaxClockSkew = 86_400

/** The largest `oauth_timestamp` sent: 2^31 - 1, so a timestamp fits the signed 32-bit integer providers store it in (RFC 5849 §3.3). */
export const maxTimestamp = 2 ** 31 - 1

/** At most this many origins keep a learned offset per client; the oldest is forgotten first. */
const maxOrigins = 64

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

/**
 * The offset an origin's timestamps get after a refusal: its current offset plus
 * {@link clockSkewCorrection}, or `undefined` when there is nothing to correct or the correction
 * is refused: an offset beyond `maxSkew` seconds either way from our clock, or a timestamp that
 * would leave 1..{@link maxTimestamp}. A provider's answer is never trusted to move our clock
 * by years (`oauth_acceptable_timestamps=0-0`, a `Date` in 2100).
 *
 * @param ourClock - our `oauth_timestamp` now, without any learned offset (RFC 5849 §3.3).
 * @param offsetAtSend - the origin's offset the refused request was signed with.
 */
export function correctedClockOffset (
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  ourClock: number,
  offsetAtSend: number,
  maxSkew: number
): number | undefined {
  const delta = clockSkewCorrection(status, headers, body, ourClock + offsetAtSend)
  if (delta === undefined) return undefined
  const offset = offsetAtSend + delta
  if (Math.abs(offset) > maxSkew) return undefined
  const corrected = ourClock + offset
  return corrected >= 1 && corrected <= maxTimestamp ? offset : undefined
}

/**
 * The clock offsets a client learned, one per origin: a provider's clock is that of the origin
 * that answered, so a correction learned from one origin never moves the timestamps sent to
 * another. The per-user clients of one consumer (`withToken`) share them:
 * they call the same origins, whose clocks do not depend on the user.
 */
export class OriginClockOffsets {
  readonly #offsets = new Map<string, number>()

  /** The offset in seconds for `origin`; 0 when none was learned. */
  get (origin: string): number {
    return this.#offsets.size === 0 ? 0 : this.#offsets.get(origin) ?? 0
  }

  /** Keeps `offset` for `origin` (0 forgets it). */
  set (origin: string, offset: number): void {
    this.#offsets.delete(origin)
    if (offset === 0) return
    if (this.#offsets.size >= maxOrigins) this.#offsets.delete(this.#offsets.keys().next().value as string)
    this.#offsets.set(origin, offset)
  }
}
