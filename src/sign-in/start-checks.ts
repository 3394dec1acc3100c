/**
 * The checks of a start before any provider call (RFC 5849 §2.1): the callback URL's origin against
 * the allow-list, the return path's length, and the host names a host-mismatch warning compares.
 *
 * @packageDocumentation
 */
import { ErrorCodes, invalidOption, OAuth1Error } from '../errors.js'
import { maxReturnToLength, safeEqual, safeReturnPath } from './pending-tokens.js'

/** The host name of a `Host` header value (cookies are per host name, not per port); lower-cased as it is when it does not parse. */
export function hostnameOfHeader (host: string): string {
  return hostLabelOf(host) ?? host.toLowerCase()
}

/** Both absent, or equal in constant time. */
export function sameBinding (recorded: string | undefined, presented: string | undefined): boolean {
  if (recorded === undefined || presented === undefined) return recorded === presented
  return safeEqual(recorded, presented)
}

/** A host name fit for a message (parsed as a URL host), or `undefined`. */
export function hostLabelOf (host: string): string | undefined {
  try {
    return new URL(`http://${host}`).hostname
  } catch {
    return undefined
  }
}

/** The allowed callback origins: the given ones, or a string `callbackUrl`'s own. */
export function callbackOriginsOf (callbackUrl: string | ((ctx: never) => string), given: readonly string[] | undefined): ReadonlySet<string> {
  if (given !== undefined) return new Set(given.map((origin) => new URL(origin).origin))
  if (typeof callbackUrl === 'function') {
    invalidOption('callbackOrigins',
      'the origins a callbackUrl function may return (e.g. ["https://app.example.com"]): a URL built from the request\'s Host must be checked')
  }
  return new Set([new URL(callbackUrl).origin])
}

/** A start's callback URL once checked: whether it is https, and its host (`Host` header form) and host name. */
export interface CallbackTarget {
  readonly https: boolean
  /** `hostname[:port]`, as a `Host` header for it reads. */
  readonly host: string
  readonly hostname: string
}

/**
 * Refuses a start's callback URL that is not an http(s) URL on an allowed origin (a forged
 * `Host` would send the verifier there); what a start needs of it otherwise.
 */
export function callbackTargetOf (callbackUrl: unknown, allowed: ReadonlySet<string>): CallbackTarget {
  let url: URL | undefined
  try {
    url = new URL(callbackUrl as string)
  } catch {}
  const origin = url?.protocol === 'https:' || url?.protocol === 'http:' ? url.origin : undefined
  if (url === undefined || origin === undefined || !allowed.has(origin)) {
    throw new OAuth1Error(ErrorCodes.CALLBACK_NOT_ALLOWED,
      'The callback URL of this start is not on an allowed origin (callbackOrigins): open the app on its configured host name')
  }
  return { https: url.protocol === 'https:', host: url.host, hostname: url.hostname }
}

/** {@link callbackTargetOf}, `undefined` where it throws (a fixed callback URL is then checked, and refused, at each start). */
export function fixedCallbackTarget (callbackUrl: unknown, allowed: ReadonlySet<string>): CallbackTarget | undefined {
  try {
    return typeof callbackUrl === 'string' ? callbackTargetOf(callbackUrl, allowed) : undefined
  } catch {
    return undefined
  }
}

/** The host name of a request's `Host` header, without a parse when it is the callback's own host. */
export function requestHostname (host: string, target: CallbackTarget): string {
  return host === target.host ? target.hostname : hostnameOfHeader(host)
}

/** The start's return path, normalised; refuses one too long for the flow cookie (as given or URL-encoded). */
export function returnPathOf (returnTo: string | undefined): string | undefined {
  const safe = safeReturnPath(returnTo)
  if ((typeof returnTo === 'string' && returnTo.length > maxReturnToLength) || (safe !== undefined && safe.length > maxReturnToLength)) {
    throw new OAuth1Error(ErrorCodes.RETURN_TO_TOO_LONG, `The return path is longer than ${maxReturnToLength} characters once URL-encoded; use a shorter one`)
  }
  return safe
}
