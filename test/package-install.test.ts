// A new user's view: the packed tarball installed into a fresh project, then the consumer
// fixtures (test/fixtures/consumer/) type-checked against the shipped declarations, without
// skipLibCheck, and run: fastify-oauth1/core with fastify not installed (NodeNext), then the
// plugin from ESM (NodeNext and Bundler) and from CommonJS (node16, import = require()), then
// the Express middleware with express and @types/express installed.
// npm installs from its cache (filled by `npm ci`), so no registry is needed.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'

t.setTimeout(300_000)

const root = fileURLToPath(new URL('..', import.meta.url))
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const version = (name: string): string => (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version

const dir = mkdtempSync(join(tmpdir(), 'fastify-oauth1-consumer-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
cpSync(join(root, 'test/fixtures/consumer'), dir, { recursive: true })
writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }))

function run (command: string, args: string[]): string {
  return execFileSync(command, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}
function npm (...args: string[]): string {
  return run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'])
}
function tsconfig (name: string, compilerOptions: Record<string, unknown>, files: string[]): string {
  const config = {
    compilerOptions: { strict: true, target: 'ES2022', lib: ['ES2023'], types: ['node'], skipLibCheck: false, ...compilerOptions },
    files
  }
  writeFileSync(join(dir, name), JSON.stringify(config))
  return name
}
/** Type-checks (and emits), failing with tsc's own report. */
function typecheck (t: Test, config: string): void {
  try {
    run(process.execPath, [tsc, '-p', config])
    t.pass(`${config} type-checks`)
  } catch (error) {
    const { stdout, stderr } = error as { stdout: string, stderr: string }
    t.fail(`${config} type-checks`, { diagnostics: stdout + stderr })
  }
}

t.test('npm pack, then install the tarball: its peers are optional, fastify is not installed', async (t) => {
  const name = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir, root]).trim().split('\n').pop() as string
  const tarball = join(dir, name)
  t.ok(existsSync(tarball), name)
  npm('install', tarball, `@types/node@${version('@types/node')}`)
  t.ok(existsSync(join(dir, 'node_modules/fastify-oauth1/dist/cjs/core.d.ts')))
  t.notOk(existsSync(join(dir, 'node_modules/fastify')), 'fastify is not installed')
  t.match(run(join(dir, 'node_modules/.bin/fastify-oauth1'), ['--help']), /fastify-oauth1 authorize/, 'the bin is linked and runs without fastify')
})

t.test('fastify-oauth1/core: type-checks without skipLibCheck and runs without fastify', async (t) => {
  typecheck(t, tsconfig('tsconfig.core.json', { module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out/core' }, ['core-only.mts']))
  t.same(JSON.parse(run(process.execPath, ['out/core/core-only.mjs'])), { auth: true, refused: true })
  t.equal(run(process.execPath, ['-e', "console.log(typeof require('fastify-oauth1/core').createSigner)"]).trim(), 'function', 'require() too')
})

t.test('with Fastify installed: ESM (NodeNext, Bundler) and CommonJS (node16) apps', async (t) => {
  npm('install', `fastify@${version('fastify')}`, `@fastify/cookie@${version('@fastify/cookie')}`, `@fastify/session@${version('@fastify/session')}`)
  const expected = { start: true, auth: true }
  typecheck(t, tsconfig('tsconfig.nodenext.json', { module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out/nodenext' }, ['app.mts']))
  t.same(JSON.parse(run(process.execPath, ['out/nodenext/app.mjs'])), expected, 'NodeNext build runs')
  typecheck(t, tsconfig('tsconfig.bundler.json', { module: 'ESNext', moduleResolution: 'Bundler', outDir: 'out/bundler' }, ['app.mts']))
  t.same(JSON.parse(run(process.execPath, ['out/bundler/app.mjs'])), expected, 'Bundler build runs')
  typecheck(t, tsconfig('tsconfig.node16.json', { module: 'Node16', moduleResolution: 'Node16', outDir: 'out/cjs' }, ['app.cts']))
  t.same(JSON.parse(run(process.execPath, ['out/cjs/app.cjs'])), { ...expected, same: true }, 'CommonJS build runs (require)')
})

t.test('with Express installed: the middleware type-checks (req.oauth1 on Express\'s Request) and runs', async (t) => {
  npm('install', `express@${version('express')}`, `@types/express@${version('@types/express')}`)
  typecheck(t, tsconfig('tsconfig.express.json', { module: 'NodeNext', moduleResolution: 'NodeNext', outDir: 'out/express' }, ['express-app.mts']))
  t.same(JSON.parse(run(process.execPath, ['out/express/express-app.mjs'])), { status: 401, code: 'OAUTH1_NOT_CONNECTED', name: 'oauth1' })
})
