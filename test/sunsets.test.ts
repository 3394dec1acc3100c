// Providers leaving OAuth 1.0a (src/presets/sunsets.ts): statuses, and the registration warning
// for a provider that retired or retires within 60 days.
import t from 'tap'
import { providerStatus, retiredProviders, sunsetWarning, sunsets, sunsetWarningDays } from '../src/presets/sunsets.js'
import { applyPreset, type PresetName, presetFactories, presets, resolvePreset } from '../src/presets/presets.js'
import { OAuth1Error } from '../src/errors.js'

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

t.test('registering a retiring preset warns once, with the date and the migration path: Fastify log, Express process warning', async (t) => {
  const { default: Fastify } = await import('fastify')
  const { default: fastifyCookie } = await import('@fastify/cookie')
  const { fastifyOAuth1 } = await import('../src/index.js')
  const { expressOAuth1 } = await import('../src/express/index.js')
  const { logCapture, flowSecret } = await import('./helpers/build-app.js')
  const base = { consumerKey: 'ck', consumerSecret: 'cs', callbackUrl: 'https://app.example.com/oauth/callback', flowSecret, saveCredentials: async () => {}, loadCredentials: async () => undefined }
  const warnings = async (provider: 'garmin' | 'x'): Promise<string[]> => {
    const log = logCapture()
    const app = Fastify({ logger: { level: 'warn', stream: log.stream } })
    await app.register(fastifyCookie)
    await app.register(fastifyOAuth1, { ...base, provider })
    await app.ready()
    await app.close()
    return log.lines.map((line) => (JSON.parse(line) as { msg: string }).msg).filter((msg) => msg.includes('OAuth 1.0a'))
  }
  const garmin = await warnings('garmin')
  t.equal(garmin.length, 1, 'one warning')
  t.match(garmin[0], /Garmin Connect retire(s|d) OAuth 1\.0a on 2026-12-31.*OAuth 2\.0.*Source: Garmin/)
  t.same(await warnings('x'), [], 'an active provider: none')

  const emitted: string[] = []
  const onWarning = (warning: Error): void => { if (warning.name === 'FastifyOAuth1Warning') emitted.push(warning.message) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  const middleware = expressOAuth1({ ...base, provider: 'garmin' })
  await new Promise((resolve) => setImmediate(resolve))
  await middleware.close()
  t.equal(emitted.filter((message) => /Garmin Connect retire(s|d) OAuth 1\.0a on 2026-12-31/.test(message)).length, 1, 'Express: one process warning')
})

t.test('every preset carries its status, and `retires` where the provider announced an end', async (t) => {
  const all = [...Object.values(presets), presetFactories.netsuite({ accountId: '1234567' }), presetFactories.evernote(),
    presetFactories.jira({ baseUrl: 'https://jira.example.com' }), presetFactories.mastercard(),
    presetFactories.woocommerce({ baseUrl: 'https://shop.example.com' }), presetFactories.magento({ baseUrl: 'https://shop.example.com' })]
  for (const preset of all) {
    t.equal(preset.status, providerStatus(preset.id), `${preset.id}: status ${providerStatus(preset.id)}`)
    if (!Object.hasOwn(sunsets, preset.id)) t.equal(preset.retires, undefined, `${preset.id}: no retirement announced`)
  }
  t.equal(presets.x.status, 'active')
  t.equal(presets.garmin.status, 'retiring')
  t.strictSame(presets.garmin.retires, { date: '2026-12-31', source: sunsets.garmin?.source, migration: sunsets.garmin?.migration })
  t.ok(Object.isFrozen(presets.garmin.retires), 'plain frozen data')
  const netsuite = presetFactories.netsuite({ accountId: '1234567' })
  t.equal(netsuite.status, 'closed-to-new')
  t.strictSame(netsuite.retires, { source: sunsets.netsuite?.source, migration: sunsets.netsuite?.migration }, 'no date: only closed to new integrations')
  t.strictSame(Object.keys(applyPreset('garmin', {})).filter((key) => key === 'status' || key === 'retires'), [], 'the options do not carry them')
  t.notOk('status' in applyPreset(undefined, { ...presets.garmin }), 'nor from a spread preset')
})

t.test('naming a retired provider is a coded refusal that says it moved to OAuth 2.0 and what to use', async (t) => {
  for (const [id, retired] of Object.entries(retiredProviders)) {
    const error = (() => {
      try {
        resolvePreset(id as PresetName)
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    t.ok(error instanceof OAuth1Error, `${id}: an OAuth1Error`)
    t.equal((error as OAuth1Error).code, 'OAUTH1_INVALID_OPTION', `${id}: coded`)
    t.match((error as OAuth1Error).message, new RegExp(`${retired.label} moved to OAuth 2\\.0`), `${id}: says it moved`)
    t.ok((error as OAuth1Error).message.includes(retired.migration), `${id}: says what to use`)
  }
  t.throws(() => resolvePreset('nope' as PresetName), { code: 'OAUTH1_INVALID_OPTION', message: /one of x, twitter/ },
    'an unknown name still lists the presets')
})
