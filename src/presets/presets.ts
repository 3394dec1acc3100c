import { invalidOption } from '../errors.js'
import type { BodyHashAlgorithm, SignatureMethod } from '../protocol/signature-methods.js'
import type { Placement } from '../signer/signer.js'

/** How a provider tells the callback that the user refused (each seen in the wild). */
export type DenialStyle =
  /** `?denied=<request token>` (X/Twitter). */
  | 'denied-param'
  /** `?oauth_problem=user_refused` (OAuth Problem Reporting). */
  | 'oauth-problem'
  /** `?oauth_verifier=denied` (Jira). */
  | 'verifier-denied'
  /** `?authorize=0` (Goodreads). */
  | 'authorize-0'
  /** The callback arrives with `oauth_token` but without `oauth_verifier` (Trello, Flickr, Evernote, ...). */
  | 'missing-verifier'

/**
 * The denial styles honoured when no preset declares its own: every style seen in the wild but
 * `missing-verifier`, so a callback without a verifier stays `OAUTH1_MISSING_VERIFIER`.
 */
export const defaultDenialStyles: readonly DenialStyle[] = Object.freeze(['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0'])

/** The access-token response fields naming the user. */
export interface UserFields {
  /** The field holding the user's id (X `user_id`). */
  id?: string
  /** The field holding the user's name (X `screen_name`). */
  name?: string
}

/** The user fields read when no preset names its own: X's `user_id` and `screen_name`. */
export const defaultUserFields: Readonly<UserFields> = Object.freeze({ id: 'user_id', name: 'screen_name' })

const denialStyles: ReadonlySet<string> = new Set(['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0', 'missing-verifier'])

/**
 * A provider preset: plain data, spread into the options of `createClient`, `createFlow` or the
 * plugin (`{ ...presets.x, consumerKey, consumerSecret }`), or named with the plugin's `provider`.
 * Your own options win over the preset's.
 */
export interface ProviderPreset {
  /** Short identifier, e.g. `x`. */
  id: string
  /** Human name. */
  label: string
  /** `three-legged` (users connect accounts) or `two-legged` (server-to-server credentials). */
  flow: 'three-legged' | 'two-legged'
  /** The signature method the provider accepts (RFC 5849 §3.4). */
  signatureMethod: SignatureMethod
  /** Where the protocol parameters go (RFC 5849 §3.5), when the provider wants other than the `Authorization` header. */
  placement?: Placement
  /** Send `oauth_body_hash` (OAuth Request Body Hash) computed with this hash, as the provider requires (Mastercard: SHA-256). */
  bodyHash?: BodyHashAlgorithm
  /** The `realm` of the `Authorization` header (RFC 5849 §3.5.1), as the provider requires (NetSuite's account id). */
  realm?: string
  /** API base URL for the client's relative paths. */
  baseUrl?: string
  /** Temporary Credential Request URI (RFC 5849 §2.1). */
  requestTokenUrl?: string
  /** Resource Owner Authorization URI (RFC 5849 §2.2), where the user approves. */
  authorizeUrl?: string
  /** Token Request URI (RFC 5849 §2.3). */
  accessTokenUrl?: string
  /**
   * The provider's token revocation endpoint, called signed with the user's token (X
   * `POST /1.1/oauth/invalidate_token`): `flow.revoke()` and `disconnect({ revoke: true })`.
   */
  revokeUrl?: string
  /** The provider signs the non-file fields of multipart uploads (Flickr's upload API); see `ClientOptions.signMultipartFields`. */
  signMultipartFields?: boolean
  /** The HTTP method of the request-token and access-token calls. Default `POST` (RFC 5849 §2). */
  tokenMethod?: 'POST' | 'GET'
  /** Extra parameters of the request-token call the provider needs (its query). */
  requestTokenParams?: Record<string, string>
  /** Extra parameters of the authorize URL the provider needs (Trello's `name`, `scope`, `expiration`). */
  authorizeParams?: Record<string, string>
  /**
   * How the provider reports a refusal at the callback; only these signals count as a denial
   * (`OAUTH1_ACCESS_DENIED`). Empty for two-legged presets (no callback).
   */
  denial: readonly DenialStyle[]
  /** Access-token response fields that identify the user (`credentials.user`). */
  userFields: UserFields
  /**
   * Every origin (`https://host[:port]`) of the provider's API a user client may call, e.g. X's
   * `https://api.x.com` and `https://upload.x.com`; the first is the origin of `baseUrl`.
   */
  apiOrigins?: readonly string[]
  /** Send this `token` on two-legged calls (Schoology sends an empty `oauth_token`). */
  token?: string
  /**
   * The provider refuses requests without a unique `User-Agent`: options merged with such a
   * preset (`createClient`, `createFlow`, the plugin and the Express middleware) must set `userAgent`.
   */
  requiresUserAgent?: boolean
  /** Known quirks, as documentation only: nothing reads them at run time. */
  quirks: readonly string[]
}

