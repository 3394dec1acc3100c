// A fake OAuth 1.0a provider on a real HTTP server. It verifies every signature with oauth-sign,
// an implementation independent of ours, and checks consumer key, nonce uniqueness, timestamp
// freshness, token/secret pairing, verifier and single use, like a strict provider would.
import { randomBytes } from 'node:crypto'
import type { ProviderClientOptions } from '../../src/provider/provider-client.js'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import oauthSign from 'oauth-sign'
import { parseAuthorizationHeader } from './signature-check.js'

/** What a token endpoint does for the next calls. */
export type EndpointMode =
  | 'ok'
  /** HTTP 500 with `oauth_problem=<problem>` in the body. */
  | 'error'
  /** 401 with `WWW-Authenticate: OAuth oauth_problem="<problem>"`. */
  | 'unauthorized'
  /** 200 with a body that is not a token response. */
  | 'garbage'
  /** 200 without `oauth_callback_confirmed` (request token only). */
  | 'unconfirmed'
  /** Never answers. */
  | 'hang'

/** How the authorize page answers: approve, or one of the denial styles seen in the wild. */
export type AuthorizeMode =
  | 'approve'
  /** X: `?denied=<token>` */
  | 'denied'
  /** `?oauth_token=..&oauth_problem=user_refused` */
  | 'user_refused'
  /** Jira: `?oauth_token=..&oauth_verifier=denied` */
  | 'verifier_denied'
  /** Goodreads: `?oauth_token=..&authorize=0` */
  | 'authorize_0'
  /** Approves but forgets the verifier. */
  | 'no_verifier'

export interface FakeProviderOptions {
  consumerKey?: string
  consumerSecret?: string
  /** Seconds a timestamp may differ from the provider's clock. Default 300. */
  maxSkew?: number
}

/** One request as the provider saw it. */
export interface SeenRequest {
  path: string
  method: string
  /** The protocol parameters, decoded (oauth_signature included). */
  oauth: Record<string, string>
  /** The query parameters (last value of each name). */
  query: Record<string, string>
  /** Empty when the request passed every check; otherwise why it was refused. */
  rejected: string
}

export interface IssuedUser {
  userId: string
  screenName: string
}

export interface FakeProvider {
  readonly origin: string
  readonly consumerKey: string
  readonly consumerSecret: string
  readonly requestTokenUrl: string
  readonly authorizeUrl: string
  readonly accessTokenUrl: string
  /** The protected resource: answers JSON about the token's user. */
  readonly meUrl: string
  mode: { requestToken: EndpointMode, accessToken: EndpointMode, api: EndpointMode, authorize: AuthorizeMode }
  /** `oauth_problem` used by the `error` and `unauthorized` modes. */
  problem: string
  /** The user the next approval is for. */
  user: IssuedUser
  /** Every request received, in order. */
  readonly seen: SeenRequest[]
  /** Token secrets the provider handed out (request and access), to look for leaks. */
  readonly issuedSecrets: string[]
  /** Request tokens handed out, newest last. */
  readonly requestTokens: string[]
  /** Access tokens handed out with their user, newest last. */
  readonly accessTokens: Array<{ token: string, secret: string, user: IssuedUser }>
  /** Requests that failed a check (signature, nonce, timestamp, token, verifier). */
  rejected (): SeenRequest[]
  /** GETs an authorize URL as a browser would and returns the provider's redirect target. */
  authorize (url: string): Promise<string>
  close (): Promise<void>
}

interface RequestTokenRecord {
  secret: string
  callback: string
  verifier: string
  used: boolean
}

/** The protocol parameters of `Authorization: OAuth ...`; undefined when absent or malformed. */
function parseAuthorization (header: string | undefined): Record<string, string> | undefined {
  if (header === undefined) return undefined
  try {
    return parseAuthorizationHeader(header)?.params
  } catch {
    return undefined
  }
}

function addParam (params: Record<string, string | string[]>, name: string, value: string): void {
  const existing = params[name]
  if (existing === undefined) params[name] = value
  else params[name] = ([] as string[]).concat(existing, value)
}

function randomToken (prefix: string): string {
  return prefix + randomBytes(9).toString('hex')
}

/** A secret with characters that need percent-encoding in the signing key. */
function randomSecret (prefix: string): string {
  return prefix + randomBytes(12).toString('base64') + '+/='
}

