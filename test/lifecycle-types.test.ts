// Type tests of the token lifecycle, diagnosis and body API: `tsc` checks this file; lines under
// `@ts-expect-error` must NOT compile. tap runs the small runtime part.
import type { Readable } from 'node:stream'
import t from 'tap'
import type {
  AccessToken, ClientResponse, DisconnectResult, FastifyOAuth1Options, ProviderClient, OAuth1Client, OAuth1Credentials,
  OAuth1Error, OAuth1RequestClient, SignatureDiagnosis, StreamedResponse
} from '../src/index.js'
import { createSigner } from '../src/core.js'

export const seen: unknown[] = []

export async function streamed (client: OAuth1Client, user: OAuth1RequestClient): Promise<void> {
  const download: StreamedResponse = await client.get('https://api.example/file', { stream: true })
  const body: Readable = download.body
  // @ts-expect-error a streamed response has no text()
  download.text()
  const buffered: ClientResponse = await client.get('https://api.example/file')
  const diagnosis: SignatureDiagnosis | undefined = buffered.diagnosis()
  const viaUser: StreamedResponse = await user.get('https://api.example/file', { stream: true })
  const result: DisconnectResult = await user.disconnect({ revoke: true })
  const error: OAuth1Error | undefined = result.error
  seen.push(body, diagnosis, viaUser, error)
  // @ts-expect-error bodyHash is a string (the base64 value), not a flag
  await client.post('https://api.example/up', { body: new FormData(), bodyHash: true })
}

export async function lifecycle (flow: ProviderClient, credentials: OAuth1Credentials): Promise<AccessToken> {
  await flow.revoke(credentials)
  const fresh = await flow.renew(credentials)
  const expiresAt: number | undefined = fresh.expiresAt ?? credentials.expiresAt
  const handle: string | undefined = credentials.sessionHandle
  seen.push(expiresAt, handle)
  return fresh
}

export const hooks: Pick<FastifyOAuth1Options, 'onTokenInvalid' | 'revokeUrl'> = {
  revokeUrl: 'https://api.x.com/1.1/oauth/invalidate_token',
  onTokenInvalid: async (request, error) => {
    const code: 'OAUTH1_TOKEN_INVALID' | string = error.code
    await request.oauth1.disconnect()
    seen.push(code)
  }
}

t.test('sign() returns the base string only when asked, typed as optional', async (t) => {
  const signer = createSigner({ consumerKey: 'ck', consumerSecret: 'cs' })
  const signed = signer.sign({ method: 'GET', url: 'https://a.example/' }, { returnBaseString: true })
  const base: string | undefined = signed.baseString
  t.match(base, /^GET&https%3A%2F%2Fa\.example%2F&/)
  t.equal(typeof lifecycle, 'function')
  t.equal(typeof streamed, 'function')
})
