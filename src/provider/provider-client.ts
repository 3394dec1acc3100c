import { Agent } from '../http/undici.js'
import { buildClient, clientOptionKeys, type ClientOptions, type OAuth1Client, type CallerSignal } from '../http/client.js'
import { applyPreset } from '../presets/presets.js'
import { formatForm, percentEncode } from '../protocol/encoding.js'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { isPositiveNumber } from '../http/urls.js'
import { rejectUnknownOptions } from '../options.js'
import { defaultMaxTokenResponseBytes, parseTokenResponse } from './token-response.js'
import { renewToken, revokeToken, tokenLifetime } from './lifecycle.js'

export { parseTokenResponse, maxExtraFields, maxExtraFieldLength, defaultMaxTokenResponseBytes } from './token-response.js'

import type { AccessToken, RenewableToken, RequestToken } from './tokens.js'
export type { AccessToken, RenewableToken, RequestToken } from './tokens.js'

/** The three endpoints of RFC 5849 §2. */
export interface ProviderEndpoints {
  /** Temporary Credential Request URI (§2.1). */
  requestTokenUrl: string
  /** Resource Owner Authorization URI (§2.2). */
  authorizeUrl: string
  /** Token Request URI (§2.3). */
  accessTokenUrl: string
}

/** Options for {@link createProviderClient}. */
export interface ProviderClientOptions extends ClientOptions, Partial<ProviderEndpoints> {
  /** Extra parameters for the request-token call, sent in its query (X `x_auth_access_type`). */
  requestTokenParams?: Record<string, string> | undefined
  /** Extra parameters for the authorize URL (Trello `name`/`scope`/`expiration`, Flickr `perms`). */
  authorizeParams?: Record<string, string> | undefined
  /**
   * The provider's token revocation endpoint, called signed with the user's token
   * ({@link ProviderClient.revoke}); X's preset sets `https://api.x.com/1.1/oauth/invalidate_token`.
   */
  revokeUrl?: string | undefined
  /** HTTP method of the two token calls. Default `POST`. */
  tokenMethod?: 'POST' | 'GET' | undefined
  /** Refuse a request token without `oauth_callback_confirmed=true` (§2.1). Default `true`. */
  requireCallbackConfirmed?: boolean | undefined
  /**
   * Largest token-endpoint answer read, in bytes; a larger one is refused
   * (`OAUTH1_PROVIDER_BAD_RESPONSE`) without being read further. Default 16 KiB. API calls keep
   * `maxResponseBytes`.
   */
  maxTokenResponseBytes?: number | undefined
}

/** Per-call options of the two token steps. */
export interface ProviderCallOptions {
  /**
   * Ends the call (e.g. when the browser request that started it goes away): the upstream read
   * is aborted and the call rejects with `OAUTH1_ABORTED`.
   */
  signal?: CallerSignal | undefined
}

/** The keys of {@link ProviderClientOptions} that are the provider client's own: the endpoints and how they are called. */
export type EndpointOptionKey = Exclude<keyof ProviderClientOptions, keyof ClientOptions>
const endpointKeys = ['requestTokenUrl', 'authorizeUrl', 'accessTokenUrl', 'requestTokenParams', 'authorizeParams',
  'revokeUrl', 'tokenMethod', 'requireCallbackConfirmed', 'maxTokenResponseBytes'] as const satisfies readonly EndpointOptionKey[]
type UnlistedEndpointKey = Exclude<EndpointOptionKey, typeof endpointKeys[number]>
// Fails to compile when a provider client option is added to the interface but not to the list above.
const everyEndpointListed: [UnlistedEndpointKey] extends [never] ? true : UnlistedEndpointKey = true

/** The option keys {@link createProviderClient} reads itself, besides the client's, signer's and preset's. */
export const providerClientOwnOptionKeys: ReadonlySet<string> = new Set(everyEndpointListed ? endpointKeys : [])

/**
 * Every option key {@link createProviderClient} accepts (its own, client, signer and preset keys). An adapter
 * that passes its own options through checks them against its keys plus these, and gives
 * `createProviderClient` only these.
 */
export const providerClientOptionKeys: ReadonlySet<string> = new Set([...clientOptionKeys, ...providerClientOwnOptionKeys])

/** A started PIN (out-of-band) sign-in: {@link ProviderClient.startPin}'s result (RFC 5849 §2.1, `oauth_callback=oob`). */
export interface PinStart {
  /** The temporary credentials; keep the secret for {@link ProviderClient.completePin}. */
  requestToken: RequestToken
  /** Where the user approves and is shown the PIN (the verifier) to type back. */
  authorizeUrl: string
}

