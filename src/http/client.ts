import { rejectUnknownOptions } from '../options.js'
import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import type { ClientCore } from './call.js'
import { buildClientCore, clientOptionKeys, type ClientInternals } from './options.js'
import { send } from './send.js'
import type { ClientMethod, ClientOptions, OAuth1Client, RequestOptions } from './types.js'

export type {
  CallerSignal, ClientMethod, ClientOptions, ClientResponse, OAuth1Client, QueryInput, QueryValue, RateLimitOptions, RequestOptions,
  StreamedResponse, StreamOptions
} from './types.js'
export type { RateLimit } from './rate-limit.js'
export { clientOptionKeys, clientOwnOptionKeys, type ClientInternals } from './options.js'
export { toTransportError } from './transport-errors.js'

/**
 * Creates a client that signs every request (RFC 5849 §3) and sends it with undici. Two-legged
 * calls use the consumer credentials, with or without a fixed `token`; per-user calls use
 * {@link OAuth1Client.withToken}.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when an option is invalid or unknown.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3
 */
export function createClient (clientOptions: ClientOptions): OAuth1Client {
  if (typeof clientOptions !== 'object' || clientOptions === null) invalidOption('options', 'an object')
  rejectUnknownOptions(clientOptions, clientOptionKeys, 'createClient')
  return buildClient(clientOptions, {})
}

/**
 * {@link createClient} without the unknown-key check (the caller checked its own wider set),
 * with library-internal settings.
 */
export function buildClient (clientOptions: ClientOptions, internals: ClientInternals): OAuth1Client {
  return bindClient(buildClientCore(clientOptions, internals), undefined)
}

/** Builds a client over shared state with an optional default per-call token. */
export function bindClient (core: ClientCore, credentials: { token: string, tokenSecret: string } | undefined): OAuth1Client {
  const request = ((url: string | URL, options: RequestOptions = {}) =>
    send(core, url, options, credentials, options.method)) as OAuth1Client['request']
  const method = (name: string): ClientMethod =>
    ((url: string | URL, options: RequestOptions = {}) => send(core, url, options, credentials, name)) as ClientMethod
  return {
    request,
    get: method('GET'),
    post: method('POST'),
    put: method('PUT'),
    patch: method('PATCH'),
    delete: method('DELETE'),
    withToken (next) {
      if (typeof next?.token !== 'string' || typeof next.tokenSecret !== 'string') invalidOption('withToken', '{ token, tokenSecret } strings')
      return bindClient(core, { token: next.token, tokenSecret: next.tokenSecret })
    },
    signer: core.signer,
    clockOffset (url) {
      let origin: string
      try {
        origin = new URL(String(url), core.base).origin
      } catch (cause) {
        throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, 'clockOffset(url): expected an absolute URL, or a path when baseUrl is set', { cause })
      }
      return core.clockOffsets.get(origin)
    },
    async close () {
      if (core.ownsDispatcher) await core.dispatcher.close()
    }
  }
}
