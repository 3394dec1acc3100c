import { hash } from 'node:crypto'
import { ErrorCodes, invalidOption, OAuth1Error } from '../../errors.js'
import { safeEqual } from '../pending-tokens.js'
import type { SignInContext, SignInCookieOptions } from './context.js'
import { createSealer, type Sealer } from './seal.js'
import { type FlowLimits, type FlowStore, type PendingFlow, pendingFlowOf, type TakeResult } from './store.js'

/** Options of {@link createCookieFlowStore}. */
export interface CookieFlowStoreOptions extends FlowLimits {
  /** Secret(s) of at least 32 characters; the first encrypts, every one decrypts (rotation). */
  secrets: string | readonly string[]
  /** Cookie name prefix, one per provider (e.g. `oauth1-x-`). Letters, digits, `-` and `_`. */
  prefix: string
  /** Path of the callback route: the only path the flow cookies are sent to. */
  callbackPath: string
  /** `Secure` attribute: always, never, or when the request came over https (`'auto'`). */
  secure: boolean | 'auto'
}

/** The cookie flow store, with what an adapter needs to reason about its cookies. */
export interface CookieFlowStore extends FlowStore {
  /** Name of the flow cookie of a request token (a hash prefix: the token is not in the name). */
  cookieName (token: string): string
  /** Name of the small index cookie listing the browser's open flows (hashes and expiry only, sealed). */
  readonly indexName: string
  /** The sealer, for reuse (e.g. credentials at rest). */
  readonly sealer: Sealer
}

/** An open flow in the index: its cookie's hash id and its start time (seconds), so the TTL of today's options applies. */
interface IndexEntry { id: string, created: number }

const idPattern = /^[A-Za-z0-9_-]{16}$/
const maxRemembered = 100_000
const prefixPattern = /^[A-Za-z0-9_-]{1,40}$/
/** Bytes of a `Set-Cookie` line browsers keep at most (RFC 6265 §6.1 asks for at least 4,096; browsers stop there). */
export const maxCookieBytes = 4096
// What an adapter may add beyond `Max-Age` (Express writes an `Expires` date too).
const expiresAttribute = '; Expires=Thu, 01 Jan 1970 00:00:00 GMT'.length

/** The length of the `Set-Cookie` line of a cookie, every attribute an adapter may write included. */
function setCookieBytes (name: string, value: string, { path, maxAge, httpOnly, secure, sameSite }: SignInCookieOptions): number {
  const flags = `${httpOnly ? '; HttpOnly' : ''}${secure ? '; Secure' : ''}`
  const line = `${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=${path}${flags}; SameSite=${sameSite}`
  return Buffer.byteLength(line, 'utf8') + expiresAttribute
}

function idOf (token: string): string {
  return hash('sha256', token, 'base64url').slice(0, 16)
}

/**
 * A stateless flow store: every started flow in its own short-lived cookie, sealed with
 * AES-256-GCM (the request-token secret is never readable by the browser), `HttpOnly`,
 * `SameSite=Lax` (the provider's redirect back is a top-level cross-site GET), `Path` = the
 * callback, `Max-Age` = the flow TTL. Several tabs are several cookies, so concurrent starts
 * cannot overwrite each other.
 *
 * Bound and eviction policy: a small index cookie (`Path=/`, hashes and expiry times only) counts
 * the browser's open flows; at `max` a new start is refused (`OAUTH1_TOO_MANY_FLOWS`, 429) instead
 * of evicting an older flow, so forced navigations to the start route can never silently replace
 * a genuine pending flow; flows free their slot when completed or after the TTL. The index is
 * sealed too, bound to the browser's binding (an index copied from another browser does not
 * open); it holds each flow's start time, so an entry counts for `ttl` from its start at most
 * (one dated in the future counts nothing), and a browser can always start again within the
 * TTL; a callback drops the entries whose flow cookie is gone.
 *
 * Size: a flow cookie whose `Set-Cookie` line would exceed `maxCookieBytes` (4,096) (browsers drop
 * it) is refused with `OAUTH1_FLOW_TOO_LARGE` instead of being set.
 *
 * Replay: a taken flow's cookie is cleared, and its token is remembered in this process until it
 * would have expired, so a replayed cookie is refused even if the browser (or an attacker) sends
 * it again. Across several processes, the provider's single use of request tokens (RFC 5849 §2.3)
 * is the last line.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for a missing or short secret, or a bad prefix.
 */
