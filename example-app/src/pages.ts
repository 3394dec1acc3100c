/** HTML whose interpolated values were escaped by {@link html}. */
export class SafeHtml {
  constructor (readonly value: string) {}
  toString (): string {
    return this.value
  }
}

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (c) => entities[c] as string)
}

function render (value: unknown): string {
  if (value instanceof SafeHtml) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  if (value === undefined || value === null || value === false) return ''
  return escapeHtml(String(value))
}

/** Template tag: every interpolated value is escaped unless it is already {@link SafeHtml}. */
export function html (strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] as string
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] as string)
  return new SafeHtml(out)
}

const style = `
body{font:16px/1.5 system-ui,sans-serif;color:#1d2330;background:#f4f5f8;margin:0}
main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}
.status{display:inline-block;padding:.15rem .6rem;border-radius:99px;font-size:.85rem;font-weight:600}
.on{background:#dcf5e3;color:#14602d}.off{background:#eceef2;color:#4b5263}
.button{display:inline-block;border:0;border-radius:8px;padding:.6rem 1.1rem;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
.primary{background:#2d5be3;color:#fff}.secondary{background:#eceef2;color:#1d2330}.danger{background:#fbe4e4;color:#8c1d1d}
.notice{padding:.75rem 1rem;border-radius:8px;background:#fff4d6;color:#6b4b00;margin:1rem 0}
.demo{padding:.5rem 1rem;border-radius:8px;background:#e8eefc;color:#233d8c;font-size:.9rem}
.info{padding:.75rem 1rem;border-radius:8px;background:#e6f4ea;color:#14602d;margin:1rem 0}
.warning{padding:.75rem 1rem;border-radius:8px;background:#fde8e8;color:#8c1d1d;margin:1rem 0}
.about{color:#4b5263;font-size:.9rem;border-top:1px solid #eceef2;margin-top:2rem;padding-top:1rem}
.kicker{margin:0 0 .25rem;color:#2d5be3;font-size:.8rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase}
code{font-size:.9em;background:#f4f5f8;padding:.05rem .3rem;border-radius:4px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{color:#4b5263}dd{margin:0;word-break:break-all}
form{display:inline}.actions{display:flex;gap:.75rem;margin-top:1.5rem}
`

