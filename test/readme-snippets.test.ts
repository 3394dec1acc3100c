// The documentation's code: every ```ts block of README.md and docs/*.md compiled exactly as
// printed, against the built package (`fastify-oauth1` resolves to dist/ by self-reference). A
// block whose first line names a file (`// app.ts`) is that file, complete, and other blocks of
// the same page import it by that name (`./app.js`); the others are each a module after a
// prelude that declares only what the block uses without defining (`consumerKey`, `app`, the
// package's exports). Named test files (`// app.test.ts`) are then run with node:test, and
// ```js blocks run with node. Last, the option snippets run: the app is built and made ready,
// which also validates the options.
import { execFile, execFileSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'
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
// tsc over every block and four node processes: more than the default minute on a busy machine.
t.setTimeout(180_000)
const run = promisify(execFile)

/** The documentation pages whose code blocks are checked: the README, then docs/ in name order. */
export function documentationPages (): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)]
}

/** One fenced code block of a page, as printed. */
export interface Snippet {
  lang: 'ts' | 'js'
  code: string
  /** The file the block says it is (`// app.ts` on its first line), if any. */
  file: string | undefined
}

/** The ```ts and ```js blocks of a page (other fences, such as ```sh, are not code to check). */
export function snippetsOf (page: string): Snippet[] {
  const text = readFileSync(join(root, page), 'utf8')
  return [...text.matchAll(/^```(ts|js)\n([\s\S]*?)^```$/gm)].map((match) => {
    const code = match[2] as string
    const file = /^\/\/ ([\w.-]+\.ts)\b/.exec(code)?.[1]
    return { lang: match[1] as 'ts' | 'js', code, file }
  })
}

const strings = ['consumerKey', 'consumerSecret', 'token', 'tokenSecret', 'callbackUrl', 'flowSecret', 'secret']

/** Declarations for the names a snippet uses but neither imports nor defines. */
function prelude (snippet: string, packageExports: readonly string[]): string {
  const free = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(snippet) &&
    !new RegExp(`(?:import[^\\n]*\\b${name}\\b|(?:const|let|var|function)\\s+(?:\\{[^}]*\\b${name}\\b|${name}\\b))`).test(snippet)
  const lines = ['// prelude (not from the documentation)']
  const fromPackage = packageExports.filter(free)
  if (fromPackage.length > 0) lines.push(`import { ${fromPackage.join(', ')} } from 'fastify-oauth1'`)
  if (free('app')) lines.push("import type { FastifyInstance as PreludeApp } from 'fastify'", 'declare const app: PreludeApp')
  for (const name of strings.filter(free)) lines.push(`declare const ${name}: string`)
  lines.push('export {}', '// the snippet, as printed:')
  return lines.join('\n') + '\n'
}

const artifacts = join(root, 'test-artifacts/readme-snippets')
/** Test files and scripts written from the pages, run after they compiled. */
const runnable: Array<{ page: string, dir: string, file: string, lang: 'ts' | 'js' }> = []

t.test('every ```ts block of the README and docs/ compiles exactly as printed (against dist/)', async (t) => {
  const packageExports = Object.keys(await import('fastify-oauth1')).filter((name) => name !== 'default')
  rmSync(artifacts, { recursive: true, force: true })
  const files: string[] = []
  const counts: Record<string, number> = {}
  for (const page of documentationPages()) {
    const snippets = snippetsOf(page)
    const folder = basename(page, '.md') + (page.startsWith('docs/') ? '' : '-root')
    const dir = join(artifacts, folder)
    mkdirSync(dir, { recursive: true })
    counts[page] = snippets.filter((snippet) => snippet.lang === 'ts').length
    const named = new Set<string>()
    snippets.forEach((snippet, i) => {
      if (snippet.lang === 'js') {
        const file = `snippet-${i + 1}.cjs`
        writeFileSync(join(dir, file), snippet.code)
        runnable.push({ page, dir, file, lang: 'js' })
        return
      }
      if (snippet.file !== undefined) {
        t.notOk(named.has(snippet.file), `${page}: one block per file name (${snippet.file})`)
        named.add(snippet.file)
        writeFileSync(join(dir, snippet.file), snippet.code)
        files.push(`${folder}/${snippet.file}`)
        if (snippet.file.endsWith('.test.ts')) runnable.push({ page, dir, file: snippet.file, lang: 'ts' })
        return
      }
      const file = `snippet-${i + 1}.mts`
      writeFileSync(join(dir, file), prelude(snippet.code, packageExports) + snippet.code)
      t.ok(readFileSync(join(dir, file), 'utf8').endsWith(snippet.code), `${page} ${file} ends with the snippet unchanged`)
      files.push(`${folder}/${file}`)
    })
  }
  t.ok(counts['README.md'] !== undefined && counts['README.md'] >= 5, `README.md: ${counts['README.md']} blocks`)
  for (const page of ['docs/options.md', 'docs/testing.md', 'docs/express.md', 'docs/client-and-signer.md']) {
    t.ok((counts[page] ?? 0) > 0, `${page} has ts blocks`)
  }
  t.comment(`${files.length} ts blocks from ${Object.keys(counts).length} pages: ${JSON.stringify(counts)}`)
  // lib with DOM, as a project that does not set `lib` gets: its fetch types are stricter than Node's.
  writeFileSync(join(artifacts, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, target: 'ES2022', lib: ['ES2023', 'DOM'], module: 'NodeNext', moduleResolution: 'NodeNext', types: ['node'], skipLibCheck: true, noEmit: true },
    files
  }))
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', artifacts], { encoding: 'utf8' })
    t.pass(`tsc accepts every block (${files.length})`)
  } catch (error) {
    t.fail('tsc accepts every block', { diagnostics: (error as { stdout: string }).stdout })
  }
})

t.test('the test files and scripts of the README and docs/ run as printed', async (t) => {
  t.ok(runnable.some((entry) => entry.page === 'README.md' && entry.lang === 'ts'), 'the README has a test file')
  t.ok(runnable.some((entry) => entry.page === 'docs/testing.md' && entry.file.startsWith('express')), 'docs/testing.md has an Express test')
  // Placeholder values for the variables a script reads (the passport example's strategy needs them).
  const env = { ...process.env, KEY: 'key', SECRET: 'secret', SESSION_SECRET: 'a-session-secret-of-at-least-32-characters' }
  await Promise.all(runnable.map(async ({ page, dir, file, lang }) => {
    const args = lang === 'ts' ? ['--import', 'tsx', '--test', '--test-reporter=tap', file] : [file]
    try {
      const { stdout } = await run(process.execPath, args, { cwd: dir, env, encoding: 'utf8', timeout: 45_000 })
      t.pass(`${page} ${file} runs`)
      if (lang === 'ts') t.match(stdout, /# pass [1-9]/, `${page} ${file}: its tests pass`)
    } catch (error) {
      const { stdout, stderr } = error as { stdout?: string, stderr?: string }
      t.fail(`${page} ${file} runs`, { stdout, stderr })
    }
  }))
})

const consumerKey = 'key'
const consumerSecret = 'secret'
const token = 'token'
const tokenSecret = 'token-secret'
const flowSecret = 'a-flow-cookie-secret-of-at-least-32-chars'

t.test('the options snippets (docs/options.md, docs/presets.md) register and are ready', async (t) => {
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
