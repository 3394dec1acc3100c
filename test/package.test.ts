// The package as its exports map describes it: every entry built for ESM and CommonJS with its
// own declarations, the public exports a deliberate list, and ./core free of Fastify.
// (test/package-install.test.ts installs the packed tarball into fresh projects.)
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))
type Conditions = Record<'import' | 'require', Record<'types' | 'default', string>>
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, Conditions | string>
  typesVersions: Record<string, Record<string, string[]>>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional: boolean }>
  dependencies: Record<string, string>
  files: string[]
}

/** The runtime exports of `fastify-oauth1/core`: change this list only on purpose. */
const coreExports = [
  'ErrorCodes', 'OAuth1Error', 'OAuthProblems', 'baseStringUri', 'computeBodyHash', 'createClient', 'createProviderClient',
  'createSigner', 'createSigningInterceptor', 'evernote', 'formDecode', 'formatForm', 'isOAuth1Error', 'isOAuthProblem',
  'jira', 'magento', 'mastercard', 'netsuite', 'normalizeParameters', 'parseForm', 'parseFormToRecord', 'percentEncode',
  'presets', 'signatureBaseString', 'signatureMethods', 'woocommerce',
  'tokenLifetime', 'renewToken', 'revokeToken', 'tokenInvalidError', 'diagnoseSignature',
  'asSignInSession', 'createConnect', 'createCookieFlowStore', 'createSealer', 'createSessionFlowStore', 'discoverWordPress',
  // Deprecated aliases of createProviderClient and asSignInSession (renamed in 0.2, issue 18).
  'createFlow', 'asFlowSession'
].sort()
/** The Express adapter's entry: the middleware factory (named and default). */
const expressExports = ['default', 'expressOAuth1']
/**
 * The root entry is small (issue 18): the Fastify plugin (named and default), the errors, the
 * presets, `createClient` and `createSigner`; the protocol primitives are only in ./core.
 */
const rootExports = [
  'default', 'fastifyOAuth1',
  'ErrorCodes', 'OAuth1Error', 'isOAuth1Error', 'OAuthProblems', 'isOAuthProblem',
  'presets', 'evernote', 'jira', 'magento', 'mastercard', 'netsuite', 'woocommerce',
  'createClient', 'createSigner', 'discoverWordPress'
].sort()

const entries = Object.entries(pkg.exports).filter((entry): entry is [string, Conditions] => typeof entry[1] !== 'string')

t.test('every entry has import and require conditions, types first, and files in dist', async (t) => {
  t.same(entries.map(([name]) => name), ['.', './core', './express', './testing'])
  t.equal(pkg.exports['./package.json'], './package.json')
  for (const [name, conditions] of entries) {
    t.same(Object.keys(conditions), ['import', 'require'], name)
    for (const kind of ['import', 'require'] as const) {
      t.same(Object.keys(conditions[kind]), ['types', 'default'], `${name} ${kind}: types first`)
      for (const file of Object.values(conditions[kind])) t.ok(existsSync(join(root, file)), `${file} exists (npm run build)`)
    }
    if (name !== '.') t.same(pkg.typesVersions['*']?.[name.slice(2)], [conditions.require.types], `${name} in typesVersions, for moduleResolution node10`)
  }
  t.same(JSON.parse(readFileSync(join(root, 'dist/cjs/package.json'), 'utf8')), { type: 'commonjs' }, 'dist/cjs is CommonJS')
})

t.test('peers: Fastify 5, Express 4 and 5, their session and cookie plugins, all optional; undici a dependency', async (t) => {
  t.equal(pkg.peerDependencies.fastify, '^5.0.0')
  for (const name of ['@fastify/cookie', '@fastify/session', '@fastify/secure-session']) {
    t.ok(pkg.peerDependencies[name], name)
    t.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} optional`)
  }
  // Optional, so Express-only and core-only apps do not get Fastify installed; npm 11 still
  // refuses (ERESOLVE) a fastify 4 installed beside it, as for a required peer (README, Install).
  t.equal(pkg.peerDependenciesMeta.fastify?.optional, true, 'fastify is optional')
  t.equal(pkg.peerDependencies.express, '^4.21.0 || ^5.0.0', 'Express 4 and 5')
  for (const name of ['express', 'express-session']) t.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} optional`)
  t.ok(pkg.dependencies.undici)
  t.same(pkg.files.sort(), ['LICENSE', 'README.md', 'dist'])
})

function runtimeExports (specifier: string, kind: 'import' | 'require'): string[] {
  const script = kind === 'import'
    ? `import(${JSON.stringify(specifier)}).then((m) => console.log(JSON.stringify(Object.keys(m).sort())))`
    : `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})).sort()))`
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' })) as string[]
}

t.test('the public exports are the deliberate list, from import and from require', async (t) => {
  for (const kind of ['import', 'require'] as const) {
    t.same(runtimeExports('fastify-oauth1', kind), rootExports, `fastify-oauth1 (${kind})`)
    t.same(runtimeExports('fastify-oauth1/core', kind), coreExports, `fastify-oauth1/core (${kind})`)
    t.same(runtimeExports('fastify-oauth1/express', kind), expressExports, `fastify-oauth1/express (${kind})`)
  }
})

t.test('import and require give working functions', async (t) => {
  const probe = 'JSON.stringify([typeof m.createSigner, typeof m.fastifyOAuth1, m.default === m.fastifyOAuth1, m.ErrorCodes.TIMEOUT])'
  const esm = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as m from 'fastify-oauth1'; console.log(${probe})`], { cwd: root, encoding: 'utf8' })
  const cjs = execFileSync(process.execPath, ['-e', `const m = require('fastify-oauth1'); console.log(${probe})`], { cwd: root, encoding: 'utf8' })
  t.same(JSON.parse(esm), ['function', 'function', true, 'OAUTH1_TIMEOUT'])
  t.same(JSON.parse(cjs), ['function', 'function', true, 'OAUTH1_TIMEOUT'])
})

function declarationsReachable (entry: string): string[] {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const match of text.matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)) {
      visit(join(file, '..', (match[1] as string).replace(/\.js$/, '.d.ts')))
    }
  }
  visit(join(root, entry))
  return [...seen]
}

t.test('the declarations of ./core never mention fastify (ESM and CommonJS)', async (t) => {
  for (const kind of ['import', 'require'] as const) {
    const files = declarationsReachable((pkg.exports['./core'] as Conditions)[kind].types)
    t.ok(files.length > 5, `${kind}: ${files.length} declaration files reached`)
    for (const file of files) t.notMatch(readFileSync(file, 'utf8'), /['"](?:fastify|fastify-plugin|@fastify\/[^'"]*)['"]/, file.slice(root.length))
  }
  const plugin = readFileSync(join(root, 'dist/esm/fastify/plugin.d.ts'), 'utf8')
  t.match(plugin, /from ['"]fastify['"]/, 'the check would see an import of fastify')
})

t.test('the declarations of ./express never mention fastify, and declare req.oauth1 for Express', async (t) => {
  for (const kind of ['import', 'require'] as const) {
    const files = declarationsReachable((pkg.exports['./express'] as Conditions)[kind].types)
    t.ok(files.length > 5, `${kind}: ${files.length} declaration files reached`)
    for (const file of files) t.notMatch(readFileSync(file, 'utf8'), /['"](?:fastify|fastify-plugin|@fastify\/[^'"]*)['"]/, file.slice(root.length))
    t.match(readFileSync(files[0] as string, 'utf8'), /namespace Express[\s\S]*interface Request[\s\S]*oauth1: OAuth1RequestClient/)
  }
})
