// One name per concept (issue 18): "flow" means only a started sign-in. The names of 0.1 that
// meant something else still work, deprecated. Type part: `npx tsc -p tsconfig.json --noEmit`
// checks it (every `Assert<Equal<...>>` must compile); tap runs the runtime part.
import t from 'tap'
import * as root from '../src/index.js'
import type {
  Flow as RootFlow, FlowCallOptions as RootFlowCallOptions, FlowContext as RootFlowContext, FlowCookieOptions as RootFlowCookieOptions,
  FlowSession as RootFlowSession, OAuth1Instance, ProviderCallOptions as RootProviderCallOptions, ProviderClient as RootProviderClient,
  ProviderPreset, ProviderPresetInput, SignInContext as RootSignInContext, SignInCookieOptions as RootSignInCookieOptions,
  SignInSession as RootSignInSession
} from '../src/index.js'
import {
  asFlowSession, asSignInSession, createClient, createFlow, createProviderClient, type Flow, type FlowCallOptions, type FlowContext,
  type FlowCookieOptions, type FlowOptions, type FlowSession, presets, type ProviderCallOptions, type ProviderClient,
  type ProviderClientOptions, type SignInContext, type SignInCookieOptions, type SignInSession
} from '../src/core.js'
import { expressOAuth1, type ExpressOAuth1 } from '../src/express/index.js'
import { presetFacts } from '../src/presets/presets.js'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
type Assert<T extends true> = T

// The deprecated names of ./core are the new types, not copies.
export type CoreAliases = [
  Assert<Equal<Flow, ProviderClient>>,
  Assert<Equal<FlowOptions, ProviderClientOptions>>,
  Assert<Equal<FlowCallOptions, ProviderCallOptions>>,
  Assert<Equal<FlowContext, SignInContext>>,
  Assert<Equal<FlowSession, SignInSession>>,
  Assert<Equal<FlowCookieOptions, SignInCookieOptions>>,
  Assert<Equal<typeof createFlow, typeof createProviderClient>>,
  Assert<Equal<typeof asFlowSession, typeof asSignInSession>>
]
// The same in the root entry, and the root's types are ./core's.
export type RootAliases = [
  Assert<Equal<RootFlow, RootProviderClient>>,
  Assert<Equal<RootFlowCallOptions, RootProviderCallOptions>>,
  Assert<Equal<RootFlowContext, RootSignInContext>>,
  Assert<Equal<RootFlowSession, RootSignInSession>>,
  Assert<Equal<RootFlowCookieOptions, RootSignInCookieOptions>>,
  Assert<Equal<RootProviderClient, ProviderClient>>,
  Assert<Equal<RootSignInContext, SignInContext>>
]
// The Fastify instance decoration is a provider client; the Express middleware's flow is its providerClient.
export type Decorations = [
  Assert<OAuth1Instance extends ProviderClient ? true : false>,
  Assert<Equal<ExpressOAuth1['flow'], ExpressOAuth1['providerClient']>>,
  Assert<Equal<ExpressOAuth1['providerClient'], ProviderClient>>
]
// Presets: legs is 3 or 2; a preset of one's own may still say flow (0.1), typed as the input.
export type Presets = [
  Assert<Equal<ProviderPreset['legs'], 3 | 2>>,
  Assert<Equal<(typeof presets.x)['legs'], 3 | 2>>
]
const endpoints = {
  requestTokenUrl: 'https://p.example/request_token', authorizeUrl: 'https://p.example/authorize', accessTokenUrl: 'https://p.example/access_token'
}
const oldStyle: ProviderPresetInput = {
  id: 'old', label: 'Old', flow: 'two-legged', signatureMethod: 'HMAC-SHA1', ...endpoints, denial: [], userFields: {}, quirks: []
}
const newStyle: ProviderPresetInput = {
  id: 'new', label: 'New', legs: 3, signatureMethod: 'HMAC-SHA1', ...endpoints, denial: ['denied-param'], userFields: {}, quirks: []
}
// @ts-expect-error legs is 3 or 2
const badLegs: ProviderPresetInput = { ...newStyle, legs: 1 }
// @ts-expect-error flow is 'three-legged' or 'two-legged'
const badFlow: ProviderPresetInput = { ...oldStyle, flow: 'one-legged' }
export const refused = [badLegs, badFlow]

t.test('the renamed functions: the old names are the same functions', async (t) => {
  t.equal(createFlow, createProviderClient)
  t.equal(asFlowSession, asSignInSession)
  const providerClient = createFlow({ consumerKey: 'ck', consumerSecret: 'cs', ...endpoints })
  t.teardown(() => providerClient.close())
  t.match(providerClient.authorizeUrl('rt'), /^https:\/\/p\.example\/authorize\?oauth_token=rt$/)
  t.notOk('createFlow' in root, 'the root entry never exported createFlow (./core does)')
})

t.test('presets: legs, and the deprecated flow of 0.1 still read', async (t) => {
  t.equal(presets.x.legs, 3)
  t.equal(presets.x.flow, 'three-legged', 'a built-in preset still answers flow')
  t.equal(presets.schoology.legs, 2)
  t.equal(presets.schoology.flow, 'two-legged')
  t.notOk(Object.keys(presets.x).includes('flow'), 'flow is not enumerable: a spread preset carries legs only')
  t.notOk('flow' in { ...presets.x })
  t.equal(presetFacts({ provider: oldStyle }).legs, 2, 'a preset object written for 0.1: flow read as legs')
  t.equal(presetFacts({ ...oldStyle }).legs, 2, 'spread')
  t.equal(presetFacts({ provider: newStyle }).legs, 3)
  t.equal(presetFacts({ provider: oldStyle, legs: 3 }).legs, 3, 'the caller\'s legs win')
  t.equal(presetFacts({ provider: 'x', flow: 'two-legged' }).legs, 2, 'the caller\'s flow wins over the named preset')
  t.equal(presetFacts({}).legs, undefined)
  const client = createClient({ provider: oldStyle, consumerKey: 'ck', consumerSecret: 'cs' })
  t.teardown(() => client.close())
  t.pass('createClient takes a preset written for 0.1')
  const spread = createProviderClient({ ...oldStyle, consumerKey: 'ck', consumerSecret: 'cs' })
  t.teardown(() => spread.close())
  t.equal(spread.authorizeUrl('rt'), 'https://p.example/authorize?oauth_token=rt', 'a spread preset with flow is accepted')
})

t.test('the Express middleware: providerClient, and flow the same object', async (t) => {
  const middleware = expressOAuth1({
    consumerKey: 'ck', consumerSecret: 'cs', ...endpoints, callbackUrl: 'https://app.example/oauth/callback', flowSecret: 'a-flow-cookie-secret-of-at-least-32-chars'
  })
  t.teardown(() => middleware.close())
  t.equal(middleware.flow, middleware.providerClient)
  t.equal(typeof middleware.providerClient.getRequestToken, 'function')
})
