import { ErrorCodes, OAuth1Error, OAuthProblems } from '../errors.js'
import type { ClientResponse, OAuth1Client, RequestOptions, StreamedResponse, StreamOptions, CallerSignal } from '../http/client.js'
import type { Connect, OAuth1Credentials } from './connect.js'
import type { ProviderClient } from '../provider/provider-client.js'
import { tokenInvalidError } from '../provider/lifecycle.js'
import type { SignInContext } from './state/context.js'
import { traceResend, type TracedRequestOptions } from '../http/trace.js'

/** Options of {@link OAuth1RequestClient.disconnect}. */
export interface DisconnectOptions {
  /**
   * Also invalidate the token at the provider first, where the provider has a `revokeUrl`
   * (X `invalidate_token`). The local credentials are dropped whatever the provider answers.
   */
  revoke?: boolean | undefined
  /** Aborts the revocation call (`OAUTH1_ABORTED`); the local credentials are dropped all the same. */
  signal?: CallerSignal | undefined
}

/** What {@link OAuth1RequestClient.disconnect} did at the provider; the local credentials are always dropped. */
export interface DisconnectResult {
  /** True when the provider confirmed the revocation (or said the token was already invalid). */
  revoked: boolean
  /** Why it was not revoked: `OAUTH1_REVOKE_FAILED` from the provider, or `OAUTH1_INVALID_REQUEST` when it has no `revokeUrl`. */
  error?: OAuth1Error
}

