/**
 * Headless Chromium for the browser tests: Debian's `chromium` (or CHROMIUM_PATH) under
 * playwright-core, started as the project's guide says. A missing or broken Chromium fails the
 * test with how to install it; it never skips.
 */
import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

/** The tap test object, as far as {@link launchChromium} needs it. */
interface TestLike {
  fail (message: string): void
  teardown (fn: () => unknown): void
}

export const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const installHint = 'install Debian\'s chromium: apt-get update && apt-get install -y chromium'

/** Starts Chromium, closed at `t`'s teardown; `undefined` after failing `t` when it cannot. */
export async function launchChromium (t: TestLike): Promise<Browser | undefined> {
  if (!existsSync(executablePath)) {
    t.fail(`Chromium not found at ${executablePath}: the browser tests need it; ${installHint} (or set CHROMIUM_PATH)`)
    return undefined
  }
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
    return undefined
  }
  t.teardown(() => browser.close().catch(() => {}))
  return browser
}
