import { ErrorCodes, OAuth1Error } from '../errors.js'

/** The canonical origin of a URL or origin string, e.g. `https://api.x.com` (default port dropped). */
export function originOf (value: string | URL): string {
  try {
    return (value instanceof URL ? value : new URL(value)).origin
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.INVALID_OPTION, 'Invalid origin: expected an absolute http(s) URL', { cause })
  }
}

/** The path and query of an absolute http(s) URL string, e.g. `/a?b=1` of `https://h:8/a?b=1`. */
export function pathOf (href: string): string {
  return href.slice(href.indexOf('/', href.indexOf('//') + 2))
}

/** True when a value is a positive finite number (milliseconds, bytes, ...). */
export function isPositiveNumber (value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
}

/** True when a URL carries a user name or password (`https://user:pass@host/`). */
export function hasUserInfo (url: URL): boolean {
  return url.username !== '' || url.password !== ''
}

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const badValue = /[\r\n\0]/

/**
 * Refuses header names that are not HTTP tokens and values with CR, LF or NUL (header
 * injection, RFC 9110 §5.5), before anything is sent.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_REQUEST`, naming the header but not its value.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-5.5
 */
export function checkHeaders (headers: Record<string, string | string[] | number | undefined>): void {
  for (const name in headers) {
    const value = headers[name]
    if (!headerName.test(name)) throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Invalid header name: expected an HTTP token')
    if (typeof value === 'string') {
      if (badValue.test(value)) throw badHeader(name)
    } else if (Array.isArray(value)) {
      for (const item of value) if (typeof item !== 'string' || badValue.test(item)) throw badHeader(name)
    } else if (value !== undefined && typeof value !== 'number') {
      throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Invalid value of header "${name}": expected a string, number or array of strings`)
    }
  }
}

function badHeader (name: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Invalid value of header "${name}": CR, LF and NUL are not allowed`)
}
