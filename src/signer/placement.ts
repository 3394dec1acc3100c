import { encodedBaseString, joinEncodedParameters, mergeEncodedParameters, sortPairs } from '../protocol/base-string.js'
import { formType, type HeaderRecord } from '../protocol/headers.js'
import type { Target } from './caches.js'
import { isString, type ProtocolParam, type SignerConfig } from './options.js'
import type { BodyParts } from './params.js'
import type { SignableRequest, SignedRequest } from './types.js'

/**
 * Step 4: the base string of {@link encodedBaseString} (§3.4.1), from the encoded protocol pairs
 * plus the query and form parameters, which the signature (§3.4) signs. Sorts only its own copy of the per-request pairs.
 */
export function requestBaseString (
  config: SignerConfig, method: string, target: Target, encodedOauth: ReadonlyArray<[string, string]>, formBody: string | undefined
): string {
  if (!config.signature.usesBaseString) return ''
  let encodedToken: string | undefined
  const perRequest: Array<[string, string]> = []
  for (let i = 0; i < encodedOauth.length; i++) {
    const pair = encodedOauth[i] as [string, string]
    if (pair[0] === 'oauth_token') encodedToken = pair[1]
    else perRequest.push(pair)
  }
  return encodedBaseString(method, target.encodedBaseUri, mergeEncodedParameters(config.fixedParams.get(target, formBody, encodedToken), perRequest))
}

/** Copies headers as strings (see {@link SignedRequest.headers}), leaving out `drop` in any case. */
function copyHeaders (headers: HeaderRecord | undefined, drop: string | undefined): Record<string, string> {
  const copy: Record<string, string> = {}
  if (headers === undefined) return copy
  for (const key in headers) {
    const value = headers[key]
    if (value === undefined) continue
    if (drop !== undefined && key.length === drop.length && key.toLowerCase() === drop) continue
    copy[key] = isString(value) ? value : Array.isArray(value) ? value.join(key.toLowerCase() === 'cookie' ? '; ' : ', ') : String(value)
  }
  return copy
}

/** Step 5: the protocol parameters in the header (§3.5.1), the query (§3.5.3) or the form body (§3.5.2). */
export function place (
  config: SignerConfig, request: SignableRequest, url: URL, parts: BodyParts, params: readonly ProtocolParam[]
): Omit<SignedRequest, 'oauthParams'> {
  const headers = copyHeaders(request.headers, config.placement === 'header' ? 'authorization' : undefined)
  if (parts.addContentType) headers['content-type'] = formType
  let outUrl = url.href
  let outBody = parts.body
  if (config.placement === 'header') {
    let header = config.headerPrefix
    for (let i = 0; i < params.length; i++) {
      const param = params[i] as ProtocolParam
      if (i > 0) header += ', '
      header += param[0] + '="' + param[2] + '"'
    }
    headers.authorization = header
  } else if (config.placement === 'query') {
    // WHATWG gives '' for an empty query or fragment, so cut the href at the first '#' and look for a bare '?'.
    const hashAt = outUrl.indexOf('#')
    const withoutHash = hashAt === -1 ? outUrl : outUrl.slice(0, hashAt)
    outUrl = withoutHash + (url.search.length > 1 ? '&' : withoutHash.endsWith('?') ? '' : '?') + joinEncodedParameters(encodedPairs(params))
  } else {
    const formBody = parts.formBody as string
    outBody = formBody + (formBody.length > 0 ? '&' : '') + joinEncodedParameters(encodedPairs(params))
  }
  return { url: outUrl, headers, body: outBody }
}

function encodedPairs (params: readonly ProtocolParam[]): Array<[string, string]> {
  return params.map((param) => [param[0], param[2]])
}

/**
 * Every protocol parameter of the request, `oauth_signature` included, in name order (names are
 * unique): the per-request ones sorted, merged with the constant ones, sorted once.
 */
export function protocolParams (
  config: SignerConfig, oauth: ReadonlyArray<[string, string]>, encodedOauth: ReadonlyArray<[string, string]>, signature: string, encodedSignature: string
): ProtocolParam[] {
  const perRequest: ProtocolParam[] = new Array(oauth.length + 1)
  for (let i = 0; i < oauth.length; i++) {
    const pair = oauth[i] as [string, string]
    perRequest[i] = [pair[0], pair[1], (encodedOauth[i] as [string, string])[1]]
  }
  perRequest[oauth.length] = ['oauth_signature', signature, encodedSignature]
  sortPairs(perRequest, byName)
  const constants = config.constantParams
  const params: ProtocolParam[] = new Array(perRequest.length + constants.length)
  let i = 0
  let j = 0
  for (let k = 0; k < params.length; k++) {
    const constant = constants[i]
    const param = perRequest[j]
    if (param === undefined || (constant !== undefined && constant[0] < param[0])) {
      params[k] = constant as ProtocolParam
      i++
    } else {
      params[k] = param
      j++
    }
  }
  return params
}

function byName (a: ProtocolParam, b: ProtocolParam): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0
}
