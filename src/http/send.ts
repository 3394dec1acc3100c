import type { Readable } from 'node:stream'
import { findHeader } from '../protocol/headers.js'
import { correctedClockOffset } from './clock-skew.js'
import { Collector } from './collector.js'
import { type Answer, type Call, type ClientCore, type Credentials, type Outcome, prepareCall } from './call.js'
import { readRateLimit } from './rate-limit.js'
import { followRedirect } from './redirect.js'
import { FullResponse } from './response.js'
import { notRetried, rateLimitWait, retryDelayAfterFailure, retryDelayAfterStatus } from './retry.js'
import { closeTrace, firstTrace, noteAnswer, openTrace, type TracedRequestOptions, type TraceState } from './trace.js'
import type { RequestTraceContext, ResendReason } from '../tracing/channels.js'
import { toTransportError } from './transport-errors.js'
import type { ClientResponse, StreamedResponse } from './types.js'
import type { Dispatcher } from './undici.js'
import { pathOf } from './urls.js'

const formType = 'application/x-www-form-urlencoded'

/** The options of one hop, signed when it goes to the call's first origin. */
function dispatchOptions (core: ClientCore, call: Call): { dispatch: Dispatcher.DispatchOptions, signed: boolean, baseString: string | undefined } {
  const { url } = call
  const origin = url.origin
  const signed = origin === call.firstOrigin
  const dispatch: Dispatcher.DispatchOptions = {
    origin,
    path: url.pathname + url.search,
    method: call.method as Dispatcher.HttpMethod,
    headers: call.headers as Record<string, string>,
    body: (call.body ?? null) as Dispatcher.DispatchOptions['body'],
    headersTimeout: call.timeout,
    bodyTimeout: call.timeout,
  }
  let baseString: string | undefined
  if (signed) {
    if (call.clocked) {
      const offset = core.clockOffsets.get(origin)
      call.signOptions.timestamp = offset === 0 ? undefined : core.signer.timestamp() + offset
    }
    const opaque = call.signBody
    const result = opaque === undefined
      ? core.signer.sign({ method: call.method, url, headers: call.headers, body: call.body as string | Uint8Array | undefined }, call.signOptions)
      : core.signer.sign({
        method: call.method, url, headers: opaque.body === undefined ? call.headers : { ...call.headers, 'content-type': formType }, body: opaque.body
      }, call.signOptions)
    if (opaque?.body !== undefined) {
      const sentType = findHeader(call.headers, 'content-type')
      if (sentType === undefined) delete result.headers['content-type']
      else result.headers['content-type'] = String(sentType)
    }
    dispatch.headers = result.headers
    if (opaque === undefined) dispatch.body = result.body ?? null
    if (core.signer.placement === 'query') dispatch.path = pathOf(result.url)
    baseString = result.baseString
  }
  return { dispatch, signed, baseString }
}

/** Sends one hop, signed when it goes to the call's first origin, and reads the body within the limit. */
async function attempt (core: ClientCore, call: Call): Promise<Outcome> {
  const { url } = call
  // The offset this request is signed with: a concurrent request may learn a new one meanwhile.
  const offsetAtSend = core.clockOffsets.get(call.firstOrigin)
  const { dispatch, signed, baseString } = dispatchOptions(core, call)
  if (call.deadline.reason !== undefined) return { failure: call.deadline.reason }
  const collector = new Collector(core.maxResponseBytes, url)
  call.deadline.active = collector
  try {
    core.dispatcher.dispatch(dispatch, collector)
    const received = await collector.promise as Answer
    received.offsetAtSend = offsetAtSend
    received.signed = signed
    received.baseString = baseString
    return received
  } catch (error) {
    return { failure: call.deadline.reason ?? toTransportError(error, url, call.timeout) }
  } finally {
    call.deadline.active = undefined
  }
}

/**
 * A refusal of our timestamp (once per call): learns the provider's clock for the call's origin,
 * then true; false when the correction is refused (see {@link correctedClockOffset}).
 */
function correctClock (core: ClientCore, call: Call, outcome: Answer): boolean {
  if (!call.mayCorrectClock || !outcome.signed || outcome.statusCode < 400) return false
  call.mayCorrectClock = false
  const body = outcome.data.toString('utf8')
  const offset = correctedClockOffset(outcome.statusCode, outcome.headers, body, core.signer.timestamp(), outcome.offsetAtSend, core.maxClockSkew)
  if (offset === undefined) return false
  core.clockOffsets.set(call.firstOrigin, offset)
  return true
}

/**
 * Sends a `stream: true` call: resolves at the response headers with undici's body stream; the
 * deadline and the caller's signal keep running until the body ends, and then destroy it.
 */
