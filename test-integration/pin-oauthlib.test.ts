/**
 * PIN (out-of-band) sign-in against a provider built on python oauthlib's endpoints: the request
 * token is asked with oauth_callback=oob, the authorize page answers the verifier instead of a
 * redirect, and the PIN typed back is exchanged. Once through the provider client (providerClient.startPin /
 * providerClient.completePin), once through the built `fastify-oauth1` bin (npm run build first), whose
 * `request --base-string` then calls oauthlib's /api/me. oauthlib judges every signature.
 *
 * Needs /usr/bin/python3 with python3-oauthlib python3-jwt python3-cryptography (Debian):
 * without them this test fails, it does not skip.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { request } from 'undici'
import { createProviderClient, parseFormToRecord } from '../src/core.js'
import { type OauthlibProvider, startOauthlibProvider } from './helpers/oauthlib-provider.js'
import { debianPackages } from './helpers/python.js'

const consumerKey = 'fastifyoauth1pinclientkey1'
const consumerSecret = 'pin-s3cret&=+% é'
const bin = fileURLToPath(new URL('../dist/esm/cli/main.js', import.meta.url))

/** The user at oauthlib's authorize page: with an oob callback it answers the verifier as a form body. */
async function pinAt (authorizeUrl: string): Promise<string> {
  const response = await request(authorizeUrl)
  const body = await response.body.text()
  const verifier = parseFormToRecord(body).oauth_verifier
  if (response.statusCode !== 200 || verifier === undefined) throw new Error(`no verifier on the authorize page: ${response.statusCode} ${body}`)
  return verifier
}

async function startProvider (t: { fail: (message: string) => void, teardown: (fn: () => Promise<void>) => void }): Promise<OauthlibProvider | undefined> {
  try {
    const provider = await startOauthlibProvider({ consumerKey, consumerSecret })
    t.teardown(() => provider.close())
    return provider
  } catch (error) {
    t.fail(`oauthlib provider unavailable; the integration suite needs the Debian packages ${debianPackages}: ${(error as Error).message}`)
    return undefined
  }
}

t.test('providerClient.startPin / providerClient.completePin against oauthlib', async (t) => {
  const provider = await startProvider(t)
  if (provider === undefined) return
  const { origin } = provider
  const providerClient = createProviderClient({
    consumerKey,
    consumerSecret,
    requestTokenUrl: `${origin}/oauth/request_token`,
    authorizeUrl: `${origin}/oauth/authorize`,
    accessTokenUrl: `${origin}/oauth/access_token`
  })
  t.teardown(() => providerClient.close())
  const { requestToken, authorizeUrl } = await providerClient.startPin()
  t.equal(requestToken.extra.oauth_callback_confirmed, 'true', 'oauthlib confirmed the oob callback')
  const pin = await pinAt(authorizeUrl)
  const access = await providerClient.completePin(requestToken, ` ${pin}\n`)
  t.match(access.token, /^[A-Za-z0-9]{30}$/)
  const me = await providerClient.clientFor(access).get(`${origin}/api/me`)
  t.equal(me.status, 200, 'oauthlib accepts the token', { body: me.text() })
  t.same(me.json(), { id: '1001', screen_name: 'demo_user' })
  await t.rejects(providerClient.completePin(requestToken, pin), { code: 'OAUTH1_PROVIDER_ERROR' }, 'the request token was single-use')
})

interface Run { code: number | null, stdout: string, stderr: string }

function cli (args: string[], env: Record<string, string>, onStderr?: (stderr: string, stdin: NodeJS.WritableStream) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; onStderr?.(stderr, child.stdin) })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
    if (onStderr === undefined) child.stdin.end()
  })
}

t.test('the fastify-oauth1 bin: authorize with the PIN on stdin, then request /api/me', async (t) => {
  if (!existsSync(bin)) {
    t.fail(`${bin} is missing: run npm run build first`)
    return
  }
  const provider = await startProvider(t)
  if (provider === undefined) return
  const { origin } = provider
  const env = { OAUTH1_CONSUMER_KEY: consumerKey, OAUTH1_CONSUMER_SECRET: consumerSecret }
  let answered = false
  const signedIn = await cli(['authorize', '--request-token-url', `${origin}/oauth/request_token`, '--authorize-url', `${origin}/oauth/authorize`,
    '--access-token-url', `${origin}/oauth/access_token`], env, (stderr, stdin) => {
    const url = /^\s+(http\S+)$/m.exec(stderr)?.[1]
    if (url === undefined || answered) return
    answered = true
    pinAt(url).then((pin) => stdin.end(`${pin}\n`), (error: Error) => stdin.end(`page failed: ${error.message}\n`))
  })
  t.equal(signedIn.code, 0, 'authorize exits 0', { stderr: signedIn.stderr })
  t.match(signedIn.stderr, /Signed in as demo_user, id 1001/)
  const [, token = '', tokenSecret = ''] = /^export OAUTH1_TOKEN='([^']+)'\nexport OAUTH1_TOKEN_SECRET='([^']+)'\n$/.exec(signedIn.stdout) ?? []
  t.match(token, /^[A-Za-z0-9]{30}$/, 'the token on stdout')

  const me = await cli(['request', 'GET', `${origin}/api/me`, '--base-string'], { ...env, OAUTH1_TOKEN: token, OAUTH1_TOKEN_SECRET: tokenSecret })
  t.equal(me.code, 0, 'request exits 0', { stderr: me.stderr, stdout: me.stdout })
  t.match(me.stdout, /^HTTP 200 OK\n/)
  t.match(me.stdout, /\n\n\{"id": "1001", "screen_name": "demo_user"\}\n$/)
  const baseString = new RegExp('Signature base string \\(RFC 5849 §3\\.4\\.1\\):\\n' +
    `GET&http%3A%2F%2F127\\.0\\.0\\.1%3A\\d+%2Fapi%2Fme&oauth_consumer_key%3D${consumerKey}%26`)
  t.match(me.stderr, baseString, 'the base string of the call')
})