/** Freezes a preset and the records and lists inside it, so no caller can change a shared preset. */
function preset (value: ProviderPreset): Readonly<ProviderPreset> {
  for (const field of Object.values(value)) if (typeof field === 'object' && field !== null) Object.freeze(field)
  return Object.freeze(value)
}

function baseOf (name: string, value: unknown): string {
  if (typeof value !== 'string') invalidOption(name, 'an absolute http(s) URL')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    invalidOption(name, 'an absolute http(s) URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') invalidOption(name, 'an absolute http(s) URL')
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/** X (Twitter): HMAC-SHA1; callback allow-listed in the developer portal; denial `?denied=`. */
export const x = preset({
  id: 'x',
  label: 'X (Twitter)',
  flow: 'three-legged',
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.x.com/',
  apiOrigins: ['https://api.x.com', 'https://upload.x.com'],
  requestTokenUrl: 'https://api.x.com/oauth/request_token',
  authorizeUrl: 'https://api.x.com/oauth/authorize',
  accessTokenUrl: 'https://api.x.com/oauth/access_token',
  revokeUrl: 'https://api.x.com/1.1/oauth/invalidate_token',
  denial: ['denied-param'],
  userFields: { id: 'user_id', name: 'screen_name' },
  quirks: [
    'oauth_callback must match a callback URL allow-listed in the developer portal',
    'x_auth_access_type=read|write goes in requestTokenParams; use authorizeUrl https://api.x.com/oauth/authenticate for "Sign in with X" (force_login, screen_name in authorizeParams)',
    'spaces must be %20, never + (this library never sends +)'
  ]
})

/** Trello: authorize needs `name`, `scope` and `expiration`. */
export const trello = preset({
  id: 'trello',
  label: 'Trello',
  flow: 'three-legged',
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.trello.com/1/',
  apiOrigins: ['https://api.trello.com'],
  requestTokenUrl: 'https://trello.com/1/OAuthGetRequestToken',
  authorizeUrl: 'https://trello.com/1/OAuthAuthorizeToken',
  accessTokenUrl: 'https://trello.com/1/OAuthGetAccessToken',
  authorizeParams: { name: 'My App', scope: 'read', expiration: '30days' },
  denial: ['missing-verifier'],
  userFields: {},
  quirks: ['authorizeParams: name (shown to the user), scope=read,write,account, expiration=1hour|1day|30days|never']
})

/** Flickr: authorize needs `perms`. */
export const flickr = preset({
  id: 'flickr',
  label: 'Flickr',
  flow: 'three-legged',
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://www.flickr.com/services/rest/',
  apiOrigins: ['https://www.flickr.com', 'https://up.flickr.com'],
  requestTokenUrl: 'https://www.flickr.com/services/oauth/request_token',
  authorizeUrl: 'https://www.flickr.com/services/oauth/authorize',
  accessTokenUrl: 'https://www.flickr.com/services/oauth/access_token',
  authorizeParams: { perms: 'read' },
  signMultipartFields: true,
  denial: ['missing-verifier'],
  userFields: { id: 'user_nsid', name: 'username' },
  quirks: ['authorizeParams.perms: read|write|delete', 'uploads (https://up.flickr.com/services/upload/) sign the non-file multipart fields']
})

/** Tumblr. */
export const tumblr = preset({
  id: 'tumblr',
  label: 'Tumblr',
  flow: 'three-legged',
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.tumblr.com/v2/',
  apiOrigins: ['https://api.tumblr.com'],
  requestTokenUrl: 'https://www.tumblr.com/oauth/request_token',
  authorizeUrl: 'https://www.tumblr.com/oauth/authorize',
  accessTokenUrl: 'https://www.tumblr.com/oauth/access_token',
  denial: ['missing-verifier'],
  userFields: {},
  quirks: []
})

/** Garmin Connect / Health API (OAuth 1.0a retires at the end of 2026). */
export const garmin = preset({
  id: 'garmin',
  label: 'Garmin Connect',
  flow: 'three-legged',
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://apis.garmin.com/',
  apiOrigins: ['https://apis.garmin.com'],
  requestTokenUrl: 'https://connectapi.garmin.com/oauth-service/oauth/request_token',
  authorizeUrl: 'https://connect.garmin.com/oauthConfirm',
  accessTokenUrl: 'https://connectapi.garmin.com/oauth-service/oauth/access_token',
  denial: ['missing-verifier'],
  userFields: {},
  quirks: ['Garmin retires OAuth 1.0a at the end of 2026; plan the move to OAuth 2.0 PKCE']
})

/** Discogs: PLAINTEXT over TLS is common; a unique User-Agent is mandatory. */
export const discogs = preset({
  id: 'discogs',
  label: 'Discogs',
  flow: 'three-legged',
  signatureMethod: 'PLAINTEXT',
  baseUrl: 'https://api.discogs.com/',
  apiOrigins: ['https://api.discogs.com'],
  requestTokenUrl: 'https://api.discogs.com/oauth/request_token',
  authorizeUrl: 'https://www.discogs.com/oauth/authorize',
  accessTokenUrl: 'https://api.discogs.com/oauth/access_token',
  denial: ['missing-verifier'],
  userFields: {},
  requiresUserAgent: true,
  quirks: ['set userAgent to a unique string such as "MyApp/1.0 +https://myapp.example"; requests without one are refused']
})

/** SmugMug. */
export const smugmug = preset({
  id: 'smugmug',
  label: 'SmugMug',
  flow: 'three-legged',
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.smugmug.com/api/v2/',
  apiOrigins: ['https://api.smugmug.com', 'https://upload.smugmug.com'],
  requestTokenUrl: 'https://api.smugmug.com/services/oauth/1.0a/getRequestToken',
  authorizeUrl: 'https://api.smugmug.com/services/oauth/1.0a/authorize',
  accessTokenUrl: 'https://api.smugmug.com/services/oauth/1.0a/getAccessToken',
  authorizeParams: { Access: 'Public', Permissions: 'Read' },
  denial: ['missing-verifier'],
  userFields: {},
  quirks: ['authorizeParams: Access=Public|Full, Permissions=Read|Add|Modify']
})

/** Zotero: the access response names the user (`userID`, `username`). */
export const zotero = preset({
  id: 'zotero',
  label: 'Zotero',
  flow: 'three-legged',
  signatureMethod: 'HMAC-SHA1',
  baseUrl: 'https://api.zotero.org/',
  apiOrigins: ['https://api.zotero.org'],
  requestTokenUrl: 'https://www.zotero.org/oauth/request',
  authorizeUrl: 'https://www.zotero.org/oauth/authorize',
  accessTokenUrl: 'https://www.zotero.org/oauth/access',
  authorizeParams: { name: 'My App', library_access: '1', write_access: '0', all_groups: 'n' },
  denial: ['missing-verifier'],
  userFields: { id: 'userID', name: 'username' },
  quirks: ['the access token secret doubles as the Zotero API key']
})

/** Evernote (production or sandbox): both token steps share one URL; tokens expire (`edam_expires`). */
export function evernote (options: { sandbox?: boolean } = {}): Readonly<ProviderPreset> {
  const sandbox = options?.sandbox === true
  const host = sandbox ? 'https://sandbox.evernote.com' : 'https://www.evernote.com'
  return preset({
    id: sandbox ? 'evernote-sandbox' : 'evernote',
    label: sandbox ? 'Evernote (sandbox)' : 'Evernote',
    flow: 'three-legged',
    signatureMethod: 'HMAC-SHA1',
    baseUrl: `${host}/`,
    apiOrigins: [host],
    requestTokenUrl: `${host}/oauth`,
    authorizeUrl: `${host}/OAuth.action`,
    accessTokenUrl: `${host}/oauth`,
    denial: ['missing-verifier'],
    userFields: { id: 'edam_userId' },
    quirks: ['access tokens expire: edam_expires (ms since epoch) is in credentials.extra', 'the note store URL is edam_noteStoreUrl']
  })
}

/** Jira Server / Data Center application link: RSA-SHA1 only; denial `oauth_verifier=denied`. */
export function jira (options: { baseUrl: string }): Readonly<ProviderPreset> {
  const base = baseOf('baseUrl', options?.baseUrl)
  return preset({
    id: 'jira',
    label: 'Jira Server / Data Center',
    flow: 'three-legged',
    signatureMethod: 'RSA-SHA1',
    baseUrl: `${base}/`,
    apiOrigins: [new URL(base).origin],
    requestTokenUrl: `${base}/plugins/servlet/oauth/request-token`,
    authorizeUrl: `${base}/plugins/servlet/oauth/authorize`,
    accessTokenUrl: `${base}/plugins/servlet/oauth/access-token`,
    denial: ['verifier-denied'],
    userFields: {},
    quirks: ['register an incoming application link with the consumer key and the PEM public key of privateKey']
  })
}

/**
 * NetSuite token-based authentication: two-legged with a fixed token, HMAC-SHA256, `realm` is the
 * account id upper-cased with `_` (`1234567_SB1`).
 */
export function netsuite (options: { accountId: string }): Readonly<ProviderPreset> {
  const accountId = options?.accountId
  if (typeof accountId !== 'string' || !/^[A-Za-z0-9_-]+$/.test(accountId)) invalidOption('accountId', 'a NetSuite account id such as 1234567 or 1234567_SB1')
  const realm = accountId.toUpperCase().replace(/-/g, '_')
  const host = accountId.toLowerCase().replace(/_/g, '-')
  return preset({
    id: 'netsuite',
    label: 'NetSuite (token-based authentication)',
    flow: 'two-legged',
    signatureMethod: 'HMAC-SHA256',
    realm,
    baseUrl: `https://${host}.suitetalk.api.netsuite.com/`,
    apiOrigins: [`https://${host}.suitetalk.api.netsuite.com`, `https://${host}.restlets.api.netsuite.com`],
    denial: [],
    userFields: {},
    quirks: ['pass token and tokenSecret (the TBA token) with the consumer credentials', 'HMAC-SHA1 is refused']
  })
}

/** Mastercard APIs: RSA-SHA256 and a SHA-256 `oauth_body_hash` on every request, GET included. */
export function mastercard (options: { sandbox?: boolean } = {}): Readonly<ProviderPreset> {
  const host = options?.sandbox === true ? 'https://sandbox.api.mastercard.com' : 'https://api.mastercard.com'
  return preset({
    id: 'mastercard',
    label: 'Mastercard APIs',
    flow: 'two-legged',
    signatureMethod: 'RSA-SHA256',
    bodyHash: 'sha256',
    baseUrl: `${host}/`,
    apiOrigins: [host],
    denial: [],
    userFields: {},
    quirks: ['the private key comes from the .p12 of the developer portal: convert it to PEM (openssl pkcs12 -nocerts -nodes)']
  })
}

/** WooCommerce REST over plain HTTP: one-legged, parameters in the query string. */
export function woocommerce (options: { baseUrl: string }): Readonly<ProviderPreset> {
  const base = baseOf('baseUrl', options?.baseUrl)
  return preset({
    id: 'woocommerce',
    label: 'WooCommerce (HTTP)',
    flow: 'two-legged',
    signatureMethod: 'HMAC-SHA256',
    placement: 'query',
    baseUrl: `${base}/wp-json/wc/v3/`,
    apiOrigins: [new URL(base).origin],
    denial: [],
    userFields: {},
    quirks: ['over HTTPS use basic authentication instead; over HTTP the timestamp must be within 15 minutes']
  })
}

/** Schoology: `realm="Schoology API"`; two-legged calls still send an empty `oauth_token`. */
export const schoology = preset({
  id: 'schoology',
  label: 'Schoology',
  flow: 'two-legged',
  signatureMethod: 'HMAC-SHA1',
  realm: 'Schoology API',
  token: '',
  baseUrl: 'https://api.schoology.com/v1/',
  apiOrigins: ['https://api.schoology.com'],
  requestTokenUrl: 'https://api.schoology.com/v1/oauth/request_token',
  authorizeUrl: 'https://app.schoology.com/oauth/authorize',
  accessTokenUrl: 'https://api.schoology.com/v1/oauth/access_token',
  denial: defaultDenialStyles,
  userFields: {},
  quirks: [
    'the authorize host is your school\'s Schoology domain: override authorizeUrl',
    'how a three-legged refusal reaches the callback is not documented: the common explicit signals are honoured'
  ]
})

/** Magento 2 integrations: all four credentials, HMAC-SHA256. */
export function magento (options: { baseUrl: string }): Readonly<ProviderPreset> {
  const base = baseOf('baseUrl', options?.baseUrl)
  return preset({
    id: 'magento',
    label: 'Magento 2 integration',
    flow: 'two-legged',
    signatureMethod: 'HMAC-SHA256',
    baseUrl: `${base}/rest/V1/`,
    apiOrigins: [new URL(base).origin],
    denial: [],
    userFields: {},
    quirks: ['pass the integration\'s access token and token secret as token/tokenSecret', 'Magento 1 reports failures as oauth_problem codes']
  })
}

/** Presets that need no parameters, by id (for the plugin's `provider: 'x'`). */
export const presets = Object.freeze({
  x,
  /** The same preset as `x`, by its former name. */
  twitter: x,
  trello,
  flickr,
  tumblr,
  garmin,
  discogs,
  smugmug,
  zotero,
  schoology
})

/** Presets that need parameters, as functions. */
export const presetFactories = Object.freeze({ evernote, jira, netsuite, mastercard, woocommerce, magento })

/** A preset id usable by name. */
export type PresetName = keyof typeof presets

const mergedParams = new Set(['authorizeParams', 'requestTokenParams'])
/** Preset fields that describe the provider and are not options of the signer or client. */
const descriptiveKeys = new Set(['id', 'label', 'flow', 'denial', 'userFields', 'requiresUserAgent', 'quirks'])

/**
 * Every field a preset may carry. A spread preset (`{ ...presets.flickr, consumerKey }`) brings
 * them all into the options, so every entry point that takes a spread preset (`createClient`,
 * `createFlow`, the plugin) must count these as known option keys.
 */
export const presetOptionKeys: ReadonlySet<string> = new Set([
  'id', 'label', 'flow', 'signatureMethod', 'placement', 'bodyHash', 'realm', 'baseUrl', 'apiOrigins',
  'requestTokenUrl', 'authorizeUrl', 'accessTokenUrl', 'revokeUrl', 'signMultipartFields', 'tokenMethod', 'requestTokenParams', 'authorizeParams',
  'denial', 'userFields', 'token', 'requiresUserAgent', 'quirks'
])

/**
 * Resolves a preset given by name or as an object.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for an unknown preset name.
 */
export function resolvePreset (provider: ProviderPreset | PresetName | undefined): ProviderPreset | undefined {
  if (provider === undefined) return undefined
  if (typeof provider === 'string') {
    if (Object.hasOwn(presets, provider)) return presets[provider]
    invalidOption('provider', `one of ${Object.keys(presets).join(', ')}, or a preset object (presetFactories for ${Object.keys(presetFactories).join(', ')})`)
  }
  if (typeof provider !== 'object' || provider === null) invalidOption('provider', 'a preset name or object')
  return provider
}

/**
 * The preset fields the options may carry, from a spread preset or set by the caller; each
 * overrides the named `provider`'s value.
 */
export interface PresetFields {
  /** A provider preset (object or name). */
  provider?: ProviderPreset | PresetName | undefined
  /** The preset's id (carried by a spread preset). */
  id?: string | undefined
  /** The preset's flow (carried by a spread preset). */
  flow?: ProviderPreset['flow'] | undefined
  /** The denial styles the callback honours (see {@link DenialStyle}). */
  denial?: readonly DenialStyle[] | undefined
  /** The access-token fields naming the user. */
  userFields?: UserFields | undefined
  /** More API origins a user client may call. */
  apiOrigins?: readonly string[] | undefined
  /** Refuse options without a `userAgent`. */
  requiresUserAgent?: boolean | undefined
}

/** What the library needs to know about the provider, whether the preset was named or spread. */
export interface PresetFacts {
  /** The preset's id, when there is one. */
  id: string | undefined
  /** The preset's flow, when there is one. */
  flow: ProviderPreset['flow'] | undefined
  /** The denial styles the callback honours ({@link defaultDenialStyles} without a preset). */
  denial: readonly DenialStyle[]
  /** The access-token fields naming the user ({@link defaultUserFields} without a preset). */
  userFields: Readonly<UserFields>
  /** The API origins besides `baseUrl`'s a user client may call (empty without a preset). */
  apiOrigins: readonly string[]
  /** True when a `userAgent` is required. */
  requiresUserAgent: boolean
}

function checkFacts (facts: PresetFacts): PresetFacts {
  if (!Array.isArray(facts.denial) || facts.denial.some((style) => !denialStyles.has(style as string))) {
    invalidOption('denial', `a list of ${[...denialStyles].join(', ')}`)
  }
  const fields = facts.userFields as unknown
  if (typeof fields !== 'object' || fields === null || Object.values(fields).some((v) => v !== undefined && typeof v !== 'string')) {
    invalidOption('userFields', 'an object { id?, name? } of access-token field names')
  }
  if (!Array.isArray(facts.apiOrigins) || facts.apiOrigins.some((origin) => !isOrigin(origin))) {
    invalidOption('apiOrigins', 'a list of origins such as "https://upload.x.com"')
  }
  if (typeof facts.requiresUserAgent !== 'boolean') invalidOption('requiresUserAgent', 'a boolean')
  return facts
}

function isOrigin (value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    const url = new URL(value)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value
  } catch {
    return false
  }
}

