/**
 * Memory under hostile providers (issue 13): RSS of a consumer process before, at its peak and
 * after N concurrent token calls against a provider answering with huge bodies. Printed, never
 * asserted by a timer.
 *
 * Scenarios (the provider runs in the parent process, each consumer in a fresh child process so
 * its RSS is its own):
 * - request token answered with a 100 MB chunked body, as fast as the consumer reads it;
 * - access token answered with a 15 MiB form body (content-length set) of "extra fields".
 *
 * Contestants, like for like (the same token call of RFC 5849 §2.1 / §2.3, same concurrency):
 * - fastify-oauth1: `createProviderClient().getRequestToken()` / `getAccessToken()` from dist/;
 * - passport-oauth1: its strategy's own `_oauth` client (node-oauth's `OAuth`, what the strategy
 *   calls in `authenticate`), `getOAuthRequestToken()` / `getOAuthAccessToken()`.
 * grant is left out: its token calls are not reachable without running its whole middleware.
 * Children run with `--max-old-space-size=1024`; a child that dies is reported as such.
 *
 * Environment: BENCH_HOSTILE_CONCURRENCY (default 5).
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { table } from './harness.js'

const self = fileURLToPath(import.meta.url)
const mib = 1024 * 1024

interface ChildResult { before: number, peak: number, after: number, ms: number, outcomes: Record<string, number> }

export interface HostileRow { contestant: string, scenario: string, concurrency: number, result: ChildResult | string }

function startHostileProvider (): Promise<{ server: Server, origin: string }> {
  const chunk = Buffer.alloc(64 * 1024, 'a')
  const fields = Buffer.from(Array.from({ length: 15 * 1024 }, (_, i) => `f${String(i).padStart(5, '0')}=${'v'.repeat(1024 - 8)}`).join('&').slice(0, 15 * mib - 60))
  const access = Buffer.concat([Buffer.from('oauth_token=t&oauth_token_secret=s&'), fields])
  const server = createServer((req, res) => {
    req.resume()
    if (req.url?.startsWith('/request_token') === true) {
      res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded' })
      let written = 0
      const pump = (): void => {
        while (written < 100 * 1000 * 1000) {
          written += chunk.length
          if (!res.write(chunk)) {
            res.once('drain', pump)
            return
          }
        }
        res.end()
      }
      res.on('close', () => { written = Infinity })
      pump()
      return
    }
    res.writeHead(200, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(access.length) })
    res.end(access)
  })
  server.listen(0, '127.0.0.1')
  return once(server, 'listening').then(() => ({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))
}

async function child (contestant: string, scenario: string, origin: string, concurrency: number): Promise<void> {
  const urls = { requestTokenUrl: `${origin}/request_token`, accessTokenUrl: `${origin}/access_token`, authorizeUrl: `${origin}/authorize` }
  let call: () => Promise<unknown>
  if (contestant === 'fastify-oauth1') {
    const { createProviderClient } = await import('../dist/esm/provider/provider-client.js')
    const providerClient = createProviderClient({ consumerKey: 'ck', consumerSecret: 'cs', ...urls, timeout: 60_000 })
    call = scenario === 'request' ? () => providerClient.getRequestToken('http://127.0.0.1/cb') : () => providerClient.getAccessToken({ token: 'rt', tokenSecret: 'rs' }, 'v')
  } else {
    const { Strategy } = await import('passport-oauth1')
    const strategy = new Strategy({ requestTokenURL: urls.requestTokenUrl, accessTokenURL: urls.accessTokenUrl, userAuthorizationURL: urls.authorizeUrl, consumerKey: 'ck', consumerSecret: 'cs', callbackURL: 'http://127.0.0.1/cb' }, () => {})
    const oauth = strategy._oauth
    call = () => new Promise((resolve, reject) => {
      const done = (error: unknown, token: unknown): void => { if (error === null || error === undefined) resolve(token); else reject(new Error('failed')) }
      if (scenario === 'request') oauth.getOAuthRequestToken?.({}, done)
      else oauth.getOAuthAccessToken?.('rt', 'rs', 'v', done)
    })
  }
  global.gc?.()
  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 5)
  const started = Date.now()
  const outcomes: Record<string, number> = {}
  await Promise.all(Array.from({ length: concurrency }, async () => {
    const outcome = await call().then(() => 'ok', (error: unknown) => String((error as { code?: string }).code ?? 'error'))
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
  }))
  const ms = Date.now() - started
  peak = Math.max(peak, process.memoryUsage().rss)
  clearInterval(sampler)
  global.gc?.()
  const after = process.memoryUsage().rss
  process.stdout.write(JSON.stringify({ before, peak, after, ms, outcomes }) + '\n')
  process.exit(0)
}

function runChild (contestant: string, scenario: string, origin: string, concurrency: number): Promise<ChildResult | string> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['--max-old-space-size=1024', '--expose-gc', '--import', 'tsx', self, '--child', contestant, scenario, origin, String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    proc.stdout.on('data', (data: Buffer) => { out += data.toString() })
    proc.stderr.on('data', (data: Buffer) => { err += data.toString() })
    proc.on('close', (code, signal) => {
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as ChildResult)
      } catch {
        resolve(`died (${signal ?? `exit ${String(code)}`}${/heap out of memory/i.test(err) ? ', heap out of memory' : ''})`)
      }
    })
  })
}

/** Runs every scenario for every contestant, one child at a time. */
export async function runHostileBench (): Promise<HostileRow[]> {
  const concurrency = Number(process.env.BENCH_HOSTILE_CONCURRENCY ?? 5)
  const provider = await startHostileProvider()
  const rows: HostileRow[] = []
  try {
    for (const scenario of ['request', 'access']) {
      for (const contestant of ['fastify-oauth1', 'passport-oauth1']) {
        rows.push({ contestant, scenario, concurrency, result: await runChild(contestant, scenario, provider.origin, concurrency) })
      }
    }
    rows.push({ contestant: 'fastify-oauth1', scenario: 'request', concurrency: 20, result: await runChild('fastify-oauth1', 'request', provider.origin, 20) })
  } finally {
    provider.server.closeAllConnections()
    provider.server.close()
  }
  return rows
}

/** Prints {@link runHostileBench}'s table. */
export async function printHostileBench (): Promise<void> {
  console.log('\nMemory under hostile providers: RSS of a fresh consumer process around N concurrent token calls')
  console.log('request = request token answered with a 100 MB chunked body; access = access token answered with a 15 MiB form body')
  const rows = await runHostileBench()
  const mb = (bytes: number): string => (bytes / mib).toFixed(0) + ' MiB'
  console.log(table([
    ['contestant', 'scenario', 'concurrent', 'RSS before', 'RSS peak', 'RSS after', 'peak - before', 'took', 'outcomes'],
    ...rows.map((row) => typeof row.result === 'string'
      ? [row.contestant, row.scenario, String(row.concurrency), '', '', '', '', '', row.result]
      : [row.contestant, row.scenario, String(row.concurrency), mb(row.result.before), mb(row.result.peak), mb(row.result.after),
          mb(row.result.peak - row.result.before), `${row.result.ms} ms`, Object.entries(row.result.outcomes).map(([k, v]) => `${v}x ${k}`).join(', ')])
  ]))
  console.log('(RSS sampled every 5 ms in the consumer; fastify-oauth1 caps token answers at 16 KiB, so its calls end in')
  console.log(' OAUTH1_PROVIDER_BAD_RESPONSE; passport-oauth1 reads whole bodies into strings)')
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string, Number(process.argv[6]))
} else if (process.argv[1] === self) {
  await printHostileBench()
}
