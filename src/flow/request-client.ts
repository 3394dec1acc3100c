import { ErrorCodes, OAuth1Error } from '../errors.js'
import type { ClientResponse, OAuth1Client, RequestOptions } from '../http/client.js'
import type { Connect, OAuth1Credentials } from './connect.js'
import type { Flow } from './flow.js'
import type { FlowContext } from './state/context.js'

/** The signed client of the current user, put on each request by the adapters (`request[name]`, `req[name]`). */
export interface OAuth1RequestClient {
  /** True when the user has connected an account. */
  isConnected (): Promise<boolean>
  /** The user's credentials, or `undefined`. */
  getCredentials (): Promise<OAuth1Credentials | undefined>
  /** A client signing as this user (RFC 5849 §3). @throws {OAuth1Error} `OAUTH1_NOT_CONNECTED` (401). */
  client (): Promise<OAuth1Client>
  /** Signed request as this user. @throws {OAuth1Error} `OAUTH1_NOT_CONNECTED` (401). */
  request (url: string | URL, options?: RequestOptions): Promise<ClientResponse>
  get (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  post (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  put (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  patch (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  delete (url: string | URL, options?: Omit<RequestOptions, 'method'>): Promise<ClientResponse>
  /** Drops the user's credentials. */
  disconnect (): Promise<void>
}

/** What {@link createRequestClient} needs: the connect core, its flow, one request's context, the provider's name. */
export interface RequestClientOptions<C extends FlowContext> {
  connect: Connect<C>
  flow: Flow
  ctx: C
  /** The provider's name, for messages (`oauth1`, `twitter`). */
  name: string
}

/**
 * The current user's signed client for one request, framework-free: the credentials are loaded
 * at most once (session or `loadCredentials`), and every call signs as the user (RFC 5849 §3).
 */
export function createRequestClient<C extends FlowContext> ({ connect, flow, ctx, name }: RequestClientOptions<C>): OAuth1RequestClient {
  let loaded: Promise<OAuth1Credentials | undefined> | undefined
  const getCredentials = (): Promise<OAuth1Credentials | undefined> => {
    loaded ??= connect.loadCredentials(ctx)
    return loaded
  }
  const client = async (): Promise<OAuth1Client> => {
    const credentials = await getCredentials()
    if (credentials === undefined) throw new OAuth1Error(ErrorCodes.NOT_CONNECTED, `No ${name} account is connected for this user`)
    return flow.clientFor(credentials)
  }
  const verb = (method: string) => async (url: string | URL, options: Omit<RequestOptions, 'method'> = {}) =>
    (await client()).request(url, { ...options, method })
  return {
    getCredentials,
    client,
    isConnected: async () => (await getCredentials()) !== undefined,
    request: async (url, options) => (await client()).request(url, options),
    get: verb('GET'),
    post: verb('POST'),
    put: verb('PUT'),
    patch: verb('PATCH'),
    delete: verb('DELETE'),
    async disconnect () {
      loaded = Promise.resolve(undefined)
      await connect.deleteCredentials(ctx)
    }
  }
}
