// docs/tracing.md's OpenTelemetry recipe, run as printed: both channels become spans in the SDK's in-memory exporter.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import t from 'tap'
import { createClient } from '../src/http/client.js'
import { ErrorCodes, OAuth1Error } from '../src/errors.js'
import { type FlowTraceContext, flowChannel, requestChannel } from '../src/tracing/channels.js'
import { closedPort, okJson, startServer } from './helpers/signature-check.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const marker = '<!-- recipe: test/tracing-otel.test.ts -->'

async function loadRecipe (): Promise<(tracer: Tracer) => () => void> {
  const page = readFileSync(join(root, 'docs/tracing.md'), 'utf8')
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(page.slice(page.indexOf(marker)))
  if (page.indexOf(marker) === -1 || block === null) throw new Error('docs/tracing.md has no recipe block after its marker')
  const dir = join(root, 'test-artifacts')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'tracing-recipe.ts')
  writeFileSync(file, block[1] as string)
  const recipe = await import(pathToFileURL(file).href) as { traceFastifyOAuth1: (tracer: Tracer) => () => void }
  return recipe.traceFastifyOAuth1
}

t.test('the recipe makes a CLIENT span per provider request and an INTERNAL span per sign-in step, with no secret', async (t) => {
  const traceFastifyOAuth1 = await loadRecipe()
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  const unsubscribe = traceFastifyOAuth1(provider.getTracer('test'))
  const server = await startServer((request, response) => {
    if (request.url?.startsWith('/refused') === true) response.writeHead(401).end('oauth_problem=token_rejected')
    else okJson(request, response)
  })
  const client = createClient({ consumerKey: 'otel-key', consumerSecret: 'OTEL-CONSUMER-SECRET' })
    .withToken({ token: 'OTEL-TOKEN', tokenSecret: 'OTEL-TOKEN-SECRET' })
  t.teardown(async () => {
    unsubscribe()
    await client.close()
    await server.close()
    await provider.shutdown()
  })
  await client.get(`${server.origin}/1.1/search?q=OTEL-QUERY`)
  await client.get(`${server.origin}/refused`)
  const port = await closedPort()
  await t.rejects(client.get(`http://127.0.0.1:${port}/down`), { code: ErrorCodes.NETWORK })
  // The flow channel as the route core will publish it (src/tracing/channels.ts: FlowTraceContext).
  const start: FlowTraceContext = { provider: 'trello', step: 'start', store: 'cookie' }
  await flowChannel.tracePromise(async () => { start.outcome = 'redirect' }, start)
  const callback: FlowTraceContext = { provider: 'trello', step: 'callback', store: 'cookie' }
  await t.rejects(flowChannel.tracePromise(async () => { throw new OAuth1Error(ErrorCodes.FLOW_NOT_BOUND, 'not bound') }, callback))

  const spans = exporter.getFinishedSpans().map((span) => ({
    name: span.name, kind: span.kind, attributes: span.attributes, status: span.status.code, events: span.events.map((event) => event.attributes)
  }))
  t.same(spans.map(({ name, kind, status }) => ({ name, kind, status })), [
    { name: 'GET /1.1/search', kind: SpanKind.CLIENT, status: SpanStatusCode.UNSET },
    { name: 'GET /refused', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR },
    { name: 'GET /down', kind: SpanKind.CLIENT, status: SpanStatusCode.ERROR },
    { name: 'oauth1 start', kind: SpanKind.INTERNAL, status: SpanStatusCode.UNSET },
    { name: 'oauth1 callback', kind: SpanKind.INTERNAL, status: SpanStatusCode.ERROR }
  ])
  t.match(spans[0]?.attributes, { 'http.request.method': 'GET', 'url.full': `${server.origin}/1.1/search?q=`, 'http.response.status_code': 200 })
  t.match(spans[1]?.attributes, { 'http.response.status_code': 401, 'oauth1.problem': 'token_rejected' })
  t.match(spans[2]?.events, [{ 'exception.type': ErrorCodes.NETWORK }])
  t.match(spans[3]?.attributes, { 'oauth1.provider': 'trello', 'oauth1.step': 'start', 'oauth1.outcome': 'redirect' })
  t.match(spans[4]?.events, [{ 'exception.type': ErrorCodes.FLOW_NOT_BOUND }])
  const json = JSON.stringify(spans)
  for (const secret of ['OTEL-CONSUMER-SECRET', 'OTEL-TOKEN', 'OTEL-QUERY', 'oauth_signature', 'oauth_nonce']) {
    t.notOk(json.includes(secret), `no ${secret} in a span`)
  }
  unsubscribe()
  t.equal(requestChannel.hasSubscribers, false, 'unsubscribed')
})
