import { hash } from 'node:crypto'
import { RandomPool } from '../../protocol/random-pool.js'
import type { SignInContext, SignInSession } from './context.js'

/**
 * The browser binding cookie over https: the `__Host-` prefix (RFC 6265bis §4.1.3.2) makes
 * browsers refuse it unless it is `Secure`, `Path=/` and has no `Domain`, so a sibling subdomain
 * or a plain-http page cannot set or overwrite it.
 */
export const secureBindingCookie = '__Host-oauth1-binding'
/** The browser binding cookie over plain http (no prefix is possible there: a sibling host can plant it). */
export const plainBindingCookie = 'oauth1-binding'
/** The session key holding the session's binding value (one for every provider). */
export const sessionBindingKey = 'oauth1:binding'
/** Seconds the binding cookie lives at least; every start sets it again. */
export const minBindingAge = 24 * 60 * 60

const valuePattern = /^[A-Za-z0-9_-]{22}$/

const valuePool = new RandomPool(16 * 256)

/** A new 128-bit random binding value (base64url). */
function newBindingValue (): string {
  return valuePool.base64url(16)
}

/** What a flow records of a binding value: a truncated SHA-256 (128 bits) naming its kind, never the value. */
export function bindingHash (value: string, kind: 'browser-secure' | 'browser' | 'session'): string {
  return hash('sha256', `fastify-oauth1 ${kind} binding v1\0${value}`, 'base64url').slice(0, 22)
}

/**
 * The hashes of the request's browser binding cookies, the `__Host-` one first; absent and
 * malformed ones left out. Each hash names its cookie's kind, so a flow bound to the `__Host-`
 * cookie never matches a plain cookie of the same value.
 */
export function readBrowserBindings (ctx: SignInContext): string[] {
  const found: string[] = []
  const secure = ctx.getCookie(secureBindingCookie)
  if (secure !== undefined && valuePattern.test(secure)) found.push(bindingHash(secure, 'browser-secure'))
  const plain = ctx.getCookie(plainBindingCookie)
  if (plain !== undefined && valuePattern.test(plain)) found.push(bindingHash(plain, 'browser'))
  return found
}

/** The binding a start records and then sets: the cookie's name and value, and the hash the flow keeps. */
export interface BrowserBinding {
  name: string
  value: string
  secure: boolean
  hash: string
}

/**
 * The browser's binding cookie, or a new value when it is absent or malformed: `__Host-` when
 * `secure` (the request or the callback URL is https), else the plain name.
 */
export function browserBinding (ctx: SignInContext, secure: boolean): BrowserBinding {
  const name = secure ? secureBindingCookie : plainBindingCookie
  const current = ctx.getCookie(name)
  const value = current !== undefined && valuePattern.test(current) ? current : newBindingValue()
  return { name, value, secure, hash: bindingHash(value, secure ? 'browser-secure' : 'browser') }
}

/** Sets the binding cookie (again): `HttpOnly`, `SameSite=Lax`, `Path=/`, no `Domain`, `Secure` with `__Host-`; `maxAge` seconds. */
export function setBrowserBinding (ctx: SignInContext, binding: BrowserBinding, maxAge: number): void {
  ctx.setCookie(binding.name, binding.value, { path: '/', maxAge, httpOnly: true, secure: binding.secure, sameSite: 'lax' })
}

/**
 * True when the session carries the app's own data (a logged-in user): a key that is not one of
 * this library's (`oauth1:*`). An empty session, or one holding only flow state or credentials of
 * this library, is not bound to: its id may still change on every request.
 */
function established (keys: readonly string[]): boolean {
  return keys.some((key) => !key.startsWith('oauth1:'))
}

/**
 * The hash of the session's binding value when the session carries the app's data, or
 * `undefined`. With `create`, a session that carries data but no binding value yet gets one (a
 * random value kept in the session under {@link sessionBindingKey}, so it survives the session
 * id's renewal on connect, and works for sessions without an id such as @fastify/secure-session).
 */
export function sessionBinding (session: SignInSession | undefined, dataKeys: (session: SignInSession) => string[], create: boolean): string | undefined {
  if (session === undefined || !established(dataKeys(session))) return undefined
  let value = session.get(sessionBindingKey)
  if (typeof value !== 'string' || !valuePattern.test(value)) {
    if (!create) return bindingHash('', 'session')
    value = newBindingValue()
    session.set(sessionBindingKey, value)
  }
  return bindingHash(value as string, 'session')
}
