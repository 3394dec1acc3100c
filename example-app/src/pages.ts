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

const errorMessages: Record<string, string> = {
  OAUTH1_ACCESS_DENIED: 'You cancelled at the provider, so nothing was connected. You can try again whenever you like.',
  OAUTH1_NO_SESSION: 'Your session was lost on the way back from the provider (cookies blocked, or the link opened in another browser). Please try again.',
  OAUTH1_UNKNOWN_TOKEN: 'That sign-in link has expired or was already used. Please start again.',
  OAUTH1_MISSING_VERIFIER: 'The provider sent you back without a verification code. Please try again.',
  OAUTH1_FLOW_IN_PROGRESS: 'That sign-in is already being completed in another request. Reload this page in a moment.',
  OAUTH1_TOO_MANY_FLOWS: 'Too many sign-ins are in progress in this browser. Finish one, or try again in a few minutes.',
  OAUTH1_PROVIDER_ERROR: 'The account provider could not be reached or refused the request. Please try again in a moment.',
  OAUTH1_NETWORK: 'The account provider could not be reached or refused the request. Please try again in a moment.',
  OAUTH1_TIMEOUT: 'The account provider could not be reached or refused the request. Please try again in a moment.'
}

/** The friendly sentence for a `?oauth1_error=` code. */
export function errorMessage (code: string): string {
  return errorMessages[code] ?? 'Connecting your account did not work. Please try again.'
}

/** What the provider's resource URL answered, for the home page. */
export type ProfileResult =
  | { ok: true, data: unknown }
  | { ok: false, status: number | undefined }

/** What the home page shows. */
export interface HomeView {
  providerName: string
  connected: boolean
  /** From the access-token response (`screen_name`, `user_id`). */
  account?: Record<string, string> | undefined
  profile?: ProfileResult | undefined
  /** The `oauth1_error` code from the query. */
  error?: string | undefined
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

/** The home page: connection status, connect/disconnect, and the profile. */
export function homePage (view: HomeView): string {
  const who = view.account?.screen_name ?? view.account?.user_id
  const body = html`<h1>Connect your ${view.providerName} account</h1>
${view.error === undefined ? '' : html`<p class="notice" role="alert">${errorMessage(view.error)}</p>`}
${view.connected
  ? html`<p><span class="status on">Connected</span>${who === undefined ? '' : html` as <strong>${who}</strong>`}</p>
${profileBlock(view.profile)}
<div class="actions"><form method="post" action="/disconnect"><button class="button danger" type="submit">Disconnect</button></form></div>`
  : html`<p><span class="status off">Not connected</span></p>
<p>This app asks ${view.providerName} for permission to read your profile, using OAuth 1.0a. You will be sent there to approve, then back here.</p>
<div class="actions"><a class="button primary" href="/oauth/start">Connect your account</a></div>`}`
  return layout(view.connected ? 'Connected' : 'Connect your account', body)
}

/** A page for errors the app cannot redirect away from. */
export function errorPage (status: number, message: string): string {
  return layout('Something went wrong', html`<h1>Something went wrong</h1><p class="notice">${message}</p>
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

/** A demo provider page with a message (unknown token, out-of-band verifier). */
export function demoMessagePage (title: string, message: string, code?: string): string {
  return layout(`${title} — demo provider`, html`${demoBanner}<h1>${title}</h1><p>${message}</p>${code === undefined ? '' : html`<p><code>${code}</code></p>`}`)
}
