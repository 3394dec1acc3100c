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

/**
 * A provider preset: plain data, spread into the options of `createClient`, `createProviderClient` or the
 * plugin (`{ ...presets.x, consumerKey, consumerSecret }`), or named with the plugin's `provider`.
 * Your own options win over the preset's.
 */
export interface ProviderPreset {
  /** Short identifier, e.g. `x`. */
  id: string
  /** Human name. */
  label: string
  /**
   * `3`: three-legged, users sign in and connect their accounts (RFC 5849 §2); `2`: two-legged,
   * server-to-server calls with the consumer's own credentials, no user.
   */
  legs: 3 | 2
  /**
   * @deprecated Replaced by {@link ProviderPreset.legs} in 0.2 (`'three-legged'` is `3`, `'two-legged'`
   * is `2`): "flow" now means only a started sign-in. The built-in presets still answer it (not
   * enumerable, so a spread preset does not carry it), and a preset of your own may still give it
   * instead of `legs` (see {@link ProviderPresetInput}).
   */
  flow?: 'three-legged' | 'two-legged'
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
   * `POST /1.1/oauth/invalidate_token`): `revoke()` of the provider client and `disconnect({ revoke: true })`.
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
   * preset (`createClient`, `createProviderClient`, the plugin and the Express middleware) must set `userAgent`.
   */
  requiresUserAgent?: boolean
  /** Known quirks, as documentation only: nothing reads them at run time. */
  quirks: readonly string[]
  /**
   * Where the provider stands with OAuth 1.0a (`providerStatus(id)` of src/presets/sunsets.ts):
   * `active`; `closed-to-new` (existing integrations keep working); `retiring` (stops on
   * `retires.date`); `retired` (moved to OAuth 2.0). Documentation only, like `quirks`: the options drop it.
   */
  status?: 'active' | 'closed-to-new' | 'retiring' | 'retired'
  /** What the provider announced about the end of its OAuth 1.0a support, when it did (src/presets/sunsets.ts). */
  retires?: {
    /** The day OAuth 1.0a stops (`YYYY-MM-DD`, UTC), when the provider named one (NetSuite only closed to new integrations). */
    date?: string
    /** Where the provider announced it. */
    source: string
    /** What to move to. */
    migration: string
  }
}

/**
 * A preset of your own as the `provider` option (and a spread) takes it: a {@link ProviderPreset},
 * or one written for 0.1 that says `flow: 'three-legged' | 'two-legged'` instead of `legs`
 * (read as `legs` 3 or 2).
 */
export type ProviderPresetInput = ProviderPreset | (Omit<ProviderPreset, 'legs' | 'flow'> & {
  /** Absent in a preset written for 0.1. */
  legs?: 3 | 2
  /** @deprecated Replaced by {@link ProviderPreset.legs} in 0.2 (`'three-legged'` is `3`, `'two-legged'` is `2`). */
  flow: 'three-legged' | 'two-legged'
})

/** The legs of a preset or of options carrying preset fields: `legs`, else the deprecated `flow` mapped to it. */
export function legsOf (source: { readonly legs?: unknown, readonly flow?: unknown } | undefined): 3 | 2 | undefined {
  if (source === undefined) return undefined
  if (source.legs === 3 || source.legs === 2) return source.legs
  return source.flow === 'three-legged' ? 3 : source.flow === 'two-legged' ? 2 : undefined
}
