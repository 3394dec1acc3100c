// PIN (out-of-band) sign-in through the provider client (RFC 5849 §2.1 `oauth_callback=oob`), against
// the test kit's mock provider, which verifies every signature and shows the verifier as a PIN.
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { createProviderClient } from '../src/provider/provider-client.js'
import { createMockProvider, type MockProvider } from '../src/testing/index.js'

/** What the user does: opens the authorize URL at the provider and reads the PIN on the page. */
async function pinShownAt (provider: MockProvider, authorizeUrl: string): Promise<string> {
  const url = new URL(authorizeUrl)
  const page = await provider.handle({ method: 'GET', url: url.href, headers: { host: url.host }, body: Buffer.alloc(0) })
  const pin = /Verification code: (\S+)/.exec(page?.body.toString() ?? '')?.[1]
  if (page?.status !== 200 || pin === undefined) throw new Error(`no PIN page: ${page?.status} ${page?.body.toString()}`)
  return pin
}

t.test('startPin asks a request token with oauth_callback=oob; completePin exchanges the PIN for token credentials', async (t) => {
  const provider = createMockProvider({ user: { id: '42', name: 'Pin User' } })
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(provider.options())
  t.teardown(() => providerClient.close())

  const { requestToken, authorizeUrl } = await providerClient.startPin()
  t.equal(provider.requests[0]?.oauth?.oauth_callback, 'oob', 'oauth_callback=oob, signed')
  t.equal(authorizeUrl, providerClient.authorizeUrl(requestToken.token), 'the authorize URL of that request token')
  t.equal(requestToken.extra.oauth_callback_confirmed, 'true')

  const pin = await pinShownAt(provider, authorizeUrl)
  const access = await providerClient.completePin(requestToken, `  ${pin}\n`)
  t.equal(provider.requests.at(-1)?.oauth?.oauth_verifier, pin, 'the PIN is the verifier, without the spaces typed around it')
  t.same(access.extra, { user_id: '42', screen_name: 'Pin User' })
  const me = await providerClient.clientFor(access).get(`${provider.url}/1.1/account/verify_credentials.json`)
  t.same(me.json(), { id: '42', name: 'Pin User', screen_name: 'Pin User' }, 'the token works')
})

t.test('startPin checks oauth_callback_confirmed like any request token', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(provider.options())
  t.teardown(() => providerClient.close())
  provider.misbehaveNext('unconfirmed_callback')
  await t.rejects(providerClient.startPin(), { code: ErrorCodes.CALLBACK_NOT_CONFIRMED })
})

t.test('completePin refuses an empty PIN without calling the provider, and a wrong PIN is the provider\'s refusal', async (t) => {
  const provider = createMockProvider()
  t.teardown(() => provider.close())
  const providerClient = createProviderClient(provider.options())
  t.teardown(() => providerClient.close())
  const { requestToken, authorizeUrl } = await providerClient.startPin()
  await pinShownAt(provider, authorizeUrl)
  const calls = provider.requests.length
  await t.rejects(providerClient.completePin(requestToken, ' \n'), { code: ErrorCodes.MISSING_VERIFIER, message: /No PIN/ })
  await t.rejects(providerClient.completePin(requestToken, undefined as unknown as string), { code: ErrorCodes.MISSING_VERIFIER })
  t.equal(provider.requests.length, calls, 'nothing sent')
  await t.rejects(providerClient.completePin(requestToken, 'not-the-pin'), { code: ErrorCodes.PROVIDER_ERROR, problem: 'verifier_invalid' })
})
