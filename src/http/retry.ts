import { ErrorCodes, OAuth1Error, isOAuth1Error } from '../errors.js'
import type { Received } from './collector.js'
import { readRateLimit } from './rate-limit.js'
import type { Call, ClientCore } from './call.js'

/** Methods retried: those RFC 9110 §9.2.2 calls idempotent, so a second attempt does no harm. */
export const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

const retryStatuses = new Set([429, 502, 503, 504])

/** The wait before retry number `attempt` (0-based): `Retry-After` seconds up to 10 s, else 100 ms doubling up to 2 s. */
function retryDelay (attempt: number, retryAfter: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 10_000) : Math.min(100 * 2 ** attempt, 2_000)
}

/** A network failure worth another attempt: the wait before it, else `undefined`. */
export function retryDelayAfterFailure (core: ClientCore, call: Call, failure: unknown): number | undefined {
  if (call.retriesLeft === 0 || call.deadline.reason !== undefined || !isOAuth1Error(failure)) return undefined
  if (failure.code !== ErrorCodes.NETWORK && failure.code !== ErrorCodes.TIMEOUT) return undefined
  return retryDelay(core.retries - call.retriesLeft--, undefined)
}

/** A network failure of a stream body where retries are on: the same error, saying why it was not retried. */
export function notRetried (core: ClientCore, call: Call, failure: unknown): unknown {
  const stream = call.signBody !== undefined && call.signBody.body === undefined
  if (!stream || core.retries === 0 || !isOAuth1Error(failure) || (failure.code !== ErrorCodes.NETWORK && failure.code !== ErrorCodes.TIMEOUT)) return failure
  const message = `${failure.message}; not retried: a stream body cannot be sent twice (send a Buffer to have it retried)`
  return new OAuth1Error(failure.code, message, { cause: failure.cause })
}

/** A busy answer (429/502/503/504) worth another attempt: the wait before it, else `undefined`. */
export function retryDelayAfterStatus (core: ClientCore, call: Call, response: Received): number | undefined {
  if (call.retriesLeft === 0 || !retryStatuses.has(response.statusCode)) return undefined
  return retryDelay(core.retries - call.retriesLeft--, response.headers['retry-after'])
}

/**
 * A 429 under {@link RateLimitOptions} (`wait: true`), once per call: the milliseconds to wait
 * until its reset when that falls within the call's deadline and `maxWaitMs`; `'give-up'` when
 * it falls beyond them (the answer is returned at once, not retried); `undefined` when the
 * answer is not a 429, the wait is not asked for or spent, or no reset is known.
 */
export function rateLimitWait (call: Call, response: Received, now: number = Date.now()): number | 'give-up' | undefined {
  const limits = call.rateLimit
  if (limits === undefined || !limits.wait || response.statusCode !== 429) return undefined
  const resetAt = readRateLimit(response.statusCode, response.headers, now)?.resetAt
  if (resetAt === undefined) return undefined
  call.rateLimit = undefined
  const wait = Math.max(0, resetAt.getTime() - now)
  return wait <= limits.maxWaitMs && now + wait < call.deadline.endsAt ? wait : 'give-up'
}
