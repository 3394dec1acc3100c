import { ErrorCodes, OAuth1Error, invalidOption } from '../errors.js'
import { applyPreset, presetOptionKeys } from '../presets/presets.js'
import { createSigner, type SignerOptions, signerOptionNames } from '../signer/signer.js'
import type { ClientCore, CrossOriginRedirects, RateLimitWait } from './call.js'
import { defaultMaxClockSkew, OriginClockOffsets } from './clock-skew.js'
import { rejectUnknownOptions } from '../options.js'
import type { ClientOptions } from './types.js'
import { Agent, type Dispatcher } from './undici.js'
import { hasUserInfo, isPositiveNumber } from './urls.js'

/** The option keys {@link createClient} itself reads, besides the signer's. */
export const clientOwnOptionKeys: ReadonlySet<string> = new Set([
  'baseUrl', 'origins', 'apiOrigins', 'dispatcher', 'timeout', 'maxRedirections', 'retries', 'maxResponseBytes', 'userAgent',
  'correctClockSkew', 'maxClockSkew', 'provider', 'signMultipartFields', 'rateLimit'
])

/** Every option key {@link createClient} accepts: the signer's, the client's and a preset's. */
export const clientOptionKeys: ReadonlySet<string> = new Set([...signerOptionNames, ...clientOwnOptionKeys, ...presetOptionKeys])

/** Settings of clients built inside the library (the provider client's token-endpoint client), not options. */
export interface ClientInternals {
  /** `refuse`: a redirect to another origin is `OAUTH1_REDIRECT_REFUSED` (token endpoints). Default `unsigned`. */
  crossOriginRedirects?: CrossOriginRedirects
}

function checkBoolean (options: Record<string, unknown>, name: string): void {
  if (options[name] !== undefined && typeof options[name] !== 'boolean') invalidOption(name, 'true or false')
}

function httpUrlOption (name: string, value: unknown): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) invalidOption(name, 'an absolute http(s) URL')
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    invalidOption(name, 'an absolute http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') invalidOption(name, 'an absolute http(s) URL')
  if (hasUserInfo(url)) invalidOption(name, 'a URL without user name or password')
  return url
}

function originsOption (name: string, value: unknown, into: Set<string>): void {
  if (value === undefined) return
  if (!Array.isArray(value)) invalidOption(name, 'an array of http(s) origins')
  for (const item of value as unknown[]) into.add(httpUrlOption(name, item).origin)
}

const rateLimitKeys: ReadonlySet<string> = new Set(['wait', 'maxWaitMs'])

/**
 * The `rateLimit` option of a client (`where` is `createClient`) or of a request: `undefined`
 * when no wait is asked for.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` (a client's) or `OAUTH1_INVALID_REQUEST` (a request's) for a wrong value or key.
 */
export function rateLimitOption (value: unknown, where: 'createClient' | 'request'): RateLimitWait | undefined {
  if (value === undefined) return undefined
  const fail = (expected: string): never => {
    if (where === 'createClient') invalidOption('rateLimit', expected)
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, `Invalid request option "rateLimit": expected ${expected}`)
  }
  if (typeof value !== 'object' || value === null) return fail('{ wait, maxWaitMs }')
  try {
    rejectUnknownOptions(value, rateLimitKeys, `${where === 'request' ? 'a request\'s' : where} rateLimit`)
  } catch (error) {
    if (where === 'createClient') throw error
    throw new OAuth1Error(ErrorCodes.INVALID_REQUEST, (error as Error).message)
  }
  const { wait, maxWaitMs } = value as { wait?: unknown, maxWaitMs?: unknown }
  if (wait !== undefined && typeof wait !== 'boolean') fail('wait: true or false')
  if (maxWaitMs !== undefined && (typeof maxWaitMs !== 'number' || Number.isNaN(maxWaitMs) || maxWaitMs < 0)) {
    fail('maxWaitMs: a number of milliseconds >= 0')
  }
  return { wait: wait === true, maxWaitMs: (maxWaitMs as number | undefined) ?? Infinity }
}

/**
 * Checks a client's options once (preset applied, every value validated) and returns the one
 * object the rest of the client reads: no later step looks at the raw options again.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` when an option is invalid.
 */
export function buildClientCore (clientOptions: ClientOptions, internals: ClientInternals): ClientCore {
  if (typeof clientOptions !== 'object' || clientOptions === null) invalidOption('options', 'an object')
  const options = applyPreset(clientOptions.provider, clientOptions)
  const { baseUrl, dispatcher, timeout = 10_000, maxRedirections = 0, maxResponseBytes = 16 * 1024 * 1024, userAgent } = options
  if (!isPositiveNumber(timeout)) invalidOption('timeout', 'a positive number of milliseconds')
  if (!Number.isInteger(maxRedirections) || maxRedirections < 0) invalidOption('maxRedirections', 'a whole number >= 0')
  const retries = options.retries ?? 0
  if (!Number.isInteger(retries) || retries < 0) invalidOption('retries', 'a whole number >= 0')
  if (!isPositiveNumber(maxResponseBytes)) invalidOption('maxResponseBytes', 'a positive number of bytes')
  if (userAgent !== undefined && (typeof userAgent !== 'string' || /[\r\n\0]/.test(userAgent))) invalidOption('userAgent', 'a string without CR, LF or NUL')
  if (dispatcher !== undefined && (typeof dispatcher !== 'object' || dispatcher === null || typeof (dispatcher as Dispatcher).request !== 'function')) {
    invalidOption('dispatcher', 'an undici Dispatcher')
  }
  const raw = options as unknown as Record<string, unknown>
  checkBoolean(raw, 'correctClockSkew')
  const maxClockSkew = options.maxClockSkew ?? defaultMaxClockSkew
  if (typeof maxClockSkew !== 'number' || !Number.isFinite(maxClockSkew) || maxClockSkew < 0) invalidOption('maxClockSkew', 'a number of seconds >= 0')
  checkBoolean(raw, 'signMultipartFields')
  const rateLimit = rateLimitOption(options.rateLimit, 'createClient')
  let base: URL | undefined
  const allowed = new Set<string>()
  if (baseUrl !== undefined) {
    base = httpUrlOption('baseUrl', baseUrl)
    if (!base.pathname.endsWith('/')) base.pathname += '/'
    base.search = ''
    base.hash = ''
    allowed.add(base.origin)
  }
  originsOption('origins', options.origins, allowed)
  originsOption('apiOrigins', options.apiOrigins, allowed)
  const signerOptions: Record<string, unknown> = {}
  for (const key of Object.keys(raw)) if (!clientOwnOptionKeys.has(key) && !presetOptionKeys.has(key)) signerOptions[key] = raw[key]
  for (const key of signerOptionNames) if (raw[key] !== undefined) signerOptions[key] = raw[key]
  const signer = createSigner(signerOptions as unknown as SignerOptions)
  return {
    signer,
    dispatcher: dispatcher ?? new Agent({ connect: { timeout }, keepAliveTimeout: 10_000 }),
    ownsDispatcher: dispatcher === undefined,
    base,
    origins: allowed.size === 0 ? undefined : allowed,
    timeout,
    maxRedirections,
    retries,
    maxResponseBytes,
    userAgent,
    correctClockSkew: options.correctClockSkew ?? true,
    maxClockSkew,
    clockOffsets: new OriginClockOffsets(),
    crossOriginRedirects: internals.crossOriginRedirects ?? 'unsigned',
    signMultipartFields: options.signMultipartFields === true,
    consumerSecret: options.consumerSecret,
    rateLimit
  }
}
