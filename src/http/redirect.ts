import { ErrorCodes, OAuth1Error } from '../errors.js'
import type { HeaderRecord } from '../protocol/headers.js'
import type { Received } from './collector.js'
import type { Call, ClientCore } from './call.js'
import { hasUserInfo } from './urls.js'

const credentialHeaders = new Set(['authorization', 'cookie', 'proxy-authorization'])

const contentHeaders = new Set(['content-type', 'content-length'])

/** A redirect to follow: moves the call to the next URL (dropping credentials off-origin), then true. */
export function followRedirect (core: ClientCore, call: Call, response: Received): boolean {
  const location = response.headers.location
  if (call.redirectsLeft === 0 || response.statusCode < 300 || response.statusCode >= 400 || typeof location !== 'string') return false
  const { url } = call
  let next: URL
  try {
    next = new URL(location, url)
  } catch {
    throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing an invalid redirect from ${url.origin}`)
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing a redirect from ${url.origin} to a ${next.protocol} URL`)
  }
  if (hasUserInfo(next)) throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED, `Refusing a redirect from ${url.origin} to a URL with user info`)
  if (next.origin !== call.firstOrigin && core.crossOriginRedirects === 'refuse') {
    throw new OAuth1Error(ErrorCodes.REDIRECT_REFUSED,
      `Refusing a redirect from ${url.origin} to another origin (${next.origin}): tokens come only from the configured endpoint`)
  }
  const { statusCode } = response
  if ((statusCode === 303 && call.method !== 'GET' && call.method !== 'HEAD') || ((statusCode === 301 || statusCode === 302) && call.method === 'POST')) {
    if (call.method !== 'HEAD') call.method = 'GET'
    call.body = undefined
    call.headers = withoutHeaders(call.headers, contentHeaders)
  }
  if (next.origin !== call.firstOrigin) call.headers = withoutHeaders(call.headers, credentialHeaders)
  call.redirectsLeft--
  call.url = next
  return true
}

/** A copy of `headers` without `names`, in an object without prototype (a header may be named `__proto__`). */
function withoutHeaders (headers: HeaderRecord, names: ReadonlySet<string>): HeaderRecord {
  const out: HeaderRecord = Object.create(null)
  for (const name of Object.keys(headers)) if (!names.has(name.toLowerCase())) out[name] = headers[name]
  return out
}
