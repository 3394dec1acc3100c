/**
 * The options of the framework adapters (the Fastify plugin, the Express middleware), declared
 * once: the interface and the list of keys, which fails to compile when they disagree.
 *
 * @packageDocumentation
 */
import type { OAuth1Error } from '../errors.js'
import type { PresetFields } from '../presets/presets.js'
import { providerClientOptionKeys, type ProviderClientOptions } from '../provider/provider-client.js'
import type { CredentialsChange, OAuth1Credentials } from './credentials.js'
import type { FlowStore } from './state/store.js'

/** Where started flows wait for their callback: see the README's "Flow state". */
export type FlowStateOption = 'cookie' | 'session' | FlowStore

/**
 * The options every framework adapter (the Fastify plugin, the Express middleware) takes; `Req`
 * and `Res` are the framework's request and response. Resolved once, when the adapter is created,
 * by `resolveOptions`; unknown keys are refused.
 */
export interface AdapterOptions<Req, Res> extends Omit<ProviderClientOptions, 'authorizeParams'>, PresetFields {
  /**
   * Names the request decoration (`request[name]`), the session key and the flow cookies.
   * Default `'oauth1'`. Use one per provider, with distinct names.
   */
  name?: string | undefined
  /**
   * Absolute callback URL registered at the provider (`oauth_callback`, RFC 5849 §2.1), or a
   * function of the request (several domains, preview deployments; then set `callbackPath`
   * if its path is not `/oauth/callback`, and `callbackOrigins`).
   */
  callbackUrl: string | ((request: Req) => string)
  /**
   * The origins (`https://app.example.com`, no path) a start's callback URL may be on: what a
   * `callbackUrl` function returns and a `begin(..., { callbackUrl })` override are checked, and
   * any other origin is `OAUTH1_CALLBACK_NOT_ALLOWED` (400) before any provider call. A URL built
   * from the request's `Host` or `X-Forwarded-Host` is attacker-chosen without it: a provider that
   * accepts any `oauth_callback` would send the verifier there. Required when `callbackUrl` is a
   * function; default for a string `callbackUrl`: its own origin.
   */
  callbackOrigins?: string[] | undefined
  /** Extra authorize parameters (RFC 5849 §2.2): fixed, or per request. `begin()` may add more. */
  authorizeParams?: Record<string, string> | ((request: Req) => Record<string, string> | undefined) | undefined
  /**
   * Where started flows wait: `'cookie'` (default; one encrypted cookie per flow, needs
   * `secret` or `flowSecret`), `'session'` (the session middleware's session), or a {@link FlowStore} of your own.
   */
  flowState?: FlowStateOption | undefined
  /**
   * The one secret of the plugin (32+ random characters, e.g. `openssl rand -base64 32`), or a
   * list for rotation, newest first (the first encrypts, all decrypt). The flow cookies' key and the stored
   * credentials' key are derived from it with HKDF-SHA256 (RFC 5869) under distinct labels, so
   * with `secret` the credentials in the session are sealed too. `flowSecret` and
   * `credentialsSecret` override it for one use each.
   */
  secret?: string | string[] | undefined
  /**
   * Optional secret(s) of the cookie store alone, 32+ characters each; overrides `secret` for
   * the flow cookies (default: `secret`). The first encrypts, all decrypt (rotation).
   */
  flowSecret?: string | string[] | undefined
  /**
   * Optional secret(s) sealing the credentials kept in the session alone, overriding `secret`
   * for them (AES-256-GCM, keys by HKDF-SHA256):
   * the session then holds `{ sealed }`, never the token secret in clear. 32+ characters each;
   * the first encrypts, all decrypt: rotate by putting a new secret first and dropping the old
   * one when the sessions it sealed have expired. Values that do not open (tampered, a dropped
   * key) and clear credentials read as "not connected". Not used with `saveCredentials`.
   * Default: `secret`, when given.
   */
  credentialsSecret?: string | string[] | undefined
  /**
   * Request-token calls the start route makes at once in this process; beyond it a start is
   * answered `OAUTH1_BUSY` (503, `Retry-After`) without calling the provider. Default 100.
   */
  maxConcurrentStarts?: number | undefined
  /** Route that starts the flow; default `/oauth/start` (`/oauth/<name>/start` for other names); `false` for none. */
  startPath?: string | false | undefined
  /** Route the provider redirects back to; default the path of `callbackUrl` (`/oauth/callback` when it is a function). */
  callbackPath?: string | undefined
  /** Where to go after connecting (when no return path was given). Default `/`. */
  successRedirect?: string | undefined
  /**
   * Where to send the user when a start or callback fails in a way they can retry (denial,
   * unknown or expired token, lost flow state, too many flows, provider unreachable), with
   * `?oauth1_error=<code>`. Unset: the error goes to the framework's error handler.
   */
  failureRedirect?: string | undefined
  /** Query parameter of the start route holding a same-site return path. Default `returnTo`. */
  returnToParam?: string | undefined
  /** Milliseconds a started flow may take. Default 10 minutes. */
  pendingTtl?: number | undefined
  /** Flows one browser may have open at once (tabs); at the limit a new start is refused (429). Default 5. */
  maxPending?: number | undefined
  /**
   * Keeps the credentials somewhere else than the session (a database). Called after a
   * successful callback; when given, `loadCredentials` is required and nothing goes in the session.
   * With these hooks no session at all is needed. For a renewed token the third argument names
   * the credentials it replaces: write only while the database still holds those (a conditional
   * update), so a renewal finishing after a disconnect does not reconnect the user. The adapter
   * has already re-read them with `loadCredentials` just before.
   */
  saveCredentials?: ((request: Req, credentials: OAuth1Credentials, change: CredentialsChange) => Promise<void>) | undefined
  /** Loads the current user's credentials; called at most once per request. */
  loadCredentials?: ((request: Req) => Promise<OAuth1Credentials | null | undefined>) | undefined
  /** Forgets the current user's credentials (called by `request[name].disconnect()`). */
  deleteCredentials?: ((request: Req) => Promise<void>) | undefined
  /**
   * Called after a successful callback, before the redirect to the success target. Send a
   * response from it to replace that redirect. A session that cannot be saved is
   * `OAUTH1_STORE_UNAVAILABLE` (503) for the error handler all the same: with Fastify the session
   * is saved as the hook's reply is sent, and the 503 replaces that reply (a warn line says so);
   * Express saves the credentials before calling the hook, which then is not called, and a
   * failure to save what the hook itself changed, once its answer is out, is a
   * `FastifyOAuth1Warning` from `errorHandler`.
   */
  onConnect?: ((request: Req, reply: Res, credentials: OAuth1Credentials) => Promise<void> | void) | undefined
  /**
   * Called when the start or the callback fails (denial, unknown or expired token, lost flow
   * state, provider failure), before the failure redirect or the error handler. Send a
   * response from it to replace them.
   */
  onFailure?: ((request: Req, reply: Res, error: OAuth1Error) => Promise<void> | void) | undefined
  /**
   * Called when the provider refuses the user's token on a `request[name]` call (`token_expired`
   * that could not be renewed, `token_revoked`, `token_rejected`, X's code 89), before the call
   * rejects with that `OAUTH1_TOKEN_INVALID` (401): drop the credentials
   * (`request[name].disconnect()`) and ask the user to connect again.
   */
  onTokenInvalid?: ((request: Req, error: OAuth1Error) => Promise<void> | void) | undefined
}

