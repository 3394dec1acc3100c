/**
 * Signer benchmark: our createSigner().sign() against oauth-1.0a and oauth-sign, signing X's
 * documented example POST request, each producing a ready Authorization header value with a
 * fresh nonce and timestamp.
 *
 * https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature
 *
 * What each contestant does per operation (the job is "request in, header value out"):
 * - ours: sign({ method, url: string, headers: { content-type: form }, body: form string }).
 *   It parses and validates the URL, parses the query and the form body string, and also returns
 *   a copy of the headers, the url, the body and an oauthParams record (extra work it cannot skip).
 *   Nonce: 24 hex chars from a pooled CSPRNG buffer.
 * - oauth-1.0a: toHeader(authorize({ url, method, data: { status } }, token)). It is handed the
 *   form body already DECODED as an object (its API needs that), so it skips the form parsing
 *   ours does, and it splits the URL on '?' instead of parsing it (no normalisation). A fresh
 *   data object is passed each time because authorize() mutates it. Nonce: 32 chars from
 *   Math.random (not a CSPRNG).
 * - oauth-sign: what request's lib/oauth.js does, minus its stringify/parse round-trip: new URL
 *   for the base string URI, querystring.parse of the query and of the form body, the oauth_*
 *   params merged in, sign('HMAC-SHA1', ...), then the header string (sorted keys, signature
 *   last, ',' separator as request writes it). Nonce: crypto.randomUUID() without dashes.
 * Every difference above favours the competitors or is neutral, so the ratios are conservative.
 */
import { createHmac, randomUUID } from 'node:crypto'
import querystring from 'node:querystring'
import OAuth from 'oauth-1.0a'
import * as oauthSign from 'oauth-sign'
import { createSigner } from '../dist/signer/signer.js'
import { type BenchCase, type CaseResult, type HarnessOptions, environment, pairedRatio, runInterleaved } from './harness.js'

/** X's documented example (developer.x.com, "Creating a signature"). */
export const xExample = {
  method: 'POST',
  url: 'https://api.twitter.com/1.1/statuses/update.json?include_entities=true',
  body: 'status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21',
  status: 'Hello Ladies + Gentlemen, a signed OAuth request!',
  consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
  consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
  token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
  tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  nonce: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
  timestamp: 1318622958,
  signature: 'hCtSmYh+iHYCEqBWrE7C7hYmtUk='
} as const

/** Fixed nonce and clock for the sanity check; absent means fresh values, as in production. */
interface Fixed { nonce: () => string, now: () => number }

type MakeContestant = (fixed?: Fixed) => () => string

const formType = 'application/x-www-form-urlencoded'

const makeOurs: MakeContestant = (fixed) => {
  const signer = createSigner({
    consumerKey: xExample.consumerKey,
    consumerSecret: xExample.consumerSecret,
    token: xExample.token,
    tokenSecret: xExample.tokenSecret,
    ...fixed
  })
  const request = { method: xExample.method, url: xExample.url, headers: { 'content-type': formType }, body: xExample.body }
  return () => signer.sign(request).headers.authorization as string
}

const makeOauth10a: MakeContestant = (fixed) => {
  const oauth = new OAuth({
    consumer: { key: xExample.consumerKey, secret: xExample.consumerSecret },
    signature_method: 'HMAC-SHA1',
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64')
  })
  if (fixed !== undefined) {
    oauth.getNonce = fixed.nonce
    oauth.getTimeStamp = () => Math.floor(fixed.now() / 1000)
  }
  const token = { key: xExample.token, secret: xExample.tokenSecret }
  return () => oauth.toHeader(oauth.authorize({ url: xExample.url, method: xExample.method, data: { status: xExample.status } }, token)).Authorization
}

const makeOauthSign: MakeContestant = (fixed) => {
  const nonce = fixed?.nonce ?? (() => randomUUID().replace(/-/g, ''))
  const now = fixed?.now ?? Date.now
  const { method, url, body, consumerKey, consumerSecret, token, tokenSecret } = xExample
  return () => {
    const uri = new URL(url)
    const oa: Record<string, string> = {
      oauth_consumer_key: consumerKey,
      oauth_nonce: nonce(),
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: Math.floor(now() / 1000).toString(),
      oauth_token: token,
      oauth_version: '1.0'
    }
    const params = Object.assign(querystring.parse(uri.search.slice(1)), querystring.parse(body), oa)
    const signature = oauthSign.sign('HMAC-SHA1', method, uri.protocol + '//' + uri.host + uri.pathname, params, consumerSecret, tokenSecret)
    const names = Object.keys(oa).sort()
    let header = 'OAuth '
    for (const name of names) header += name + '="' + oauthSign.rfc3986(oa[name] as string) + '",'
    return header + 'oauth_signature="' + oauthSign.rfc3986(signature) + '"'
  }
}

