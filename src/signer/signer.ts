import { percentEncode, percentEncodeBase64 } from '../protocol/encoding.js'
import { rejectUnknownOptions } from '../options.js'
import { configure, type ProtocolParam } from './options.js'
import { readBody, readMethod, requestParams } from './params.js'
import { place, protocolParams, requestBaseString } from './placement.js'
import type { SignableRequest, SignedRequest, Signer, SignerOptions, SignOptions } from './types.js'

export type {
  Placement, SignerOptions, SignableBody, SignableRequest, SignOptions, HeaderRecord, SignedBody, SignedRequest, Signer
} from './types.js'
import { signerOptionNames } from './types.js'
export { signerOptionNames }

function buildSigner (options: SignerOptions): Signer {
  const { config, signatureMethod, now } = configure(options)
  const signer: Signer = {
    signatureMethod,
    placement: config.placement,
    clockOffset: 0,
    timestamp: () => Math.floor(now() / 1000 + signer.clockOffset),
    // SignedRequest<never>: the interface's signature types the body after the request's.
    sign (request: SignableRequest, callOptions: SignOptions = {}): SignedRequest<never> {
      const method = readMethod(request)
      const target = config.targets.get(request.url)
      const tokenSecret = callOptions.tokenSecret !== undefined ? callOptions.tokenSecret : callOptions.token !== undefined ? '' : config.defaultTokenSecret
      const oauth = requestParams(config, callOptions, signer.timestamp)
      const parts = readBody(config, request, method, oauth, callOptions.bodyHash)
      // Encoded once, for both the base string and the placement.
      const encodedOauth: Array<[string, string]> = new Array(oauth.length)
      for (let i = 0; i < oauth.length; i++) {
        const [name, value] = oauth[i] as [string, string]
        encodedOauth[i] = [name, name === 'oauth_token' && value === config.defaultToken ? config.encodedDefaultToken as string : percentEncode(value)]
      }
      const baseString = requestBaseString(config, method, target, encodedOauth, parts.formBody)
      const oauthSignature = config.signature(baseString, tokenSecret)
      const encodedSignature = config.signature.usesBaseString ? percentEncodeBase64(oauthSignature) : percentEncode(oauthSignature)
      const params = protocolParams(config, oauth, encodedOauth, oauthSignature, encodedSignature)
      const oauthParams: Record<string, string> = {}
      for (let i = 0; i < params.length; i++) {
        const param = params[i] as ProtocolParam
        oauthParams[param[0]] = param[1]
      }
      const signed = place(config, request, target.url, parts, params) as SignedRequest<never>
      signed.oauthParams = oauthParams
      if (callOptions.returnBaseString === true) signed.baseString = baseString
      return signed
    }
  }
  return signer
}

/**
 * Creates an RFC 5849 signer. Options are validated here, and key material is prepared here,
 * so `sign()` does only per-request work. Unknown option names are refused, with the closest
 * valid one suggested.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` naming the option that is missing, invalid or unknown.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 * @example
 * ```ts
 * const signer = createSigner({ consumerKey, consumerSecret, token, tokenSecret })
 * const signed = signer.sign({
 *   method: 'POST',
 *   url: 'https://api.example.com/1/statuses',
 *   headers: { 'content-type': 'application/x-www-form-urlencoded' },
 *   body: 'status=hello'
 * })
 * await fetch(signed.url, { method: 'POST', headers: signed.headers, body: signed.body })
 * ```
 */
export function createSigner (options: SignerOptions): Signer {
  if (typeof options === 'object' && options !== null) rejectUnknownOptions(options, signerOptionNames, 'createSigner')
  return buildSigner(options)
}
