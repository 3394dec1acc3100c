/**
 * WordPress with the WP REST API OAuth 1.0a server plugin (WP-API/OAuth1): the provider most
 * people can run themselves. Its endpoints are not fixed: each site advertises them in its REST
 * index, under `authentication.oauth1`, reached through the `Link` header of the site's pages.
 *
 * @packageDocumentation
 */
import { ErrorCodes, OAuth1Error } from '../errors.js'
import { Agent, type Dispatcher } from '../http/undici.js'
import { type ProviderPreset, withDeprecatedFlow } from '../presets/presets.js'

/** Options of {@link discoverWordPress}. */
export interface WordPressDiscoveryOptions {
  /** The undici dispatcher to ask through (default: an `Agent` of its own, closed after). */
  dispatcher?: Dispatcher | undefined
  /** Milliseconds the whole discovery may take. Default 10,000. */
  timeout?: number | undefined
}

/** The REST API's link relation (WordPress REST API handbook, "Discovery"). */
const restRelation = 'https://api.w.org/'

/** What WordPress's quirks mean for a consumer, kept on the preset as documentation. */
const quirks: readonly string[] = Object.freeze([
  'endpoints come from the site\'s REST index (authentication.oauth1) and need pretty permalinks',
  'HMAC-SHA1 or HMAC-SHA256 only; realm is ignored',
  'the plugin builds its base-string URI without the root "/": /?rest_route= calls cannot be signed, use /wp-json/ or /index.php?rest_route=',
  'PHP parses parameters its own way: repeated keys keep the last value, a[] becomes a[0], "." or a space in a name becomes "_"; such names break signatures',
  'Apache with CGI often strips the Authorization header: use placement: \'query\' there',
  '"Cancel" on the authorize page ends on an empty page and never returns to the app; the request token stays valid for 24 hours',
  'a revoked token answers 401 {"code":"json_oauth1_invalid_token"}, read as OAUTH1_TOKEN_INVALID'
])

/** The relation types of one `Link` value's `rel` parameter (RFC 8288 §3.3), lower-cased. */
function relationsOf (params: string): string[] {
  const match = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(params)
  return (match?.[1] ?? match?.[2] ?? '').toLowerCase().split(/\s+/)
}

/** The REST root named by a `Link` header (RFC 8288) with `rel="https://api.w.org/"`, or `undefined`. */
export function restRootOf (link: string | string[] | undefined, base: URL): URL | undefined {
  for (const value of Array.isArray(link) ? link : link === undefined ? [] : [link]) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>(.*)$/.exec(part)
      if (match === null || !relationsOf(match[2] ?? '').includes(restRelation)) continue
      try {
        return new URL(match[1] ?? '', base)
      } catch {}
    }
  }
  return undefined
}

interface Answer { status: number, headers: Record<string, string | string[] | undefined>, text: string }

async function get (dispatcher: Dispatcher, url: URL, signal: AbortSignal): Promise<Answer> {
  try {
    const path = url.pathname + url.search
    const response = await dispatcher.request({ origin: url.origin, path, method: 'GET', signal, headers: { accept: 'application/json' } })
    const text = await response.body.text()
    return { status: response.statusCode, headers: response.headers, text: text.slice(0, 1 << 20) }
  } catch (cause) {
    if (signal.aborted) throw new OAuth1Error(ErrorCodes.TIMEOUT, `WordPress discovery at ${url.origin} took too long`, { cause })
    throw new OAuth1Error(ErrorCodes.NETWORK, `Could not reach ${url.origin} for WordPress discovery`, { cause })
  }
}

function endpointOf (value: unknown, base: URL, name: string): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value, base)
      if (url.protocol === 'https:' || url.protocol === 'http:') return url.href
    } catch {}
  }
  throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE,
    `The site's REST index has no usable authentication.oauth1.${name}: is the OAuth 1.0a server plugin active?`)
}

/**
 * Discovers a WordPress site's OAuth 1.0a endpoints and returns a preset for them
 * (`{ ...await discoverWordPress(site), consumerKey, consumerSecret, callbackUrl }`): the
 * site's page names its REST root in a `Link` header (`rel="https://api.w.org/"`; without one,
 * `<site>/wp-json/`), and the REST index lists `authentication.oauth1.request`, `authorize` and
 * `access`. The preset's `baseUrl` is the REST root, so relative API paths work.
 *
 * @throws {OAuth1Error} `OAUTH1_NETWORK` or `OAUTH1_TIMEOUT` when the site cannot be reached;
 *   `OAUTH1_PROVIDER_BAD_RESPONSE` when the index has no OAuth 1.0a entry (plugin not active).
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-2
 */
export async function discoverWordPress (siteUrl: string | URL, options: WordPressDiscoveryOptions = {}): Promise<Readonly<ProviderPreset>> {
  let site: URL
  try {
    site = new URL(siteUrl)
  } catch {
    throw new OAuth1Error(ErrorCodes.INVALID_OPTION, 'Invalid WordPress site URL: expected an absolute http(s) URL such as https://blog.example.com/')
  }
  if (site.protocol !== 'https:' && site.protocol !== 'http:') throw new OAuth1Error(ErrorCodes.INVALID_OPTION, 'Invalid WordPress site URL: expected http(s)')
  const own = options.dispatcher === undefined ? new Agent() : undefined
  const dispatcher = options.dispatcher ?? own as Dispatcher
  const signal = AbortSignal.timeout(options.timeout ?? 10_000)
  try {
    const page = await get(dispatcher, site, signal)
    const root = restRootOf(page.headers.link, site) ?? new URL('wp-json/', site.href.endsWith('/') ? site : new URL(`${site.href}/`))
    const index = root.href === site.href && page.status === 200 ? page : await get(dispatcher, root, signal)
    let oauth1: Record<string, unknown> | undefined
    try {
      const parsed = JSON.parse(index.text) as { authentication?: { oauth1?: unknown } }
      const entry = parsed?.authentication?.oauth1
      if (typeof entry === 'object' && entry !== null) oauth1 = entry as Record<string, unknown>
    } catch {}
    if (oauth1 === undefined) {
      throw new OAuth1Error(ErrorCodes.PROVIDER_BAD_RESPONSE,
        `The REST index at ${root.href} has no authentication.oauth1 entry: activate the WP REST API OAuth 1.0a server plugin (and pretty permalinks)`)
    }
    return Object.freeze(withDeprecatedFlow({
      id: 'wordpress',
      label: 'WordPress',
      legs: 3,
      signatureMethod: 'HMAC-SHA1',
      baseUrl: root.href,
      apiOrigins: Object.freeze([root.origin]),
      requestTokenUrl: endpointOf(oauth1.request, root, 'request'),
      authorizeUrl: endpointOf(oauth1.authorize, root, 'authorize'),
      accessTokenUrl: endpointOf(oauth1.access, root, 'access'),
      denial: Object.freeze(['oauth-problem', 'missing-verifier'] as const),
      userFields: Object.freeze({}),
      quirks
    } satisfies ProviderPreset))
  } finally {
    await own?.close()
  }
}
