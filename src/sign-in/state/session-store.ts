import { safeEqual } from '../pending-tokens.js'
import type { SignInContext, SignInSession } from './context.js'
import { type FlowLimits, type FlowStore, type PendingFlow, pendingFlowOf, type TakeResult } from './store.js'

/** Options of {@link createSessionFlowStore}. */
export interface SessionFlowStoreOptions extends FlowLimits {
  /** The session key holding the provider's state (`oauth1:<name>`). */
  key: string
}

/** What the plugin keeps in the session under its key. Plain data, so any store can serialise it. */
export interface SessionState<Credentials = unknown> {
  /** The flows started in this session and waiting for their callback (`flowState: 'session'`). */
  pending?: PendingFlow[]
  /** The user's credentials in clear, when no `credentialsSecret` seals them. */
  credentials?: Credentials
  /** The credentials sealed (AES-256-GCM) when a `credentialsSecret` is set; then `credentials` is absent. */
  sealed?: string
}

function validEntry (value: unknown): PendingFlow | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { token, secret, created, returnTo, binding, session } = value as Record<string, unknown>
  return pendingFlowOf(token, secret, created, returnTo, binding, session)
}

/**
 * Reads the provider's state from a session, treating anything of an unexpected shape (a string
 * for `pending`, numbers for tokens, a foreign object) as absent.
 */
export function readSessionState (session: SignInSession, key: string, isCredentials: (value: unknown) => boolean): SessionState | undefined {
  const value = session.get(key)
  if (typeof value !== 'object' || value === null) return undefined
  const raw = value as Record<string, unknown>
  const state: SessionState = {}
  if (Array.isArray(raw.pending)) {
    const pending = raw.pending.map(validEntry).filter((entry): entry is PendingFlow => entry !== undefined)
    if (pending.length > 0) state.pending = pending
  }
  if (isCredentials(raw.credentials)) state.credentials = raw.credentials
  if (typeof raw.sealed === 'string' && raw.sealed.length <= 8192) state.sealed = raw.sealed
  return state
}

/**
 * The flow store of today's design: the pending request tokens in the server-side session (any
 * session object with `get`/`set`: `@fastify/session`, `@fastify/secure-session`), under one key,
 * keyed by token, with expiry. Stores that save the whole session at the end of a request let
 * the later of two simultaneous starts win (the other flow ends `OAUTH1_UNKNOWN_TOKEN`); the
 * cookie store has no such race.
 */
export function createSessionFlowStore (options: SessionFlowStoreOptions, isCredentials: (value: unknown) => boolean = () => false): FlowStore {
  const { key, ttl, max } = options
  const live = (state: SessionState | undefined, now: number): PendingFlow[] =>
    (state?.pending ?? []).filter((entry) => now - entry.created < ttl && entry.created <= now + 60_000)
  const write = (session: SignInSession, state: SessionState | undefined, pending: PendingFlow[]): void => {
    const next: SessionState = {}
    if (pending.length > 0) next.pending = pending
    if (state?.credentials !== undefined) next.credentials = state.credentials
    if (state?.sealed !== undefined) next.sealed = state.sealed
    session.set(key, next)
  }
  return {
    count (ctx, now) {
      const session = ctx.session
      return session === undefined ? 0 : live(readSessionState(session, key, isCredentials), now).length
    },
    put (ctx: SignInContext, entry) {
      const session = ctx.session
      if (session === undefined) return
      const state = readSessionState(session, key, isCredentials)
      const pending = live(state, entry.created)
      pending.push(entry)
      write(session, state, pending.slice(-max))
    },
    peek (ctx, token, now) {
      const session = ctx.session
      const state = session === undefined ? undefined : readSessionState(session, key, isCredentials)
      return live(state, now).find((entry) => safeEqual(entry.token, token))
    },
    take (ctx, token, now): TakeResult {
      const session = ctx.session
      const state = session === undefined ? undefined : readSessionState(session, key, isCredentials)
      if (session === undefined || state === undefined) return { status: 'none' }
      let found: PendingFlow | undefined
      const rest: PendingFlow[] = []
      for (const entry of state.pending ?? []) {
        if (safeEqual(entry.token, token)) found = entry
        else rest.push(entry)
      }
      if (found !== undefined || rest.length !== (state.pending ?? []).length) write(session, state, live({ pending: rest }, now))
      if (found === undefined) return { status: 'unknown' }
      if (now - found.created >= ttl || found.created > now + 60_000) return { status: 'expired' }
      return { status: 'found', entry: found }
    }
  }
}
