/**
 * A local provider with token lifecycles, as real ones behave: X-style `POST
 * /1.1/oauth/invalidate_token` (signed with the user token; the token stops working), OAuth
 * Session 1.0 (`oauth_session_handle`, `oauth_expires_in`; an expired token answers 401
 * `oauth_problem=token_expired`, the access-token endpoint renews it given the handle), and X's
 * 401 code 89 for a revoked token. Every request's signature is checked with oauth-sign.
 */
import { checkSignature, startServer, type RecordedRequest, type TestServer } from './signature-check.js'

export interface IssuedToken {
  secret: string
  state: 'valid' | 'expired' | 'revoked'
  handle: string | undefined
}

export interface SessionProvider extends TestServer {
  tokens: Map<string, IssuedToken>
  /** Issues a token (with a session handle unless `handle: false`). */
  issue (token: string, options?: { handle?: boolean }): { token: string, tokenSecret: string, sessionHandle?: string }
  /** Requests to each path, in order. */
  calls (path: string): RecordedRequest[]
  /** Holds the next renewals' answers until `release()`; `arrived` settles when the first one is held. */
  holdRenewals (): { arrived: Promise<void>, release: () => void }
}

export const consumer = { consumerKey: 'ck', consumerSecret: 'cs' }

export async function startSessionProvider (): Promise<SessionProvider> {
  const tokens = new Map<string, IssuedToken>()
  let renewals = 0
  let hold: { gate: Promise<void>, arrive: () => void } | undefined
  const server = await startServer((request, response) => {
    const path = request.url.split('?')[0]
    const auth = checkSignature(request, { consumerKey: 'ck', consumerSecret: 'cs', tokenSecret: '' })
    const token = auth.oauth.oauth_token
    const issued = token === undefined ? undefined : tokens.get(token)
    const check = checkSignature(request, { ...consumer, tokenSecret: issued?.secret ?? '' })
    const answer = (status: number, type: string, body: string): void => {
      response.writeHead(status, { 'content-type': type })
      response.end(body)
    }
    if (!check.valid || issued === undefined) {
      answer(401, 'application/x-www-form-urlencoded', 'oauth_problem=signature_invalid')
      return
    }
    if (path === '/1.1/oauth/invalidate_token' && request.method === 'POST') {
      if (issued.state === 'revoked') {
        answer(401, 'application/json', '{"errors":[{"code":89,"message":"Invalid or expired token."}]}')
        return
      }
      issued.state = 'revoked'
      answer(200, 'application/json', JSON.stringify({ access_token: token }))
      return
    }
    const renew = (): void => {
      const handle = check.oauth.oauth_session_handle
      if (handle === undefined || handle !== issued.handle || issued.state === 'revoked') {
        answer(401, 'application/x-www-form-urlencoded', 'oauth_problem=token_rejected')
        return
      }
      renewals++
      tokens.delete(token as string)
      const fresh = `renewed-${renewals}`
      tokens.set(fresh, { secret: `renewed-secret-${renewals}`, state: 'valid', handle })
      answer(200, 'application/x-www-form-urlencoded',
        `oauth_token=${fresh}&oauth_token_secret=renewed-secret-${renewals}&oauth_session_handle=${handle}&oauth_expires_in=3600&oauth_authorization_expires_in=86400`)
    }
    if (path === '/oauth/access_token' && hold !== undefined) {
      const { gate, arrive } = hold
      arrive()
      gate.then(renew, () => {})
      return
    }
    if (path === '/oauth/access_token') {
      renew()
      return
    }
    if (path === '/api/me') {
      if (issued.state === 'expired') answer(401, 'application/x-www-form-urlencoded', 'oauth_problem=token_expired&oauth_problem_advice=renew%20it')
      else if (issued.state === 'revoked') answer(401, 'application/json', '{"errors":[{"code":89,"message":"Invalid or expired token."}]}')
      else answer(200, 'application/json', JSON.stringify({ token }))
      return
    }
    answer(404, 'text/plain', 'not found')
  })
  return Object.assign(server, {
    tokens,
    issue (token: string, options: { handle?: boolean } = {}) {
      const handle = options.handle === false ? undefined : `handle-of-${token}`
      tokens.set(token, { secret: `${token}-secret`, state: 'valid', handle })
      return handle === undefined ? { token, tokenSecret: `${token}-secret` } : { token, tokenSecret: `${token}-secret`, sessionHandle: handle }
    },
    calls: (path: string) => server.requests.filter((request) => request.url.split('?')[0] === path),
    holdRenewals () {
      let release = (): void => {}
      let arrive = (): void => {}
      const gate = new Promise<void>((resolve) => { release = () => { hold = undefined; resolve() } })
      const arrived = new Promise<void>((resolve) => { arrive = resolve })
      hold = { gate, arrive }
      return { arrived, release }
    }
  })
}
