import { timingSafeEqual } from 'node:crypto'

/**
 * Constant-time string equality (after a length check, which reveals only the length).
 * Used for the callback's `oauth_token` (RFC 5849 §2.2).
 */
export function safeEqual (a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}

const fakeOrigin = 'http://return-to.invalid'

/**
 * Longest return path a start accepts, in characters, as given and once URL-encoded (`é` is
 * `%C3%A9`): longer ones are refused with `OAUTH1_RETURN_TO_TOO_LONG`, so a flow cookie always
 * stays under the 4,096 bytes browsers keep.
 */
export const maxReturnToLength = 1024

/**
 * Accepts a return path only when it is a same-site relative path (`/settings?tab=1`); anything
 * that could leave the site (`//evil`, `/\evil`, `https://...`, control characters) gives `undefined`.
 */
export function safeReturnPath (value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return undefined
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return undefined
  if (/[\p{Cc}\\]/u.test(value)) return undefined
  let url: URL
  try {
    url = new URL(value, fakeOrigin)
  } catch {
    return undefined
  }
  if (url.origin !== fakeOrigin) return undefined
  // Dot segments collapse during parsing (`/.//evil.com` -> `//evil.com`): check the result too.
  const path = url.pathname + url.search + url.hash
  return path.startsWith('//') ? undefined : path
}
