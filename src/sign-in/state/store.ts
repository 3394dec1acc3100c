import { safeReturnPath } from '../pending-tokens.js'
import type { SignInContext } from './context.js'

/** A started flow waiting for its callback: the temporary credentials of RFC 5849 §2.1. */
export interface PendingFlow {
  /** The request token (`oauth_token`). */
  token: string
  /** The request-token secret; never sent to the browser readable. */
  secret: string
  /** Milliseconds since the epoch. */
  created: number
  /** A validated same-site path to return to after the callback. */
  returnTo?: string
  /**
   * Hash of the browser binding cookie of the start (see the README's "Binding a flow to its
   * browser"). A store must keep it: the callback refuses a flow without it (`OAUTH1_FLOW_NOT_BOUND`).
   */
  binding?: string
  /** Hash of the session's binding value when the start's session carried the app's data (a logged-in user). */
  session?: string
}

/** What {@link FlowStore.take} found for the callback's token. */
export type TakeResult =
  | {
    /** A live flow for this token: handed back once, and deleted by the same call. */
    status: 'found'
    /** The started flow, with the request-token secret for the token request (§2.3). */
    entry: PendingFlow
  }
  | {
    /** The entry existed but its time ran out (it is deleted all the same). */
    status: 'expired'
  }
  | {
    /** This browser has flow state, but none for this token (used, foreign, evicted). */
    status: 'unknown'
  }
  | {
    /** This browser brought no flow state at all (cookie or session lost). */
    status: 'none'
  }

/**
 * Where started flows wait for their callback. Entries are keyed by their request token;
 * `take` hands an entry back exactly once (it is deleted by the same call) and compares tokens in
 * constant time. Implementations must treat anything unreadable (tampered, malformed, foreign) as
 * absent, never throw for it, and keep every field of a {@link PendingFlow} (`binding` too).
 * `binding` is the hash of the request's browser binding cookie (`undefined` when it has none),
 * for stores that tie state of their own to the browser; the connect core checks the flow's
 * binding itself.
 */
export interface FlowStore {
  /** Open flows of this browser or session, expired ones not counted. */
  count (ctx: SignInContext, now: number, binding?: string): number | Promise<number>
  /** Stores a started flow. */
  put (ctx: SignInContext, entry: PendingFlow): void | Promise<void>
  /** Takes the flow of `token` back and deletes it. */
  take (ctx: SignInContext, token: string, now: number, binding?: string): TakeResult | Promise<TakeResult>
  /**
   * Optional: the live flow {@link FlowStore.take} would find for `token` (or `true`), else
   * `false` or `undefined`, without taking it. The connect core then touches the session store
   * before spending the flow, and only for callbacks that can complete: a forged callback, or one
   * whose flow is bound to another browser or session (checked when the entry is returned), costs
   * no store write.
   */
  peek? (ctx: SignInContext, token: string, now: number): PeekResult | Promise<PeekResult>
}

/** What {@link FlowStore.peek} answers: the live flow of the token (or just `true`), or `false`/`undefined` for none. */
export type PeekResult = PendingFlow | boolean | undefined

/** Limits every store applies. */
export interface FlowLimits {
  /** Milliseconds a started flow stays usable. */
  ttl: number
  /** Open flows one browser may have at once. */
  max: number
}

/**
 * A pending flow from fields a store read back (a cookie's array, a session's object), or
 * `undefined` when a required field has the wrong type: anything read from outside is checked,
 * and a return path that is not same-site is dropped.
 */
export function pendingFlowOf (
  token: unknown, secret: unknown, created: unknown, returnTo: unknown, binding: unknown, session: unknown
): PendingFlow | undefined {
  if (typeof token !== 'string' || typeof secret !== 'string' || typeof created !== 'number' || !Number.isFinite(created)) return undefined
  const entry: PendingFlow = { token, secret, created }
  const safe = safeReturnPath(returnTo)
  if (safe !== undefined) entry.returnTo = safe
  if (typeof binding === 'string') entry.binding = binding
  if (typeof session === 'string') entry.session = session
  return entry
}
