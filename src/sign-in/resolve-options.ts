import { ErrorCodes, invalidOption, OAuth1Error } from '../errors.js'
import { type AdapterOptions, adapterOptionKeys, type AnyOptions } from './options.js'
import { rejectUnknownOptions } from '../options.js'
import { applyPreset, type PresetFacts, presetFacts, presets } from '../presets/presets.js'
import { sunsetWarning } from '../presets/sunsets.js'
import { clientOwnOptionKeys, type ClientOptions } from '../http/client.js'
import { isCredentials } from './connect.js'
import {
  checkProviderClientOptions, type EndpointOptionKey, providerClientOptionKeys, type ProviderClientOptions, providerClientOwnOptionKeys
} from '../provider/provider-client.js'
import { createCookieFlowStore } from './state/cookie-store.js'
import { createSealer, type Sealer, secretList } from './state/seal.js'
import { createSessionFlowStore } from './state/session-store.js'
import type { FlowLimits, FlowStore } from './state/store.js'
import type { SignerOptions } from '../signer/signer.js'

export type { AdapterOptions, FlowStateOption } from './options.js'
export { adapterOptionKeys } from './options.js'

/** The client's own options: transport, origins, limits (`dispatcher`, `timeout`, `baseUrl`, ...). */
export type HttpOptions = Omit<ClientOptions, keyof SignerOptions | 'provider'>
/** The consumer's signing options: `consumerKey`, `consumerSecret`, `signatureMethod`, `privateKey`, `realm`, ... */
export type ConsumerOptions = Pick<ProviderClientOptions, keyof SignerOptions>
/** The provider's endpoints and how the token calls are made (`requestTokenUrl`, `tokenMethod`, ...). */
export type EndpointOptions = Pick<ProviderClientOptions, EndpointOptionKey>

/** The routes an adapter answers and where they send the browser. */
export interface RoutesConfig<Req> {
  readonly startPath: string | false
  readonly callbackPath: string
  /** The option the callback path came from, for messages about it. */
  readonly callbackPathOption: 'callbackPath' | 'callbackUrl'
  readonly callbackUrl: string | ((request: Req) => string)
  /** The origins a start's callback URL may be on (a string `callbackUrl`'s own is added); `undefined`: only that one. */
  readonly callbackOrigins: readonly string[] | undefined
  /** The callback URL when it is fixed (its protocol decides the cookies' `Secure`). */
  readonly staticCallback: URL | undefined
  /** Per-request authorize parameters; fixed ones are in `endpoints.authorizeParams`. */
  readonly authorizeParams: ((request: Req) => Record<string, string> | undefined) | undefined
  readonly successRedirect: string
  readonly failureRedirect: string | undefined
  readonly returnToParam: string
}

/** Where started flows wait and how many may wait. */
export interface FlowStateConfig {
  readonly kind: 'cookie' | 'session' | 'custom'
  readonly store: FlowStore
  readonly limits: Readonly<FlowLimits>
  readonly maxConcurrentStarts: number
}

/** Where the user's credentials live: the session under `sessionKey` (sealed with `sealer`), or the hooks. */
export interface CredentialsConfig<Req> {
  readonly sessionKey: string
  readonly sealer: Sealer | undefined
  readonly save: AdapterOptions<Req, unknown>['saveCredentials']
  readonly load: AdapterOptions<Req, unknown>['loadCredentials']
  readonly delete: AdapterOptions<Req, unknown>['deleteCredentials']
  /** True when the credentials go in the session (no `saveCredentials`). */
  readonly inSession: boolean
}

/** The app's hooks on the routes and on the request client. */
export interface HooksConfig<Req, Res> {
  readonly onConnect: AdapterOptions<Req, Res>['onConnect']
  readonly onFailure: AdapterOptions<Req, Res>['onFailure']
  readonly onTokenInvalid: AdapterOptions<Req, Res>['onTokenInvalid']
}

/**
 * An adapter's options resolved once: checked, defaulted, the provider preset applied, and
 * grouped by concern. Frozen; the layers below read this, never the raw options.
 */
