/**
 * Screenshots of the example app's pages in headless Chromium, at 1280 and 390 px wide: the home
 * page, the demo provider's authorize page, connected, each kind of notice, and the app opened at
 * the wrong host name. For looking at the pages after a change, and for the images in docs/.
 *
 *   npx tsx example-app/scripts/screenshots.ts [out-dir]   # default test-artifacts/pages/
 *   npx tsx example-app/scripts/screenshots.ts --docs      # also rewrites docs/connected.png, docs/notice-error.png, docs/mobile.png
 *
 * Runs the app and the demo provider in this process, as `npm start` does (app on 127.0.0.1,
 * provider on localhost). Needs Debian's chromium (or CHROMIUM_PATH).
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type Page } from 'playwright-core'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { startDemoProvider } from '../src/demo-provider.js'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const args = process.argv.slice(2)
const docs = args.includes('--docs')
const out = args.find((arg) => !arg.startsWith('--')) ?? `${repoRoot}test-artifacts/pages/`
const widths = [1280, 390] as const

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject).listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** Whole pages; `crop` (for docs/) ends the image as far below the card as the card is from the top. */
async function shot (page: Page, name: string, width: number, crop = false): Promise<string> {
  const path = `${out.endsWith('/') ? out : `${out}/`}${name}-${width}${crop ? '-cropped' : ''}.png`
  const card = crop ? await page.locator('main').boundingBox() : null
  const clip = card === null ? undefined : { x: 0, y: 0, width, height: Math.ceil(card.y * 2 + card.height) }
  await page.screenshot({ path, fullPage: true, ...(clip === undefined ? {} : { clip }) })
  process.stdout.write(`${path}\n`)
  return path
}

async function pagesAt (browser: Browser, origin: string, width: number, crop = false): Promise<Record<string, string>> {
  const port = new URL(origin).port
  const context = await browser.newContext({ viewport: { width, height: width < 500 ? 844 : 800 } })
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  const taken: Record<string, string> = {}
  await page.goto(`${origin}/`)
  taken.home = await shot(page, 'home', width, crop)
  await page.getByRole('link', { name: 'Connect your account' }).click()
  await page.waitForURL((url) => url.pathname === '/oauth/authorize')
  taken.authorize = await shot(page, 'authorize', width, crop)
  await page.getByRole('button', { name: 'Approve' }).click()
  await page.waitForURL((url) => url.origin === origin && url.pathname === '/')
  taken.connected = await shot(page, 'connected', width, crop)
  await page.getByRole('button', { name: 'Disconnect' }).click()
  await page.waitForURL(`${origin}/`)
  taken.disconnected = await shot(page, 'disconnected', width, crop)

  const notices: Array<[string, string, string?]> = [
    ['notice-cancel', '/?oauth1_error=OAUTH1_ACCESS_DENIED'],
    ['notice-expired', '/?oauth1_error=OAUTH1_UNKNOWN_TOKEN'],
    ['notice-error', '/?oauth1_error=OAUTH1_NETWORK'],
    ['notice-provider-refused', '/?oauth1_error=OAUTH1_PROVIDER_ERROR'],
    ['notice-session-lost', '/?oauth1_error=OAUTH1_NO_SESSION'],
    ['host-mismatch', '/', `http://localhost:${port}`],
    ['host-mismatch-session-lost', '/?oauth1_error=OAUTH1_NO_SESSION', `http://localhost:${port}`]
  ]
  for (const [name, path, at] of notices) {
    await page.goto(`${at ?? origin}${path}`)
    taken[name] = await shot(page, name, width, crop)
  }
  await page.goto(`${origin}/?oauth1_error=OAUTH1_NETWORK`)
  const details = page.locator('details')
  if (await details.count() > 0) {
    await details.first().locator('summary').click()
    taken['notice-error-details'] = await shot(page, 'notice-error-details', width, crop)
  }
  await context.close()
  return taken
}

async function main (): Promise<void> {
  mkdirSync(out, { recursive: true })
  const [port, demoPort] = [await freePort(), await freePort()]
  const config = loadConfig({ HOST: '127.0.0.1', PORT: String(port), SESSION_SECRET: randomBytes(32).toString('base64url'), LOG_LEVEL: 'silent' })
  const demo = await startDemoProvider({ host: 'localhost', port: demoPort, appUrl: `${config.publicUrl}/` })
  const app = await buildApp({ ...config, provider: demo.provider, providerName: 'demo' }, { demo: true })
  await app.listen({ host: config.host, port: config.port })
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  try {
    for (const width of widths) await pagesAt(browser, config.publicUrl, width)
    if (docs) {
      const wide = await pagesAt(browser, config.publicUrl, 900, true)
      const narrow = await pagesAt(browser, config.publicUrl, 390, true)
      copyFileSync(wide.connected as string, `${repoRoot}docs/connected.png`)
      copyFileSync(wide['notice-error'] as string, `${repoRoot}docs/notice-error.png`)
      copyFileSync(narrow.connected as string, `${repoRoot}docs/mobile.png`)
    }
  } finally {
    await browser.close()
    await app.close()
    await demo.app.close()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`screenshots: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
