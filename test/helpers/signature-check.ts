/**
 * Verifies the OAuth 1.0a signature of a request a test server received, the way a provider
 * would, with an independent implementation: the parsing below is written for the tests, and the
 * signature is computed by `oauth-sign` (request's signer). Nothing here imports from `src/`, so a
 * bug in our signer cannot also hide in the check.
 */
import { once } from 'node:events'
import type { Test } from 'tap'
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import oauthSign from 'oauth-sign'

/** A request as the test server saw it: the raw request-target, headers and body bytes. */
export interface RecordedRequest {
  method: string
  /** The request-target as sent: path and query, undecoded. */
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
}

/** The secrets a provider would know. */
export interface VerifyCredentials {
  /** Checked against `oauth_consumer_key` when given. */
  consumerKey?: string
  /** For HMAC-SHA1, HMAC-SHA256 and PLAINTEXT. */
  consumerSecret?: string
  /** Default ''. */
  tokenSecret?: string
  /** For RSA-SHA1: the private key PEM. PKCS#1 v1.5 signatures are deterministic, so signing again is a check. */
  privateKey?: string
  /** The scheme the client called, for the base string URI. Default 'http' (the test servers). */
  scheme?: 'http' | 'https'
}

export type Pairs = Array<[string, string]>

export interface SignatureCheck {
  /** True when the signature matches and {@link SignatureCheck.problems} is empty. */
  valid: boolean
  /** Every reason the request would be refused. */
  problems: string[]
  /** Where the protocol parameters were found. */
  placement: 'header' | 'query' | 'body' | 'none'
  /** The protocol parameters, `oauth_signature` included, decoded. */
  oauth: Record<string, string>
  realm: string | undefined
  /** The query and form-body parameters that are not protocol parameters, decoded, in order. */
  params: Pairs
  /** The base string URI used. */
  baseUri: string
  expected: string | undefined
}

/** Decodes one form-encoded name or value: `+` is a space, then `%XX` UTF-8 (throws when malformed). */
export function formDecodeComponent (value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '))
}

/** RFC 3986 percent-encoding (RFC 5849 §3.6), oauth-sign's: the one encoder of the tests. */
export const rfc3986: (value: string) => string = oauthSign.rfc3986

/** Parses `a=1&b=&c` (no leading `?`) into decoded pairs, keeping order and duplicates. */
export function parseFormPairs (input: string): Pairs {
  const pairs: Pairs = []
  for (const part of input.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq === -1) pairs.push([formDecodeComponent(part), ''])
    else pairs.push([formDecodeComponent(part.slice(0, eq)), formDecodeComponent(part.slice(eq + 1))])
  }
  return pairs
}

/**
 * Parses an `Authorization: OAuth ...` header (RFC 5849 §3.5.1): `name="value"` pairs separated
 * by commas, values percent-encoded. Returns undefined for another scheme; throws when malformed
 * or when a parameter is repeated.
 */
export function parseAuthorizationHeader (header: string): { realm: string | undefined, params: Record<string, string> } | undefined {
  const scheme = /^OAuth(?:\s+|$)/i.exec(header)
  if (scheme === null) return undefined
  const params: Record<string, string> = Object.create(null)
  let realm: string | undefined
  const item = /([A-Za-z0-9_.~-]+)[ \t]*=[ \t]*"([^"\\]*)"[ \t]*(,[ \t]*|$)/y
  item.lastIndex = scheme[0].length
  while (item.lastIndex < header.length) {
    const start = item.lastIndex
    const match = item.exec(header)
    if (match === null) throw new Error(`Malformed Authorization header at offset ${start}`)
    const [, name, raw, separator] = match as unknown as [string, string, string, string]
    if (separator !== '' && item.lastIndex === header.length) throw new Error('Malformed Authorization header: trailing comma')
    if (name === 'realm') {
      if (realm !== undefined) throw new Error('Authorization header repeats realm')
      realm = raw
      continue
    }
    const decodedName = decodeURIComponent(name)
    if (decodedName in params) throw new Error(`Authorization header repeats ${decodedName}`)
    params[decodedName] = decodeURIComponent(raw)
  }
  return { realm, params }
}

/** The base string URI (RFC 5849 §3.4.1.2) of a request received by a plain HTTP server. */
export function baseUriOf (request: RecordedRequest, scheme = 'http'): string {
  const host = String(request.headers.host ?? '').toLowerCase()
  const defaultPort = scheme === 'https' ? ':443' : ':80'
  const authority = host.endsWith(defaultPort) ? host.slice(0, -defaultPort.length) : host
  const q = request.url.indexOf('?')
  const path = q === -1 ? request.url : request.url.slice(0, q)
  return `${scheme}://${authority}${path}`
}

function queryOf (request: RecordedRequest): string {
  const q = request.url.indexOf('?')
  return q === -1 ? '' : request.url.slice(q + 1)
}

