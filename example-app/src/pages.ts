import { createHash } from 'node:crypto'

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
body{font:16px/1.5 system-ui,sans-serif;color:#1d2330;background:#f4f5f8;margin:0;padding:0 1rem}
main{max-width:34rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px #0002}
@media (max-width:30rem){body{padding:0 .75rem}main{margin:.75rem auto;padding:1.25rem}}
h1{font-size:1.4rem;line-height:1.3;margin-top:0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
a{color:#2d5be3;font-weight:600;text-decoration-thickness:1px;text-underline-offset:.2em}a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid #2d5be366;outline-offset:2px}
.status{display:inline-block;padding:.15rem .6rem;border-radius:99px;font-size:.85rem;font-weight:600}
.on{background:#dcf5e3;color:#14602d}.off{background:#eceef2;color:#4b5263}
.button{display:inline-block;border:0;border-radius:8px;padding:.6rem 1.1rem;font:inherit;font-weight:600;cursor:pointer;text-decoration:none}
.primary{background:#2d5be3;color:#fff}.secondary{background:#eceef2;color:#1d2330}.danger{background:#fbe4e4;color:#8c1d1d}
.notice{padding:.75rem 1rem;border-radius:8px;margin:1rem 0;border:1px solid}.notice>p{margin:0}.notice>p+p{margin-top:.75rem}
.error{background:#fdeded;color:#8c1d1d;border-color:#f5c6c6}
.cancelled{background:#eef1f6;color:#3b4558;border-color:#d8dde7}
.info{background:#e6f4ea;color:#14602d;border-color:#bfe3cb}
.warning{background:#fff4d6;color:#6b4b00;border-color:#f3dc9b}
.notice a:not(.button){color:inherit}
details{margin-top:.5rem;font-size:.9rem}summary{cursor:pointer;font-weight:600;width:max-content}details p{margin:.4rem 0 0}
.demo{padding:.5rem 1rem;border-radius:8px;background:#e8eefc;color:#233d8c;font-size:.9rem}
.about{color:#4b5263;font-size:.9rem;border-top:1px solid #eceef2;margin-top:2rem;padding-top:1rem}
.kicker{margin:0 0 .25rem;color:#2d5be3;font-size:.8rem;font-weight:600;letter-spacing:.04em;text-transform:uppercase}
.more{font-size:.9rem}
code{font-size:.9em;background:#f4f5f8;padding:.05rem .3rem;border-radius:4px;overflow-wrap:anywhere}.notice code{background:#ffffff99}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{color:#4b5263}dd{margin:0;word-break:break-all}
form{display:inline}.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}
`

/**
 * The one script of the pages: after a `?oauth1_error=` notice is shown, it takes the query out of
 * the address bar, so a reload or a bookmark does not show the notice again. Without JavaScript
 * the notice shows all the same; only the query stays. Allowed by its hash ({@link scriptHashSource}).
 */
export const clearQueryScript = 'history.replaceState(null,"",location.pathname+location.hash)'

/** The Content-Security-Policy source that allows {@link clearQueryScript} and no other script. */
export const scriptHashSource = `'sha256-${createHash('sha256').update(clearQueryScript).digest('base64')}'`

/** A whole page around `body`; `clearQuery` adds {@link clearQueryScript}. */
export function layout (title: string, body: SafeHtml, options: { clearQuery?: boolean } = {}): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${new SafeHtml(style)}</style></head>
<body><main>${body}</main>${options.clearQuery === true ? html`<script>${new SafeHtml(clearQueryScript)}</script>` : ''}</body></html>`.value
}

/** The request's host differs from the callback URL's: the session cookie will not come back. */
export interface HostMismatch {
  /** The host the page was opened at (`localhost:3000`). */
  current: string
  /** The callback URL's host (`127.0.0.1:3000`). */
  expected: string
  /** The app's home at the right host (`http://127.0.0.1:3000/`). */
  url: string
}

/** What the error notices may take into account: whether the page is open at the callback URL's host. */
export interface NoticeContext {
  /** Set when the request's host is not the callback URL's: only then do notices give host-name advice. */
  hostMismatch?: HostMismatch | undefined
}

/**
 * How a notice looks: `error` (red) for a failure, `cancelled` (blue-grey) for the user's own
 * cancel, `info` (green) for a confirmation, `warning` (amber) for something to check.
 */
export type NoticeTone = 'error' | 'cancelled' | 'info' | 'warning'

/** A notice: one or two plain sentences, and optional details folded away in `<details>`. */
export interface Notice {
  tone: NoticeTone
  message: string
  details?: string | undefined
}

type NoticeText = Omit<Notice, 'tone'>

const tryAgain = 'Please try again in a moment.'
const unreachable: NoticeText = { message: `The account provider could not be reached or did not answer in time, so nothing was connected. ${tryAgain}` }
const refused: NoticeText = {
  message: `The account provider refused the request, so nothing was connected. ${tryAgain}`,
  details: 'It refused, or answered in a way this app does not understand. If this keeps happening, the app\'s provider settings may be wrong.'
}

function sessionLost ({ hostMismatch }: NoticeContext): NoticeText {
  const lost = 'Your session was lost on the way back from the provider, so nothing was connected.'
  return {
    message: hostMismatch === undefined
      ? `${lost} Please start again.`
      : `${lost} This is most likely the host name: open this app at ${hostMismatch.expected}, not ${hostMismatch.current}, and start again.`,
    details: 'This happens when the sign-in link was already used (a reload, or the Back button after connecting), ' +
      'when cookies are blocked for this site, or when the link was opened in another browser.'
  }
}

const errorTexts: Record<string, (context: NoticeContext) => NoticeText> = {
  OAUTH1_ACCESS_DENIED: () => ({ message: 'You cancelled at the provider, so nothing was connected. You can try again whenever you like.' }),
  OAUTH1_NO_SESSION: sessionLost,
  OAUTH1_UNKNOWN_TOKEN: () => ({ message: 'That sign-in link has expired or was already used. Please start again.' }),
  OAUTH1_MISSING_VERIFIER: () => ({ message: 'The provider sent you back without a verification code. Please try again.' }),
  OAUTH1_CALLBACK_PROBLEM: () => ({
    message: 'The provider sent you back with an error instead of an approval, so nothing was connected. Please start again.',
    details: 'For example, the request expired or was rejected there.'
  }),
  OAUTH1_NETWORK: () => unreachable,
  OAUTH1_TIMEOUT: () => unreachable,
  OAUTH1_PROVIDER_ERROR: () => refused,
  OAUTH1_PROVIDER_BAD_RESPONSE: () => refused,
  OAUTH1_CALLBACK_NOT_CONFIRMED: () => refused,
  OAUTH1_REDIRECT_REFUSED: () => refused,
  OAUTH1_TOKEN_INVALID: () => ({ message: 'The provider no longer accepts this connection (it expired or was revoked there). Please connect again.' }),
  OAUTH1_REVOKE_FAILED: () => ({
    message: 'You are disconnected here, but the provider did not confirm that it revoked the access. ' +
      'You can revoke it in your account settings at the provider.'
  }),
  OAUTH1_NOT_CONNECTED: () => ({ message: 'No account is connected yet. Connect one first.' }),
  OAUTH1_FLOW_IN_PROGRESS: () => ({
    message: 'That sign-in is already being completed in another request. Reload this page in a moment.',
    details: 'This happens after a double click or a reload.'
  }),
  OAUTH1_TOO_MANY_FLOWS: () => ({ message: 'Too many sign-ins are in progress in this browser. Finish one, or try again in a few minutes.' }),
  OAUTH1_ABORTED: () => ({ message: 'The sign-in was interrupted before the provider answered. Please try again.' }),
  OAUTH1_STORE_UNAVAILABLE: () => ({
    message: 'This app could not reach its session store, so nothing was connected. Please try again in a minute.',
    details: 'A sign-in you had already approved is kept for a few minutes: reload its page once the app is back.'
  }),
  OAUTH1_BUSY: () => ({ message: 'Too many people are signing in right now. Please try again in a moment.' }),
  OAUTH1_FLOW_NOT_BOUND: () => ({
    message: 'That sign-in was started in another browser or session, so nothing was connected. Please connect again from this browser.',
    details: 'A sign-in completes only in the browser that started it, so a link someone else sent you cannot connect their account here.'
  }),
  OAUTH1_RETURN_TO_TOO_LONG: () => ({ message: 'The page to come back to after connecting has too long an address. Please connect again from a shorter link.' }),
  OAUTH1_FLOW_TOO_LARGE: () => refused,
  OAUTH1_CALLBACK_NOT_ALLOWED: ({ hostMismatch }) => ({
    message: hostMismatch === undefined
      ? 'This app connects accounts only when it is opened at its own address. Please open it there and connect again.'
      : `This app connects accounts only when it is opened at ${hostMismatch.expected}. Please open it there and connect again.`
  })
}

const genericText: NoticeText = { message: 'Connecting your account did not work. Please try again.' }

/** Codes that mean "this sign-in link cannot complete": harmless when an account is already connected. */
const staleLinkCodes = new Set(['OAUTH1_UNKNOWN_TOKEN', 'OAUTH1_NO_SESSION', 'OAUTH1_MISSING_VERIFIER', 'OAUTH1_CALLBACK_PROBLEM', 'OAUTH1_FLOW_IN_PROGRESS'])

/** True for a code this app has a specific sentence for (`?oauth1_error=`). */
export function isKnownErrorCode (code: string): boolean {
  return Object.hasOwn(errorTexts, code)
}

/** The notice for a `?oauth1_error=` code when no account is connected (a generic one for codes it does not know). */
export function errorNotice (code: string, context: NoticeContext = {}): Notice {
  const text = Object.hasOwn(errorTexts, code) ? errorTexts[code] : undefined
  return { tone: code === 'OAUTH1_ACCESS_DENIED' ? 'cancelled' : 'error', ...(text === undefined ? genericText : text(context)) }
}

/**
 * The notice for a `?oauth1_error=` code when an account is already connected: a replayed or
 * stale callback did not disconnect anything, so the page says so instead of "start again".
 */
export function connectedErrorNotice (code: string, context: NoticeContext = {}): Notice {
  if (staleLinkCodes.has(code)) {
    return { tone: 'info', message: 'You are already connected. That sign-in link was already used or has expired, so it was ignored.' }
  }
  if (code === 'OAUTH1_ACCESS_DENIED') return { tone: 'cancelled', message: 'You cancelled at the provider. Your existing connection is unchanged.' }
  const notice = errorNotice(code, context)
  if (code === 'OAUTH1_TOKEN_INVALID' || code === 'OAUTH1_REVOKE_FAILED') return { ...notice, tone: 'warning' }
  return {
    tone: 'warning',
    message: 'Connecting again did not work, and your existing connection is unchanged.',
    details: notice.details === undefined ? notice.message : `${notice.message} ${notice.details}`
  }
}

/** The sentence(s) of {@link errorNotice}, without the folded details. */
export function errorMessage (code: string, context?: NoticeContext): string {
  return errorNotice(code, context).message
}

/** The sentence(s) of {@link connectedErrorNotice}, without the folded details. */
export function connectedErrorMessage (code: string, context?: NoticeContext): string {
  return connectedErrorNotice(code, context).message
}

/** What the provider's resource URL answered, for the home page. */
export type ProfileResult =
  | { ok: true, data: unknown }
  | { ok: false, status: number | undefined }

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
    return html`<p class="notice warning">The provider did not return your profile${profile.status === undefined ? ' (it could not be reached)' : html` (HTTP ${profile.status})`}. If you revoked access there, disconnect and connect again.</p>`
  }
  return html`<h2>Your profile</h2><dl>${profileFields(profile.data).map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>
<p class="more"><a href="/me">See it as JSON</a></p>`
}

/**
 * A notice for a `?oauth1_error=` code: its sentences, then its details and the code folded away
 * (the code only when it is one of ours, never text from the URL). An alert only for an error
 * while nothing is connected; a status otherwise.
 */
function errorNoticeBlock (notice: Notice, code: string, connected: boolean): SafeHtml {
  const role = !connected && notice.tone === 'error' ? 'alert' : 'status'
  const known = isKnownErrorCode(code) && code !== 'OAUTH1_ACCESS_DENIED'
  const folded = notice.details !== undefined || (known && notice.tone !== 'info')
  const details = notice.details === undefined ? '' : html`<p>${notice.details}</p>`
  const codeLine = known ? html`<p>Error code: <code>${code}</code></p>` : ''
  return html`<div class="notice ${notice.tone}" role="${role}" id="notice"><p>${notice.message}</p>${folded
    ? html`<details><summary>Details</summary>${details}${codeLine}</details>`
    : ''}</div>`
}

function noticeBlock (view: HomeView): SafeHtml {
  if (view.disconnected !== undefined && !view.connected) {
    const provider = view.demo === true ? 'the demo provider' : view.providerName
    const message = disconnectedMessage(view.disconnected, provider)
    if (view.disconnected === 'unconfirmed') return html`<p class="notice warning" role="alert" id="disconnected">${message}</p>`
    return html`<p class="notice info" role="status" id="disconnected">${message}</p>`
  }
  if (view.error === undefined) return html``
  const context = { hostMismatch: view.hostMismatch }
  const notice = view.connected ? connectedErrorNotice(view.error, context) : errorNotice(view.error, context)
  return errorNoticeBlock(notice, view.error, view.connected)
}

function hostWarning (mismatch: HostMismatch | undefined): SafeHtml {
  if (mismatch === undefined) return html``
  return html`<div class="notice warning" role="alert" id="host-warning"><p><strong>Wrong host name.</strong> You opened this app at <code>${mismatch.current}</code>, but its callback URL is on <code>${mismatch.expected}</code>. Your browser treats them as different sites, so the session cookie set here would not come back from the provider and connecting would fail.</p>
<p><a class="button primary" href="${mismatch.url}">Open ${mismatch.url}</a></p></div>`
}

/** For developers: what this app is and how to configure it. Only on the plain home page (not connected, no notice). */
function aboutBlock (view: HomeView): SafeHtml {
  const library = html`This is the example app of <strong>fastify-oauth1</strong>, a Fastify plugin for OAuth 1.0a (RFC 5849): a "connect your account" demo that signs you in at a provider and then calls its API on your behalf.`
  if (view.demo !== true) {
    return html`<div class="about"><p>${library}</p><p>Its provider is ${view.providerName}, set with the <code>OAUTH_*</code> environment variables.</p></div>`
  }
  return html`<div class="about"><p>${library}</p>
<p>The provider here is the <strong>demo provider</strong>: a fake OAuth 1.0a provider running inside this app, on its own port, with one user who is always signed in. No account or password is needed. It checks signatures, timestamps, nonces and single-use tokens as a real provider does.</p>
<p>To use a real provider (Trello, Flickr, X, ...), set <code>OAUTH_CONSUMER_KEY</code>, <code>OAUTH_CONSUMER_SECRET</code>, <code>OAUTH_REQUEST_TOKEN_URL</code>, <code>OAUTH_AUTHORIZE_URL</code>, <code>OAUTH_ACCESS_TOKEN_URL</code> and <code>OAUTH_RESOURCE_URL</code>, and register this app's callback URL there (see example-app/README.md).</p></div>`
}

/**
 * The home page: connection status, connect/disconnect, the profile, and a notice after a
 * sign-in or a disconnect (first, before any host-name warning). The developer footer (what the
 * demo is, the environment variables) only on the plain page: not connected, no notice.
 */
export function homePage (view: HomeView): string {
  const who = view.account?.screen_name ?? view.account?.user_id
  const provider = view.demo === true ? 'the demo provider' : view.providerName
  const account = view.demo === true ? 'demo provider' : view.providerName
  const notice = noticeBlock(view)
  const plain = !view.connected && notice.value === ''
  const body = html`<p class="kicker">fastify-oauth1 · example app</p>
<h1>${view.connected ? `Your ${account} account` : `Connect your ${account} account`}</h1>
${notice}
${hostWarning(view.hostMismatch)}
${view.connected
  ? html`<p><span class="status on">Connected</span>${who === undefined ? '' : html` as <strong>${who}</strong>`}</p>
${profileBlock(view.profile)}
<div class="actions"><form method="post" action="/disconnect"><button class="button danger" type="submit">Disconnect</button></form></div>`
  : html`<p><span class="status off">Not connected</span></p>
<p>This app asks ${provider} for permission to read your profile, using OAuth 1.0a. You will be sent there to approve, then back here.</p>
<div class="actions"><a class="button primary" href="/oauth/start">Connect your account</a></div>`}
${plain ? aboutBlock(view) : ''}`
  const title = view.connected ? 'Connected — fastify-oauth1 example' : 'Connect your account — fastify-oauth1 example'
  return layout(title, body, { clearQuery: view.error !== undefined })
}

/** The page for a session store outage (HTTP 503): nothing can be signed in or read until it is back. */
export function storeUnavailablePage (): string {
  return layout('Temporarily unavailable', html`<h1>Temporarily unavailable</h1>
<p class="notice error" role="alert">This app cannot reach its session store right now, so it cannot remember who you are, and no sign-in can start or finish. Please try again in a minute.</p>
<p><span class="status off">HTTP 503 · OAUTH1_STORE_UNAVAILABLE</span></p><div class="actions"><a class="button secondary" href="/">Try again</a></div>`)
}

/** A page for errors the app cannot redirect away from. */
export function errorPage (status: number, message: string): string {
  const title = status === 404 ? 'Page not found' : 'Something went wrong'
  return layout(title, html`<h1>${title}</h1><p class="notice error">${message}</p>
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
