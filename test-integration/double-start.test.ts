/**
 * Starting twice in a real browser that has never signed in (no binding cookie yet), against
 * the example app as `npm start` runs it, in headless Chromium (Debian's `chromium`, driven by
 * playwright-core). Each start is held 200 ms before it reaches the app, so the two overlap.
 *
 * - A double click on the connect link: Chromium makes one navigation of a link clicked again
 *   while it is loading, so the sign-in connects.
 * - Two tabs opening /oauth/start at the same instant: both starts set a new binding cookie and
 *   the later one wins (docs/flow-state.md), so one tab connects and the other ends with the
 *   coded `OAUTH1_FLOW_NOT_BOUND` notice on the home page: a clear error, no crash, and the
 *   connection made in the other tab is kept.
 *
 * Needs /usr/bin/chromium (or CHROMIUM_PATH): without it this test fails, it does not skip.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core'
import t from 'tap'
import { launchChromium } from './helpers/chromium.js'
import { type ExampleApp, startDemoExampleApp } from './helpers/example-app.js'

const stepTimeout = 15_000

/** A fresh browser profile whose requests to /oauth/start wait 200 ms; counts the ones that reach the app. */
async function slowStarts (browser: Browser): Promise<{ context: BrowserContext, served: () => number }> {
  const context = await browser.newContext()
  context.setDefaultTimeout(stepTimeout)
  let served = 0
  await context.route('**/oauth/start*', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 200))
    await route.continue().then(() => { served++ }, () => {})
  })
  return { context, served: () => served }
}

/** Approves on the demo provider's page; resolves with the home page's query once back. */
async function approve (page: Page, origin: string): Promise<string> {
  const homeQueries: string[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.origin === origin && url.pathname === '/' && request.isNavigationRequest()) homeQueries.push(url.search)
  })
  await page.waitForURL((url) => url.pathname === '/oauth/authorize')
  await page.getByRole('button', { name: 'Approve' }).click()
  await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
  return homeQueries[0] ?? ''
}

const status = async (page: Page): Promise<string> => (await page.locator('.status').first().textContent())?.trim() ?? ''

t.test('starting twice in a browser that never signed in, in Chromium', async (t) => {
  const browser = await launchChromium(t)
  if (browser === undefined) return
  const app: ExampleApp = await startDemoExampleApp(t)
  const origin = app.origin

  t.test('a double click on the connect link connects', async (t) => {
    for (const gap of [0, 50, 150]) {
      const { context, served } = await slowStarts(browser)
      const page = await context.newPage()
      await page.goto(`${origin}/`)
      t.equal(await status(page), 'Not connected', `gap ${gap} ms: a new browser, not connected`)
      const box = await page.getByRole('link', { name: 'Connect your account' }).boundingBox()
      if (box === null) throw new Error('the connect link is not visible')
      await page.mouse.click(box.x + 5, box.y + 5)
      await new Promise((resolve) => setTimeout(resolve, gap))
      await page.mouse.click(box.x + 5, box.y + 5).catch(() => {})
      const query = await approve(page, origin)
      t.equal(query, '', `gap ${gap} ms: back home without an error`)
      t.equal(await status(page), 'Connected', `gap ${gap} ms: connected`)
      t.equal(served(), 1, `gap ${gap} ms: one start reached the app (the second click joined the navigation in progress)`)
      await context.close()
    }
  })

  t.test('two tabs starting at the same instant: one connects, the other gets a coded notice', async (t) => {
    const { context, served } = await slowStarts(browser)
    const pages = [await context.newPage(), await context.newPage()]
    await Promise.all(pages.map(async (page) => page.goto(`${origin}/oauth/start`)))
    t.equal(served(), 2, 'both starts reached the app')
    const first = await approve(pages[0] as Page, origin)
    const second = await approve(pages[1] as Page, origin)
    const queries = [first, second]
    t.equal(queries.filter((query) => query === '').length, 1, `one tab connects (${JSON.stringify(queries)})`)
    t.equal(queries.filter((query) => query === '?oauth1_error=OAUTH1_FLOW_NOT_BOUND').length, 1,
      'the other is told its sign-in was started elsewhere, with a code')
    const last = pages[1] as Page
    await last.reload()
    t.equal(await status(last), 'Connected', 'the connection made in the other tab is kept')
    const output = app.output()
    t.match(output, /"level":30[^\n]*OAUTH1_FLOW_NOT_BOUND/, 'the refusal is logged at info, with its code')
    t.notMatch(output, /"level":(50|60)/, 'nothing was logged as an error or a crash')
    await context.close()
  })
})
