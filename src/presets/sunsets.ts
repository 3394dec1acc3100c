/**
 * Providers leaving OAuth 1.0a: plain data with a source for each entry, and the one warning a
 * registration gives when its provider has retired or retires soon.
 */

/** Where a provider stands with OAuth 1.0a. */
export type ProviderStatus =
  /** OAuth 1.0a is supported, with no end announced. */
  | 'active'
  /** Existing integrations keep working, but no new ones are accepted. */
  | 'closed-to-new'
  /** OAuth 1.0a stops on `date`. */
  | 'retiring'
  /** OAuth 1.0a has stopped: the provider moved to OAuth 2.0. */
  | 'retired'

/** What a provider announced about its OAuth 1.0a support, and where it said so. */
export interface ProviderSunset {
  status: Exclude<ProviderStatus, 'active'>
  /** The day OAuth 1.0a stops or stopped (`YYYY-MM-DD`, UTC), where the provider named one. */
  date?: string
  /** What to move to. */
  migration: string
  /** Where the provider announced it. */
  source: string
}

/** Days before a retirement date from which registering the preset warns. */
export const sunsetWarningDays = 60

/** Announced ends of OAuth 1.0a, by preset id. */
export const sunsets: Readonly<Record<string, Readonly<ProviderSunset>>> = Object.freeze({
  garmin: Object.freeze({
    status: 'retiring',
    date: '2026-12-31',
    migration: 'Garmin Connect moves to OAuth 2.0 with PKCE; existing OAuth 1.0a user tokens are exchanged for OAuth 2.0 tokens ' +
      'through Garmin\'s token-exchange endpoint, after Garmin converts the app (connect-support@developer.garmin.com)',
    source: 'Garmin Connect Developer Program, notice to partners: "OAuth 1 will be retired on 12/31/2026"'
  }),
  netsuite: Object.freeze({
    status: 'closed-to-new',
    migration: 'new integrations use NetSuite\'s OAuth 2.0 (client credentials or authorization code); ' +
      'existing token-based-authentication integrations keep working',
    source: 'Oracle NetSuite release notes 2027.1: no new token-based authentication (TBA) integrations'
  })
} satisfies Record<string, ProviderSunset>)

/** Providers that left OAuth 1.0a altogether: no preset, and a coded refusal when named. */
export const retiredProviders: Readonly<Record<string, Readonly<ProviderSunset & { label: string }>>> = Object.freeze({
  etsy: Object.freeze({
    label: 'Etsy',
    status: 'retired',
    migration: 'Etsy Open API v3 uses OAuth 2.0 (authorization code with PKCE)',
    source: 'Etsy Open API v3 documentation: v2 and its OAuth 1.0a are shut down'
  }),
  xero: Object.freeze({
    label: 'Xero',
    status: 'retired',
    migration: 'Xero\'s API uses OAuth 2.0',
    source: 'Xero developer documentation: OAuth 1.0a apps were retired'
  }),
  yahoo: Object.freeze({
    label: 'Yahoo',
    status: 'retired',
    migration: 'Yahoo APIs use OAuth 2.0',
    source: 'Yahoo developer network: OAuth 1.0a is no longer supported'
  }),
  openstreetmap: Object.freeze({
    label: 'OpenStreetMap',
    status: 'retired',
    migration: 'the OpenStreetMap API uses OAuth 2.0',
    source: 'OpenStreetMap wiki, OAuth: OAuth 1.0a was removed from the API in 2024'
  })
} satisfies Record<string, ProviderSunset & { label: string }>)

/** The status of a preset id: `active` unless an end was announced. */
export function providerStatus (id: string): ProviderStatus {
  return Object.hasOwn(sunsets, id) ? (sunsets[id] as ProviderSunset).status : 'active'
}

/**
 * The warning to log once when a preset is registered, or `undefined`: a retired provider, or one
 * whose retirement date is at most {@link sunsetWarningDays} days away (or past).
 */
export function sunsetWarning (id: string, label: string, now: number = Date.now()): string | undefined {
  if (!Object.hasOwn(sunsets, id)) return undefined
  const sunset = sunsets[id] as ProviderSunset
  if (sunset.status === 'closed-to-new' || sunset.date === undefined) return undefined
  const end = Date.parse(`${sunset.date}T23:59:59Z`)
  const days = Math.ceil((end - now) / 86_400_000)
  if (sunset.status === 'retiring' && days > sunsetWarningDays) return undefined
  const when = end < now ? `retired OAuth 1.0a on ${sunset.date}` : `retires OAuth 1.0a on ${sunset.date} (in ${days} day${days === 1 ? '' : 's'})`
  return `fastify-oauth1: ${label} ${when}: ${sunset.migration}. Source: ${sunset.source}.`
}
