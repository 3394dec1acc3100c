import { tracingChannel } from 'node:diagnostics_channel'

/** Why a provider call was sent again. */
export type ResendReason = 'retry' | 'redirect' | 'clock-skew' | 'renewal'

/**
 * The context of one trace of `fastify-oauth1:request`: one provider or API call the library
 * makes (token steps, revocation, renewal, `request.oauth1`, `createClient`). It never holds a
 * token, secret, verifier, signature, nonce, session id or cookie value: the path's query keeps
 * its names, not its values.
 */
export interface RequestTraceContext {
  method: string
  /** `https://api.x.com` */
  origin: string
  /** The path, with query values removed (`/1.1/search?q=&count=`). */
  path: string
  /** 1 for the first attempt. */
  attempt: number
  /** Why this attempt was sent again; absent on the first. */
  resent?: ResendReason
  /** The answer's status, once there is one. */
  status?: number
  /** The provider's `oauth_problem`, when it named one. */
  problem?: string
  /** Set by the channel when the call rejects (an `OAuth1Error`). */
  error?: unknown
}

/** The context of one trace of `fastify-oauth1:flow`: one start or callback of the sign-in. */
export interface FlowTraceContext {
  /** The provider's name (`oauth1`, `trello`). */
  provider: string
  step: 'start' | 'callback'
  /** Where started flows wait. */
  store: 'cookie' | 'session' | 'custom'
  /** `redirect` (a start sent the browser to the provider), `connected`, or the error code. */
  outcome?: string
  /** Set by the channel when the step rejects. */
  error?: unknown
}

/**
 * `tracingChannel('fastify-oauth1:request')` (Node's `diagnostics_channel`): subscribe to build
 * spans of provider calls; publishing costs nothing while nobody subscribes.
 */
export const requestChannel = tracingChannel<unknown, RequestTraceContext>('fastify-oauth1:request')

/** `tracingChannel('fastify-oauth1:flow')`: one trace per start and per callback. */
export const flowChannel = tracingChannel<unknown, FlowTraceContext>('fastify-oauth1:flow')

/** The path of `url` with its query values removed, for a trace context. */
export function tracePath (url: URL): string {
  if (url.search === '') return url.pathname
  const names: string[] = []
  for (const name of url.searchParams.keys()) names.push(`${encodeURIComponent(name)}=`)
  return `${url.pathname}?${names.join('&')}`
}
