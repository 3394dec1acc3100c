import { Agent, request } from 'undici'
import type { MockDenialStyle, MockProvider, MockUser } from './mock-provider.js'

/** What {@link connect} needs of an app it drives in-process: Fastify's `inject` (light-my-request). */
export interface Injectable {
  /** Sends one request to the app without a network (Fastify's `app.inject`, or an Express equivalent). */
  inject (options: { method: 'GET', url: string, headers: Record<string, string> }): PromiseLike<InjectedResponse>
}

/** The parts of an injected response {@link connect} reads. */
export interface InjectedResponse {
  /** The app's HTTP status (a redirect on the start and callback routes). */
  statusCode: number
  /** The app's response headers (`location`, `set-cookie`), by lower-case name. */
  headers: Record<string, string | string[] | number | undefined>
  /** The response body as text, shown when a step does not answer as expected. */
  body: string
}

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Who approves at the provider. Default the provider's user. */
  user?: MockUser | undefined
  /** Extra fields of the access-token response. */
  extra?: Record<string, string> | undefined
  /** Refuse instead of approving, in this style (or the provider's default with `true`). */
  deny?: MockDenialStyle | true | undefined
  /** The route that starts the flow, with its query. Default `/oauth/start`. */
  startPath?: string | undefined
  /** Cookies to start with (a logged-in app user), as `name=value; name2=value2`. */
  cookie?: string | undefined
  /** Throw when a step answers 4xx/5xx. Default `true` (always `false` with `deny`). */
  throwOnError?: boolean | undefined
  /** Most redirects followed inside the app. Default 10. */
  maxRedirects?: number | undefined
  /**
   * The provider's base URL as the app knows it, when another server answers for the provider
   * through {@link MockProvider.handle} (a Fastify app around the kit). Default `provider.url`.
   */
  providerUrl?: string | undefined
}

/** The outcome of {@link connect}. */
export interface ConnectResult {
  /** Headers for the next request (`app.inject`, `fetch`, undici): `{ cookie }` with every cookie the app set (empty when none). */
  headers: Record<string, string>
  /** The `cookie` header value. */
  cookie: string
  /** The cookies, by name. */
  cookies: Record<string, string>
  /** The app's answer to the callback (after redirects back to the callback route itself). */
  response: InjectedResponse
}

/** One `GET` on the app, without following redirects. */
type AppGet = (path: string, headers: Record<string, string>) => Promise<InjectedResponse>

/** `GET`s through Fastify's `inject`: no port, no socket. */
function injected (app: Injectable): { get: AppGet, close: () => Promise<void> } {
  return {
    get: async (path, headers) => await app.inject({ method: 'GET', url: path, headers }),
    close: async () => {}
  }
}

/** `GET`s over real HTTP to a listening app (any framework), on a connection pool of its own. */
function overHttp (origin: string | URL): { get: AppGet, close: () => Promise<void> } {
  const base = new URL(origin)
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`connect(): the app's URL must be http(s), not ${base.protocol}`)
  const agent = new Agent()
  return {
    get: async (path, headers) => {
      const answer = await request(new URL(path, base), { method: 'GET', headers, dispatcher: agent })
      return { statusCode: answer.statusCode, headers: answer.headers, body: await answer.body.text() }
    },
    close: async () => { await agent.close() }
  }
}

function setCookies (response: InjectedResponse): string[] {
  const header = response.headers['set-cookie']
  if (header === undefined) return []
  return Array.isArray(header) ? header : [String(header)]
}

function remember (jar: Map<string, string>, response: InjectedResponse, at: number): void {
  for (const line of setCookies(response)) {
    const [pair = '', ...attributes] = line.split(';')
    const index = pair.indexOf('=')
    if (index <= 0) continue
    const name = pair.slice(0, index).trim()
    const value = pair.slice(index + 1).trim()
    const expired = attributes.some((attribute) => {
      const [key = '', val = ''] = attribute.split('=').map((part) => part.trim())
      if (/^max-age$/i.test(key)) return Number(val) <= 0
      if (/^expires$/i.test(key)) return Date.parse(attribute.slice(attribute.indexOf('=') + 1)) <= at
      return false
    })
    if (expired || value === '') jar.delete(name)
    else jar.set(name, value)
  }
}

