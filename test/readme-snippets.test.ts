// The README's code (and the ts blocks of the docs/ pages in docPages). First every ```ts block compiled exactly as printed, against the built
// package (`fastify-oauth1` resolves to dist/ by self-reference): each block is its own module,
// after a prelude that declares only what the block uses without defining (`consumerKey`,
// `app`, the package's exports). Then the snippets run: the app is built and made ready,
// which also validates the options.
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import t from 'tap'
import { Agent, interceptors } from 'undici'
import fastifyOAuth1, {
  createClient, createSigner, evernote, netsuite,
  type OAuth1RequestDecorations, type OAuth1InstanceDecorations, type OAuth1SessionData
} from '../src/index.js'
import { createSigningInterceptor } from '../src/core.js'

declare module 'fastify' {
  interface FastifyRequest extends OAuth1RequestDecorations<'trello' | 'flickr'> {}
  interface FastifyInstance extends OAuth1InstanceDecorations<'trello' | 'flickr'> {}
  interface Session extends OAuth1SessionData<'trello' | 'flickr'> {} // request.session.get('oauth1:trello')
}

const root = fileURLToPath(new URL('..', import.meta.url))

/** The ```ts blocks of the README (or of another page), as printed. */
export function readmeSnippets (page = 'README.md'): string[] {
  const readme = readFileSync(join(root, page), 'utf8')
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] as string)
}

/** The docs/ pages whose ```ts blocks are compiled with the README's. */
const docPages = ['docs/pin-sign-in.md', 'docs/cli.md']

const strings = ['consumerKey', 'consumerSecret', 'token', 'tokenSecret', 'callbackUrl', 'flowSecret']

/** Declarations for the names a snippet uses but neither imports nor defines. */
function prelude (snippet: string, packageExports: readonly string[]): string {
  const free = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(snippet) &&
    !new RegExp(`(?:import[^\\n]*\\b${name}\\b|(?:const|let|var|function)\\s+(?:\\{[^}]*\\b${name}\\b|${name}\\b))`).test(snippet)
  const lines = ['// prelude (not from the README)']
  const fromPackage = packageExports.filter(free)
  if (fromPackage.length > 0) lines.push(`import { ${fromPackage.join(', ')} } from 'fastify-oauth1'`)
  if (free('app')) lines.push("import type { FastifyInstance as PreludeApp } from 'fastify'", 'declare const app: PreludeApp')
  for (const name of strings.filter(free)) lines.push(`declare const ${name}: string`)
  lines.push('export {}', '// the README snippet, as printed:')
  return lines.join('\n') + '\n'
}

t.test('every ```ts block of the README and of docs/pin-sign-in.md and docs/cli.md compiles exactly as printed (against dist/)', async (t) => {
  const snippets = readmeSnippets()
  t.ok(snippets.length >= 5, `${snippets.length} snippets`)
  const packageExports = Object.keys(await import('fastify-oauth1')).filter((name) => name !== 'default')
  const dir = join(root, 'test-artifacts/readme-snippets')
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  // The testing section imports the reader's own app factory from './app.js': one is written here.
  writeFileSync(join(dir, 'app.ts'), [
    "import Fastify from 'fastify'",
    "import fastifyCookie from '@fastify/cookie'",
    "import fastifyOAuth1, { type FastifyOAuth1Options } from 'fastify-oauth1'",
    'export async function buildApp (options: FastifyOAuth1Options) {',
    '  const app = Fastify()',
    '  await app.register(fastifyCookie)',
    '  await app.register(fastifyOAuth1, options)',
    "  app.get('/me', async (request) => (await request.oauth1.get('http://provider.test/1.1/account/verify_credentials.json')).json())",
    '  return app',
    '}',
    ''
  ].join('\n'))
  const files = snippets.map((snippet, i) => {
    const file = `snippet-${i + 1}.mts`
    writeFileSync(join(dir, file), prelude(snippet, packageExports) + snippet)
    t.ok(readFileSync(join(dir, file), 'utf8').endsWith(snippet), `${file} ends with the snippet unchanged`)
    return file
  })
  for (const page of docPages) {
    const pageSnippets = readmeSnippets(page)
    t.ok(pageSnippets.length > 0, `${page} has ts snippets`)
    pageSnippets.forEach((snippet, i) => {
      const file = `${page.replace(/^docs\/|\.md$/g, '')}-${i + 1}.mts`
      writeFileSync(join(dir, file), prelude(snippet, packageExports) + snippet)
      files.push(file)
    })
  }
  // lib with DOM, as a project that does not set `lib` gets: its fetch types are stricter than Node's.
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'ES2022', lib: ['ES2023', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], skipLibCheck: true, noEmit: true },
    files
  }))
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { encoding: 'utf8' })
    t.pass('tsc accepts every snippet')
  } catch (error) {
    t.fail('tsc accepts every snippet', { diagnostics: (error as { stdout: string }).stdout })
  }
})