function isForm (request: RecordedRequest): boolean {
  const type = request.headers['content-type']
  return typeof type === 'string' && type.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded'
}

/** Checks a received request's signature as a provider would. */
export function checkSignature (request: RecordedRequest, credentials: VerifyCredentials): SignatureCheck {
  const problems: string[] = []
  const queryPairs = parseFormPairs(queryOf(request))
  const bodyPairs = isForm(request) ? parseFormPairs(request.body.toString('utf8')) : []
  const authorization = request.headers.authorization
  const header = typeof authorization === 'string' ? parseAuthorizationHeader(authorization) : undefined

  const found: Array<'header' | 'query' | 'body'> = []
  if (header !== undefined && Object.keys(header.params).some((name) => name.startsWith('oauth_'))) found.push('header')
  if (queryPairs.some(([name]) => name === 'oauth_signature')) found.push('query')
  if (bodyPairs.some(([name]) => name === 'oauth_signature')) found.push('body')
  if (found.length > 1) problems.push(`protocol parameters in more than one place: ${found.join(', ')}`)
  const placement = found[0] ?? 'none'

  // All parameters of §3.4.1.3.1: the Authorization header's (but realm), the query's and the form body's.
  const all: Pairs = []
  if (header !== undefined) for (const name in header.params) all.push([name, header.params[name] as string])
  all.push(...queryPairs, ...bodyPairs)

  const oauth: Record<string, string> = Object.create(null)
  const params: Pairs = []
  for (const [name, value] of all) {
    if (name.startsWith('oauth_')) {
      if (name in oauth) problems.push(`${name} appears twice`)
      oauth[name] = value
    } else {
      params.push([name, value])
    }
  }

  const signed: Record<string, string | string[]> = Object.create(null)
  for (const [name, value] of all) {
    if (name === 'oauth_signature') continue
    const existing = signed[name]
    if (existing === undefined) signed[name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else signed[name] = [existing, value]
  }

  const method = oauth.oauth_signature_method
  const baseUri = baseUriOf(request, credentials.scheme)
  let expected: string | undefined
  if (oauth.oauth_signature === undefined) problems.push('no oauth_signature')
  if (credentials.consumerKey !== undefined && oauth.oauth_consumer_key !== credentials.consumerKey) problems.push('wrong oauth_consumer_key')
  if (oauth.oauth_version !== undefined && oauth.oauth_version !== '1.0') problems.push('oauth_version is not 1.0')
  if (method !== 'PLAINTEXT') {
    if (!/^[0-9]+$/.test(oauth.oauth_timestamp ?? '')) problems.push('oauth_timestamp missing or not a number')
    if ((oauth.oauth_nonce ?? '') === '') problems.push('oauth_nonce missing')
  }
  if (method === 'HMAC-SHA1' || method === 'HMAC-SHA256' || method === 'PLAINTEXT') {
    if (credentials.consumerSecret === undefined) throw new Error(`checkSignature: ${method} needs consumerSecret`)
    expected = oauthSign.sign(method, request.method, baseUri, signed, credentials.consumerSecret, credentials.tokenSecret ?? '')
  } else if (method === 'RSA-SHA1') {
    if (credentials.privateKey === undefined) throw new Error('checkSignature: RSA-SHA1 needs privateKey')
    expected = oauthSign.sign(method, request.method, baseUri, signed, credentials.privateKey)
  } else {
    problems.push(`signature method ${String(method)} not checked by oauth-sign`)
  }
  if (expected !== undefined && expected !== oauth.oauth_signature) problems.push('signature mismatch')
  return { valid: problems.length === 0, problems, placement, oauth, realm: header?.realm, params, baseUri, expected }
}

/** A recording HTTP server on 127.0.0.1, port 0. */
export interface TestServer {
  server: Server
  origin: string
  port: number
  requests: RecordedRequest[]
  close (): Promise<void>
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void

/** Starts a server that records every request (body read in full) and then calls `handler`. */
export async function startServer (handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks)
      }
      requests.push(recorded)
      handler(recorded, res)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    async close () {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/** A port on 127.0.0.1 nothing listens on (it was free a moment ago). */
export async function closedPort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** Answers 200 with a small JSON body. */
export const okJson: Handler = (_request, response) => {
  response.setHeader('content-type', 'application/json')
  response.end('{"ok":true}')
}

/** Asserts that the recorded request verifies with the independent checker, and returns what it found. */
export function expectSigned (t: Test, request: RecordedRequest | undefined, credentials: VerifyCredentials, message = 'signature verifies'): SignatureCheck {
  if (request === undefined) throw new Error('no request recorded')
  const check = checkSignature(request, credentials)
  t.same(check.problems, [], message)
  t.equal(check.valid, true, message)
  return check
}
