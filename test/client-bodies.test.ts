// Bodies people really send through the client: multipart uploads (X media/upload: no part is
// signed; Flickr upload: the non-file fields are), stream bodies with a caller-computed
// oauth_body_hash, and streamed downloads. Every signature is checked with oauth-sign.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import t from 'tap'
import { ErrorCodes } from '../src/errors.js'
import { createClient } from '../src/http/client.js'
import { flickr } from '../src/presets/presets.js'
import { checkSignature, expectSigned, okJson, type RecordedRequest, startServer } from './helpers/signature-check.js'

const consumer = { consumerKey: 'ck', consumerSecret: 'cs' }
const user = { token: 'at-1', tokenSecret: 'as-1' }
const verify = { ...consumer, tokenSecret: user.tokenSecret }

/** The multipart body parsed by the platform's own parser (undici's Response.formData). */
async function partsOf (request: RecordedRequest): Promise<FormData> {
  return new Response(request.body, { headers: { 'content-type': String(request.headers['content-type']) } }).formData()
}

const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff])

function upload (): FormData {
  const form = new FormData()
  form.append('title', 'Sunset at the pier')
  form.append('tags', 'sea sky+sun')
  form.append('photo', new Blob([png], { type: 'image/png' }), 'sunset.png')
  return form
}

t.test('FormData, X media/upload style: sent as multipart, no part in the base string', async (t) => {
  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const client = createClient({ ...consumer, origins: [server.origin] }).withToken(user)
  const response = await client.post(`${server.origin}/1.1/media/upload.json`, { body: upload() })
  t.equal(response.status, 200)
  const sent = server.requests[0] as RecordedRequest
  t.match(String(sent.headers['content-type']), /^multipart\/form-data; boundary=/)
  const parts = await partsOf(sent)
  t.equal(parts.get('title'), 'Sunset at the pier')
  const photo = parts.get('photo') as File
  t.equal(photo.name, 'sunset.png')
  t.ok(Buffer.from(await photo.arrayBuffer()).equals(png), 'the file bytes arrive unchanged')
  t.equal(photo.type, 'image/png')
  const check = expectSigned(t, sent, verify, 'signed over the URL and protocol parameters only')
  t.same(check.params, [], 'no multipart field was signed')
  t.equal(check.oauth.oauth_body_hash, undefined, 'multipart bodies get no oauth_body_hash')
})