export interface OAuth1Config<Req, Res> {
  readonly name: string
  readonly consumer: Readonly<ConsumerOptions>
  readonly endpoints: Readonly<EndpointOptions>
  readonly http: Readonly<HttpOptions>
  /** What the preset (named or spread) says about the provider: denial styles, user fields. */
  readonly provider: Readonly<PresetFacts>
  readonly routes: RoutesConfig<Req>
  readonly flowState: FlowStateConfig
  readonly credentials: CredentialsConfig<Req>
  readonly hooks: HooksConfig<Req, Res>
  /** True when the flow store or the credentials need a session. */
  readonly needsSession: boolean
  /** What to tell the operator once, at registration: a provider that retired OAuth 1.0a or retires within 60 days. */
  readonly warnings: readonly string[]
}

/** What an adapter can offer, and what to tell its users when something is missing. */
export interface AdapterEnvironment {
  /** Whether requests carry a session: known at creation (Fastify), or `undefined` when checked per request (Express). */
  hasSession: boolean | undefined
  /** Why the cookie store cannot work here (a missing cookie plugin), or `undefined` when it can. */
  cookiesMissing?: string | undefined
  /** What `flowState: 'session'` needs, for the error when no session is there. */
  sessionNeeded: string
  /** Which session plugin is missing and where it goes, for the error when credentials need a session and there is none. */
  sessionMissing: string
}

/** The coded error for credentials that need a session where there is none: names the missing plugin, not an option. */
export function noSessionForCredentials (sessionMissing: string): OAuth1Error {
  return new OAuth1Error(ErrorCodes.INVALID_OPTION,
    `${sessionMissing} or pass saveCredentials/loadCredentials to keep the credentials elsewhere (a database)`)
}

const namePattern = /^[A-Za-z_$][\w$]*$/

function checkPath (name: string, value: unknown): void {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) {
    invalidOption(name, 'a path on this site, starting with a single "/"')
  }
}

function checkPositive (name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) invalidOption(name, 'a positive number')
}

function checkCallbackUrl (value: unknown): URL | undefined {
  if (typeof value === 'function') return undefined
  let callback: URL
  try {
    callback = new URL(value as string)
  } catch {
    invalidOption('callbackUrl', 'an absolute URL, e.g. https://app.example.com/oauth/callback, or a function of the request')
  }
  if (callback.protocol !== 'https:' && callback.protocol !== 'http:') invalidOption('callbackUrl', 'an http(s) URL')
  return callback
}

function checkCallbackOrigins (value: unknown, required: boolean): void {
  const expected = 'a list of origins such as ["https://app.example.com"] (scheme, host and port, no path)'
  if (value === undefined) {
    if (required) invalidOption('callbackOrigins', `${expected}: a callbackUrl function needs it, so a forged Host cannot choose where the verifier goes`)
    return
  }
  if (!Array.isArray(value) || value.length === 0) invalidOption('callbackOrigins', expected)
  for (const origin of value as unknown[]) {
    let url: URL | undefined
    try {
      url = new URL(origin as string)
    } catch {}
    if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== String(origin).replace(/\/$/, '')) {
      invalidOption('callbackOrigins', expected)
    }
  }
}

