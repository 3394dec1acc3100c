import { Agent } from 'undici'
import { createClient, type ClientOptions, type ClientResponse, type OAuth1Client } from '../http/client.js'
import { applyPreset } from '../presets/presets.js'
import { formatForm, parseForm, percentEncode } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { parseProblem } from '../protocol/problems.js'
import { findHeader } from '../protocol/headers.js'
import { isPositiveNumber } from '../http/urls.js'

/** Temporary credentials (RFC 5849 §2.1). */
export interface RequestToken {
  token: string
  tokenSecret: string
  /** Every other field of the provider's response. */
  extra: Record<string, string>
}

/** Token credentials for one user (RFC 5849 §2.3), plus what the provider said about the user. */
export interface AccessToken {
  token: string
  tokenSecret: string
  /** Other fields of the provider's response, e.g. X's `user_id` and `screen_name`. */
  extra: Record<string, string>
}

/** The three endpoints of RFC 5849 §2. */
export interface ProviderEndpoints {
  /** Temporary Credential Request URI (§2.1). */
  requestTokenUrl: string
  /** Resource Owner Authorization URI (§2.2). */
  authorizeUrl: string
  /** Token Request URI (§2.3). */
  accessTokenUrl: string
}

/** Options for {@link createFlow}. */
export interface FlowOptions extends ClientOptions, Partial<ProviderEndpoints> {
  /** Extra parameters for the request-token call, sent in its query (X `x_auth_access_type`). */
  requestTokenParams?: Record<string, string> | undefined
  /** Extra parameters for the authorize URL (Trello `name`/`scope`/`expiration`, Flickr `perms`). */
  authorizeParams?: Record<string, string> | undefined
  /** HTTP method of the two token calls. Default `POST`. */
  tokenMethod?: 'POST' | 'GET' | undefined
  /** Refuse a request token without `oauth_callback_confirmed=true` (§2.1). Default `true`. */
  requireCallbackConfirmed?: boolean | undefined
}

/** The provider-facing steps of the three-legged flow, usable without Fastify. */
export interface Flow {
  /** Step 1: temporary credentials, with `oauth_callback` signed in (§2.1). */
  getRequestToken (callbackUrl: string, params?: Record<string, string>): Promise<RequestToken>
  /** Step 2: where to send the user (§2.2). */
  authorizeUrl (requestToken: string, params?: Record<string, string>): string
  /** Step 3: exchanges the verifier, signed with the temporary credentials (§2.3). */
  getAccessToken (requestToken: { token: string, tokenSecret: string }, verifier: string): Promise<AccessToken>
  /** A two-legged client with the consumer credentials only. */
  readonly client: OAuth1Client
  /** A client signing as the user with these token credentials. */
  clientFor (credentials: { token: string, tokenSecret: string }): OAuth1Client
  /** Closes the connection pool. */
  close (): Promise<void>
}

function checkUrl (options: Record<string, unknown>, name: string): void {
  const value = options[name]
  let url: URL | undefined
  try {
    url = typeof value === 'string' ? new URL(value) : undefined
  } catch {}
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) invalidOption(name, 'an absolute http(s) URL')
}

function checkParams (options: Record<string, unknown>, name: string): void {
  const value = options[name]
  if (value === undefined) return
  if (typeof value !== 'object' || value === null || Object.values(value).some((v) => typeof v !== 'string')) {
    invalidOption(name, 'an object of string values')
  }
}

/**
 * Validates the endpoint options of the three-legged flow.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION`
 */
export function checkFlowOptions (options: FlowOptions): void {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  for (const name of ['requestTokenUrl', 'authorizeUrl', 'accessTokenUrl']) checkUrl(options as unknown as Record<string, unknown>, name)
  for (const name of ['requestTokenParams', 'authorizeParams']) checkParams(options as unknown as Record<string, unknown>, name)
  if (options.tokenMethod !== undefined && options.tokenMethod !== 'POST' && options.tokenMethod !== 'GET') invalidOption('tokenMethod', "'POST' or 'GET'")
}

/**
 * Turns a token endpoint's answer into credentials, or into a coded error carrying the
 * provider's status, `oauth_problem` and the start of its body.
 *
 * @throws {OAuth1Error} `OAUTH1_PROVIDER_ERROR` (non-2xx) or `OAUTH1_PROVIDER_BAD_RESPONSE`.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1
 */
