// The `fastify-oauth1` bin as users run it: the built dist/esm/cli/main.js (npm run build first)
// in a child process, against the test kit's mock provider on a real port. The mock verifies
// every signature itself; the base string printed is checked against the signature the mock
// accepted with an HMAC computed here, not by our signer.
import { spawn } from 'node:child_process'
import { PassThrough, Readable } from 'node:stream'
import { createHmac } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { request as undiciRequest } from 'undici'
import { createSigner } from '../src/signer/signer.js'
import { percentEncode } from '../src/protocol/encoding.js'
import { createMockProvider, type MockProvider } from '../src/testing/index.js'
import { run } from '../src/cli/run.js'

// About 25 child processes, each starting node: more than .taprc's 60 s may pass on a busy machine.
t.setTimeout(240_000)

const root = fileURLToPath(new URL('..', import.meta.url))
const bin = join(root, 'dist/esm/cli/main.js')
const consumerKey = 'cli-consumer'
const consumerSecret = 'cli-consumer-s3cret'

interface Run { code: number | null, stdout: string, stderr: string }

/**
 * Runs the built bin with `env` only (no OAUTH1_* of the test's own environment). `onStderr` sees
 * stderr as it grows and may answer on stdin; without it, stdin is `input` and then closed.
 */
interface CliOptions {
  input?: string
  onStderr?: (stderr: string, stdin: NodeJS.WritableStream) => void
}

function cli (args: string[], env: Record<string, string>, options: CliOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
      options.onStderr?.(stderr, child.stdin)
    })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
    if (options.onStderr === undefined) child.stdin.end(options.input ?? '')
  })
}

/** The same command in this process (src/cli/run.ts, what main.ts calls), for the many usage cases. */
async function inProcess (args: string[], env: Record<string, string>): Promise<Run> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const code = await run(args, { env, stdin: Readable.from([]), stdout, stderr })
  stdout.end()
  stderr.end()
  return { code, stdout: String(stdout.read() ?? ''), stderr: String(stderr.read() ?? '') }
}

/** The user at the provider: opens the authorize URL and reads the PIN off the page. */
async function pinAt (authorizeUrl: string): Promise<string> {
  const response = await undiciRequest(authorizeUrl)
  const page = await response.body.text()
  const pin = /Verification code: (\S+)/.exec(page)?.[1]
  if (response.statusCode !== 200 || pin === undefined) throw new Error(`no PIN page: ${response.statusCode} ${page}`)
  return pin
}

/** `authorize` with the PIN typed on stdin once the URL is printed (or `typed` instead of the right PIN). */
function authorizeWithPin (provider: MockProvider, env: Record<string, string>, typed?: string): Promise<Run> {
  const { requestTokenUrl, authorizeUrl, accessTokenUrl } = provider.options()
  let answered = false
  return cli(['authorize', '--request-token-url', requestTokenUrl, '--authorize-url', authorizeUrl, '--access-token-url', accessTokenUrl], env, {
    onStderr (stderr, stdin) {
      const url = /^\s+(http\S+)$/m.exec(stderr)?.[1]
      if (url === undefined || answered) return
      answered = true
      pinAt(url).then((pin) => stdin.end(`${typed ?? pin}\n`), (error: Error) => stdin.end(`page failed: ${error.message}\n`))
    }
  })
}

function hmacSha1 (text: string, key: string): string {
  return createHmac('sha1', key).update(text).digest('base64')
}

async function listening (t: { teardown: (fn: () => Promise<void>) => void }): Promise<MockProvider> {
  const provider = createMockProvider({ consumerKey, consumerSecret, user: { id: '7', name: 'Cli User' } })
  await provider.listen()
  t.teardown(() => provider.close())
  return provider
}

const consumerEnv = { OAUTH1_CONSUMER_KEY: consumerKey, OAUTH1_CONSUMER_SECRET: consumerSecret }

