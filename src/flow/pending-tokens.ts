import { timingSafeEqual } from 'node:crypto'

/** A request token waiting for its callback, as kept in the server-side session. */
export interface PendingToken {
  token: string
  secret: string
  /** Milliseconds since the epoch. */
  created: number
  /** A validated same-site path to return to after the callback. */
  returnTo?: string
}

/** Limits on pending request tokens in one session. */
export interface PendingLimits {
  /** Milliseconds a pending token stays usable. */
  ttl: number
  /** How many are kept; the oldest go first. */
  max: number
}

/**
 * Constant-time string equality (after a length check, which reveals only the length).
 * Used for the callback's `oauth_token` (RFC 5849 §2.2).
 */
export function safeEqual (a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8')
  const right = Buffer.from(b, 'utf8')
  return left.length === right.length && timingSafeEqual(left, right)
}

/** Drops expired entries and keeps the newest `max - 1`, then appends `entry`. */
export function addPending (list: readonly PendingToken[] | undefined, entry: PendingToken, limits: PendingLimits, now: number): PendingToken[] {
  const live = (list ?? []).filter((item) => now - item.created < limits.ttl)
  live.push(entry)
  return live.slice(-limits.max)
}

/**
 * Finds the pending entry for the callback's token, comparing every entry in constant time,
 * and returns it with the list that remains (the entry removed: single use; expired ones removed).
 */
export function takePending (list: readonly PendingToken[] | undefined, token: string, limits: PendingLimits, now: number): { entry: PendingToken | undefined, rest: PendingToken[], expired: boolean } {
  let entry: PendingToken | undefined
  const rest: PendingToken[] = []
  for (const item of list ?? []) {
    if (safeEqual(item.token, token)) entry = item
    else if (now - item.created < limits.ttl) rest.push(item)
  }
  const expired = entry !== undefined && now - entry.created >= limits.ttl
  return { entry: expired ? undefined : entry, rest, expired }
}

const fakeOrigin = 'http://return-to.invalid'

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