export function parseTokenResponse (response: ClientResponse, step: string): RequestToken {
  const text = response.text()
  if (!response.ok) {
    const problem = parseProblem(response.status, text, findHeader(response.headers as Record<string, string>, 'www-authenticate'))
    const reason = problem.problem === undefined ? '' : ` (oauth_problem=${problem.problem})`
    throw new OAuth1Error(ErrorCodes.PROVIDER_ERROR, `The provider refused the ${step} request with HTTP ${response.status}${reason}`, problem)
  }
  let fields: Iterable<readonly [string, string]>
  try {
    const body = text.trim()
    fields = body.startsWith('{') ? Object.entries(jsonFields(text)) : parseForm(body)
  } catch (cause) {
    throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE, `The ${step} response could not be parsed`, { status: response.status, cause })
  }
  // One pass over the fields; the first occurrence of a name wins.
  let token: string | undefined
  let tokenSecret: string | undefined
  const extra: Record<string, string> = {}
  for (const [name, value] of fields) {
    if (name === 'oauth_token') token ??= value
    else if (name === 'oauth_token_secret') tokenSecret ??= value
    else if (!Object.hasOwn(extra, name)) {
      if (name === '__proto__') Object.defineProperty(extra, name, { value, enumerable: true, writable: true, configurable: true })
      else extra[name] = value
    }
  }
  if (token === undefined || token === '' || tokenSecret === undefined) {
    throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE,
      `The ${step} response lacks oauth_token or oauth_token_secret`, { status: response.status, body: text.slice(0, 120).replace(/oauth_token_secret=[^&]*/g, 'oauth_token_secret=[redacted]') })
  }
  return { token, tokenSecret, extra }
}

function jsonFields (text: string): Record<string, string> {
  const value = JSON.parse(text) as unknown
  const out: Record<string, string> = Object.create(null)
  if (typeof value !== 'object' || value === null) throw new TypeError('not an object')
  for (const [name, field] of Object.entries(value)) {
    if (typeof field === 'string' || typeof field === 'number' || typeof field === 'boolean') out[name] = String(field)
  }
  return out
}

/** `authorizeUrl(token)` is the first string, the encoded token, then the second (the URL's fragment). */
function authorizeHrefAround (base: URL, params: Record<string, string>): [string, string] {
  const url = new URL(base)
  const pairs: Array<[string, string]> = []
  for (const [name, value] of url.searchParams) pairs.push([name, value])
  for (const [name, value] of Object.entries(params)) pairs.push([name, value])
  pairs.push(['oauth_token', ''])
  url.search = formatForm(pairs)
  // The query is encoded, so the first '#' starts the fragment (possibly empty).
  const href = url.href
  const hashAt = href.indexOf('#')
  return hashAt === -1 ? [href, ''] : [href.slice(0, hashAt), href.slice(hashAt)]
}

/**
 * Creates the three steps of RFC 5849 §2 for one provider.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for invalid options (at creation).
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2
 */
export function createFlow (flowOptions: FlowOptions): Flow {
  if (typeof flowOptions !== 'object' || flowOptions === null) invalidOption('options', 'an object')
  const options = applyPreset(flowOptions.provider, flowOptions)
  checkFlowOptions(options)
  const { requestTokenUrl, authorizeUrl, accessTokenUrl, requestTokenParams = {}, authorizeParams = {} } = options as FlowOptions & ProviderEndpoints
  const method = options.tokenMethod ?? 'POST'
  const requireConfirmed = options.requireCallbackConfirmed ?? true
  const { token: _token, tokenSecret: _tokenSecret, baseUrl, provider: _provider, ...clientOptions } = options
  const ownsDispatcher = options.dispatcher === undefined
  const timeout = isPositiveNumber(options.timeout) ? options.timeout : 10_000
  const dispatcher = options.dispatcher ?? new Agent({ connect: { timeout }, keepAliveTimeout: 10_000 })
  const client = createClient({ ...clientOptions, dispatcher })
  const apiClient = baseUrl === undefined ? client : createClient({ ...clientOptions, baseUrl, dispatcher })
  const authorizeBase = new URL(authorizeUrl)
  // The authorize URL up to the request token, built once: its own query and authorizeParams are fixed.
  const [authorizePrefix, authorizeHash] = authorizeHrefAround(authorizeBase, authorizeParams)

  return {
    client: apiClient,
    clientFor: (credentials) => apiClient.withToken(credentials),
    close: async () => { if (ownsDispatcher) await dispatcher.close() },
    async getRequestToken (callbackUrl, params) {
      const response = await client.request(requestTokenUrl, {
        method,
        query: { ...requestTokenParams, ...params },
        oauth: { callback: callbackUrl }
      })
      const result = parseTokenResponse(response, 'request-token')
      if (result.extra.oauth_callback_confirmed !== 'true') {
        if (requireConfirmed) {
          throw new OAuth1Error(ErrorCodes.CALLBACK_NOT_CONFIRMED,
            'The provider did not confirm the callback (oauth_callback_confirmed is not "true"); it may implement OAuth 1.0 rather than 1.0a',
            { status: response.status })
        }
      }
      return result
    },
    authorizeUrl (requestToken, params) {
      const [prefix, hash] = params === undefined
        ? [authorizePrefix, authorizeHash]
        : authorizeHrefAround(authorizeBase, { ...authorizeParams, ...params })
      return prefix + percentEncode(requestToken) + hash
    },
    async getAccessToken (requestToken, verifier) {
      const response = await client.request(accessTokenUrl, {
        method,
        oauth: { token: requestToken.token, tokenSecret: requestToken.tokenSecret, verifier }
      })
      return parseTokenResponse(response, 'access-token')
    }
  }
}