function cookieHeader (jar: Map<string, string>): string {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

/**
 * Connects an account in a test, the way a browser would: `GET /oauth/start` on the app, the
 * user's decision at the mock provider's authorize step (RFC 5849 §2.2), then the callback on the
 * app. Every `Set-Cookie` is carried to the next step whatever its name (session or per-flow
 * cookies alike), and redirects inside the app are followed.
 *
 * `app` is a Fastify app (anything with `inject`: no port is opened), or the base URL of an app
 * listening on a real port, such as an Express app on `127.0.0.1` and port 0: then every step is a
 * real HTTP request to that origin (redirects not followed, a cookie jar of its own).
 *
 * @example
 * const { headers } = await connect(app, provider, { user: { id: '42', name: 'ada' } })
 * const response = await app.inject({ url: '/me', headers })
 *
 * @example
 * const { headers } = await connect('http://127.0.0.1:3000', provider)
 * const response = await fetch('http://127.0.0.1:3000/me', { headers })
 *
 * @throws {Error} when a step fails (unless `deny` or `throwOnError: false`).
 */
export async function connect (app: Injectable | string | URL, provider: MockProvider, options: ConnectOptions = {}): Promise<ConnectResult> {
  const transport = typeof app === 'string' || app instanceof URL ? overHttp(app) : injected(app)
  try {
    return await drive(transport.get, provider, options)
  } finally {
    await transport.close()
  }
}

async function drive (appGet: AppGet, provider: MockProvider, options: ConnectOptions): Promise<ConnectResult> {
  const jar = new Map<string, string>()
  for (const part of (options.cookie ?? '').split(';')) {
    const index = part.indexOf('=')
    if (index > 0) jar.set(part.slice(0, index).trim(), part.slice(index + 1).trim())
  }
  const throwOnError = options.deny === undefined && (options.throwOnError ?? true)
  let redirectsLeft = options.maxRedirects ?? 10
  if (options.deny !== undefined) provider.denyNext(options.deny === true ? {} : { style: options.deny })
  else provider.approveNext({ user: options.user, extra: options.extra })

  const get = async (path: string): Promise<InjectedResponse> => {
    const cookie = cookieHeader(jar)
    const response = await appGet(path, cookie === '' ? {} : { cookie })
    remember(jar, response, Date.now())
    if (throwOnError && response.statusCode >= 400) {
      throw new Error(`connect(): GET ${path.split('?')[0] ?? ''} answered ${response.statusCode}: ${response.body.slice(0, 300)}`)
    }
    return response
  }
  const locationOf = (response: InjectedResponse): string | undefined => {
    const location = response.headers.location
    return response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string' ? location : undefined
  }
  const appPath = (location: string): string => {
    const url = new URL(location, 'http://app.invalid')
    return url.pathname + url.search
  }

  let response = await get(options.startPath ?? '/oauth/start')
  let location = locationOf(response)
  // Inside the app until it sends the browser to the provider.
  const providerUrl = options.providerUrl ?? provider.url
  while (location !== undefined && !location.startsWith(providerUrl + '/')) {
    if (redirectsLeft-- <= 0) throw new Error('connect(): too many redirects before reaching the provider')
    response = await get(appPath(location))
    location = locationOf(response)
  }
  if (location === undefined) {
    throw new Error(`connect(): the start route answered ${response.statusCode} without sending the browser to the provider at ${providerUrl}: ` +
      response.body.slice(0, 300))
  }
  // Leaving the saved `location` pristine: the pending flow's callback address is the provider's.
  const callback = await provider.authorize(location)
  const callbackPath = new URL(callback).pathname
  response = await get(appPath(callback))
  location = locationOf(response)
  // Redirects back to the callback route itself (a cookie round trip) are part of the callback.
  while (location !== undefined && new URL(location, 'http://app.invalid').pathname === callbackPath) {
    if (redirectsLeft-- <= 0) throw new Error('connect(): too many redirects at the callback')
    response = await get(appPath(location))
    location = locationOf(response)
  }
  const cookie = cookieHeader(jar)
  return { headers: cookie === '' ? {} : { cookie }, cookie, cookies: Object.fromEntries(jar), response }
}
