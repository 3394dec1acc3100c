import { invalidOption } from '../errors.js'
import { providerStatus, sunsets } from './sunsets.js'
import type { ProviderPreset } from './types.js'

/**
 * Freezes a preset and the records and lists inside it, so no caller can change a shared preset,
 * and adds its OAuth 1.0a `status` and, when the provider announced an end, `retires`.
 */
export function preset (value: Omit<ProviderPreset, 'status' | 'retires' | 'flow'>): Readonly<ProviderPreset> {
  const result: ProviderPreset = { ...value, status: providerStatus(value.id) }
  const sunset = Object.hasOwn(sunsets, value.id) ? sunsets[value.id] : undefined
  if (sunset !== undefined) {
    result.retires = sunset.date === undefined
      ? { source: sunset.source, migration: sunset.migration }
      : { date: sunset.date, source: sunset.source, migration: sunset.migration }
  }
  for (const field of Object.values(result)) if (typeof field === 'object' && field !== null) Object.freeze(field)
  return Object.freeze(withDeprecatedFlow(result))
}

/**
 * Gives a preset the deprecated `flow` of 0.1 read from its `legs`, not enumerable: `preset.flow`
 * still answers, and a spread preset carries `legs` only.
 */
export function withDeprecatedFlow<T extends { legs: 3 | 2 }> (value: T): T {
  return Object.defineProperty(value, 'flow', { value: value.legs === 3 ? 'three-legged' : 'two-legged', enumerable: false })
}

/** The origin and path of a URL option, without trailing slashes. */
export function baseOf (name: string, value: unknown): string {
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