t.before(() => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm run build first`)
})

t.test('the built bin is an executable node script, and package.json names it', async (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> }
  t.same(pkg.bin, { 'fastify-oauth1': './dist/esm/cli/main.js' })
  t.equal(readFileSync(bin, 'utf8').split('\n')[0], '#!/usr/bin/env node', 'shebang kept by the build')
  t.ok((statSync(bin).mode & 0o111) !== 0, 'executable')
  const help = await new Promise<Run>((resolve, reject) => {
    const child = spawn(bin, ['--help'], { env: { PATH: process.env.PATH ?? '' } })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr: '' }))
  })
  t.equal(help.code, 0, 'runs by itself')
  t.match(help.stdout, /fastify-oauth1 authorize/)
  t.match(help.stdout, /OAUTH1_CONSUMER_SECRET/)
})

t.test('authorize: PIN sign-in prints export lines that request then signs with; --base-string is what was signed', async (t) => {
  const provider = await listening(t)
  const signedIn = await authorizeWithPin(provider, consumerEnv)
  t.equal(signedIn.code, 0, 'authorize exits 0', { stderr: signedIn.stderr })
  const requestTokenCall = provider.requests.find((each) => each.endpoint === 'request_token')
  t.equal(requestTokenCall?.oauth?.oauth_callback, 'oob', 'the request token is asked with oauth_callback=oob')
  const exported = /^export OAUTH1_TOKEN='([^']+)'\nexport OAUTH1_TOKEN_SECRET='([^']+)'\n$/.exec(signedIn.stdout)
  t.ok(exported, 'stdout is the two export lines and nothing else', { stdout: signedIn.stdout })
  const [, token = '', tokenSecret = ''] = exported ?? []
  t.match(signedIn.stderr, /Open this URL/)
  t.match(signedIn.stderr, /Signed in as Cli User, id 7/)
  t.notMatch(signedIn.stdout + signedIn.stderr, consumerSecret, 'the consumer secret is never printed')
  t.notMatch(signedIn.stderr, tokenSecret, 'the token secret only on stdout')
  const evaluated = await new Promise<string>((resolve, reject) => {
    const child = spawn('sh', ['-c', 'eval "$1"; printf "%s %s" "$OAUTH1_TOKEN" "$OAUTH1_TOKEN_SECRET"', 'sh', signedIn.stdout])
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    child.once('error', reject)
    child.once('close', () => resolve(out))
  })
  t.equal(evaluated, `${token} ${tokenSecret}`, 'eval "$(fastify-oauth1 authorize ...)" sets the variables')

  const url = `${provider.url}/1.1/account/verify_credentials.json?lang=en%20us`
  const called = await cli(['request', 'GET', url, '--base-string'], { ...consumerEnv, OAUTH1_TOKEN: token, OAUTH1_TOKEN_SECRET: tokenSecret })
  t.equal(called.code, 0, 'request exits 0 on 2xx', { stderr: called.stderr })
  t.match(called.stdout, /^HTTP 200 OK\n/)
  t.match(called.stdout, /\ncontent-type: application\/json\n/)
  t.same(JSON.parse(called.stdout.split('\n\n')[1] as string), { id: '7', name: 'Cli User', screen_name: 'Cli User' })
  const recorded = provider.requests.at(-1)?.oauth ?? {}
  const baseString = /Signature base string \(RFC 5849 §3\.4\.1\):\n(.*)\n/.exec(called.stderr)?.[1]
  t.equal(hmacSha1(baseString ?? '', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`), recorded.oauth_signature,
    'the printed base string is the one whose signature the mock accepted')
  const sameNonceAndTime = { nonce: () => recorded.oauth_nonce as string, now: () => Number(recorded.oauth_timestamp) * 1000 }
  const expected = createSigner({ consumerKey, consumerSecret, token, tokenSecret, ...sameNonceAndTime })
    .sign({ method: 'GET', url }, { returnBaseString: true }).baseString
  t.equal(baseString, expected, 'and the one the signer computes for that request')
  t.notMatch(called.stdout + called.stderr, tokenSecret, 'no secret printed by request')
  t.notMatch(called.stdout + called.stderr, consumerSecret)
})

