import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, Record<string, string>>
}

t.test('the build exists (npm install runs `prepare`, which builds dist/)', async (t) => {
  t.ok(existsSync(new URL('../dist/index.js', import.meta.url)), 'dist/index.js: run `npm run build`')
  t.ok(existsSync(new URL('../dist/index.d.ts', import.meta.url)), 'dist/index.d.ts: run `npm run build`')
})

t.test('the exports map lists types first', async (t) => {
  t.same(Object.keys(pkg.exports['.'] ?? {})[0], 'types')
})

const probe = 'const m = MOD; console.log(JSON.stringify([typeof m.createSigner, typeof m.createClient, typeof m.fastifyOAuth1, typeof m.default, m.ErrorCodes.TIMEOUT]))'
const expected = ['function', 'function', 'function', 'function', 'OAUTH1_TIMEOUT']

t.test('importable from ESM by package name', async (t) => {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', `import * as ns from 'fastify-oauth1'; ${probe.replace('MOD', 'ns')}`], { cwd: root, encoding: 'utf8' })
  t.same(JSON.parse(out), expected)
})

t.test('requirable from CommonJS by package name (Node >= 20.19)', async (t) => {
  const out = execFileSync(process.execPath, ['-e', `${probe.replace('MOD', "require('fastify-oauth1')")}`], { cwd: root, encoding: 'utf8' })
  t.same(JSON.parse(out), expected)
})