async function sendStreamed (core: ClientCore, call: Call, trace: TraceState): Promise<StreamedResponse> {
  let dispatch: Dispatcher.DispatchOptions
  try {
    dispatch = dispatchOptions(core, call).dispatch
    if (call.deadline.reason !== undefined) throw call.deadline.reason
  } catch (error) {
    call.deadline.clear()
    throw error
  }
  const controller = new AbortController()
  call.deadline.active = { fail: (reason) => { controller.abort(reason) } }
  const context = openTrace(call.method, call.url, trace)
  let data: Dispatcher.ResponseData
  try {
    data = await core.dispatcher.request({ ...dispatch, signal: controller.signal } as Dispatcher.RequestOptions)
  } catch (error) {
    call.deadline.clear()
    const reason = call.deadline.reason ?? toTransportError(error, call.url, call.timeout)
    closeTrace(context, reason)
    throw reason
  }
  noteAnswer(context, data.statusCode, data.headers['www-authenticate'], undefined, [core.consumerSecret, call.signOptions.token, call.signOptions.tokenSecret])
  closeTrace(context)
  const body = data.body as unknown as Readable
  body.once('close', () => { call.deadline.clear() })
  const { statusCode, headers } = data
  const receivedAt = Date.now()
  return {
    status: statusCode,
    ok: statusCode >= 200 && statusCode < 300,
    headers,
    url: call.url.href,
    body,
    get rateLimit () { return readRateLimit(statusCode, headers, receivedAt) }
  }
}

/** Another attempt of a call: why, and the wait before it. */
interface NextAttempt {
  resent: ResendReason
  delay?: number | undefined
}

/** What follows an answer: another attempt (a rate-limit wait, a retry, a redirect, a clock correction), or `undefined`: the answer is final. */
function nextAttempt (core: ClientCore, call: Call, outcome: Answer): NextAttempt | undefined {
  const rateLimited = rateLimitWait(call, outcome)
  if (rateLimited === 'give-up') return undefined
  const delay = rateLimited ?? retryDelayAfterStatus(core, call, outcome)
  if (delay !== undefined) return { resent: 'retry', delay }
  if (followRedirect(core, call, outcome)) return { resent: 'redirect' }
  if (correctClock(core, call, outcome)) return { resent: 'clock-skew' }
  return undefined
}

/** Sends one call: prepares it, then attempts it until an answer is final (retries, redirects, one clock correction), one trace per attempt. */
export async function send (
  core: ClientCore, input: string | URL, options: TracedRequestOptions, credentials: Credentials | undefined, methodName: string | undefined
): Promise<ClientResponse | StreamedResponse> {
  const call = prepareCall(core, input, options, credentials, methodName)
  try {
    if (call.body instanceof FormData) {
      // Encoded once, by the platform (boundary, file names, types), so a retry or redirect resends the same bytes.
      const encoded = new Response(call.body)
      call.headers['content-type'] = encoded.headers.get('content-type') as string
      call.body = new Uint8Array(await encoded.arrayBuffer())
    }
  } catch (error) {
    call.deadline.clear()
    throw error
  }
  const trace = firstTrace(options)
  if (options.stream === true) return sendStreamed(core, call, trace)
  const known = [core.consumerSecret, call.signOptions.token, call.signOptions.tokenSecret, call.signOptions.verifier]
  let context: RequestTraceContext | undefined
  try {
    for (;;) {
      context = openTrace(call.method, call.url, trace)
      const outcome = await attempt(core, call)
      let next: NextAttempt | undefined
      if ('failure' in outcome) {
        const delay = retryDelayAfterFailure(core, call, outcome.failure)
        if (delay === undefined) throw notRetried(core, call, outcome.failure)
        closeTrace(context, outcome.failure)
        next = { resent: 'retry', delay }
      } else {
        noteAnswer(context, outcome.statusCode, outcome.headers['www-authenticate'], outcome.data, known)
        next = nextAttempt(core, call, outcome)
        closeTrace(context)
        if (next === undefined) {
          context = undefined
          const secrets = [core.consumerSecret, call.signOptions.tokenSecret]
          return new FullResponse(outcome.statusCode, outcome.headers, call.url.href, outcome.data, outcome.baseString, secrets)
        }
      }
      context = undefined
      if (next.delay !== undefined) await call.deadline.wait(next.delay)
      trace.attempt++
      trace.resent = next.resent
    }
  } catch (error) {
    const reason = call.deadline.reason ?? error
    closeTrace(context, reason)
    throw reason
  } finally {
    call.deadline.clear()
  }
}
