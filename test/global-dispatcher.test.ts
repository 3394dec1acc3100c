// Importing the package must leave the process's undici global dispatcher as it was: loading
// undici 7 sets it when none is set, and Node's own fetch() reads it. Each case runs the built
// package (dist, `npm run build`) in a fresh `node` (the one running this test: process.execPath,
// so a CI job on another Node line checks that line), as ESM and as CommonJS.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))
const run = promisify(execFile)
const entries = ['fastify-oauth1', 'fastify-oauth1/core', 'fastify-oauth1/express', 'fastify-oauth1/testing']

/**
 * The child's body, shared by both module formats: `load(entry)` imports or requires the entry.
 * It reports each global key (`none`, `ours`: our undici's Agent, `node`: any other, as Node's
 * own) after the import, and after one of our clients made a call, and whether the app's own
 * fetch() works afterwards. With the entry `reference`, it imports nothing and only lets Node
 * install its own default (reading Headers): the state an app gets from Node itself.
 */
const body = `
const { createServer } = require('node:http')
const keys = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')]
const entry = process.argv.at(-1)
const main = async () => {
  const before = keys.map((key) => Object.hasOwn(globalThis, key) ? 'set' : 'none')
  const loaded = entry === 'reference' ? (Reflect.get(globalThis, 'Headers'), {}) : await load(entry)
  const ourAgent = require(require.resolve('undici', { paths: [require.resolve('fastify-oauth1')] })).Agent
  const state = () => keys.map((key) => globalThis[key] === undefined ? 'none' : globalThis[key] instanceof ourAgent ? 'ours' : 'node')
  const afterImport = state()
  const server = createServer((request, response) => { response.setHeader('connection', 'close'); response.end('hello from the app server') })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = 'http://127.0.0.1:' + server.address().port + '/'
  let clientStatus = null
  if (typeof loaded.createClient === 'function') {
    const client = loaded.createClient({ consumerKey: 'k', consumerSecret: 's' })
    clientStatus = (await client.get(url)).status
    await client.close()
  }
  const afterClient = state()
  const response = await fetch(url)
  const fetchBody = await response.text()
  const afterFetch = state()
  server.close()
  console.log(JSON.stringify({ before, afterImport, afterClient, clientStatus, fetchBody, afterFetch }))
}
main().catch((error) => { console.error(error); process.exit(1) })
`
const esm = "import { createRequire } from 'node:module'\nconst require = createRequire(process.cwd() + '/')\nconst load = (entry) => import(entry)\n" + body
const cjs = 'const load = async (entry) => require(entry)\n' + body

interface Report {
  before: string[]
  afterImport: string[]
  afterClient: string[]
  clientStatus: number | null
  fetchBody: string
  afterFetch: string[]
}

async function child (format: 'esm' | 'cjs', entry: string): Promise<Report> {
  const args = format === 'esm' ? ['--input-type=module', '-e', esm, entry] : ['-e', cjs, entry]
  const { stdout } = await run(process.execPath, args, { cwd: root, timeout: 30_000 })
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as Report
}

t.test('the build exists (npm run build)', async (t) => {
  for (const dir of ['dist/esm', 'dist/cjs']) t.ok(existsSync(join(root, dir, 'index.js')), `${dir}/index.js`)
})

for (const format of ['esm', 'cjs'] as const) {
  t.test(`${format}: importing an entry leaves the global dispatcher as Node has it, never our undici's; the app's fetch works (${process.version})`, async (t) => {
    const reference = await child(format, 'reference')
    t.same(reference.before, ['none', 'none'], 'no global dispatcher at start')
    t.notOk(reference.afterImport.includes('ours'), `Node's own default: ${reference.afterImport.join(', ')}`)
    const reports = await Promise.all(entries.map((entry) => child(format, entry)))
    for (const [index, entry] of entries.entries()) {
      const report = reports[index] as Report
      t.same(report.before, ['none', 'none'], `${entry}: none before`)
      t.same(report.afterImport, reference.afterImport, `${entry}: after the import, as Node has it on its own (${report.afterImport.join(', ')})`)
      t.same(report.afterClient, reference.afterImport, `${entry}: unchanged after one of our clients made a call`)
      if (entry === 'fastify-oauth1' || entry === 'fastify-oauth1/core') t.equal(report.clientStatus, 200, `${entry}: our client sends through its own Agent`)
      t.equal(report.fetchBody, 'hello from the app server', `${entry}: the app's fetch() works`)
      t.same(report.afterFetch, reference.afterFetch, `${entry}: and runs on Node's dispatcher, as without this package (${report.afterFetch.join(', ')})`)
    }
  })
}
