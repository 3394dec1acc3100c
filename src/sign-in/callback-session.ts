import { sessionStoreError } from './adapter.js'
import type { SignInSession } from './state/context.js'

type Done = (error?: unknown) => void
/** A session object with plain data properties and callback-style `regenerate`/`save` (express-session's `req.session`). */
type CallbackSessionObject = Record<string, unknown> & { regenerate?: (done: Done) => void, save?: (done: Done) => void }
/** Where such a session lives: `regenerate` replaces `holder.session`, so it is always read through the holder. */
export interface SessionHolder { session?: unknown }

const current = (holder: SessionHolder): CallbackSessionObject | undefined => {
  const session = holder.session
  return typeof session === 'object' && session !== null ? session as CallbackSessionObject : undefined
}

/**
 * `holder.session` as a {@link SignInSession}, or `undefined` without one: reads and writes go to
 * the holder's session of the moment; `changed` is told of every write and regeneration.
 */
export function callbackSession (holder: SessionHolder, changed: () => void = () => {}): SignInSession | undefined {
  const first = current(holder)
  if (first === undefined) return undefined
  const now = (): CallbackSessionObject => current(holder) ?? first
  const regenerate = (keep: string[] = []): Promise<void> => new Promise<void>((resolve, reject) => {
    const old = now()
    const kept = keep.map((key) => [key, old[key]] as const)
    changed()
    old.regenerate?.((error) => {
      if (error !== undefined && error !== null) return reject(error)
      Object.assign(now(), Object.fromEntries(kept))
      resolve()
    })
  })
  return {
    get: (key) => now()[key],
    set: (key, value) => {
      changed()
      now()[key] = value
    },
    data: () => Object.fromEntries(Object.entries(now()).filter(([key]) => key !== 'cookie')),
    regenerate: typeof first.regenerate !== 'function' ? undefined : regenerate
  }
}

/** Saves `holder.session` through its callback `save`, where it has one; a store failure is `OAUTH1_STORE_UNAVAILABLE`. */
export async function saveCallbackSession (holder: SessionHolder): Promise<void> {
  const session = current(holder)
  if (typeof session?.save !== 'function') return
  try {
    await new Promise<void>((resolve, reject) => { session.save?.((error) => { if (error === undefined || error === null) resolve(); else reject(error) }) })
  } catch (error) {
    throw sessionStoreError(error, 'save')
  }
}

/** The cookies of a `Cookie` header (RFC 6265 §5.4); the first of a repeated name wins, undecodable values are kept as sent. */
export function parseCookieHeader (header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const pair of header?.split(';') ?? []) {
    const index = pair.indexOf('=')
    const name = pair.slice(0, index).trim()
    if (index < 0 || name === '' || cookies.has(name)) continue
    let value = pair.slice(index + 1).trim()
    if (value.startsWith('"') && value.endsWith('"') && value.length > 1) value = value.slice(1, -1)
    try {
      value = decodeURIComponent(value)
    } catch {}
    cookies.set(name, value)
  }
  return cookies
}
