/**
 * The example app in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) connects an account at the embedded demo provider, sees the profile,
 * disconnects, then connects again and denies.
 *
 * The app runs as `npm start` does, with its defaults: the app on 127.0.0.1, the demo provider on
 * localhost, two different sites. So the provider's redirect back to /oauth/callback is a
 * cross-site navigation, and the SameSite=Lax flow cookie has to come back with it for real.
 *
 * Needs /usr/bin/chromium (or CHROMIUM_PATH): without it this test fails, it does not skip.
 * Writes test-artifacts/connected.png (git-ignored).
 */
import { existsSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import { type ExampleApp, repoRoot, startExampleAppOnFreePorts } from './helpers/example-app.js'

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const installHint = 'install Debian\'s chromium: apt-get update && apt-get install -y chromium'
const artifacts = `${repoRoot}test-artifacts/`
const stepTimeout = 15_000

async function homeStatus (page: Page): Promise<string> {
  return (await page.locator('.status').first().textContent({ timeout: stepTimeout }))?.trim() ?? ''
}

t.test('connect, see the profile, disconnect, connect again and deny, in Chromium', async (t) => {
  if (!existsSync(executablePath)) {
    t.fail(`Chromium not found at ${executablePath}: the browser test needs it; ${installHint} (or set CHROMIUM_PATH)`)
    return
  }

  const app: ExampleApp = await startExampleAppOnFreePorts({
    HOST: '127.0.0.1',
    SESSION_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: 'info'
  }, ['PORT', 'DEMO_PROVIDER_PORT'])
  t.teardown(() => app.close())
  const origin = app.origin
  const diagnostics = (): string => `\n--- example app output ---\n${app.output()}`

  let browser: Browser
  try {
    browser = await chromium.launch({
      executablePath,
      timeout: 30_000,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-quic']
    })
  } catch (error) {
    t.fail(`Chromium at ${executablePath} did not start (${(error as Error).message.split('\n')[0]}); ${installHint}`)
    return
  }
  t.teardown(() => browser.close().catch(() => {}))
  const context = await browser.newContext({ viewport: { width: 900, height: 800 } })
  context.setDefaultTimeout(stepTimeout)
  context.setDefaultNavigationTimeout(stepTimeout)
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (error) => problems.push(error.message))

  try {
    // Not connected yet.
    await page.goto(`${origin}/`)
    t.equal(await homeStatus(page), 'Not connected', 'the home page starts not connected')

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

    mkdirSync(artifacts, { recursive: true })
    await page.screenshot({ path: `${artifacts}connected.png`, fullPage: true })
    t.ok(existsSync(`${artifacts}connected.png`), 'screenshot saved to test-artifacts/connected.png')

    // The JSON view of the same profile.
    const me = await page.goto(`${origin}/me`)
    t.equal(me?.status(), 200, 'GET /me answers 200')
    t.same(await me?.json(), { id: '1001', screen_name: 'demo_user', name: 'Dana Demo' }, '/me is the profile JSON')
    await page.goto(`${origin}/`)

    // Disconnect.
    await page.getByRole('button', { name: 'Disconnect' }).click()
    await page.waitForURL(`${origin}/`)
    await page.getByRole('link', { name: 'Connect your account' }).waitFor()
    t.equal(await homeStatus(page), 'Not connected', 'disconnected')

    // Connect again and deny.
    await page.getByRole('link', { name: 'Connect your account' }).click()
    await page.waitForURL((url) => url.hostname === 'localhost' && url.pathname === '/oauth/authorize')
    t.match(await page.locator('.demo').textContent(), /Demo provider\./, 'the demo provider again')
    await page.getByRole('button', { name: 'Deny' }).click()
    await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
    const refusal = new URL(page.url()).searchParams.get('oauth1_error')
    t.equal(refusal, 'OAUTH1_ACCESS_DENIED', `back home with the refusal${refusal === 'OAUTH1_ACCESS_DENIED' ? '' : diagnostics()}`)
    t.equal(await homeStatus(page), 'Not connected', 'still not connected')
    t.equal((await page.getByRole('alert').textContent())?.trim(),
      'You cancelled at the provider, so nothing was connected. You can try again whenever you like.', 'the friendly message')
  } catch (error) {
    // A step that timed out: say where the browser was and what the app logged.
    t.fail(`${(error as Error).message}\n(browser at ${page.url()})${diagnostics()}`)
    return
  }
  t.same(problems, [], 'no script errors on the pages')
})
