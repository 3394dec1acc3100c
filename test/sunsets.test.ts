// Providers leaving OAuth 1.0a (src/presets/sunsets.ts): statuses, and the registration warning
// for a provider that retired or retires within 60 days.
import t from 'tap'
import { providerStatus, retiredProviders, sunsetWarning, sunsets, sunsetWarningDays } from '../src/presets/sunsets.js'

const day = 86_400_000
const garminEnd = Date.parse('2026-12-31T23:59:59Z')

t.test('statuses: Garmin retiring on 2026-12-31, NetSuite closed to new integrations, the rest active', async (t) => {
  t.equal(providerStatus('garmin'), 'retiring')
  t.equal(sunsets.garmin?.date, '2026-12-31')
  t.equal(providerStatus('netsuite'), 'closed-to-new')
  t.equal(providerStatus('x'), 'active')
  t.equal(providerStatus('constructor'), 'active', 'no prototype lookups')
  for (const [id, entry] of Object.entries({ ...sunsets, ...retiredProviders })) {
    t.ok(entry.source.length > 10, `${id} names a source`)
    t.ok(entry.migration.length > 10, `${id} names a migration path`)
  }
  t.same(Object.keys(retiredProviders).sort(), ['etsy', 'openstreetmap', 'xero', 'yahoo'])
})

t.test('the warning: only within 60 days of the end, or after it, with the date and the migration path', async (t) => {
  t.equal(sunsetWarningDays, 60)
  t.equal(sunsetWarning('garmin', 'Garmin', garminEnd - 61 * day), undefined, '61 days before: quiet')
  const soon = sunsetWarning('garmin', 'Garmin', garminEnd - 59 * day)
  t.match(soon, /Garmin retires OAuth 1\.0a on 2026-12-31 \(in 59 days\)/)
  t.match(soon, /OAuth 2\.0/, 'names the migration')
  t.match(soon, /Source: Garmin/, 'names the source')
  t.match(sunsetWarning('garmin', 'Garmin', garminEnd - 12 * 3_600_000), /\(in 1 day\)/)
  t.match(sunsetWarning('garmin', 'Garmin', garminEnd + day), /Garmin retired OAuth 1\.0a on 2026-12-31/, 'after the date')
  t.equal(sunsetWarning('netsuite', 'NetSuite', garminEnd), undefined, 'closed to new integrations: existing ones work, no warning')
  t.equal(sunsetWarning('x', 'X', garminEnd), undefined)
  t.equal(sunsetWarning('__proto__', 'x', garminEnd), undefined)
})