/** The options of any adapter, for checks that do not need the framework's types. */
export type AnyOptions = AdapterOptions<unknown, unknown>
/** The option keys the adapters read; the rest go to the provider client, which knows its own (`providerClientOptionKeys`). */
const adapterKeys = [
  'name', 'callbackUrl', 'callbackOrigins', 'authorizeParams', 'flowState', 'secret', 'flowSecret', 'credentialsSecret', 'maxConcurrentStarts',
  'startPath', 'callbackPath', 'successRedirect',
  'failureRedirect', 'returnToParam', 'pendingTtl', 'maxPending', 'saveCredentials', 'loadCredentials',
  'deleteCredentials', 'onConnect', 'onFailure', 'onTokenInvalid'
] as const satisfies ReadonlyArray<keyof AnyOptions>
type UnlistedKey = Exclude<keyof AnyOptions, typeof adapterKeys[number] | keyof ProviderClientOptions | keyof PresetFields>
// Fails to compile when an option is added to the interface but not to the list above.
const everyKeyListed: [UnlistedKey] extends [never] ? true : UnlistedKey = true
/** Every option key an adapter accepts: its own and the provider client's (client, signer and preset keys). */
export const adapterOptionKeys: ReadonlySet<string> = new Set([...(everyKeyListed ? adapterKeys : []), ...providerClientOptionKeys])