/** A verb of the request client: buffered by default, the body stream with `stream: true`. */
export interface RequestClientMethod {
  (url: string | URL, options: Omit<StreamOptions, 'method'>): Promise<StreamedResponse>
  (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
}

/** The signed client of the current user, put on each request by the adapters (`request[name]`, `req[name]`). */
export interface OAuth1RequestClient {
  /** True when the user has connected an account. */
  isConnected (): Promise<boolean>
  /** The user's credentials, or `undefined`. */
  getCredentials (): Promise<OAuth1Credentials | undefined>
  /**
   * A client signing as this user (RFC 5849 §3). It is the plain client: it does not turn invalid
   * tokens into errors nor renew them (the verbs below do). @throws {OAuth1Error} `OAUTH1_NOT_CONNECTED` (401).
   */
  client (): Promise<OAuth1Client>
  /**
   * Signed request as this user. An answer refusing the token (`token_expired`, `token_revoked`,
   * `token_rejected`, X's 401 code 89) rejects with `OAUTH1_TOKEN_INVALID` (401), after the
   * adapter's `onTokenInvalid` hook; on `token_expired` with a known session handle (and a body that
   * can be sent again: not a stream) the token is first renewed once, saved where the credentials live, and the call retried once with it.
   * Streamed calls (`stream: true`) are returned as they are.
   *
   * @throws {OAuth1Error} `OAUTH1_NOT_CONNECTED` (401), `OAUTH1_TOKEN_INVALID` (401).
   */
  request (url: string | URL, options: StreamOptions): Promise<StreamedResponse>
  /**
   * The buffered form of the signed request as this user: resolves with the whole answer
   * ({@link ClientResponse}), any status; refusals of the token and renewal as above.
   *
   * @throws {OAuth1Error} `OAUTH1_NOT_CONNECTED` (401), `OAUTH1_TOKEN_INVALID` (401).
   */
  request (url: string | URL, options?: RequestOptions): Promise<ClientResponse>
  /** `GET` as this user: {@link OAuth1RequestClient.request} with `method: 'GET'`. */
  get: RequestClientMethod
  /** `POST` as this user: {@link OAuth1RequestClient.request} with `method: 'POST'`. */
  post: RequestClientMethod
  /** `PUT` as this user: {@link OAuth1RequestClient.request} with `method: 'PUT'`. */
  put: RequestClientMethod
  /** `PATCH` as this user: {@link OAuth1RequestClient.request} with `method: 'PATCH'`. */
  patch: RequestClientMethod
  /** `DELETE` as this user: {@link OAuth1RequestClient.request} with `method: 'DELETE'`. */
  delete: RequestClientMethod
  /**
   * Drops the user's credentials; with `{ revoke: true }` first invalidates the token at the
   * provider where it has a `revokeUrl`. Never rejects for a failed revocation: the result says.
   */
  disconnect (options?: DisconnectOptions): Promise<DisconnectResult>
}

/** What {@link createRequestClient} needs: the connect core, its provider client, one request's context, the provider's name. */
export interface RequestClientOptions<C extends SignInContext> {
  connect: Connect<C>
  providerClient: ProviderClient
  ctx: C
  /** The provider's name, for messages (`oauth1`, `twitter`). */
  name: string
  /** Told when the provider refuses the user's token (after a renewal, if one was tried), before the call rejects. */
  onTokenInvalid?: ((ctx: C, error: OAuth1Error) => Promise<void> | void) | undefined
}

/**
 * The current user's signed client for one request, framework-free: the credentials are loaded
 * at most once (session or `loadCredentials`), and every call signs as the user (RFC 5849 §3).
 * Token refusals become `OAUTH1_TOKEN_INVALID`; an expired token with a session handle is
 * renewed once (OAuth Session 1.0 §4).
 */
export function createRequestClient<C extends SignInContext> (
  { connect, providerClient, ctx, name, onTokenInvalid }: RequestClientOptions<C>
): OAuth1RequestClient {
  let loaded: Promise<OAuth1Credentials | undefined> | undefined
  let renewing: Promise<OAuth1Credentials> | undefined
  const getCredentials = (): Promise<OAuth1Credentials | undefined> => {
    loaded ??= connect.loadCredentials(ctx)
    return loaded
  }
  const connected = async (): Promise<OAuth1Credentials> => {
    const credentials = await getCredentials()
    if (credentials === undefined) throw new OAuth1Error(ErrorCodes.NOT_CONNECTED, `No ${name} account is connected for this user`)
    return credentials
  }
  const client = async (): Promise<OAuth1Client> => providerClient.clientFor(await connected())
  const renew = (old: OAuth1Credentials, signal: CallerSignal | undefined): Promise<OAuth1Credentials> => {
    renewing ??= (async () => {
      const fresh = await providerClient.renew(old, { signal })
      const credentials: OAuth1Credentials = { ...old, token: fresh.token, tokenSecret: fresh.tokenSecret, extra: { ...old.extra, ...fresh.extra } }
      for (const field of ['expiresAt', 'authorizationExpiresAt', 'sessionHandle'] as const) {
        if (fresh[field] === undefined) delete credentials[field]
        else Object.assign(credentials, { [field]: fresh[field] })
      }
      if (!await connect.replaceCredentials(ctx, old, credentials)) {
        loaded = connect.loadCredentials(ctx)
        throw new OAuth1Error(ErrorCodes.NOT_CONNECTED,
          `The ${name} account was disconnected or its token replaced while the token was being renewed; the renewed token was not saved`)
      }
      loaded = Promise.resolve(credentials)
      return credentials
    })()
    return renewing
  }
  const refused = async (error: OAuth1Error): Promise<never> => {
    if (onTokenInvalid !== undefined) await onTokenInvalid(ctx, error)
    throw error
  }
  const send = async (url: string | URL, options: RequestOptions = {}): Promise<ClientResponse | StreamedResponse> => {
    const credentials = await connected()
    if (options.stream === true) return providerClient.clientFor(credentials).request(url, options as StreamOptions)
    const response = await providerClient.clientFor(credentials).request(url, options)
    const invalid = tokenInvalidError(response)
    if (invalid === undefined) return response
    if (invalid.problem !== OAuthProblems.TOKEN_EXPIRED || credentials.sessionHandle === undefined || options.bodyHash !== undefined) {
      return refused(invalid)
    }
    let renewed: OAuth1Credentials
    try {
      renewed = await renew(credentials, options.signal)
    } catch (cause) {
      if (cause instanceof OAuth1Error && cause.code === ErrorCodes.TOKEN_INVALID) return refused(cause)
      throw cause
    }
    const resend: TracedRequestOptions = { ...options, [traceResend]: { attempt: 2, resent: 'renewal' } }
    const retried = await providerClient.clientFor(renewed).request(url, resend)
    const stillInvalid = tokenInvalidError(retried)
    return stillInvalid === undefined ? retried : refused(stillInvalid)
  }
  const verb = (method: string): RequestClientMethod => ((url: string | URL, options: Omit<RequestOptions, 'method'> = {}) =>
    send(url, { ...options, method })) as RequestClientMethod
  return {
    getCredentials,
    client,
    isConnected: async () => (await getCredentials()) !== undefined,
    request: send as OAuth1RequestClient['request'],
    get: verb('GET'),
    post: verb('POST'),
    put: verb('PUT'),
    patch: verb('PATCH'),
    delete: verb('DELETE'),
    async disconnect (options = {}) {
      const result: DisconnectResult = { revoked: false }
      try {
        const credentials = options.revoke === true ? await getCredentials() : undefined
        if (credentials !== undefined) {
          if (!providerClient.canRevoke) {
            result.error = new OAuth1Error(ErrorCodes.INVALID_REQUEST,
              `The ${name} provider has no revokeUrl: the token was forgotten here but not revoked there`)
          } else {
            try {
              await providerClient.revoke(credentials, { signal: options.signal })
              result.revoked = true
            } catch (error) {
              if (!(error instanceof OAuth1Error)) throw error
              result.error = error
            }
          }
        }
      } finally {
        loaded = Promise.resolve(undefined)
        await connect.deleteCredentials(ctx)
      }
      return result
    }
  }
}
