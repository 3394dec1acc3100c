import { ErrorCodes, OAuth1Error } from '../errors.js'

/** A list of decoded name/value pairs; order and duplicates are kept (RFC 5849 §3.4.1.3.1). */
export type ParamList = Array<[name: string, value: string]>

const hasExtraEncoding = /[!'()*]/
// Most OAuth values (keys, tokens, nonces, timestamps) need no encoding: skip encodeURIComponent for them.
const onlyUnreserved = /^[\w.~-]*$/

/** Encodes the five characters encodeURIComponent leaves alone: `!` `'` `(` `)` `*` (a loop: replace() with a callback is slower). */
function encodeExtra (encoded: string): string {
  let out = ''
  let last = 0
  for (let i = 0; i < encoded.length; i++) {
    const code = encoded.charCodeAt(i)
    if (code === 33 || (code >= 39 && code <= 42)) {
      out += encoded.slice(last, i) + (code === 33 ? '%21' : code === 39 ? '%27' : code === 40 ? '%28' : code === 41 ? '%29' : '%2A')
      last = i + 1
    }
  }
  return out + encoded.slice(last)
}

/**
 * Percent-encodes a string as RFC 5849 §3.6 requires: UTF-8, every byte but the unreserved
 * characters `A-Z a-z 0-9 - . _ ~` as `%XX` with upper-case hex, spaces as `%20` (never `+`).
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_REQUEST` for a string with a lone surrogate (not valid UTF-16).
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.6
 */
export function percentEncode (value: string): string {
  if (onlyUnreserved.test(value)) return value
  let encoded: string
  try {
    encoded = encodeURIComponent(value)
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'A parameter is not valid Unicode (lone surrogate)', { cause })
  }
  return hasExtraEncoding.test(encoded) ? encodeExtra(encoded) : encoded
}

/**
 * {@link percentEncode} of base64 text (`A-Z a-z 0-9 + / =`, as HMAC and RSA signatures are):
 * only `+`, `/` and `=` change, to `%2B`, `%2F` and `%3D` (RFC 5849 §3.6).
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.6
 */
export function percentEncodeBase64 (value: string): string {
  let out = ''
  let last = 0
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i)
    if (code === 43 || code === 47 || code === 61) {
      out += value.slice(last, i) + (code === 43 ? '%2B' : code === 47 ? '%2F' : '%3D')
      last = i + 1
    }
  }
  return last === 0 ? value : out + value.slice(last)
}

const plus = /\+/g

/**
 * Decodes one `application/x-www-form-urlencoded` name or value: `+` is a space, `%XX` is a
 * UTF-8 byte (W3C HTML 4.01 §17.13.4, as RFC 5849 §3.4.1.3.1 requires for the query and form body).
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_REQUEST` for a malformed escape such as `%zz` or invalid UTF-8.
 */
export function formDecode (value: string): string {
  if (value.indexOf('+') !== -1) value = value.replace(plus, ' ')
  if (value.indexOf('%') === -1) return value
  try {
    return decodeURIComponent(value)
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Malformed percent-encoding in the query or form body', { cause })
  }
}

/**
 * Parses an `application/x-www-form-urlencoded` string (a query without its `?`, or a form body)
 * into decoded pairs. Empty segments are skipped; a name without `=` has the empty value.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.1
 */
export function parseForm (input: string, into: ParamList = []): ParamList {
  if (input.length === 0) return into
  let start = 0
  while (start <= input.length) {
    let end = input.indexOf('&', start)
    if (end === -1) end = input.length
    if (end > start) {
      const eq = input.indexOf('=', start)
      if (eq === -1 || eq > end) {
        into.push([formDecode(input.slice(start, end)), ''])
      } else {
        into.push([formDecode(input.slice(start, eq)), formDecode(input.slice(eq + 1, end))])
      }
    }
    start = end + 1
  }
  return into
}

/** Serialises pairs as a form string with RFC 3986 encoding (`%20`, not `+`). */
export function formatForm (params: Iterable<readonly [string, string]>): string {
  let out = ''
  for (const [name, value] of params) {
    if (out.length > 0) out += '&'
    out += percentEncode(name) + '=' + percentEncode(value)
  }
  return out
}

/**
 * Parses a token endpoint response body (`oauth_token=...&oauth_token_secret=...`) into a record.
 * The first occurrence of a name wins.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1
 */
export function parseFormToRecord (input: string): Record<string, string> {
  const record: Record<string, string> = Object.create(null)
  for (const [name, value] of parseForm(input.trim())) {
    if (!(name in record)) record[name] = value
  }
  return record
}
