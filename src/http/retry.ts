import { ErrorCodes, OAuth1Error, isOAuth1Error } from '../errors.js'
import type { Received } from './collector.js'
import type { Call, ClientCore } from './call.js'

/** Methods retried: those RFC 9110 §9.2.2 calls idempotent, so a second attempt does no harm. */
export const idempotentMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

const retryStatuses = new Set([429, 502, 503, 504])

/** The wait before retry number `attempt` (0-based): `Retry-After` seconds up to 10 s, else 100 ms doubling up to 2 s. */
function retryDelay (attempt: number, retryAfter: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter)
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 10_000) : Math.min(100 * 2 ** attempt, 2_000)
}

/** A network failure worth another attempt: waits, then true. */
export async function retryAfterFailure (core: ClientCore, call: Call, failure: unknown): Promise<boolean> {
  if (call.retriesLeft === 0 || call.deadline.reason !== undefined || !isOAuth1Error(failure)) return false
  if (failure.code !== ErrorCodes.NETWORK && failure.code !== ErrorCodes.TIMEOUT) return false
  await call.deadline.wait(retryDelay(core.retries - call.retriesLeft--, undefined))
  return true
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
