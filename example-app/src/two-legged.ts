/**
 * Two-legged (server-to-server) calls: consumer credentials and an optional fixed token, no user
 * in the loop. Runs on its own: it starts a small "partner API" on loopback that verifies every
 * signature, then calls it with `createClient`. `npm run example:two-legged`.
 */
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createClient } from '../../src/index.js'
import { isFormContentType } from '../../src/protocol/headers.js'
import { createRequestVerifier, OAuthProblem } from './demo-verify.js'

const consumerKey = 'partner-key'
const consumerSecret = 'partner-secret-&=+%'
const token = 'fixed-access-token'
const tokenSecret = 'fixed-token-secret'

const verify = createRequestVerifier({ consumers: new Map([[consumerKey, { secret: consumerSecret }]]) })

async function readBody (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const api = createServer((request, response) => {
  readBody(request).then((body) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host ?? '127.0.0.1'}`)
    const verified = verify({
      method: request.method ?? 'GET',
      url,
      authorization: request.headers.authorization,
      body: isFormContentType(request.headers['content-type']) ? body : undefined
    }, (presented) => presented === token ? tokenSecret : undefined)
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ verified: true, consumer: verified.consumerKey, token: verified.token, path: url.pathname, query: Object.fromEntries(url.searchParams), body }))
  }).catch((error: unknown) => {
    const problem = error instanceof OAuthProblem ? error : new OAuthProblem(500, 'internal')
    response.statusCode = problem.statusCode
    response.setHeader('content-type', 'application/x-www-form-urlencoded')
    response.end(`oauth_problem=${problem.problem}`)
  })
})

await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
const baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/`

const client = createClient({ consumerKey, consumerSecret, token, tokenSecret, baseUrl, timeout: 5_000 })
try {
  const list = await client.get('orders', { query: { status: 'open', q: 'café & crème' } })
  console.log('GET  /v1/orders        ', list.status, list.json())
  const created = await client.post('orders', { form: { item: 'Widget 42', note: 'spaces, +plus & ampersand' } })
  console.log('POST /v1/orders (form) ', created.status, created.json())
  const json = await client.post('events', { json: { type: 'ping' } })
  console.log('POST /v1/events (json) ', json.status, json.json())
  const wrong = createClient({ consumerKey, consumerSecret: 'not-the-secret', token, tokenSecret, baseUrl })
  const refused = await wrong.get('orders')
  console.log('wrong secret           ', refused.status, refused.problem().problem)
  await wrong.close()
} finally {
  await client.close()
  api.close()
}