t.test('request: --data as a signed form body, --header, --placement body and query, two-legged without a token', async (t) => {
  const provider = await listening(t)
  provider.route('POST', '/echo', ({ request, query }) => ({
    body: { body: request.body.toString(), header: request.headers['x-trace'], query: query.toString() }
  }), { twoLegged: true })
  const posted = await cli(['request', `${provider.url}/echo`, '-d', 'status=hello world', '--data', 'n=1', '-H', 'X-Trace: abc',
    '--placement', 'body', '--base-string'], consumerEnv)
  t.equal(posted.code, 0, 'POST by default with --data', { stderr: posted.stderr })
  const echoed = JSON.parse(posted.stdout.split('\n\n')[1] as string) as { body: string, header: string, query: string }
  t.match(echoed.body, /^status=hello%20world&n=1&oauth_consumer_key=cli-consumer&/, 'the form, with the protocol parameters in the body')
  t.equal(echoed.header, 'abc')
  t.match(posted.stderr, /\nPOST&http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fecho&n%3D1%26oauth_consumer_key%3Dcli-consumer%26.*status%3Dhello%2520world\n/,
    'the form is in the base string')

  const queried = await cli(['request', '--method', 'post', `${provider.url}/echo?a=1`, '--placement', 'query'], consumerEnv)
  t.equal(queried.code, 0, { stderr: queried.stderr })
  t.match((JSON.parse(queried.stdout.split('\n\n')[1] as string) as { query: string }).query, /^a=1&oauth_consumer_key=cli-consumer&.*oauth_signature=/)
})

t.test('request: a refused signature exits 1 with the status on stdout and the base string signed on stderr', async (t) => {
  const provider = await listening(t)
  const wrongEnv = { OAUTH1_CONSUMER_KEY: consumerKey, OAUTH1_CONSUMER_SECRET: 'not-the-s3cret', OAUTH1_TOKEN: 't', OAUTH1_TOKEN_SECRET: 'ts-s3cret' }
  const refused = await cli(['request', 'GET', `${provider.url}/1.1/account/verify_credentials.json`], wrongEnv)
  t.equal(refused.code, 1)
  t.match(refused.stdout, /^HTTP 401 Unauthorized\n/)
  t.match(refused.stdout, /oauth_problem=(signature_invalid|token_rejected)/)
  t.notMatch(refused.stdout + refused.stderr, /not-the-s3cret|ts-s3cret/, 'no secret printed')

  const debugSbs = 'oauth_problem=signature_invalid&debug_sbs=GET&http%3A%2F%2Fother&x%3D1'
  provider.route('GET', '/flickr-like', () => ({ status: 401, headers: { 'content-type': 'text/plain' }, body: debugSbs }), { twoLegged: true })
  const diagnosed = await cli(['request', `${provider.url}/flickr-like`], consumerEnv)
  t.equal(diagnosed.code, 1)
  t.match(diagnosed.stderr, /The provider refused the signature\. We signed this base string:\nGET&http%3A%2F%2F127\.0\.0\.1/)
  t.match(diagnosed.stderr, /The provider computed this one:\nGET&http%3A%2F%2Fother&x%3D1\n/)
  t.match(diagnosed.stderr, /They differ first in the uri/)
})

t.test('authorize: a wrong PIN or no PIN exits 1 with a coded error and prints no credentials', async (t) => {
  const provider = await listening(t)
  const wrong = await authorizeWithPin(provider, consumerEnv, 'not-the-pin')
  t.equal(wrong.code, 1)
  t.equal(wrong.stdout, '')
  t.match(wrong.stderr, /fastify-oauth1: OAUTH1_PROVIDER_ERROR: .*oauth_problem=verifier_invalid/)
  const { requestTokenUrl, authorizeUrl, accessTokenUrl } = provider.options()
  const endpoints = ['--request-token-url', requestTokenUrl, '--authorize-url', authorizeUrl, '--access-token-url', accessTokenUrl]
  const none = await cli(['authorize', ...endpoints], consumerEnv, { input: '' })
  t.equal(none.code, 1)
  t.equal(none.stdout, '')
  t.match(none.stderr, /fastify-oauth1: OAUTH1_MISSING_VERIFIER: No PIN was read/)
  provider.misbehaveNext('unconfirmed_callback')
  const unconfirmed = await cli(['authorize', ...endpoints], consumerEnv)
  t.equal(unconfirmed.code, 1)
  t.match(unconfirmed.stderr, /OAUTH1_CALLBACK_NOT_CONFIRMED/)
})

