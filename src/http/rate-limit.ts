/** A provider's rate-limit window as its answer describes it. */
export interface RateLimit {
  /** Calls allowed in the window, when the provider said. */
  limit: number | undefined
  /** Calls left in the window, when the provider said (0 on a 429 that only says when to retry). */
  remaining: number | undefined
  /** When the window resets (or when to retry), when the provider said. */
  resetAt: Date | undefined
}

type Headers = Record<string, string | string[] | undefined>

function header (headers: Headers, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

function count (value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^\s*(\d{1,15})/.exec(value)
  return match === null ? undefined : Number(match[1])
}

function window (limit: number | undefined, remaining: number | undefined, resetAt: Date | undefined): RateLimit | undefined {
  return limit === undefined && remaining === undefined && resetAt === undefined ? undefined : { limit, remaining, resetAt }
}

/** Seconds from now, as a date; `undefined` for anything but a whole number. */
function inSeconds (value: string | undefined, now: number): Date | undefined {
  const seconds = count(value)
  return seconds === undefined ? undefined : new Date(now + seconds * 1000)
}

/** X's `x-rate-limit-*` (15-minute windows) and `x-user-limit-24hour-*` (per user and day); resets in epoch seconds. */
function xWindows (headers: Headers): RateLimit[] {
  const windows: RateLimit[] = []
  for (const prefix of ['x-rate-limit-', 'x-user-limit-24hour-']) {
    const reset = count(header(headers, `${prefix}reset`))
    const found = window(count(header(headers, `${prefix}limit`)), count(header(headers, `${prefix}remaining`)),
      reset === undefined ? undefined : new Date(reset * 1000))
    if (found !== undefined) windows.push(found)
  }
  return windows
}

/** Discogs' `X-Discogs-Ratelimit*`: a moving 60-second window, so the reset is at most a minute away. */
function discogsWindow (headers: Headers, now: number): RateLimit | undefined {
  const limit = count(header(headers, 'x-discogs-ratelimit'))
  const remaining = count(header(headers, 'x-discogs-ratelimit-remaining'))
  return limit === undefined && remaining === undefined ? undefined : { limit, remaining, resetAt: new Date(now + 60_000) }
}

/** A structured-field parameter of the IETF `RateLimit` field (`r=`, `t=`, or the older `remaining=`, `reset=`). */
function parameter (value: string, names: readonly string[]): string | undefined {
  for (const part of value.split(/[;,]/)) {
    const [key = '', raw = ''] = part.split('=', 2)
    if (names.includes(key.trim().toLowerCase())) return raw.trim()
  }
  return undefined
}

/**
 * The IETF fields (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Limit`, `-Remaining` and
 * `-Reset` (delta seconds) of the early drafts, `RateLimit: limit=, remaining=, reset=`, and
 * `RateLimit: "policy";r=;t=` with `RateLimit-Policy: "policy";q=` of the later ones.
 */
function ietfWindow (headers: Headers, now: number): RateLimit | undefined {
  const combined = header(headers, 'ratelimit')
  if (combined !== undefined) {
    const policy = header(headers, 'ratelimit-policy')
    return window(count(parameter(combined, ['limit']) ?? (policy === undefined ? undefined : parameter(policy, ['q']))),
      count(parameter(combined, ['r', 'remaining'])), inSeconds(parameter(combined, ['t', 'reset']), now))
  }
  return window(count(header(headers, 'ratelimit-limit')), count(header(headers, 'ratelimit-remaining')),
    inSeconds(header(headers, 'ratelimit-reset'), now))
}

/** `Retry-After` (RFC 9110 §10.2.3): delta seconds or an HTTP date. */
function retryAfter (headers: Headers, now: number): Date | undefined {
  const value = header(headers, 'retry-after')
  if (value === undefined) return undefined
  if (/^\s*\d+\s*$/.test(value)) return inSeconds(value, now)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : new Date(at)
}

/**
 * The rate-limit window of an answer, read from whichever fields it carries: X's
 * `x-rate-limit-*` and `x-user-limit-24hour-*`, Discogs' `X-Discogs-Ratelimit*`, the IETF
 * `RateLimit` fields, and `Retry-After` (on a 429 or 503 without other fields it gives
 * `remaining: 0`). Where several windows are present, the one with the fewest calls left counts;
 * `undefined` when the answer says nothing about limits. `headers` have lower-case names.
 */
export function readRateLimit (status: number, headers: Headers, now: number = Date.now()): RateLimit | undefined {
  const windows = [...xWindows(headers), discogsWindow(headers, now), ietfWindow(headers, now)].filter((found): found is RateLimit => found !== undefined)
  const retryAt = retryAfter(headers, now)
  if (windows.length === 0) {
    if (retryAt === undefined) return undefined
    return { limit: undefined, remaining: status === 429 || status === 503 ? 0 : undefined, resetAt: retryAt }
  }
  let tightest = windows[0] as RateLimit
  for (const found of windows) if ((found.remaining ?? Infinity) < (tightest.remaining ?? Infinity)) tightest = found
  return retryAt !== undefined && (status === 429 || status === 503) ? { ...tightest, resetAt: retryAt } : tightest
}