/**
 * The provider client: the provider-facing token steps of RFC 5849 §2 (request token, authorize
 * URL, access token), PIN sign-in, renewal and revocation, and signed clients, usable without Fastify.
 */
export interface ProviderClient {
  /** Step 1: temporary credentials, with `oauth_callback` signed in (§2.1). */
  getRequestToken (callbackUrl: string, params?: Record<string, string>, options?: ProviderCallOptions): Promise<RequestToken>
  /** Step 2: where to send the user (§2.2). */
  authorizeUrl (requestToken: string, params?: Record<string, string>): string
  /** Step 3: exchanges the verifier, signed with the temporary credentials (§2.3). */
  getAccessToken (requestToken: { token: string, tokenSecret: string }, verifier: string, options?: ProviderCallOptions): Promise<AccessToken>
  /**
   * PIN (out-of-band) sign-in, step 1, for CLIs, desktop apps and scripts that cannot receive a
   * callback: a request token asked with `oauth_callback=oob` (RFC 5849 §2.1), checked for
   * `oauth_callback_confirmed` like any other, and the authorize URL the user opens. The provider
   * then shows a PIN (the verifier) instead of redirecting; pass it to {@link ProviderClient.completePin}.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1
   */
  startPin (options?: ProviderCallOptions): Promise<PinStart>
  /**
   * PIN sign-in, step 2: exchanges the PIN the user typed (the verifier, §2.3) for token
   * credentials. Spaces around it are ignored.
   * @throws {OAuth1Error} `OAUTH1_MISSING_VERIFIER` for an empty PIN, or any error of {@link ProviderClient.getAccessToken}.
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3
   */
  completePin (requestToken: { token: string, tokenSecret: string }, pin: string, options?: ProviderCallOptions): Promise<AccessToken>
  /**
   * Renews a token with its session handle (OAuth Session 1.0 §4): the fresh token, its
   * lifetime, and the handle (the old one when the provider sends none).
   * @throws {OAuth1Error} `OAUTH1_TOKEN_INVALID` without a session handle or when the provider refuses.
   */
  renew (credentials: RenewableToken, options?: ProviderCallOptions): Promise<AccessToken>
  /**
   * Invalidates the token at the provider's `revokeUrl` (X `invalidate_token`); a token that is
   * already invalid counts as revoked.
   * @throws {OAuth1Error} `OAUTH1_REVOKE_FAILED` (502) when the provider does not confirm;
   *   `OAUTH1_INVALID_REQUEST` when no `revokeUrl` is configured (see {@link ProviderClient.canRevoke}).
   */
  revoke (credentials: { token: string, tokenSecret: string }, options?: ProviderCallOptions): Promise<void>
  /** True when a `revokeUrl` is configured. */
  readonly canRevoke: boolean
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
 * Validates the endpoint options of a provider client.
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION`
 */
export function checkProviderClientOptions (options: Partial<ProviderClientOptions>): void {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  const record: Record<string, unknown> = { ...options }
  for (const name of ['requestTokenUrl', 'authorizeUrl', 'accessTokenUrl']) checkUrl(record, name)
  if (options.revokeUrl !== undefined) checkUrl(record, 'revokeUrl')
  for (const name of ['requestTokenParams', 'authorizeParams']) checkParams(record, name)
  if (options.tokenMethod !== undefined && options.tokenMethod !== 'POST' && options.tokenMethod !== 'GET') invalidOption('tokenMethod', "'POST' or 'GET'")
  if (options.requireCallbackConfirmed !== undefined && typeof options.requireCallbackConfirmed !== 'boolean') {
    invalidOption('requireCallbackConfirmed', 'true or false')
  }
  if (options.maxTokenResponseBytes !== undefined && !isPositiveNumber(options.maxTokenResponseBytes)) {
    invalidOption('maxTokenResponseBytes', 'a positive number of bytes')
  }
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
 * The token calls read at most `maxTokenResponseBytes` (16 KiB), never follow a redirect to
 * another origin (`OAUTH1_REDIRECT_REFUSED`: tokens come only from the configured endpoints'
 * origins), and end at the `timeout` deadline or the caller's `signal`.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for invalid or unknown options (at creation).
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2
 */
export function createProviderClient (given: ProviderClientOptions): ProviderClient {
  if (typeof given !== 'object' || given === null) invalidOption('options', 'an object')
  rejectUnknownOptions(given, providerClientOptionKeys, 'createProviderClient')
  const options = applyPreset(given.provider, given)
  checkProviderClientOptions(options)
  return buildProviderClient(options)
}

/**
 * {@link createProviderClient} for options already checked and with their preset applied (the adapters'
 * option resolution did both, once): no `provider` is read here.
 */
export function buildProviderClient (options: ProviderClientOptions): ProviderClient {
  const { requestTokenUrl, authorizeUrl, accessTokenUrl, revokeUrl, requestTokenParams = {}, authorizeParams = {} } =
    options as ProviderClientOptions & ProviderEndpoints
  const method = options.tokenMethod ?? 'POST'
  const requireConfirmed = options.requireCallbackConfirmed ?? true
  const clientOptions: Partial<ClientOptions> = {}
  for (const [key, value] of Object.entries(options)) {
    if (!providerClientOwnOptionKeys.has(key) && key !== 'token' && key !== 'tokenSecret' && key !== 'provider') Object.assign(clientOptions, { [key]: value })
  }
  const { baseUrl, origins, apiOrigins, maxResponseBytes, ...tokenOptions } = clientOptions as ClientOptions
  const ownsDispatcher = options.dispatcher === undefined
  const timeout = isPositiveNumber(options.timeout) ? options.timeout : 10_000
  const dispatcher = options.dispatcher ?? new Agent({ connect: { timeout }, keepAliveTimeout: 10_000 })
  const tokenBytes = options.maxTokenResponseBytes ?? defaultMaxTokenResponseBytes
  const client = buildClient({ ...tokenOptions, maxResponseBytes: tokenBytes, dispatcher }, { crossOriginRedirects: 'refuse' })
  const apiClient = buildClient({ ...tokenOptions, baseUrl, origins, apiOrigins, maxResponseBytes, dispatcher }, {})
  const consumerSecret = options.consumerSecret
  const authorizeBase = new URL(authorizeUrl)
  // The authorize URL up to the request token, built once: its own query and authorizeParams are fixed.
  const [authorizePrefix, authorizeHash] = authorizeHrefAround(authorizeBase, authorizeParams)

  const withLifetime = (access: AccessToken, now: number): AccessToken => Object.assign(access, tokenLifetime(access.extra, now))

  const provider: ProviderClient = {
    client: apiClient,
    canRevoke: revokeUrl !== undefined,
    async renew (credentials, callOptions) {
      const now = Date.now()
      const renewed = withLifetime(await renewToken(client, accessTokenUrl, credentials, { method, signal: callOptions?.signal }), now)
      if (renewed.sessionHandle === undefined && credentials.sessionHandle !== undefined) renewed.sessionHandle = credentials.sessionHandle
      return renewed
    },
    async revoke (credentials, callOptions) {
      if (revokeUrl === undefined) {
        throw new OAuth1Error(ErrorCodes.INVALID_REQUEST,
          'This provider has no revokeUrl: its tokens cannot be revoked from here (revoke access in the provider\'s settings)')
      }
      await revokeToken(client, revokeUrl, credentials, { signal: callOptions?.signal })
    },
    clientFor: (credentials) => apiClient.withToken(credentials),
    close: async () => { if (ownsDispatcher) await dispatcher.close() },
    async getRequestToken (callbackUrl, params, callOptions) {
      const response = await client.request(requestTokenUrl, {
        method,
        query: { ...requestTokenParams, ...params },
        oauth: { callback: callbackUrl },
        signal: callOptions?.signal
      })
      const result = parseTokenResponse(response, 'request-token', [consumerSecret])
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
    async getAccessToken (requestToken, verifier, callOptions) {
      const response = await client.request(accessTokenUrl, {
        method,
        oauth: { token: requestToken.token, tokenSecret: requestToken.tokenSecret, verifier },
        signal: callOptions?.signal
      })
      return withLifetime(parseTokenResponse(response, 'access-token', [requestToken.token, requestToken.tokenSecret, verifier, consumerSecret]), Date.now())
    },
    async startPin (callOptions) {
      const requestToken = await provider.getRequestToken('oob', undefined, callOptions)
      return { requestToken, authorizeUrl: provider.authorizeUrl(requestToken.token) }
    },
    async completePin (requestToken, pin, callOptions) {
      const verifier = typeof pin === 'string' ? pin.trim() : ''
      if (verifier === '') throw new OAuth1Error(ErrorCodes.MISSING_VERIFIER, 'No PIN was given: type the code the provider showed after you approved')
      return provider.getAccessToken(requestToken, verifier, callOptions)
    }
  }
  return provider
}

/** @deprecated Renamed to {@link ProviderClient} in 0.2: "flow" now means only a started sign-in. */
export type Flow = ProviderClient
/** @deprecated Renamed to {@link ProviderClientOptions} in 0.2. */
export type FlowOptions = ProviderClientOptions
/** @deprecated Renamed to {@link ProviderCallOptions} in 0.2. */
export type FlowCallOptions = ProviderCallOptions
/** @deprecated Renamed to {@link createProviderClient} in 0.2: the same function. */
export const createFlow: (options: ProviderClientOptions) => ProviderClient = createProviderClient