/**
 * The effective preset facts of a set of options: the named (or object) `provider`'s fields,
 * overridden by the same fields in the options themselves, which is how a spread preset
 * (`{ ...presets.flickr, consumerKey }`) or a caller's own `denial` / `userFields` arrive. So a
 * spread preset and a named one give the same denial handling and the same `credentials.user`.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for an unknown preset name or an invalid field.
 */
export function presetFacts (options: PresetFields): PresetFacts {
  const named = resolvePreset(options.provider)
  const pick = <K extends keyof PresetFields & keyof ProviderPreset, D>(key: K, fallback: D): NonNullable<PresetFields[K] | ProviderPreset[K]> | D => {
    const value = options[key] !== undefined ? options[key] : named?.[key]
    return value === undefined ? fallback : value as NonNullable<PresetFields[K] | ProviderPreset[K]>
  }
  return checkFacts({
    id: pick('id', undefined),
    flow: pick('flow', undefined),
    denial: pick('denial', defaultDenialStyles),
    userFields: pick('userFields', defaultUserFields),
    apiOrigins: pick('apiOrigins', []),
    requiresUserAgent: pick('requiresUserAgent', false)
  })
}

/**
 * Merges a preset (object or name) under the caller's options: the caller's values win, and
 * `authorizeParams` / `requestTokenParams` are merged key by key. Fields that only describe the
 * preset (`id`, `label`, `flow`, `denial`, `userFields`, `requiresUserAgent`, `quirks`) are left
 * out, from the named preset and from a spread one alike; `apiOrigins` is kept for the client.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for an unknown preset name, or without a
 * `userAgent` when the preset `requiresUserAgent` (Discogs refuses such requests).
 */