/** Validates an adapter's options (unknown keys refused); returns the static callback URL, if any. */
function checkAdapterOptions (options: AnyOptions): URL | undefined {
  if (typeof options !== 'object' || options === null) invalidOption('options', 'an object')
  rejectUnknownOptions(options, adapterOptionKeys, 'fastify-oauth1')
  if (options.name !== undefined && (typeof options.name !== 'string' || !namePattern.test(options.name))) {
    invalidOption('name', 'an identifier such as "twitter"')
  }
  const callback = checkCallbackUrl(options.callbackUrl)
  checkCallbackOrigins(options.callbackOrigins, callback === undefined)
  if (options.startPath !== undefined && options.startPath !== false) checkPath('startPath', options.startPath)
  if (options.callbackPath !== undefined) checkPath('callbackPath', options.callbackPath)
  if (options.successRedirect !== undefined) checkPath('successRedirect', options.successRedirect)
  if (options.failureRedirect !== undefined) checkPath('failureRedirect', options.failureRedirect)
  if (options.returnToParam !== undefined && typeof options.returnToParam !== 'string') invalidOption('returnToParam', 'a string')
  if (options.pendingTtl !== undefined) checkPositive('pendingTtl', options.pendingTtl)
  for (const key of ['maxPending', 'maxConcurrentStarts'] as const) {
    if (options[key] === undefined) continue
    checkPositive(key, options[key])
    if (!Number.isInteger(options[key])) invalidOption(key, 'a whole number')
  }
  for (const hook of ['saveCredentials', 'loadCredentials', 'deleteCredentials', 'onConnect', 'onFailure', 'onTokenInvalid'] as const) {
    if (options[hook] !== undefined && typeof options[hook] !== 'function') invalidOption(hook, 'an async function')
  }
  if (options.saveCredentials !== undefined && options.loadCredentials === undefined) {
    invalidOption('loadCredentials', 'a function when saveCredentials is given (credentials are not kept in the session then)')
  }
  const state = options.flowState
  if (state !== undefined && state !== 'cookie' && state !== 'session' &&
    (typeof state !== 'object' || state === null || typeof state.put !== 'function' || typeof state.take !== 'function' || typeof state.count !== 'function')) {
    invalidOption('flowState', "'cookie', 'session' or a FlowStore ({ count, put, take })")
  }
  return callback
}

/** The provider options with the preset applied once, split into consumer, endpoints and http. */
function resolveProvider (options: AnyOptions): Pick<OAuth1Config<unknown, unknown>, 'consumer' | 'endpoints' | 'http'> {
  const own: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) {
    if (providerClientOptionKeys.has(key) && !(key === 'authorizeParams' && typeof value === 'function')) own[key] = value
  }
  const merged = applyPreset(options.provider, own as Partial<ProviderClientOptions>)
  delete merged.provider
  checkProviderClientOptions(merged)
  const groups: Record<'consumer' | 'endpoints' | 'http', Record<string, unknown>> = { consumer: {}, endpoints: {}, http: {} }
  for (const [key, value] of Object.entries(merged)) {
    const group = providerClientOwnOptionKeys.has(key) ? groups.endpoints : clientOwnOptionKeys.has(key) ? groups.http : groups.consumer
    group[key] = value
  }
  return {
    consumer: Object.freeze(groups.consumer as ConsumerOptions),
    endpoints: Object.freeze(groups.endpoints as EndpointOptions),
    http: Object.freeze(groups.http as HttpOptions)
  }
}

function resolveFlowState (options: AnyOptions, env: AdapterEnvironment, name: string, callbackPath: string, staticCallback: URL | undefined): FlowStateConfig {
  const limits = Object.freeze({ ttl: options.pendingTtl ?? 10 * 60_000, max: options.maxPending ?? 5 })
  const stateOption = options.flowState ?? 'cookie'
  let store: FlowStore
  if (stateOption === 'cookie') {
    // Checked under the name the user gave: the cookie store itself only knows `secrets`.
    const secrets = options.flowSecret === undefined ? options.secret : secretList(options.flowSecret, 'flowSecret')
    if (secrets === undefined) {
      invalidOption('secret', 'a secret of at least 32 random characters for the encrypted flow cookies (openssl rand -base64 32), or "flowSecret" for ' +
        "them alone, or flowState: 'session'")
    }
    if (env.cookiesMissing !== undefined) invalidOption('flowState', env.cookiesMissing)
    store = createCookieFlowStore({
      secrets,
      prefix: `oauth1-${name}-`,
      callbackPath,
      secure: staticCallback === undefined ? 'auto' : staticCallback.protocol === 'https:',
      ...limits
    })
  } else if (stateOption === 'session') {
    if (env.hasSession === false) invalidOption('flowState', env.sessionNeeded)
    store = createSessionFlowStore({ key: `oauth1:${name}`, ...limits }, isCredentials)
  } else {
    store = stateOption
  }
  const kind = typeof stateOption === 'string' ? stateOption : 'custom'
  return Object.freeze({ kind, store, limits, maxConcurrentStarts: options.maxConcurrentStarts ?? 100 })
}

