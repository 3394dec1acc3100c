/**
 * `npm run bench`: builds dist/ and runs the benchmarks on it (the code users run, compiled by tsc),
 * then prints their tables.
 *
 * Environment: BENCH_ROUNDS (default 30), BENCH_SLICE_MS (default 150), BENCH_WARMUP_MS
 * (default 1000) tune the interleaved harness, e.g. for a quick smoke run. BENCH_ONLY=flows runs
 * only the connect-flow part (bench/flows.ts), BENCH_ONLY=api-call only the signed API call part
 * (bench/api-call.ts).
 */
import { formatOps, runOrAbort, table, type HarnessOptions } from './harness.js'
import { runSignerBench } from './signer.js'
import { printFlowBench } from './flows.js'
import { printApiCallBench } from './api-call.js'
import { printHostileBench } from './hostile.js'

function numberFromEnv (name: string): number | undefined {
  const value = process.env[name]
  if (value === undefined || value === '') return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} must be a positive number`)
  return parsed
}

const options: HarnessOptions = {
  rounds: numberFromEnv('BENCH_ROUNDS'),
  sliceMs: numberFromEnv('BENCH_SLICE_MS'),
  warmupMs: numberFromEnv('BENCH_WARMUP_MS'),
  onRound: () => process.stderr.write('.')
}

async function main (): Promise<void> {
  console.log('fastify-oauth1 benchmark')
  console.log('Signer: X\'s documented POST example -> ready Authorization header value (fresh nonce + timestamp)')
  console.log('Sanity check (X\'s nonce/timestamp give hCtSmYh+iHYCEqBWrE7C7hYmtUk= for all contestants) ...')
  const signer = await runOrAbort(() => runSignerBench(options))
  if (signer === undefined) return
  console.log('Sanity check passed.')
  console.log(signer.environment)
  const rounds = signer.results[0]?.perRound.length ?? 0
  console.log(`Interleaved round-robin, ${rounds} rounds; ops/s = median of per-round ops/s (wall clock; min..max shown)`)
  console.log('cpu ops/s = the same per process CPU second (ignores time descheduled by other processes)\n')
  console.log(table([
    ['contestant', 'ops/s (median)', 'min', 'max', 'cpu ops/s', 'ops measured'],
    ...signer.results.map((r) => [r.name, formatOps(r.median), formatOps(r.min), formatOps(r.max), formatOps(r.cpuMedian ?? NaN), formatOps(r.ops)])
  ]))
  console.log()
  console.log(table([
    ['ratio', 'median ratio', 'paired', 'cpu', 'target', 'result'],
    ...signer.comparisons.map((c) => [c.label, c.ratio.toFixed(2) + 'x', c.pairedRatio.toFixed(2) + 'x', c.cpuRatio.toFixed(2) + 'x', '>= ' + c.target.toFixed(1) + 'x', c.pass ? 'PASS' : 'MISS'])
  ]))
  console.log('\nresult = median ratio (wall clock) against the target; paired = median of the per-round ratios;')
  console.log('cpu = ratio of the cpu ops/s medians. If they disagree a lot, the machine was busy: rerun.')
  console.log('Differences in the job each contestant does:')
  for (const note of signer.notes) console.log('  - ' + note)
  console.log(`\nSigner part took ${signer.seconds.toFixed(1)} s`)
}

const only = process.env.BENCH_ONLY
if (only !== undefined && only !== '' && only !== 'flows' && only !== 'api-call') throw new Error('BENCH_ONLY must be flows or api-call')
if (only === 'flows') {
  console.log('fastify-oauth1 benchmark (BENCH_ONLY=flows: the connect-flow part only)')
  await printFlowBench(options)
} else if (only === 'api-call') {
  console.log('fastify-oauth1 benchmark (BENCH_ONLY=api-call: the signed API call part only)')
  await printApiCallBench(options)
} else {
  await main()
}

// Connect flows against grant and passport, and the signed API call against plain undici
// (bench/flows.ts, bench/api-call.ts); each prints its own tables and sets exitCode on failure.
// Then memory under hostile providers (bench/hostile.ts), printed only.
if (process.exitCode === undefined && (only === undefined || only === '')) {
  await printFlowBench(options)
  await printApiCallBench(options)
  await printHostileBench()
}
