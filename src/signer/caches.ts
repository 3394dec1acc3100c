import { baseStringUri, type EncodedSegment, encodedSegments } from '../protocol/base-string.js'
import { parseForm, percentEncode, type ParamList } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error } from '../errors.js'

/** A parsed request URL and what the base string needs from it (RFC 5849 §3.4.1.2, §3.4.1.3.1). */
export interface Target {
  /** The URL as given (a string, or a URL's href), the cache key. */
  readonly key: string
  /** Parsed from {@link Target.key}; never handed out, never mutated. */
  readonly url: URL
  /** `percentEncode(baseStringUri(url))`. */
  readonly encodedBaseUri: string
  /** The query's parameters, each name and value percent-encoded (read when first needed). */
  queryPairs: ReadonlyArray<[string, string]> | undefined
}

/** The query's parameters of `target`, each name and value percent-encoded (§3.4.1.3.1), parsed once. */
export function queryPairsOf (target: Target): ReadonlyArray<[string, string]> {
  if (target.queryPairs !== undefined) return target.queryPairs
  const pairs: Array<[string, string]> = []
  const search = target.url.search
  if (search.length > 1) for (const [name, value] of parseForm(search.slice(1))) pairs.push([percentEncode(name), percentEncode(value)])
  target.queryPairs = Object.freeze(pairs)
  return target.queryPairs
}

/**
 * The reused URL parse: the {@link Target} of the last URL signed. Clients mostly call the same
 * few endpoints, and `new URL` plus the base string URI (§3.4.1.2) are a large part of a
 * signature's cost (bench/signer.ts signs twice as fast with it).
 *
 * Invariant: a target is a function of its key, the URL's text, alone. Its `URL` object never
 * leaves the signer and is never mutated; `queryPairs` is derived from it only. So a URL object
 * the caller changes between two calls has a new href, hence a new key and a new parse.
 */
export class TargetCache {
  #last: Target | undefined

  /** The target of `input`, parsed unless it is the last one's. */
  get (input: string | URL): Target {
    const key = input instanceof URL ? input.href : input
    const last = this.#last
    if (last !== undefined && last.key === key) return last
    let url: URL
    try {
      url = new URL(key)
    } catch (cause) {
      throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Cannot sign: the URL is not an absolute URL', { cause })
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'Cannot sign: only http and https URLs can be signed')
    }
    const target: Target = { key, url, encodedBaseUri: percentEncode(baseStringUri(url)), queryPairs: undefined }
    this.#last = target
    return target
  }
}

/** Form bodies up to this length have their encoded parameters kept for the next request. */
export const cachedFormBodyLength = 4096

/**
 * The base-string parameters (§3.4.1.3) that repeat from one request to the next, for the last
 * request: the constant ones (consumer key, signature method, version), the token, the query's
 * and a form body's (up to {@link cachedFormBodyLength} characters), encoded, sorted and with
 * their segments of the base string ready for `mergeEncodedParameters`.
 *
 * Invariant: the segments are a function of the constant pairs (fixed per signer), the target
 * (by identity: see {@link TargetCache}), the form body's text and the encoded token, which are
 * the key. The list is frozen: the merge only reads it, so one request cannot change the next
 * one's base string.
 */
export class FixedParamsCache {
  #last: { target: Target, formBody: string | undefined, encodedToken: string | undefined, segments: readonly EncodedSegment[] } | undefined
  readonly #constantPairs: ReadonlyArray<[string, string]>

  /** `constantPairs`: `oauth_consumer_key`, `oauth_signature_method` and `oauth_version`, encoded. */
  constructor (constantPairs: ReadonlyArray<[string, string]>) {
    this.#constantPairs = constantPairs
  }

  /** The fixed segments of a request, computed unless they are the last request's. */
  get (target: Target, formBody: string | undefined, encodedToken: string | undefined): readonly EncodedSegment[] {
    const last = this.#last
    if (last !== undefined && last.target === target && last.encodedToken === encodedToken && last.formBody === formBody) return last.segments
    const pairs: Array<[string, string]> = this.#constantPairs.concat(queryPairsOf(target))
    if (encodedToken !== undefined) pairs.push(['oauth_token', encodedToken])
    if (formBody !== undefined && formBody.length > 0) {
      const form: ParamList = parseForm(formBody)
      for (let i = 0; i < form.length; i++) {
        const [name, value] = form[i] as [string, string]
        pairs.push([percentEncode(name), percentEncode(value)])
      }
    }
    const segments = Object.freeze(encodedSegments(pairs))
    if (formBody === undefined || formBody.length <= cachedFormBodyLength) this.#last = { target, formBody, encodedToken, segments }
    return segments
  }
}