/** The credentials' sealer: from `credentialsSecret`, else from `secret` (its own HKDF label), else none. */
function credentialsSealer (options: AnyOptions): Sealer | undefined {
  if (options.credentialsSecret !== undefined) return createSealer(options.credentialsSecret, 'credentialsSecret', 'fastify-oauth1 credentials v1')
  return options.secret === undefined ? undefined : createSealer(options.secret, 'secret', 'fastify-oauth1 credentials v1')
}

/** The registration warnings of a provider: its retirement from OAuth 1.0a, when near or past. */
function registrationWarnings (provider: Readonly<PresetFacts>): string[] {
  if (provider.id === undefined) return []
  const label = Object.hasOwn(presets, provider.id) ? presets[provider.id as keyof typeof presets].label : provider.id
  const warning = sunsetWarning(provider.id, label)
  return warning === undefined ? [] : [warning]
}

/**
 * Resolves an adapter's options once, at its creation: checks every option (unknown keys
 * refused with the closest valid name), applies the provider preset once, builds the flow store
 * and the credentials sealer, and returns the frozen {@link OAuth1Config} the adapter and the
 * route core read. The hooks stay functions of the framework's request.
 *
 * @throws {OAuth1Error} `OAUTH1_INVALID_OPTION` for an invalid or unknown option, or a missing
 *   plugin the options need (naming the plugin).
 */
export function resolveOptions<Req, Res> (options: AdapterOptions<Req, Res>, env: AdapterEnvironment): OAuth1Config<Req, Res> {
  const raw = options as AnyOptions
  const staticCallback = checkAdapterOptions(raw)
  if (options.secret !== undefined) secretList(options.secret, 'secret')
  const name = options.name ?? 'oauth1'
  const provider = Object.freeze(presetFacts(raw))
  const { consumer, endpoints, http } = resolveProvider(raw)
  const callbackPath = options.callbackPath ?? staticCallback?.pathname ?? '/oauth/callback'
  const flowState = resolveFlowState(raw, env, name, callbackPath, staticCallback)
  const inSession = options.saveCredentials === undefined
  if (env.hasSession === false && inSession) throw noSessionForCredentials(env.sessionMissing)
  const authorizeParams = options.authorizeParams
  return Object.freeze({
    name,
    consumer,
    endpoints,
    http,
    provider,
    routes: Object.freeze({
      startPath: options.startPath ?? (name === 'oauth1' ? '/oauth/start' : `/oauth/${name}/start`),
      callbackPath,
      callbackPathOption: options.callbackPath !== undefined ? 'callbackPath' : 'callbackUrl',
      callbackUrl: options.callbackUrl,
      callbackOrigins: options.callbackOrigins === undefined
        ? undefined
        : Object.freeze(staticCallback === undefined ? [...options.callbackOrigins] : [staticCallback.origin, ...options.callbackOrigins]),
      staticCallback,
      authorizeParams: typeof authorizeParams === 'function' ? authorizeParams : undefined,
      successRedirect: options.successRedirect ?? '/',
      failureRedirect: options.failureRedirect,
      returnToParam: options.returnToParam ?? 'returnTo'
    }),
    flowState,
    credentials: Object.freeze({
      sessionKey: `oauth1:${name}`,
      sealer: credentialsSealer(raw),
      save: options.saveCredentials,
      load: options.loadCredentials,
      delete: options.deleteCredentials,
      inSession
    }),
    hooks: Object.freeze({ onConnect: options.onConnect, onFailure: options.onFailure, onTokenInvalid: options.onTokenInvalid }),
    needsSession: flowState.kind === 'session' || inSession,
    warnings: Object.freeze(registrationWarnings(provider))
  } satisfies OAuth1Config<Req, Res>)
}
