import { type ParamList, percentEncode } from './encoding.js'

/**
 * The base string URI of RFC 5849 §3.4.1.2: lower-case scheme and host, the port only when it is
 * not the scheme's default, the path as it goes on the wire, no query and no fragment.
 *
 * @param url - a parsed URL; WHATWG parsing already lower-cases the scheme and host and drops default ports.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.2
 */
export function baseStringUri (url: URL): string {
  return url.protocol + '//' + url.host + url.pathname
}

/**
 * Sorts pairs in place, stably: insertion sort for the handful of pairs a request usually has
 * (about twice as fast as `Array#sort` with a comparator there), `Array#sort` beyond that.
 */
export function sortPairs<T extends readonly string[]> (pairs: T[], compare: (a: T, b: T) => number): T[] {
  if (pairs.length > 16) return pairs.sort(compare)
  for (let i = 1; i < pairs.length; i++) {
    const pair = pairs[i] as T
    let j = i - 1
    while (j >= 0 && compare(pairs[j] as T, pair) > 0) {
      pairs[j + 1] = pairs[j] as T
      j--
    }
    pairs[j + 1] = pair
  }
  return pairs
}

function compareEncoded (a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  if (a[1] === b[1]) return 0
  return a[1] < b[1] ? -1 : 1
}

/**
 * Normalises request parameters (RFC 5849 §3.4.1.3.2): every name and value percent-encoded
 * (§3.6), sorted by name and then by value in byte order, joined as `name=value` with `&`.
 * Duplicate names are all kept. `oauth_signature` and `realm` must not be in `params`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.2
 */
export function normalizeParameters (params: ParamList): string {
  const encoded: Array<[string, string]> = new Array(params.length)
  for (let i = 0; i < params.length; i++) {
    const [name, value] = params[i] as [string, string]
    encoded[i] = [percentEncode(name), percentEncode(value)]
  }
  return joinEncodedParameters(encoded)
}

/**
 * Sorts already percent-encoded pairs (in place) and joins them: the second half of
 * {@link normalizeParameters}, for callers that encode constant parameters once.
 */
export function joinEncodedParameters (encoded: Array<[string, string]>): string {
  return joinSorted(encoded)
}

/**
 * `percentEncode(joinEncodedParameters(encoded))` without the second pass over the whole string:
 * encoded pairs hold only unreserved characters and `%XX`, so encoding them again only turns `%`
 * into `%25`, `=` into `%3D` and `&` into `%26`. Sorts `encoded` in place.
 * Every name and value must be a {@link percentEncode} result.
 */
export function encodeJoinedParameters (encoded: Array<[string, string]>): string {
  sortPairs(encoded, compareEncoded)
  let out = ''
  for (let i = 0; i < encoded.length; i++) {
    const [name, value] = encoded[i] as [string, string]
    if (i > 0) out += '%26'
    out += encodeAgain(name) + '%3D' + encodeAgain(value)
  }
  return out
}

/**
 * A percent-encoded parameter (§3.4.1.3.2) with its `name%3Dvalue` segment of the encoded
 * parameter string, ready for {@link mergeEncodedParameters}.
 */
export interface EncodedSegment {
  readonly name: string
  readonly value: string
  readonly segment: string
}

/**
 * Sorts already percent-encoded pairs (in place) as §3.4.1.3.2 orders them and gives each its
 * encoded segment: the part of a request's parameters that repeats (the consumer key, the
 * token, the query and the form body), prepared once for {@link mergeEncodedParameters}.
 */
export function encodedSegments (encoded: Array<[string, string]>): EncodedSegment[] {
  sortPairs(encoded, compareEncoded)
  const segments: EncodedSegment[] = new Array(encoded.length)
  for (let i = 0; i < encoded.length; i++) {
    const [name, value] = encoded[i] as [string, string]
    segments[i] = { name, value, segment: encodeAgain(name) + '%3D' + encodeAgain(value) }
  }
  return segments
}

/**
 * {@link encodeJoinedParameters} of `sorted` (from {@link encodedSegments}) plus `encoded`
 * (the few per-request pairs, sorted here in place), merged without re-sorting the first list.
 */
export function mergeEncodedParameters (sorted: readonly EncodedSegment[], encoded: Array<[string, string]>): string {
  sortPairs(encoded, compareEncoded)
  let out = ''
  let i = 0
  let j = 0
  while (i < sorted.length || j < encoded.length) {
    if (i + j > 0) out += '%26'
    const fixed = sorted[i]
    const pair = encoded[j]
    if (pair === undefined || (fixed !== undefined && (fixed.name < pair[0] || (fixed.name === pair[0] && fixed.value <= pair[1])))) {
      out += (fixed as EncodedSegment).segment
      i++
    } else {
      out += encodeAgain(pair[0]) + '%3D' + encodeAgain(pair[1])
      j++
    }
  }
  return out
}

const percentSign = /%/g

function encodeAgain (value: string): string {
  return value.indexOf('%') === -1 ? value : value.replace(percentSign, '%25')
}

function joinSorted (encoded: Array<[string, string]>): string {
  sortPairs(encoded, compareEncoded)
  let out = ''
  for (let i = 0; i < encoded.length; i++) {
    const [name, value] = encoded[i] as [string, string]
    if (i > 0) out += '&'
    out += name + '=' + value
  }
  return out
}

/**
 * The signature base string of RFC 5849 §3.4.1.1:
 * `METHOD&encode(base string URI)&encode(normalized parameters)`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.1
 */
export function signatureBaseString (method: string, baseUri: string, normalizedParameters: string): string {
  return encodedBaseString(method, percentEncode(baseUri), percentEncode(normalizedParameters))
}

/**
 * The one routine that assembles a signature base string (§3.4.1.1), from its parts already
 * percent-encoded: {@link signatureBaseString} encodes them first; the signer passes a cached
 * encoded URI and {@link encodeJoinedParameters}.
 */
export function encodedBaseString (method: string, encodedBaseUri: string, encodedParameters: string): string {
  return method.toUpperCase() + '&' + encodedBaseUri + '&' + encodedParameters
}