export function createCookieFlowStore (options: CookieFlowStoreOptions): CookieFlowStore {
  const sealer = createSealer(options.secrets, 'secrets', 'fastify-oauth1 flow cookie v1')
  if (typeof options.prefix !== 'string' || !prefixPattern.test(options.prefix)) invalidOption('prefix', 'letters, digits, "-" and "_"')
  const { prefix, callbackPath, ttl, max } = options
  const indexName = `${prefix}flows`
  const used = new Map<string, number>()
  // What a request's sealed cookies opened to, per sealing context, so a cookie read twice in one
  // request (the index at count and put, a flow cookie at peek and take) is decrypted once.
  const opened = new WeakMap<SignInContext, Map<string, { raw: string, value: unknown }>>()
  const openOnce = <T>(ctx: SignInContext, raw: string, context: string, read: (text: string | undefined) => T): T => {
    let seen = opened.get(ctx)
    if (seen === undefined) opened.set(ctx, seen = new Map())
    const last = seen.get(context)
    if (last !== undefined && last.raw === raw) return last.value as T
    const value = read(sealer.open(raw, context))
    seen.set(context, { raw, value })
    return value
  }
  const openCookie = (ctx: SignInContext, raw: string, name: string): PendingFlow | undefined => openOnce(ctx, raw, name, parse)
  const cookieName = (token: string): string => prefix + idOf(token)
  const isSecure = (ctx: SignInContext): boolean => options.secure === 'auto' ? ctx.protocol === 'https' : options.secure
  const attributes = (ctx: SignInContext, path: string, maxAge: number): SignInCookieOptions =>
    ({ path, maxAge, httpOnly: true, secure: isSecure(ctx), sameSite: 'lax' })

  const indexContext = (binding: string | undefined): string => `${indexName}|${binding ?? ''}`
  const readIndex = (ctx: SignInContext, now: number, binding: string | undefined): IndexEntry[] => {
    const raw = ctx.getCookie(indexName)
    const text = raw === undefined ? undefined : openOnce(ctx, raw, indexContext(binding), (opened) => opened)
    if (text === undefined) return []
    const entries: IndexEntry[] = []
    for (const part of text.split('.')) {
      const [id = '', created = ''] = part.split('~')
      const at = Number(created) * 1000
      const live = Number.isFinite(at) && at + ttl > now && at <= now + 60_000
      if (idPattern.test(id) && live && !entries.some((entry) => entry.id === id)) entries.push({ id, created: at })
    }
    return entries.slice(-max)
  }
  const writeIndex = (ctx: SignInContext, entries: IndexEntry[], now: number, binding: string | undefined): void => {
    const path = '/'
    if (entries.length === 0) {
      ctx.clearCookie(indexName, { path, secure: isSecure(ctx), sameSite: 'lax', httpOnly: true })
      return
    }
    const latest = Math.max(...entries.map((entry) => entry.created)) + ttl
    const value = entries.map((entry) => `${entry.id}~${Math.floor(entry.created / 1000)}`).join('.')
    ctx.setCookie(indexName, sealer.seal(value, indexContext(binding)), attributes(ctx, path, Math.max(1, Math.ceil((latest - now) / 1000))))
  }
  // Entries go in roughly in expiry order, so the expired ones are at the front: O(1) amortised.
  // A hard cap bounds the memory under a flood; past it the oldest are forgotten first.
  const forget = (now: number): void => {
    for (const [id, until] of used) {
      if (until > now && used.size < maxRemembered) break
      used.delete(id)
    }
  }

  return {
    cookieName,
    indexName,
    sealer,
    count (ctx, now, binding) {
      return readIndex(ctx, now, binding).length
    },
    put (ctx, entry) {
      const name = cookieName(entry.token)
      const payload = [entry.token, entry.secret, entry.created, entry.returnTo ?? null, entry.binding ?? null, entry.session ?? null]
      const value = sealer.seal(JSON.stringify(payload), name)
      const options = attributes(ctx, callbackPath, Math.ceil(ttl / 1000))
      if (setCookieBytes(name, value, options) > maxCookieBytes) {
        throw new OAuth1Error(ErrorCodes.FLOW_TOO_LARGE,
          `The flow cookie would be larger than the ${maxCookieBytes} bytes browsers keep (the provider's request token is very long): use flowState 'session'`)
      }
      ctx.setCookie(name, value, options)
      const index = readIndex(ctx, entry.created, entry.binding).filter((item) => item.id !== name.slice(prefix.length))
      index.push({ id: name.slice(prefix.length), created: entry.created })
      writeIndex(ctx, index.slice(-max), entry.created, entry.binding)
    },
    peek (ctx, token, now) {
      const name = cookieName(token)
      const raw = ctx.getCookie(name)
      if (raw === undefined || used.has(name.slice(prefix.length))) return undefined
      const entry = openCookie(ctx, raw, name)
      const live = entry !== undefined && safeEqual(entry.token, token) && now - entry.created < ttl && entry.created <= now + 60_000
      return live ? entry : undefined
    },
    take (ctx, token, now, binding): TakeResult {
      const name = cookieName(token)
      const id = name.slice(prefix.length)
      const raw = ctx.getCookie(name)
      const index = readIndex(ctx, now, binding)
      if (raw !== undefined) ctx.clearCookie(name, { path: callbackPath, secure: isSecure(ctx), sameSite: 'lax', httpOnly: true })
      // The callback path gets every flow cookie: entries without one (lost, dropped) free their slot here.
      const rest = index.filter((item) => item.id !== id && ctx.getCookie(prefix + item.id) !== undefined)
      if (rest.length !== index.length) writeIndex(ctx, rest, now, binding)
      if (raw === undefined) {
        const known = index.length > 0 || [...ctx.cookieNames()].some((each) => each.startsWith(prefix))
        return { status: known ? 'unknown' : 'none' }
      }
      const entry = openCookie(ctx, raw, name)
      opened.get(ctx)?.delete(name)
      if (entry === undefined || !safeEqual(entry.token, token)) return { status: 'unknown' }
      if (used.has(id)) return { status: 'unknown' }
      forget(now)
      used.set(id, entry.created + ttl)
      if (now - entry.created >= ttl || entry.created > now + 60_000) return { status: 'expired' }
      return { status: 'found', entry }
    }
  }
}

function parse (text: string | undefined): PendingFlow | undefined {
  if (text === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (!Array.isArray(value)) return undefined
  const [token, secret, created, returnTo, binding, session] = value as unknown[]
  return pendingFlowOf(token, secret, created, returnTo, binding, session)
}
