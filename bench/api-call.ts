/**
 * Signed API call benchmark: one GET through the per-user client, `providerClient.clientFor({ token,
 * tokenSecret }).get(url)` (a fresh per-user client each call, as the plugin's request client
 * makes one per request), against a plain undici `Pool.request` of the same URL. Both go through
 * the SAME keep-alive undici Pool to the same local server (the bench provider's JSON resource),
 * both read the whole body and parse its JSON, one call in flight at a time. The difference is
 * what the signed client adds: URL handling, signing (HMAC-SHA1, fresh nonce and timestamp), the
 * Authorization header, and the response wrapper. Interleaved rounds, after a warm-up.
 *
 * A third contestant, one bare signature of the same request by a ready signer (URL string in,
 * Authorization header out), runs in the same rounds: the target is that what the signed client
 * adds over the plain request costs at most 1.5x that signature (issue 13), in µs per call.
 *
 * Two more explain the figure and compare like for like: the plain request sending a fixed,
 * already signed Authorization header of the same size (what carrying the header costs on both
 * ends of this loop, with no signing), and what people write today, oauth-1.0a's
 * toHeader(authorize()) with the same HMAC-SHA1 and the same Pool.request.
 *
 * A sixth runs the signed call with a subscriber on `tracingChannel('fastify-oauth1:request')`
 * (subscribed for that call only, so the other contestants run with nobody subscribed): what
 * tracing costs when used, against the signed call above, which publishes nothing.
 *
 * Sanity check before timing: the signed call's Authorization header, as the server received
 * it, carries the user's token and a signature that our signer reproduces for its nonce and
 * timestamp; the plain call carries none.
 */
import { createHmac } from 'node:crypto'
import OAuth from 'oauth-1.0a'
import { Pool } from 'undici'
import { createProviderClient } from '../dist/esm/provider/provider-client.js'
import { createSigner } from '../dist/esm/signer/signer.js'
import { requestChannel } from '../dist/esm/tracing/channels.js'
import { consumer, startProvider } from './flows.js'
import { type BenchCase, type CaseResult, type HarnessOptions, formatOps, pairedRatio, runInterleaved, runOrAbort, table } from './harness.js'

const user = { token: 'bench-user-token', tokenSecret: 'bench-user-token-secret' } as const

interface ApiBody { id: string, signed: boolean }

export interface ApiCallBenchResult {
  results: CaseResult[]
  /** Extra time per call of the signed client over the plain request: plain/signed - 1. */
  overhead: number
  pairedOverhead: number
  /** The same from the CPU-time rates (process CPU per call), steadier on a busy machine. */
  cpuOverhead: number | undefined
  /**
   * µs per call from the medians: signed client, plain request, bare signature, the plain request
   * with a fixed signed header, and oauth-1.0a + the same request.
   */
  micros: { signed: number, plain: number, added: number, signature: number, fixedHeader: number, headerCost: number, oauth10a: number, oauth10aAdded: number } &
    { traced: number, tracingCost: number }
  /** Calls/s of ours over oauth-1.0a + Pool.request (wall-clock medians; CPU medians). */
  vsOauth10a: number
  cpuVsOauth10a: number | undefined
  /** added / signature, from the wall-clock medians and from the CPU-time medians. */
  addedPerSignature: number
  cpuAddedPerSignature: number | undefined
  target: number
  pass: boolean
  seconds: number
}

function headerParams (header: string): Record<string, string> {
  const params: Record<string, string> = {}
  for (const match of header.matchAll(/(\w+)="([^"]*)"/g)) params[match[1] as string] = decodeURIComponent(match[2] as string)
  return params
}

/**
 * Runs the sanity check and the interleaved measurement.
 * @throws Error when the sanity check fails.
 */
