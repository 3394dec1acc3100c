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