/** A whole page around `body`. */
export function layout (title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${new SafeHtml(style)}</style></head>
<body><main>${body}</main></body></html>`.value
}

/** What the error notices may name: the host the app must be opened at. */
export interface NoticeContext {
  /** Host (and port) of the configured callback URL, e.g. `127.0.0.1:3000`. */
  callbackHost: string
}

const tryAgain = 'Please try again in a moment.'
const unreachable = `The account provider could not be reached or did not answer in time, so nothing was connected. ${tryAgain}`
const refused = `The account provider refused the request or answered in a way this app does not understand, so nothing was connected. ${tryAgain}`

const errorMessages: Record<string, (context: NoticeContext) => string> = {
  OAUTH1_ACCESS_DENIED: () => 'You cancelled at the provider, so nothing was connected. You can try again whenever you like.',
  OAUTH1_NO_SESSION: ({ callbackHost }) => `Your session was lost on the way back from the provider. Most often this is the host name: open this app at ${callbackHost}, the host of its callback URL (localhost and 127.0.0.1 are different sites to your browser and do not share cookies). Otherwise, this sign-in link was already used (a reload or the Back button after connecting), cookies were blocked, or the link was opened in another browser. Please start again.`,
  OAUTH1_UNKNOWN_TOKEN: () => 'That sign-in link has expired or was already used. Please start again.',
  OAUTH1_MISSING_VERIFIER: () => 'The provider sent you back without a verification code. Please try again.',
  OAUTH1_CALLBACK_PROBLEM: () => 'The provider sent you back with an error instead of an approval (for example an expired or rejected request), so nothing was connected. Please start again.',
  OAUTH1_NETWORK: () => unreachable,
  OAUTH1_TIMEOUT: () => unreachable,
  OAUTH1_PROVIDER_ERROR: () => refused,
  OAUTH1_PROVIDER_BAD_RESPONSE: () => refused,
  OAUTH1_CALLBACK_NOT_CONFIRMED: () => refused,
  OAUTH1_REDIRECT_REFUSED: () => refused,
  OAUTH1_TOKEN_INVALID: () => 'The provider no longer accepts this connection (it expired or was revoked there). Please connect again.',
  OAUTH1_REVOKE_FAILED: () => 'You are disconnected here, but the provider did not confirm that it revoked the access. You can revoke it in your account settings at the provider.',
  OAUTH1_NOT_CONNECTED: () => 'No account is connected yet. Connect one first.',
  OAUTH1_FLOW_IN_PROGRESS: () => 'That sign-in is already being completed in another request (a double click or a reload). Reload this page in a moment.',
  OAUTH1_TOO_MANY_FLOWS: () => 'Too many sign-ins are in progress in this browser. Finish one, or try again in a few minutes.',
  OAUTH1_ABORTED: () => 'The sign-in was interrupted before the provider answered. Please try again.',
  OAUTH1_STORE_UNAVAILABLE: () => 'This app could not reach its session store, so nothing was connected. A sign-in you had already approved is kept for a few minutes: reload its page once the app is back.',
  OAUTH1_BUSY: () => 'Too many people are signing in right now. Please try again in a moment.',
  OAUTH1_FLOW_NOT_BOUND: () => 'That sign-in was started in another browser or session, so it was not completed here and nothing was connected. Please connect again from this browser.',
  OAUTH1_RETURN_TO_TOO_LONG: () => 'The page to come back to after connecting has too long an address. Please connect again from a shorter link.',
  OAUTH1_FLOW_TOO_LARGE: () => refused,
  OAUTH1_CALLBACK_NOT_ALLOWED: ({ callbackHost }) => `This app only connects accounts when it is opened at ${callbackHost}. Please open it there and connect again.`
}

/** Codes that mean "this sign-in link cannot complete": harmless when an account is already connected. */
const staleLinkCodes = new Set(['OAUTH1_UNKNOWN_TOKEN', 'OAUTH1_NO_SESSION', 'OAUTH1_MISSING_VERIFIER', 'OAUTH1_CALLBACK_PROBLEM', 'OAUTH1_FLOW_IN_PROGRESS'])

/** True for a code this app has a specific sentence for (`?oauth1_error=`). */
export function isKnownErrorCode (code: string): boolean {
  return Object.hasOwn(errorMessages, code)
}

/** The friendly sentence for a `?oauth1_error=` code (a generic one for codes it does not know). */
export function errorMessage (code: string, context: NoticeContext = { callbackHost: 'the host of its callback URL' }): string {
  const message = Object.hasOwn(errorMessages, code) ? errorMessages[code] : undefined
  return message === undefined ? 'Connecting your account did not work. Please try again.' : message(context)
}

/**
 * The notice for a `?oauth1_error=` code when an account is already connected: a replayed or
 * stale callback did not disconnect anything, so the page says so instead of "start again".
 */
export function connectedErrorMessage (code: string, context?: NoticeContext): string {
  if (staleLinkCodes.has(code)) return 'You are already connected. That sign-in link was already used or has expired, so it was ignored.'
  if (code === 'OAUTH1_ACCESS_DENIED') return 'You cancelled at the provider. Your existing connection is unchanged.'
  if (code === 'OAUTH1_TOKEN_INVALID' || code === 'OAUTH1_REVOKE_FAILED') return errorMessage(code, context)
  return `Connecting again did not work, and your existing connection is unchanged. ${errorMessage(code, context)}`
}

/** What the provider's resource URL answered, for the home page. */
export type ProfileResult =
  | { ok: true, data: unknown }
  | { ok: false, status: number | undefined }

/** The request's host differs from the callback URL's: the session cookie will not come back. */
export interface HostMismatch {
  /** The host the page was opened at (`localhost:3000`). */
  current: string
  /** The callback URL's host (`127.0.0.1:3000`). */
  expected: string
  /** The app's home at the right host (`http://127.0.0.1:3000/`). */
  url: string
}

/**
 * What "Disconnect" did at the provider: `revoked` (the provider confirmed it), `unconfirmed`
 * (it has a revocation endpoint that did not confirm), `local` (it has none: forgotten here only).
 */
export type DisconnectOutcome = 'revoked' | 'unconfirmed' | 'local'