t.test('FormData, Flickr upload style (signMultipartFields): the non-file fields are signed', async (t) => {
  let answer = 'not checked'
  const server = await startServer((request, response) => {
    partsOf(request).then((parts) => {
      // What Flickr verifies: the string fields as if they were a form body; the photo is never signed.
      const fields = new URLSearchParams()
      for (const [name, value] of parts) if (typeof value === 'string') fields.append(name, value)
      const asForm: RecordedRequest = { ...request, headers: { ...request.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(fields.toString()) }
      const check = checkSignature(asForm, verify)
      answer = check.valid ? 'valid' : check.problems.join(', ')
      response.writeHead(check.valid ? 200 : 401)
      response.end(check.valid ? '<rsp stat="ok"><photoid>1</photoid></rsp>' : 'oauth_problem=signature_invalid')
    }, (error: unknown) => {
      answer = String(error)
      response.writeHead(400)
      response.end()
    })
  })
  t.teardown(() => server.close())
  const { signatureMethod, signMultipartFields } = flickr
  t.equal(signMultipartFields, true, 'the Flickr preset signs multipart fields')
  const client = createClient({ ...consumer, signatureMethod, signMultipartFields, origins: [server.origin] }).withToken(user)
  const response = await client.post(`${server.origin}/services/upload/`, { body: upload() })
  t.equal(answer, 'valid', 'the provider verified title and tags in the signature')
  t.equal(response.status, 200)

  const plain = createClient({ ...consumer, origins: [server.origin] }).withToken(user)
  const refused = await plain.post(`${server.origin}/services/upload/`, { body: upload() })
  t.equal(refused.status, 401, 'without the flag, Flickr would refuse the signature')
})

t.test('FormData is refused with body placement or a content-type of its own', async (t) => {
  const client = createClient({ ...consumer, origins: ['http://127.0.0.1:1'] })
  await t.rejects(client.post('http://127.0.0.1:1/u', { body: upload(), headers: { 'content-type': 'multipart/form-data' } }), { code: ErrorCodes.INVALID_REQUEST, message: /boundary/ })
  const body = createClient({ ...consumer, placement: 'body', origins: ['http://127.0.0.1:1'] })
  await t.rejects(body.post('http://127.0.0.1:1/u', { body: upload() }), { code: ErrorCodes.INVALID_REQUEST, message: /header placement/ })
})

t.test('stream bodies: sent with the caller\'s bodyHash, refused without it', async (t) => {
  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const client = createClient({ ...consumer, origins: [server.origin] }).withToken(user)
  const chunks = [Buffer.from('{"big":'), Buffer.from('"payload"}')]
  const bodyHash = createHash('sha1').update(Buffer.concat(chunks)).digest('base64')

  await t.rejects(client.post(`${server.origin}/upload`, { body: Readable.from(chunks), headers: { 'content-type': 'application/json' } }),
    { code: ErrorCodes.INVALID_REQUEST, message: /bodyHash/ }, 'no hash: refused, nothing sent')
  t.equal(server.requests.length, 0)

  const response = await client.post(`${server.origin}/upload`, { body: Readable.from(chunks), bodyHash, headers: { 'content-type': 'application/json' } })
  t.equal(response.status, 200)
  const sent = server.requests[0] as RecordedRequest
  t.equal(sent.body.toString(), '{"big":"payload"}', 'the stream was sent')
  const check = expectSigned(t, sent, verify)
  t.equal(check.oauth.oauth_body_hash, createHash('sha1').update(sent.body).digest('base64'), 'oauth_body_hash matches the bytes received')

  async function * generated (): AsyncGenerator<Uint8Array> {
    yield Buffer.from('{"big":')
    yield Buffer.from('"payload"}')
  }
  await client.put(`${server.origin}/upload`, { body: generated(), bodyHash, headers: { 'content-type': 'application/json' } })
  t.equal(server.requests[1]?.body.toString(), '{"big":"payload"}', 'an async iterable is sent too')
  expectSigned(t, server.requests[1], verify)

  await t.rejects(client.post(`${server.origin}/upload`, { body: 'text', bodyHash }), { code: ErrorCodes.INVALID_REQUEST, message: /only for stream bodies/ })
  await t.rejects(client.post(`${server.origin}/upload`, { body: Readable.from(chunks), bodyHash: 'not base64!' }), { code: ErrorCodes.INVALID_REQUEST, message: /base64/ })
  await t.rejects(client.post(`${server.origin}/upload`, { body: Readable.from(chunks), bodyHash, headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    { code: ErrorCodes.INVALID_REQUEST, message: /form body/ })
})

t.test('a stream body is sent once even with retries: the failed answer or a coded error, never a second attempt', async (t) => {
  let failNext: 'busy' | 'reset' | undefined
  const server = await startServer((request, response) => {
    const failure = failNext
    failNext = undefined
    if (failure === 'reset') { response.socket?.destroy(); return }
    if (failure === 'busy') { response.writeHead(503, { 'retry-after': '0' }); response.end('busy'); return }
    okJson(request, response)
  })
  t.teardown(() => server.close())
  const client = createClient({ ...consumer, origins: [server.origin], retries: 2 }).withToken(user)
  const chunks = [Buffer.from('a,b\n'), Buffer.from('1,2\n')]
  const bodyHash = createHash('sha1').update(Buffer.concat(chunks)).digest('base64')
  const put = async (body: Buffer | Readable): Promise<number> =>
    (await client.put(`${server.origin}/imports/x.csv`, { body, bodyHash: body instanceof Readable ? bodyHash : undefined, headers: { 'content-type': 'text/csv' } })).status
  const sent = (): number => server.requests.length

  failNext = 'busy'
  t.equal(await put(Buffer.concat(chunks)), 200, 'a Buffer PUT is retried after a 503 (retries: 2 is on)')
  t.equal(sent(), 2)

  failNext = 'busy'
  t.equal(await put(Readable.from(chunks)), 503, 'a stream PUT: the 503 is returned')
  t.equal(sent(), 3, 'one attempt')

  failNext = 'reset'
  t.equal(await put(Buffer.concat(chunks)), 200, 'a Buffer PUT is retried after a reset connection')
  const before = sent()
  failNext = 'reset'
  await t.rejects(put(Readable.from(chunks)), { code: ErrorCodes.NETWORK, message: /not retried: a stream body cannot be sent twice/ }, 'a stream PUT: a coded error saying why')
  t.equal(sent(), before + 1, 'one attempt')
  t.equal(failNext, undefined, 'the reset was the stream\'s')

  failNext = 'busy'
  const download = await client.get(`${server.origin}/exports/x.csv`, { stream: true })
  download.body.resume()
  t.equal(download.status, 503, 'stream: true is not retried either: the 503 is returned')
  t.equal(sent(), before + 2, 'one attempt')
})

t.test('stream: true gives the body stream past maxResponseBytes; the buffered default keeps its cap', async (t) => {
  const file = Buffer.alloc(256 * 1024, 7)
  const server = await startServer((request, response) => {
    const check = checkSignature(request, verify)
    response.writeHead(check.valid ? 200 : 401, { 'content-type': 'application/octet-stream' })
    response.end(check.valid ? file : '')
  })
  t.teardown(() => server.close())
  const client = createClient({ ...consumer, origins: [server.origin], maxResponseBytes: 64 * 1024 }).withToken(user)
  await t.rejects(client.get(`${server.origin}/photo.jpg`), { code: ErrorCodes.PROVIDER_BAD_RESPONSE, message: /larger than 65536/ }, 'buffered: capped')
  const download = await client.get(`${server.origin}/photo.jpg`, { stream: true })
  t.equal(download.status, 200)
  t.equal(download.ok, true)
  const chunks: Buffer[] = []
  for await (const chunk of download.body) chunks.push(chunk as Buffer)
  t.ok(Buffer.concat(chunks).equals(file), 'the whole file, streamed')
})

async function drain (body: Readable): Promise<number> {
  let size = 0
  for await (const chunk of body) size += (chunk as Buffer).length
  return size
}

t.test('stream: true keeps the call deadline and the caller\'s signal on the body', async (t) => {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream' })
    response.write(Buffer.alloc(1024))
    // Then never ends.
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const client = createClient({ ...consumer, origins: [origin], timeout: 300 })
  const slow = await client.get(`${origin}/slow`, { stream: true })
  t.equal(slow.status, 200, 'resolves at the headers')
  const started = Date.now()
  await t.rejects(drain(slow.body), { code: ErrorCodes.TIMEOUT }, 'the deadline ends the read')
  t.ok(Date.now() - started < 2000)

  const controller = new AbortController()
  const aborted = await client.get(`${origin}/slow`, { stream: true, signal: controller.signal, timeout: 10_000 })
  setTimeout(() => controller.abort(new Error('user went away')), 50)
  await t.rejects(drain(aborted.body), { code: ErrorCodes.ABORTED }, 'the caller\'s signal ends the read')
})

t.test('stream: true with a signal already aborted rejects at once, nothing sent', async (t) => {
  const server = await startServer(okJson)
  t.teardown(() => server.close())
  const client = createClient({ ...consumer, origins: [server.origin] })
  const controller = new AbortController()
  controller.abort(new Error('gone'))
  await t.rejects(client.get(`${server.origin}/file`, { stream: true, signal: controller.signal }), { code: ErrorCodes.ABORTED })
  t.equal(server.requests.length, 0)
})