async function readBody (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export async function startFakeProvider (options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const consumerKey = options.consumerKey ?? 'fake-consumer-key'
  const consumerSecret = options.consumerSecret ?? 'consumer-Secret/+&=%~ü'
  const maxSkew = options.maxSkew ?? 300
  const sockets = new Set<Socket>()
  const nonces = new Set<string>()
  const requestTokens = new Map<string, RequestTokenRecord>()
  const accessTokens = new Map<string, { secret: string, user: IssuedUser }>()
  const seen: SeenRequest[] = []
  const issuedSecrets: string[] = []
  const requestTokenList: string[] = []
  const accessTokenList: Array<{ token: string, secret: string, user: IssuedUser }> = []
  let origin = ''

  const provider = {
    mode: { requestToken: 'ok', accessToken: 'ok', api: 'ok', authorize: 'approve' },
    problem: 'consumer_key_rejected',
    user: { userId: '783214', screenName: 'twitterapi' }
  } as Pick<FakeProvider, 'mode' | 'problem' | 'user'>

  /** Verifies the signature and protocol rules; returns why the request is refused, or ''. */
  function verify (request: IncomingMessage, url: URL, body: string, oauth: Record<string, string> | undefined,
    tokenSecret: (token: string) => string | undefined): string {
    if (oauth === undefined) return 'no OAuth Authorization header'
    if (oauth.oauth_consumer_key !== consumerKey) return 'consumer key'
    if (oauth.oauth_version !== undefined && oauth.oauth_version !== '1.0') return 'version'
    const method = oauth.oauth_signature_method ?? ''
    if (!['HMAC-SHA1', 'HMAC-SHA256', 'PLAINTEXT'].includes(method)) return 'signature method'
    const nonce = oauth.oauth_nonce
    if (nonce === undefined || nonce === '') return 'no nonce'
    const timestamp = Number(oauth.oauth_timestamp)
    if (!Number.isInteger(timestamp) || Math.abs(timestamp - Date.now() / 1000) > maxSkew) return 'timestamp'
    const nonceKey = `${oauth.oauth_timestamp}:${nonce}:${oauth.oauth_token ?? ''}`
    if (nonces.has(nonceKey)) return 'nonce reused'
    nonces.add(nonceKey)

    let secret = ''
    if (oauth.oauth_token !== undefined) {
      const found = tokenSecret(oauth.oauth_token)
      if (found === undefined) return 'unknown token'
      secret = found
    }
    const params: Record<string, string | string[]> = {}
    for (const [name, value] of url.searchParams) addParam(params, name, value)
    const type = request.headers['content-type'] ?? ''
    if (type.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded') {
      for (const [name, value] of new URLSearchParams(body)) addParam(params, name, value)
    }
    for (const [name, value] of Object.entries(oauth)) {
      if (name !== 'oauth_signature' && name !== 'realm') addParam(params, name, value)
    }
    const baseUri = `${url.protocol}//${url.host.toLowerCase()}${url.pathname}`
    const expected = oauthSign.sign(method, request.method ?? 'GET', baseUri, params, consumerSecret, secret)
    return expected === oauth.oauth_signature ? '' : 'signature_invalid'
  }

  function refuse (response: ServerResponse, problem: string): void {
    response.writeHead(401, {
      'www-authenticate': `OAuth realm="fake", oauth_problem="${problem}"`,
      'content-type': 'application/x-www-form-urlencoded'
    })
    response.end(`oauth_problem=${encodeURIComponent(problem)}`)
  }

  /** Applies a failure mode (after the request was checked and recorded); true when it answered or never will. */
  function misbehave (response: ServerResponse, mode: EndpointMode): boolean {
    switch (mode) {
      case 'error':
        response.writeHead(500, { 'content-type': 'application/x-www-form-urlencoded' })
        response.end(`oauth_problem=${provider.problem}&oauth_problem_advice=${encodeURIComponent('try again later')}`)
        return true
      case 'unauthorized':
        refuse(response, provider.problem)
        return true
      case 'garbage':
        response.writeHead(200, { 'content-type': 'text/html' })
        response.end('<html><body>Service Unavailable</body></html>')
        return true
      case 'hang':
        return true
      default:
        return false
    }
  }

  async function handle (request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin)
    const body = await readBody(request)
    const oauth = parseAuthorization(request.headers.authorization)
    const record = (rejected: string): string => {
      seen.push({ path: url.pathname, method: request.method ?? '', oauth: oauth ?? {}, query: Object.fromEntries(url.searchParams), rejected })
      return rejected
    }

    if (url.pathname === '/oauth/authorize') {
      const token = url.searchParams.get('oauth_token') ?? ''
      const entry = requestTokens.get(token)
      if (entry === undefined) {
        response.writeHead(400).end('unknown request token')
        return
      }
      const target = new URL(entry.callback)
      const mode = provider.mode.authorize
      if (mode === 'denied') {
        target.searchParams.set('denied', token)
      } else {
        target.searchParams.set('oauth_token', token)
        if (mode === 'approve') target.searchParams.set('oauth_verifier', entry.verifier)
        if (mode === 'user_refused') target.searchParams.set('oauth_problem', 'user_refused')
        if (mode === 'verifier_denied') target.searchParams.set('oauth_verifier', 'denied')
        if (mode === 'authorize_0') target.searchParams.set('authorize', '0')
      }
      response.writeHead(302, { location: target.href }).end()
      return
    }

    if (url.pathname === '/oauth/request_token') {
      const problem = record(verify(request, url, body, oauth, () => undefined))
      if (misbehave(response, provider.mode.requestToken)) return
      if (problem !== '') return refuse(response, problem)
      const callback = (oauth as Record<string, string>).oauth_callback
      if (callback === undefined) return refuse(response, 'parameter_absent')
      const token = randomToken('rt-')
      const secret = randomSecret('rs-')
      requestTokens.set(token, { secret, callback, verifier: randomToken('v-'), used: false })
      requestTokenList.push(token)
      issuedSecrets.push(secret)
      const confirmed = provider.mode.requestToken === 'unconfirmed' ? '' : '&oauth_callback_confirmed=true'
      response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
      response.end(`oauth_token=${token}&oauth_token_secret=${encodeURIComponent(secret)}${confirmed}`)
      return
    }

    if (url.pathname === '/oauth/access_token') {
      const token = oauth?.oauth_token ?? ''
      const entry = requestTokens.get(token)
      let problem = record(verify(request, url, body, oauth, (name) => requestTokens.get(name)?.secret))
      if (misbehave(response, provider.mode.accessToken)) return
      if (problem === '' && entry?.used === true) problem = 'token_used'
      if (problem === '' && oauth?.oauth_verifier !== entry?.verifier) problem = 'verifier_invalid'
      if (problem !== '') {
        const last = seen[seen.length - 1]
        if (last !== undefined) last.rejected = problem
        return refuse(response, problem)
      }
      (entry as RequestTokenRecord).used = true
      const access = randomToken('at-')
      const secret = randomSecret('as-')
      const user = { ...provider.user }
      accessTokens.set(access, { secret, user })
      accessTokenList.push({ token: access, secret, user })
      issuedSecrets.push(secret)
      response.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
      response.end(`oauth_token=${access}&oauth_token_secret=${encodeURIComponent(secret)}` +
        `&user_id=${user.userId}&screen_name=${encodeURIComponent(user.screenName)}`)
      return
    }

    if (url.pathname === '/api/me') {
      const problem = record(verify(request, url, body, oauth, (name) => accessTokens.get(name)?.secret))
      if (misbehave(response, provider.mode.api)) return
      if (problem !== '') return refuse(response, problem)
      const user = accessTokens.get((oauth as Record<string, string>).oauth_token as string)?.user as IssuedUser
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ id: user.userId, screen_name: user.screenName, query: Object.fromEntries(url.searchParams) }))
      return
    }

    response.writeHead(404).end('not found')
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error))
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return Object.assign(provider, {
    origin,
    consumerKey,
    consumerSecret,
    requestTokenUrl: `${origin}/oauth/request_token`,
    authorizeUrl: `${origin}/oauth/authorize`,
    accessTokenUrl: `${origin}/oauth/access_token`,
    meUrl: `${origin}/api/me`,
    seen,
    issuedSecrets,
    requestTokens: requestTokenList,
    accessTokens: accessTokenList,
    rejected: () => seen.filter((item) => item.rejected !== ''),
    async authorize (target: string): Promise<string> {
      const response = await fetch(target, { redirect: 'manual' })
      const location = response.headers.get('location')
      await response.arrayBuffer()
      if (response.status !== 302 || location === null) throw new Error(`authorize answered ${response.status}`)
      return location
    },
    async close (): Promise<void> {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
}

/** The consumer credentials and the three endpoints of a fake provider, as flow options. */
export function flowOptions (provider: FakeProvider, overrides: Partial<ProviderClientOptions> = {}): ProviderClientOptions {
  return {
    consumerKey: provider.consumerKey,
    consumerSecret: provider.consumerSecret,
    requestTokenUrl: provider.requestTokenUrl,
    authorizeUrl: provider.authorizeUrl,
    accessTokenUrl: provider.accessTokenUrl,
    ...overrides
  }
}
