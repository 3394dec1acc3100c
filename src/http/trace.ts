import { parseProblem } from '../protocol/problems.js'
import { requestChannel, tracePath, type RequestTraceContext, type ResendReason } from '../tracing/channels.js'
import type { RequestOptions } from './types.js'

/**
 * A request option for the library's own callers (not part of the public options): numbers the
 * call's first trace as a later attempt of an earlier call, e.g. the request client's resend after a token
 * renewal: `client.get(url, { ...options, [traceResend]: { attempt: 2, resent: 'renewal' } })`.
 */
export const traceResend: unique symbol = Symbol('fastify-oauth1.traceResend')

/** What {@link traceResend} carries. */
export interface TraceResend {
  /** The number of the call's first attempt (2 for the first resend). */
  attempt: number
  resent: ResendReason
}

/** {@link RequestOptions} with {@link traceResend}. */
export interface TracedRequestOptions extends RequestOptions {
  [traceResend]?: TraceResend | undefined
}

/** The trace numbering of a call: the attempt being sent and why it was resent. */
export interface TraceState {
  attempt: number
  resent: ResendReason | undefined
}

/** The first trace numbering of a call: attempt 1, or what the caller passed in {@link traceResend}. */
export function firstTrace (options: TracedRequestOptions): TraceState {
  const given = options[traceResend]
  return given === undefined || !Number.isInteger(given.attempt) || given.attempt < 1
    ? { attempt: 1, resent: undefined }
    : { attempt: given.attempt, resent: given.resent }
}

/**
 * Starts the trace of one attempt on `fastify-oauth1:request` (start, then end: the attempt is
 * under way), or nothing while nobody subscribes. The context has no query value, header or body.
 */
export function openTrace (method: string, url: URL, state: TraceState): RequestTraceContext | undefined {
  if (!requestChannel.hasSubscribers) return undefined
  const context: RequestTraceContext = { method, origin: url.origin, path: tracePath(url), attempt: state.attempt }
  if (state.resent !== undefined) context.resent = state.resent
  requestChannel.start.publish(context)
  requestChannel.end.publish(context)
  return context
}

/** Notes the answer of a traced attempt: its status and, on a failure status, the provider's `oauth_problem` (`known` values redacted). */
export function noteAnswer (
  context: RequestTraceContext | undefined, status: number, challenge: string | string[] | undefined, body: Buffer | undefined,
  known: ReadonlyArray<string | undefined>
): void {
  if (context === undefined) return
  context.status = status
  if (status < 400) return
  const text = body === undefined ? '' : body.toString('utf8')
  const problem = parseProblem(status, text, Array.isArray(challenge) ? challenge.join(', ') : challenge, known).problem
  if (problem !== undefined) context.problem = problem
}

/** Ends a traced attempt (error when it failed, then asyncStart and asyncEnd), as `tracePromise` would. */
export function closeTrace (context: RequestTraceContext | undefined, error?: unknown): void {
  if (context === undefined) return
  if (error !== undefined) {
    context.error = error
    requestChannel.error.publish(context)
  }
  requestChannel.asyncStart.publish(context)
  requestChannel.asyncEnd.publish(context)
}