export async function runApiCallBench (options: HarnessOptions = {}): Promise<ApiCallBenchResult> {
  const started = process.hrtime.bigint()
  const provider = await startProvider()
  const url = new URL(provider.apiUrl)
  const path = url.pathname + url.search
  const pool = new Pool(provider.origin, { connections: 4, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 })
  const providerClient = createProviderClient({
    ...consumer,
    requestTokenUrl: provider.requestTokenUrl,
    authorizeUrl: provider.authorizeUrl,
    accessTokenUrl: provider.accessTokenUrl,
    dispatcher: pool
  })
  try {
    const signed = async (): Promise<ApiBody> => {
      const response = await providerClient.clientFor(user).get(provider.apiUrl)
      if (response.status !== 200) throw new Error(`signed call answered ${response.status}`)
      return response.json<ApiBody>()
    }
    const plain = async (): Promise<ApiBody> => {
      const response = await pool.request({ path, method: 'GET' })
      if (response.statusCode !== 200) throw new Error(`plain call answered ${response.statusCode}`)
      return await response.body.json() as ApiBody
    }

    // Sanity check.
    const a = await signed()
    const header = provider.lastApiAuthorization
    if (!a.signed || header === undefined) throw new Error('sanity check failed: the signed call reached the server without an OAuth Authorization header')
    const params = headerParams(header)
    if (params.oauth_token !== user.token || params.oauth_consumer_key !== consumer.consumerKey) throw new Error(`sanity check failed: unexpected header ${header}`)
    const reference = createSigner({ ...consumer, ...user })
    const expected = reference.sign({ method: 'GET', url: provider.apiUrl }, { nonce: params.oauth_nonce, timestamp: params.oauth_timestamp }).oauthParams.oauth_signature
    if (params.oauth_signature !== expected) throw new Error(`sanity check failed: signature ${String(params.oauth_signature)} != ${String(expected)}`)
    const b = await plain()
    if (b.signed || b.id !== a.id) throw new Error('sanity check failed: the plain call differs from the signed one in more than the signature')

    const bare = createSigner({ ...consumer, ...user })
    const signature = (): unknown => bare.sign({ method: 'GET', url: provider.apiUrl }).headers
    const fixedHeaders = { authorization: header }
    const fixed = async (): Promise<ApiBody> => {
      const response = await pool.request({ path, method: 'GET', headers: fixedHeaders })
      if (response.statusCode !== 200) throw new Error(`fixed-header call answered ${response.statusCode}`)
      return await response.body.json() as ApiBody
    }
    const oauth = new OAuth({
      consumer: { key: consumer.consumerKey, secret: consumer.consumerSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64')
    })
    const oauthToken = { key: user.token, secret: user.tokenSecret }
    const oauth10a = async (): Promise<ApiBody> => {
      const authorization = oauth.toHeader(oauth.authorize({ url: provider.apiUrl, method: 'GET' }, oauthToken)).Authorization
      const response = await pool.request({ path, method: 'GET', headers: { authorization } })
      if (response.statusCode !== 200) throw new Error(`oauth-1.0a call answered ${response.statusCode}`)
      return await response.body.json() as ApiBody
    }
    // oauth-1.0a's header must carry the same signature ours computes for its nonce and timestamp.
    const c = await oauth10a()
    const theirs = headerParams(provider.lastApiAuthorization ?? '')
    const ourSignature = reference.sign({ method: 'GET', url: provider.apiUrl }, { nonce: theirs.oauth_nonce, timestamp: theirs.oauth_timestamp }).oauthParams.oauth_signature
    if (!c.signed || theirs.oauth_signature !== ourSignature) throw new Error(`sanity check failed: oauth-1.0a signed ${String(theirs.oauth_signature)}, ours ${String(ourSignature)}`)

    let traces = 0
    const subscriber = { start: () => { traces++ }, end: () => {}, asyncStart: () => {}, asyncEnd: () => {}, error: () => {} }
    const traced = async (): Promise<ApiBody> => {
      requestChannel.subscribe(subscriber)
      try {
        return await signed()
      } finally {
        requestChannel.unsubscribe(subscriber)
      }
    }
    await traced()
    if (traces !== 1 || requestChannel.hasSubscribers) throw new Error('sanity check failed: the traced call did not publish exactly one trace')

    const cases: BenchCase[] = [
      { name: 'signed (clientFor().get)', fn: signed, async: true },
      { name: 'plain undici Pool.request', fn: plain, async: true },
      { name: 'bare signature (signer.sign)', fn: signature },
      { name: 'plain + fixed signed header', fn: fixed, async: true },
      { name: 'oauth-1.0a + Pool.request', fn: oauth10a, async: true },
      { name: 'signed, request channel subscribed', fn: traced, async: true }
    ]
    const results = await runInterleaved(cases, options)
    const ours = results[0] as CaseResult
    const base = results[1] as CaseResult
    const sig = results[2] as CaseResult
    const fixedResult = results[3] as CaseResult
    const theirsResult = results[4] as CaseResult
    const tracedResult = results[5] as CaseResult
    const overhead = base.median / ours.median - 1
    const pairedOverhead = 1 / pairedRatio(ours, base) - 1
    const cpuOverhead = ours.cpuMedian === undefined || base.cpuMedian === undefined ? undefined : base.cpuMedian / ours.cpuMedian - 1
    const us = (ops: number): number => 1e6 / ops
    const micros = {
      signed: us(ours.median),
      plain: us(base.median),
      added: us(ours.median) - us(base.median),
      signature: us(sig.median),
      fixedHeader: us(fixedResult.median),
      headerCost: us(fixedResult.median) - us(base.median),
      oauth10a: us(theirsResult.median),
      oauth10aAdded: us(theirsResult.median) - us(base.median),
      traced: us(tracedResult.median),
      tracingCost: us(tracedResult.median) - us(ours.median)
    }
    const vsOauth10a = ours.median / theirsResult.median
    const cpuVsOauth10a = ours.cpuMedian === undefined || theirsResult.cpuMedian === undefined ? undefined : ours.cpuMedian / theirsResult.cpuMedian
    const addedPerSignature = micros.added / micros.signature
    const cpuAddedPerSignature = ours.cpuMedian === undefined || base.cpuMedian === undefined || sig.cpuMedian === undefined
      ? undefined
      : (us(ours.cpuMedian) - us(base.cpuMedian)) / us(sig.cpuMedian)
    const target = 1.5
    const pass = addedPerSignature <= target
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    return { results, overhead, pairedOverhead, cpuOverhead, micros, vsOauth10a, cpuVsOauth10a, addedPerSignature, cpuAddedPerSignature, target, pass, seconds }
  } finally {
    await providerClient.close()
    await pool.close()
    await provider.close()
  }
}

/** Runs {@link runApiCallBench} and prints its tables; sets a failing exit code when it aborts. */
export async function printApiCallBench (options: HarnessOptions = {}): Promise<ApiCallBenchResult | undefined> {
  console.log('\nSigned API call: GET of a small JSON resource on a local node:http server, one call in flight,')
  console.log('both through the same keep-alive undici Pool, body read and JSON-parsed')
  const result = await runOrAbort(() => runApiCallBench(options))
  if (result === undefined) return undefined
  console.log(`Sanity check passed (signature verified). Interleaved round-robin, ${result.results[0]?.perRound.length ?? 0} rounds; calls/s = median of per-round calls/s\n`)
  console.log(table([
    ['contestant', 'calls/s (median)', 'min', 'max', 'cpu calls/s', 'calls measured'],
    ...result.results.map((r) => [r.name, formatOps(r.median), formatOps(r.min), formatOps(r.max), r.cpuMedian === undefined ? 'n/a' : formatOps(r.cpuMedian), formatOps(r.ops)])
  ]))
  console.log()
  const percent = (value: number): string => (value * 100).toFixed(1) + '%'
  const micro = (value: number): string => value.toFixed(2) + ' µs'
  console.log(table([
    ['µs per call (medians)', 'signed call', 'plain call', 'added by the client', 'bare signature', 'added / signature', 'cpu: added / signature', 'target', 'result'],
    ['', micro(result.micros.signed), micro(result.micros.plain), micro(result.micros.added), micro(result.micros.signature),
      result.addedPerSignature.toFixed(2) + 'x', result.cpuAddedPerSignature === undefined ? 'n/a' : result.cpuAddedPerSignature.toFixed(2) + 'x',
      '<= ' + result.target.toFixed(1) + 'x', result.pass ? 'PASS' : 'MISS']
  ]))
  console.log()
  console.log(table([
    ['where the added µs go (medians)', 'carrying the signed header (fixed header - plain)', 'the rest: signing + client', 'oauth-1.0a + Pool.request adds', 'ours vs oauth-1.0a (calls/s)', 'cpu'],
    ['', micro(result.micros.headerCost), micro(result.micros.added - result.micros.headerCost), micro(result.micros.oauth10aAdded),
      result.vsOauth10a.toFixed(2) + 'x', result.cpuVsOauth10a === undefined ? 'n/a' : result.cpuVsOauth10a.toFixed(2) + 'x']
  ]))
  console.log()
  const cpuUs = (name: string): string => {
    const found = result.results.find((r) => r.name === name)
    return found?.cpuMedian === undefined ? 'n/a' : micro(1e6 / found.cpuMedian)
  }
  console.log(table([
    ['tracing (fastify-oauth1:request)', 'signed, nobody subscribed', 'signed, subscribed', 'added by a subscriber', 'cpu: nobody', 'cpu: subscribed'],
    ['', micro(result.micros.signed), micro(result.micros.traced), micro(result.micros.tracingCost),
      cpuUs('signed (clientFor().get)'), cpuUs('signed, request channel subscribed')]
  ]))
  console.log()
  console.log(table([
    ['overhead of signing', 'median', 'paired', 'cpu'],
    ['signed vs plain', percent(result.overhead), percent(result.pairedOverhead), result.cpuOverhead === undefined ? 'n/a' : percent(result.cpuOverhead)]
  ]))
  console.log('\n(added = signed µs - plain µs per call; the result judges added / bare signature from the wall-clock medians.')
  console.log(' overhead = extra time per call: plain calls/s / signed calls/s - 1, from the medians; paired = from the')
  console.log(' per-round ratios; cpu = from the process-CPU rates; result judges the median. The server runs in this')
  console.log(' process, so each call\'s time includes its work too, as it would for a client that waits on its answer)')
  console.log(`\nAPI-call part took ${result.seconds.toFixed(1)} s`)
  return result
}
