import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { presetFactories, presets, type PresetName } from './registry.js'
import { retiredProviders } from './sunsets.js'
import { type DenialStyle, defaultDenialStyles, defaultUserFields, legsOf, type ProviderPreset, type ProviderPresetInput, type UserFields } from './types.js'

const denialStyles: ReadonlySet<string> = new Set(['denied-param', 'oauth-problem', 'verifier-denied', 'authorize-0', 'missing-verifier'])

const mergedParams = new Set(['authorizeParams', 'requestTokenParams'])
/** Preset fields that describe the provider and are not options of the signer or client. */
const descriptiveKeys = new Set(['id', 'label', 'legs', 'flow', 'denial', 'userFields', 'requiresUserAgent', 'quirks', 'status', 'retires'])

/**
 * Every field a preset may carry. A spread preset (`{ ...presets.flickr, consumerKey }`) brings
 * them all into the options, so every entry point that takes a spread preset (`createClient`,
 * `createProviderClient`, the plugin) must count these as known option keys.
 */
export const presetOptionKeys: ReadonlySet<string> = new Set([
  'id', 'label', 'legs', 'flow', 'signatureMethod', 'placement', 'bodyHash', 'realm', 'baseUrl', 'apiOrigins',
  'requestTokenUrl', 'authorizeUrl', 'accessTokenUrl', 'revokeUrl', 'signMultipartFields', 'tokenMethod', 'requestTokenParams', 'authorizeParams',
  'denial', 'userFields', 'token', 'requiresUserAgent', 'quirks', 'status', 'retires'
])

/**
 * Resolves a preset given by name or as an object.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for an unknown preset name, or one of a provider
 * that moved to OAuth 2.0 (`retiredProviders` of src/presets/sunsets.ts: Etsy, Xero, Yahoo,
 * OpenStreetMap), saying so and what to use instead.
 */
export function resolvePreset (provider: ProviderPresetInput | PresetName | undefined): ProviderPresetInput | undefined {
  if (provider === undefined) return undefined
  if (typeof provider === 'string') {
    if (Object.hasOwn(presets, provider)) return presets[provider]
    if (Object.hasOwn(retiredProviders, provider)) {
      const retired = retiredProviders[provider as string] as (typeof retiredProviders)[string]
      throw new OAuth1Error(ErrorCodes.INVALID_OPTION, `Invalid option "provider": ${retired.label} moved to OAuth 2.0 and no longer ` +
        `offers OAuth 1.0a, so it has no preset; use an OAuth 2.0 client: ${retired.migration} (${retired.source})`)
    }
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
  provider?: ProviderPresetInput | PresetName | undefined
  /** The preset's id (carried by a spread preset). */
  id?: string | undefined
  /** The preset's legs, 3 or 2 (carried by a spread preset). */
  legs?: ProviderPreset['legs'] | undefined
  /** @deprecated Replaced by `legs` in 0.2; carried by a spread preset written for 0.1. */
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
  /** The preset's legs (3 or 2; from the deprecated `flow` of a preset written for 0.1), when there is one. */
  legs: ProviderPreset['legs'] | undefined
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
    legs: legsOf(options) ?? legsOf(named),
    denial: pick('denial', defaultDenialStyles),
    userFields: pick('userFields', defaultUserFields),
    apiOrigins: pick('apiOrigins', []),
    requiresUserAgent: pick('requiresUserAgent', false)
  })
}

/**
 * Merges a preset (object or name) under the caller's options: the caller's values win, and
 * `authorizeParams` / `requestTokenParams` are merged key by key. Fields that only describe the
 * preset (`id`, `label`, `legs`, `flow`, `denial`, `userFields`, `requiresUserAgent`, `quirks`) are left
 * out, from the named preset and from a spread one alike; `apiOrigins` is kept for the client.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for an unknown preset name, or without a
 * `userAgent` when the preset `requiresUserAgent` (Discogs refuses such requests).
 */
export function applyPreset<T extends object> (provider: ProviderPresetInput | PresetName | undefined, options: T): T {
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