export function applyPreset<T extends object> (provider: ProviderPreset | PresetName | undefined, options: T): T {
  const value = resolvePreset(provider)
  const merged: Record<string, unknown> = {}
  if (value !== undefined) for (const [key, field] of Object.entries(value)) merged[key] = field
  for (const [key, field] of Object.entries(options)) {
    if (field === undefined) continue
    merged[key] = mergedParams.has(key) && typeof merged[key] === 'object' && typeof field === 'object' ? { ...merged[key] as object, ...field } : field
  }
  if (merged.requiresUserAgent === true && (typeof merged.userAgent !== 'string' || merged.userAgent.trim() === '')) {
    const name = typeof merged.label === 'string' ? merged.label : 'this provider'
    invalidOption('userAgent', `a unique User-Agent such as "MyApp/1.0 +https://myapp.example": ${name} refuses requests without one`)
  }
  for (const key of descriptiveKeys) delete merged[key]
  return merged as T
}

/** The user id and name from an access-token response, per the preset's (or the facts') `userFields`. */
export function userOf (provider: { readonly userFields?: Readonly<UserFields> } | undefined, extra: Record<string, string>): { id?: string, name?: string } {
  const fields = provider?.userFields ?? defaultUserFields
  const user: { id?: string, name?: string } = {}
  if (fields.id !== undefined && Object.hasOwn(extra, fields.id)) user.id = extra[fields.id] as string
  if (fields.name !== undefined && Object.hasOwn(extra, fields.name)) user.name = extra[fields.name] as string
  return user
}