t.test('usage errors exit 2 and say what is wrong; a missing variable is named', async (t) => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [[], consumerEnv, /Missing command/],
    [['fetch'], consumerEnv, /Unknown command "fetch"/],
    [['request'], consumerEnv, /request expects \[METHOD\] URL/],
    [['request', 'GET', 'http://127.0.0.1:9/', '--data', 'novalue'], consumerEnv, /--data expects name=value/],
    [['request', 'GET', 'http://127.0.0.1:9/', '--placment', 'query'], consumerEnv, /Unknown option --placment; did you mean --placement\?/],
    [['request', 'GET', 'http://127.0.0.1:9/', '--placement', 'cookie'], consumerEnv, /--placement expects header, query or body/],
    [['request', 'GET', 'http://127.0.0.1:9/', '-X', 'POST'], consumerEnv, /Two methods given/],
    [['request', 'v1/me'], consumerEnv, /expected an absolute http\(s\) URL \(or a path with --provider\)/],
    [['request', 'http://127.0.0.1:9/', '--authorize-url', 'http://x/'], consumerEnv, /--authorize-url is an option of authorize, not of request/],
    [['authorize'], consumerEnv, /needs the provider's endpoints: --provider NAME, or --request-token-url URL, --authorize-url URL, --access-token-url/],
    [['authorize', '--provider', 'myspace'], consumerEnv, /OAUTH1_INVALID_OPTION: Invalid option "provider"/],
    [['request', 'http://127.0.0.1:9/'], { OAUTH1_CONSUMER_SECRET: consumerSecret }, /OAUTH1_CONSUMER_KEY is not set/],
    [['authorize', '--provider', 'x'], { OAUTH1_CONSUMER_KEY: consumerKey }, /OAUTH1_CONSUMER_SECRET is not set/],
    [['request', 'http://127.0.0.1:9/'], { ...consumerEnv, OAUTH1_TOKEN: 't' }, /OAUTH1_TOKEN_SECRET is not set/],
    [['request', 'http://127.0.0.1:9/', '-H', 'X-Bad: a\u0001b'], consumerEnv, /OAUTH1_INVALID_REQUEST/]
  ]
  for (const [args, env, message] of cases) {
    const run = await inProcess(args, env)
    t.equal(run.code, 2, `exit 2: ${args.join(' ')}`)
    t.match(run.stderr, message, `says why: ${args.join(' ')}`)
    t.match(run.stderr, /^fastify-oauth1: OAUTH1_INVALID_(OPTION|REQUEST): /, 'a coded error')
    t.equal(run.stdout, '')
  }
  const spawned = await cli(['request', 'http://127.0.0.1:9/'], { OAUTH1_CONSUMER_SECRET: consumerSecret })
  t.equal(spawned.code, 2, 'the bin exits 2')
  t.match(spawned.stderr, /^fastify-oauth1: OAUTH1_INVALID_OPTION: OAUTH1_CONSUMER_KEY is not set/)
})

t.test('keys and tokens are never taken from arguments, and a secret given there is not echoed', async (t) => {
  for (const args of [['--consumer-secret=s3cr3t-value'], ['--token-secret', 's3cr3t-value'], ['--consumer-key', 's3cr3t-value'], ['--token=s3cr3t-value']]) {
    const run = await inProcess(['request', 'http://127.0.0.1:9/', ...args], consumerEnv)
    t.equal(run.code, 2, `refused: ${args[0]}`)
    t.match(run.stderr, /keys and tokens are read from the environment only \(OAUTH1_CONSUMER_KEY, OAUTH1_CONSUMER_SECRET, OAUTH1_TOKEN, OAUTH1_TOKEN_SECRET\)/)
    t.notMatch(run.stderr + run.stdout, 's3cr3t-value', 'the value is not echoed')
  }
  const spawned = await cli(['request', 'http://127.0.0.1:9/', '--consumer-secret=s3cr3t-value'], consumerEnv)
  t.equal(spawned.code, 2, 'the bin exits 2')
  t.notMatch(spawned.stderr + spawned.stdout, 's3cr3t-value')
})