const contestants: ReadonlyArray<{ name: string, note: string, make: MakeContestant }> = [
  { name: 'ours', note: 'parses URL + form body string; also returns headers copy, url, body, oauthParams', make: makeOurs },
  { name: 'oauth-1.0a', note: 'given the form pre-decoded as { status }; splits URL on "?" (no URL parsing); Math.random nonce', make: makeOauth10a },
  { name: 'oauth-sign', note: 'new URL + querystring.parse of query and body (request\'s params, without its stringify/parse round-trip)', make: makeOauthSign }
]

function headerParams (header: string): Record<string, string> {
  const params: Record<string, string> = {}
  for (const match of header.matchAll(/([\w]+)="([^"]*)"/g)) params[match[1] as string] = decodeURIComponent(match[2] as string)
  return params
}

/**
 * Sanity checks, before any timing: (1) with X's nonce and timestamp every contestant yields X's
 * signature; (2) the timed (fresh) variants give a new nonce per call, a current timestamp, and
 * a signature that our signer reproduces for that nonce and timestamp.
 * @throws Error describing the first failure.
 */
export function sanityCheck (): void {
  const fixed: Fixed = { nonce: () => xExample.nonce, now: () => xExample.timestamp * 1000 }
  const reference = createSigner({ consumerKey: xExample.consumerKey, consumerSecret: xExample.consumerSecret, token: xExample.token, tokenSecret: xExample.tokenSecret })
  const request = { method: xExample.method, url: xExample.url, headers: { 'content-type': formType }, body: xExample.body }
  for (const c of contestants) {
    const fixedHeader = c.make(fixed)()
    const got = headerParams(fixedHeader).oauth_signature
    if (got !== xExample.signature) throw new Error(`sanity check failed: ${c.name} signed X's example as ${String(got)}, expected ${xExample.signature}\n  ${fixedHeader}`)

    const fresh = c.make()
    const a = headerParams(fresh())
    const b = headerParams(fresh())
    const nowSeconds = Math.floor(Date.now() / 1000)
    if (a.oauth_nonce === undefined || a.oauth_nonce === b.oauth_nonce) throw new Error(`sanity check failed: ${c.name} does not produce a fresh nonce`)
    if (Math.abs(Number(a.oauth_timestamp) - nowSeconds) > 5) throw new Error(`sanity check failed: ${c.name} timestamp ${String(a.oauth_timestamp)} is not now`)
    const expected = reference.sign(request, { nonce: a.oauth_nonce, timestamp: a.oauth_timestamp }).oauthParams.oauth_signature
    if (a.oauth_signature !== expected) throw new Error(`sanity check failed: ${c.name} fresh signature ${String(a.oauth_signature)} != ${String(expected)}`)
  }
}

export interface Comparison {
  label: string
  /** Ratio of the medians. */
  ratio: number
  /** Median of the per-round ratios (a paired estimate, for noise). */
  pairedRatio: number
  /** Ratio of the CPU-time medians (steadier when other processes compete for the CPU). */
  cpuRatio: number
  target: number
  pass: boolean
}

export interface SignerBenchResult {
  environment: string
  results: CaseResult[]
  comparisons: Comparison[]
  notes: string[]
  seconds: number
}

/** Runs the sanity check, then the interleaved measurement. */
export async function runSignerBench (options: HarnessOptions = {}): Promise<SignerBenchResult> {
  const started = process.hrtime.bigint()
  sanityCheck()
  const cases: BenchCase[] = contestants.map((c) => ({ name: c.name, note: c.note, fn: c.make() }))
  const results = await runInterleaved(cases, options)
  const [ours, oauth10a, oauthSignResult] = results as [CaseResult, CaseResult, CaseResult]
  const compare = (label: string, other: CaseResult, target: number): Comparison => {
    const ratio = ours.median / other.median
    return { label, ratio, pairedRatio: pairedRatio(ours, other), cpuRatio: (ours.cpuMedian ?? NaN) / (other.cpuMedian ?? NaN), target, pass: ratio >= target }
  }
  return {
    environment: environment(),
    results,
    comparisons: [compare('ours / oauth-1.0a', oauth10a, 2), compare('ours / oauth-sign', oauthSignResult, 1.5)],
    notes: contestants.map((c) => `${c.name}: ${c.note}`),
    seconds: Number(process.hrtime.bigint() - started) / 1e9
  }
}