/** The home page's sentence after a disconnect. */
export function disconnectedMessage (outcome: DisconnectOutcome, provider: string): string {
  if (outcome === 'revoked') return `Disconnected: ${provider} confirmed that this app's access to your account is revoked.`
  if (outcome === 'unconfirmed') return `Disconnected here, but ${provider} did not confirm that this app's access is revoked. To be sure, revoke it in your account settings there.`
  return `Disconnected here. This app cannot revoke its access at ${provider}: revoke it in your account settings there if you want to.`
}

/** What the home page shows. */
export interface HomeView {
  providerName: string
  connected: boolean
  /** From the access-token response (`screen_name`, `user_id`). */
  account?: Record<string, string> | undefined
  profile?: ProfileResult | undefined
  /** The `oauth1_error` code from the query. */
  error?: string | undefined
  /** True when the provider is the embedded demo provider. */
  demo?: boolean | undefined
  /** Host of the configured callback URL, named by the notices. Default: "the host of its callback URL". */
  callbackHost?: string | undefined
  hostMismatch?: HostMismatch | undefined
  /** Just disconnected: what the provider said about the revocation. */
  disconnected?: DisconnectOutcome | undefined
}

function profileFields (data: unknown): Array<[string, string]> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return [['value', JSON.stringify(data)]]
  const fields: Array<[string, string]> = []
  for (const [name, value] of Object.entries(data)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields.push([name, String(value)])
    if (fields.length === 12) break
  }
  return fields
}

function profileBlock (profile: ProfileResult | undefined): SafeHtml {
  if (profile === undefined) return html``
  if (!profile.ok) {
    return html`<p class="notice">The provider did not return your profile${profile.status === undefined ? ' (it could not be reached)' : html` (HTTP ${profile.status})`}. If you revoked access there, disconnect and connect again.</p>`
  }
  return html`<h2>Your profile</h2><dl>${profileFields(profile.data).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>
<p><a href="/me">See it as JSON</a></p>`
}

function noticeBlock (view: HomeView): SafeHtml {
  if (view.disconnected !== undefined && !view.connected) {
    const provider = view.demo === true ? 'the demo provider' : view.providerName
    const message = disconnectedMessage(view.disconnected, provider)
    if (view.disconnected === 'unconfirmed') return html`<p class="notice" role="alert" id="disconnected">${message}</p>`
    return html`<p class="info" role="status" id="disconnected">${message}</p>`
  }
  if (view.error === undefined) return html``
  const context = { callbackHost: view.callbackHost ?? 'the host of its callback URL' }
  if (view.connected) return html`<p class="info" role="status">${connectedErrorMessage(view.error, context)}</p>`
  return html`<p class="notice" role="alert">${errorMessage(view.error, context)}</p>`
}

function hostWarning (mismatch: HostMismatch | undefined): SafeHtml {
  if (mismatch === undefined) return html``
  return html`<div class="warning" role="alert" id="host-warning"><strong>Wrong host name.</strong> You opened this app at <code>${mismatch.current}</code>, but its callback URL is on <code>${mismatch.expected}</code>. Your browser treats them as different sites, so the session cookie set here would not come back from the provider and connecting would fail.
<p><a class="button primary" href="${mismatch.url}">Open ${mismatch.url}</a></p></div>`
}

function aboutBlock (view: HomeView): SafeHtml {
  const library = html`This is the example app of <strong>fastify-oauth1</strong>, a Fastify plugin for OAuth 1.0a (RFC 5849): a "connect your account" demo that signs you in at a provider and then calls its API on your behalf.`
  if (view.demo !== true) {
    return html`<div class="about"><p>${library}</p><p>Its provider is ${view.providerName}, set with the <code>OAUTH_*</code> environment variables.</p></div>`
  }
  return html`<div class="about"><p>${library}</p>
<p>The provider here is the <strong>demo provider</strong>: a fake OAuth 1.0a provider running inside this app, on its own port, with one user who is always signed in. No account or password is needed. It checks signatures, timestamps, nonces and single-use tokens as a real provider does.</p>
<p>To use a real provider (Trello, Flickr, X, ...), set <code>OAUTH_CONSUMER_KEY</code>, <code>OAUTH_CONSUMER_SECRET</code>, <code>OAUTH_REQUEST_TOKEN_URL</code>, <code>OAUTH_AUTHORIZE_URL</code>, <code>OAUTH_ACCESS_TOKEN_URL</code> and <code>OAUTH_RESOURCE_URL</code>, and register this app's callback URL there (see example-app/README.md).</p></div>`
}

