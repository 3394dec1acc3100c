/**
 * The example app in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) goes through every page a user can meet: the home page (what the demo is),
 * the provider's authorize page, connected with the profile, a replayed callback, the provider's
 * "Link expired" page and its way back, disconnect, a denial, the app opened at the wrong host
 * name (warning, then the "session lost" notice), and /oauth/start with the provider down. Each
 * notice is shown once: its `?oauth1_error=` leaves the address bar, so a reload does not repeat it.
 * The home page is looked at 390 px wide too: the card keeps a margin from the screen's edges.
 *
 * The app runs as `npm start` does, with its defaults: the app on 127.0.0.1, the demo provider on
 * localhost, two different sites. So the provider's redirect back to /oauth/callback is a
 * cross-site navigation, and the SameSite=Lax flow cookie has to come back with it for real.
 *
 * Needs /usr/bin/chromium (or CHROMIUM_PATH): without it this test fails, it does not skip.
 * Writes a screenshot of each page to test-artifacts/ (git-ignored); the images in docs/ come from
 * example-app/scripts/screenshots.ts --docs.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import type { Page } from 'playwright-core'
import t from 'tap'
import { launchChromium } from './helpers/chromium.js'
import { type ExampleApp, freePort, repoRoot, startDemoExampleApp, startExampleAppOnFreePorts } from './helpers/example-app.js'

const artifacts = `${repoRoot}test-artifacts/`
const stepTimeout = 15_000

async function homeStatus (page: Page): Promise<string> {
  return (await page.locator('.status').first().textContent({ timeout: stepTimeout }))?.trim() ?? ''
}

t.test('every page of the example app, in Chromium', async (t) => {
  const browser = await launchChromium(t)
  if (browser === undefined) return

  const app: ExampleApp = await startDemoExampleApp(t)
  const origin = app.origin
  const diagnostics = (): string => `\n--- example app output ---\n${app.output()}`

  const context = await browser.newContext({ viewport: { width: 900, height: 800 } })
  context.setDefaultTimeout(stepTimeout)
  context.setDefaultNavigationTimeout(stepTimeout)
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) problems.push(message.text())
  })

  mkdirSync(artifacts, { recursive: true })
  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true })
    t.ok(existsSync(`${artifacts}${name}.png`), `screenshot test-artifacts/${name}.png`)
  }
  const callbacks: string[] = []
  const homeQueries: string[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname === '/oauth/callback') callbacks.push(request.url())
    if (url.pathname === '/' && request.isNavigationRequest()) homeQueries.push(url.search)
  })
  /** The `oauth1_error` the home page was last opened with (it leaves the address bar once shown). */
  const lastError = (): string | null => new URLSearchParams(homeQueries.at(-1) ?? '').get('oauth1_error')
  const text = async (selector: string): Promise<string> => (await page.locator(selector).first().textContent())?.replace(/\s+/g, ' ').trim() ?? ''

  try {
    // Not connected yet: the page says what it is.
    await page.goto(`${origin}/`)
    t.equal(await homeStatus(page), 'Not connected', 'the home page starts not connected')
    const about = await text('.about')
    t.match(about, 'This is the example app of fastify-oauth1', 'it says it is the fastify-oauth1 example')
    t.match(about, 'a fake OAuth 1.0a provider running inside this app', 'and what the demo provider is')
    t.match(about, 'No account or password is needed')
    t.match(about, 'OAUTH_CONSUMER_KEY', 'and how to use a real provider')
    t.equal(await page.locator('#host-warning').count(), 0, 'no host warning at the callback URL\'s host')
    await shot('home')
    await page.setViewportSize({ width: 390, height: 844 })
    const card = await page.locator('main').boundingBox()
    t.ok(card !== null && card.x >= 8 && card.x + card.width <= 390 - 8, `at 390 px the card keeps a margin from the edges (${JSON.stringify(card)})`)
    await shot('home-390')
    await page.setViewportSize({ width: 900, height: 800 })

    // Connect: to the demo provider, on another site.
    await page.getByRole('link', { name: 'Connect your account' }).click()
    await page.waitForURL((url) => url.pathname === '/oauth/authorize')
    const providerUrl = new URL(page.url())
    t.equal(providerUrl.hostname, 'localhost', 'the demo provider is on localhost (by default)')
    t.not(providerUrl.origin, origin, 'another site than the app (127.0.0.1)')
    const banner = await page.locator('.demo').textContent()
    t.match(banner, /Demo provider\./, 'the provider page says it is a demo')
    t.match(banner, /local stand-in for a real OAuth 1\.0a provider/, 'a local stand-in, no real account')
    t.match(await page.locator('main').textContent(), `An application at ${origin} wants to read your profile`, 'it names the app')
    await shot('authorize')

    // Approve: a cross-site redirect back to the callback, then home.
    const cookies = await context.cookies()
    const flowCookie = cookies.find((cookie) => cookie.name.startsWith('oauth1-oauth1-') && cookie.name !== 'oauth1-oauth1-flows')
    t.equal(flowCookie?.sameSite, 'Lax', 'the started sign-in waits in its flow cookie, SameSite=Lax')
    t.equal(flowCookie?.httpOnly, true, 'and HttpOnly')
    t.equal(flowCookie?.path, '/oauth/callback', 'sent only to the callback')
    t.notOk(cookies.some((cookie) => cookie.name === 'sid'), 'no server session before connecting')
    await page.getByRole('button', { name: 'Approve' }).click()
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
    t.equal(page.url(), `${origin}/`, `back home without an error${page.url() === `${origin}/` ? '' : diagnostics()}`)
    t.equal(await homeStatus(page), 'Connected', 'connected: the Lax cookie came back with the cross-site redirect')
    t.equal(await page.locator('.status + strong').textContent(), 'demo_user', 'as the screen name from the provider')
    const profile = await page.locator('dl').textContent()
    t.match(profile, /screen_name\s*demo_user/, 'the profile shows the screen name')
    t.match(profile, /name\s*Dana Demo/, 'and the name')
    t.equal(await page.getByRole('alert').count(), 0, 'no notice after a good sign-in')
    await shot('connected')

    // The JSON view of the same profile.
    const me = await page.goto(`${origin}/me`)
    t.equal(me?.status(), 200, 'GET /me answers 200')
    t.same(await me?.json(), { id: '1001', screen_name: 'demo_user', name: 'Dana Demo' }, '/me is the profile JSON')

    // The callback again (back button, reload): still connected, and the page says so.
    t.equal(callbacks.length, 1, 'one callback so far')
    await page.goto(callbacks[0] as string)
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
    t.match(lastError(), /^OAUTH1_/, 'the replay is refused')
    t.equal(page.url(), `${origin}/`, 'the code left the address bar once shown')
    t.equal(await homeStatus(page), 'Connected', 'and the user is still connected')
    t.equal(await text('.info'), 'You are already connected. That sign-in link was already used or has expired, so it was ignored.', 'a notice that makes sense above "Connected"')
    t.notMatch(await text('main'), /start again/i, 'no "start again" while connected')
    await shot('replayed-callback')

    // The used authorize link at the provider: "Link expired", with a way back.
    await page.goto(providerUrl.href)
    t.equal(await text('h1'), 'Link expired', 'the provider says the link expired')
    await shot('link-expired')
    await page.getByRole('link', { name: 'Back to the application' }).click()
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
    t.equal(await homeStatus(page), 'Connected', 'the link leads back to the app')

    // Disconnect.
    await page.getByRole('button', { name: 'Disconnect' }).click()
    await page.waitForURL(`${origin}/`)
    await page.getByRole('link', { name: 'Connect your account' }).waitFor()
    t.equal(await homeStatus(page), 'Not connected', 'disconnected')
    t.match(await text('#disconnected'), /^Disconnected: the demo provider confirmed/, 'revoked at the demo provider, and said so')

    // Connect again and deny.
    await page.getByRole('link', { name: 'Connect your account' }).click()
    await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/oauth/authorize')
    t.match(await page.locator('.demo').textContent(), /Demo provider\./, 'the demo provider again')
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
    const refusal = lastError()
    t.equal(refusal, 'OAUTH1_ACCESS_DENIED', `back home with the refusal${refusal === 'OAUTH1_ACCESS_DENIED' ? '' : diagnostics()}`)
    t.equal(await homeStatus(page), 'Not connected', 'still not connected')
    t.equal(await text('#notice'), 'You cancelled at the provider, so nothing was connected. You can try again whenever you like.', 'the friendly message')
    t.equal(await page.locator('#notice').getAttribute('class'), 'notice cancelled', 'the user\'s own cancel, not an error')
    t.equal(await page.getByRole('alert').count(), 0, 'not an alert')
    t.equal(page.url(), `${origin}/`, 'the code left the address bar')
    await shot('denied')
    await page.reload()
    t.equal(await page.locator('#notice').count(), 0, 'a reload does not show the notice again')
    t.equal(await homeStatus(page), 'Not connected')

    // The app opened at localhost instead of 127.0.0.1: warned before starting, with the right link.
    const port = new URL(origin).port
    await context.clearCookies()
    await page.goto(`http://localhost:${port}/`)
    const warning = await text('#host-warning')
    t.match(warning, `You opened this app at localhost:${port}, but its callback URL is on 127.0.0.1:${port}`, 'the host name is named')
    await shot('host-mismatch')
    await page.getByRole('link', { name: `Open ${origin}/` }).click()
    await page.waitForURL(`${origin}/`)
    t.equal(await page.locator('#host-warning').count(), 0, 'the link leads to the right host, without the warning')

    // Starting from localhost anyway: the callback comes back to 127.0.0.1 without the session.
    await page.goto(`http://localhost:${port}/`)
    await page.getByRole('link', { name: 'Connect your account' }).click()
    await page.waitForURL((url) => url.pathname === '/oauth/authorize')
    await page.getByRole('button', { name: 'Approve' }).click()
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
    t.equal(lastError(), 'OAUTH1_NO_SESSION', 'the session did not come back')
    t.equal(await text('#notice > p'), 'Your session was lost on the way back from the provider, so nothing was connected. Please start again.',
      'the notice says so plainly')
    t.equal(await page.locator('#notice').getAttribute('class'), 'notice error', 'an error')
    t.notMatch(await text('main'), /host name|open this app at/i, 'back at the callback URL\'s host: no host-name advice')
    t.notOk(await page.locator('#notice details').getAttribute('open'), 'its details folded away')
    await shot('session-lost')
  } catch (error) {
    // A step that timed out: say where the browser was and what the app logged.
    t.fail(`${(error as Error).message}\n(browser at ${page.url()})${diagnostics()}`)
    return
  }
  t.same(problems, [], 'no script errors on the pages, nothing refused by the Content-Security-Policy')

  // The provider down: /oauth/start lands on the home page's friendly notice, not a raw page.
  const deadProvider = `http://127.0.0.1:${await freePort()}`
  const offline: ExampleApp = await startExampleAppOnFreePorts({
    HOST: '127.0.0.1',
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'warn',
    PROVIDER_NAME: 'Example',
    OAUTH_CONSUMER_KEY: 'key',
    OAUTH_CONSUMER_SECRET: 'secret',
    OAUTH_REQUEST_TOKEN_URL: `${deadProvider}/oauth/request_token`,
    OAUTH_AUTHORIZE_URL: `${deadProvider}/oauth/authorize`,
    OAUTH_ACCESS_TOKEN_URL: `${deadProvider}/oauth/access_token`,
    OAUTH_RESOURCE_URL: `${deadProvider}/api/me`
  }, ['PORT'])
  t.teardown(() => offline.close())
  try {
    await page.goto(`${offline.origin}/`)
    await page.getByRole('link', { name: 'Connect your account' }).click()
    await page.waitForURL((url) => url.origin === offline.origin && url.pathname === '/')
    t.equal(homeQueries.at(-1), '?oauth1_error=OAUTH1_NETWORK', 'back home with the code only')
    t.equal(page.url(), `${offline.origin}/`, 'which then left the address bar')
    t.equal(await homeStatus(page), 'Not connected')
    t.equal(await text('[role=alert] > p'),
      'The account provider could not be reached or did not answer in time, so nothing was connected. Please try again in a moment.', 'the friendly notice')
    t.notMatch(await text('main'), /ECONNREFUSED|127\.0\.0\.1:\d+\/oauth/, 'no details of the failure')
    await shot('start-error')
  } catch (error) {
    t.fail(`${(error as Error).message}\n(browser at ${page.url()})\n--- app output ---\n${offline.output()}`)
  }
})