const consumerKey = 'key'
const consumerSecret = 'secret'
const token = 'token'
const tokenSecret = 'token-secret'
const flowSecret = 'a-flow-cookie-secret-of-at-least-32-chars'

t.test('the "Use it in your app" snippet registers and is ready', async (t) => {
  const app = Fastify({ logger: false })
  t.teardown(() => app.close())
  await app.register(fastifyCookie)
  await app.register(fastifySession, {
    secret: 'a-session-secret-of-at-least-32-characters!',
    saveUninitialized: false,
    cookie: { secure: 'auto', httpOnly: true, sameSite: 'lax' }
  })
  await app.register(fastifyOAuth1, {
    provider: 'x',
    consumerKey,
    consumerSecret,
    callbackUrl: 'https://app.example.com/oauth/callback',
    flowSecret,
    requestTokenParams: { x_auth_access_type: 'read' }
  })
  await app.register(fastifyOAuth1, {
    name: 'trello',
    provider: 'trello',
    consumerKey,
    consumerSecret,
    flowSecret,
    callbackUrl: 'https://app.example.com/oauth/trello/callback',
    authorizeParams: { name: 'My App', scope: 'read,write', expiration: '30days' }
  })
  await app.register(fastifyOAuth1, { name: 'evernote', provider: evernote({ sandbox: true }), consumerKey, consumerSecret, flowSecret, callbackUrl: 'https://app.example.com/oauth/evernote/callback' })
  app.get('/profile', async (request) => {
    const response = await request.oauth1.get('1.1/account/verify_credentials.json')
    return response.json()
  })
  await app.ready()
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/start' }))
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/trello/start' }))
  t.ok(app.hasRoute({ method: 'GET', url: '/oauth/trello/callback' }))
  t.match(app.trello.authorizeUrl('rt'), /^https:\/\/trello\.com\/1\/OAuthAuthorizeToken\?name=My%20App&scope=read%2Cwrite&expiration=30days&oauth_token=rt$/)
  const profile = await app.inject({ method: 'GET', url: '/profile' })
  t.equal(profile.statusCode, 401, 'not connected yet')
  t.equal(profile.json().code, 'OAUTH1_NOT_CONNECTED')
})

t.test('the two-legged snippets construct', async (t) => {
  const api = createClient({ consumerKey, consumerSecret, token, tokenSecret, baseUrl: 'https://partner.example/v1/' })
  const suite = createClient({ provider: netsuite({ accountId: '1234567-sb1' }), consumerKey, consumerSecret, token, tokenSecret })
  const signer = createSigner({ consumerKey, consumerSecret, signatureMethod: 'HMAC-SHA256', realm: '1234567_SB1' })
  const signed = signer.sign({ method: 'POST', url: 'https://partner.example/v1/orders', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, { token, tokenSecret })
  t.match(signed.headers.authorization, /^OAuth realm="1234567_SB1", oauth_consumer_key="key"/)
  const agent = new Agent().compose(createSigningInterceptor({ consumerKey, consumerSecret, origins: ['https://partner.example'] }), interceptors.redirect({ maxRedirections: 3 }))
  t.equal(typeof agent.request, 'function')
  await Promise.all([api.close(), suite.close(), agent.close()])
})