/** The home page: what the demo is, connection status, connect/disconnect, and the profile. */
export function homePage (view: HomeView): string {
  const who = view.account?.screen_name ?? view.account?.user_id
  const provider = view.demo === true ? 'the demo provider' : view.providerName
  const body = html`<p class="kicker">fastify-oauth1 · example app</p>
<h1>Connect your ${view.demo === true ? 'demo provider' : view.providerName} account</h1>
${hostWarning(view.hostMismatch)}
${noticeBlock(view)}
${view.connected
  ? html`<p><span class="status on">Connected</span>${who === undefined ? '' : html` as <strong>${who}</strong>`}</p>
${profileBlock(view.profile)}
<div class="actions"><form method="post" action="/disconnect"><button class="button danger" type="submit">Disconnect</button></form></div>`
  : html`<p><span class="status off">Not connected</span></p>
<p>This app asks ${provider} for permission to read your profile, using OAuth 1.0a. You will be sent there to approve, then back here.</p>
<div class="actions"><a class="button primary" href="/oauth/start">Connect your account</a></div>`}
${aboutBlock(view)}`
  return layout(view.connected ? 'Connected — fastify-oauth1 example' : 'Connect your account — fastify-oauth1 example', body)
}

/** The page for a session store outage (HTTP 503): nothing can be signed in or read until it is back. */
export function storeUnavailablePage (): string {
  return layout('Temporarily unavailable', html`<h1>Temporarily unavailable</h1>
<p class="notice" role="alert">This app cannot reach its session store right now, so it cannot remember who you are, and no sign-in can start or finish. Please try again in a minute.</p>
<p><span class="status off">HTTP 503 · OAUTH1_STORE_UNAVAILABLE</span></p><div class="actions"><a class="button secondary" href="/">Try again</a></div>`)
}

/** A page for errors the app cannot redirect away from. */
export function errorPage (status: number, message: string): string {
  const title = status === 404 ? 'Page not found' : 'Something went wrong'
  return layout(title, html`<h1>${title}</h1><p class="notice">${message}</p>
<p><span class="status off">HTTP ${status}</span></p><div class="actions"><a class="button secondary" href="/">Back to the start</a></div>`)
}

const demoBanner = html`<p class="demo"><strong>Demo provider.</strong> This is a local stand-in for a real OAuth 1.0a provider (Twitter/X, Trello, Flickr, ...), embedded in the example app. There is no real account and no password.</p>`

/** What the demo provider's authorize page shows. */
export interface AuthorizeView {
  token: string
  user: { screen_name: string, name: string }
  /** Where the user goes back to (its origin is shown). */
  callback: string
}

/** The demo provider's approve/deny page for a request token. */
export function authorizePage (view: AuthorizeView): string {
  let target = view.callback
  try {
    target = new URL(view.callback).origin
  } catch {}
  return layout('Authorize access — demo provider', html`${demoBanner}
<h1>Authorize access</h1>
<p>Signed in as <strong>${view.user.name}</strong> (@${view.user.screen_name}).</p>
<p>An application at <strong>${target}</strong> wants to read your profile. Allow it?</p>
<div class="actions">
<form method="post" action="/oauth/authorize"><input type="hidden" name="oauth_token" value="${view.token}"><input type="hidden" name="decision" value="approve"><button class="button primary" type="submit">Approve</button></form>
<form method="post" action="/oauth/authorize"><input type="hidden" name="oauth_token" value="${view.token}"><input type="hidden" name="decision" value="deny"><button class="button secondary" type="submit">Deny</button></form>
</div>`)
}

/** A demo provider page with a message (unknown token, out-of-band verifier), and a link back to the app when known. */
export function demoMessagePage (title: string, message: string, options: { code?: string | undefined, backUrl?: string | undefined } = {}): string {
  return layout(`${title} — demo provider`, html`${demoBanner}<h1>${title}</h1><p>${message}</p>${options.code === undefined ? '' : html`<p><code>${options.code}</code></p>`}
${options.backUrl === undefined ? '' : html`<div class="actions"><a class="button primary" href="${options.backUrl}">Back to the application</a></div>`}`)
}
