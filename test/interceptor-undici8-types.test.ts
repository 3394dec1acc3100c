// Type test: the signing interceptor composes on undici 8's Agent as on undici 7's (their handler
// types differ). `tsc` checks this file against undici 8's declarations (the devDependency alias
// `undici8`); before the Interceptor type was generic, the compose below was TS2345. tap runs the
// small runtime part with undici 7, which this Node line can load.
import { Agent as Agent7, interceptors as interceptors7 } from 'undici'
import type { Agent as Agent8, Dispatcher as Dispatcher8 } from 'undici8'
import t from 'tap'
import { createSigningInterceptor } from '../src/http/interceptor.js'

const options = { consumerKey: 'key', consumerSecret: 'secret', origins: ['https://api.example.com'] }

/** What a user with undici 8 writes (type-checked, not run: undici 8 needs Node 22.19 or later). */
export function composeOnUndici8 (agent: Agent8, redirect: Dispatcher8.DispatcherComposeInterceptor): Dispatcher8.ComposedDispatcher {
  return agent.compose(createSigningInterceptor(options), redirect)
}

t.test('the same interceptor composes on undici 7 and keeps its dispatch', async (t) => {
  const agent = new Agent7()
  t.teardown(() => agent.close())
  const composed = agent.compose(createSigningInterceptor(options), interceptors7.redirect({ maxRedirections: 1 }))
  t.type(composed.dispatch, 'function')
  t.type(composeOnUndici8, 'function')
})
