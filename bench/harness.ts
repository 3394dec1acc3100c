/**
 * Generic interleaved micro-benchmark harness.
 *
 * All contestants run in ONE process, round-robin: A, B, C, A, B, C, ... Each turn is a fixed
 * time slice. A warm-up pass (same round-robin, results discarded) comes first so every
 * contestant is JIT-compiled before measuring. The reported figure is the median of the
 * per-round ops/s, so a burst of noise from another process (GC, a neighbour on the CPU) moves
 * one round, not the result, and affects all contestants alike since their turns alternate.
 * The turn order is rotated every round so no contestant always runs right after another.
 *
 * Every result is written to a module-level array (the "sink") so the JIT cannot prove the work
 * dead and drop it.
 *
 * Wall time (process.hrtime.bigint) is the primary measure. The process CPU time of each slice
 * (process.cpuUsage, all threads, so GC helper threads count) is recorded too: on a machine
 * shared with other busy processes, time spent descheduled inflates wall time but not CPU time,
 * so CPU-based ops/s are the steadier figure there.
 */
import { cpus, loadavg } from 'node:os'

/** One contestant. `fn` does one complete operation and returns its result (kept alive). */
export interface BenchCase {
  name: string
  /** Free-text note on what this contestant does differently, printed under the table. */
  note?: string
  fn: () => unknown
  /** Set when `fn` returns a promise; each operation is then awaited before the next. */
  async?: boolean
}

export interface HarnessOptions {
  /** Measured rounds (each contestant gets one slice per round). Default 30. */
  rounds?: number
  /** Length of one slice in milliseconds. Default 150 (short slices pair better on a noisy machine). */
  sliceMs?: number
  /** Warm-up per contestant, in milliseconds, also interleaved. Default 1000. */
  warmupMs?: number
  /** Called after each measured round, e.g. for a progress dot. */
  onRound?: (round: number) => void
}

export interface CaseResult {
  name: string
  note: string | undefined
  /** Median of the per-round ops/s. */
  median: number
  min: number
  max: number
  /** Per-round ops/s, in round order. */
  perRound: number[]
  /** Total operations measured (warm-up excluded). */
  ops: number
  /** Median of the per-round ops per process CPU second (set by {@link runInterleaved}). */
  cpuMedian?: number
  /** Per-round ops per process CPU second, in round order (set by {@link runInterleaved}). */
  cpuPerRound?: number[]
}

/** Written to on every operation so the work cannot be optimised away. */
export const sink: unknown[] = new Array(16).fill(undefined)
let sinkIndex = 0

/** Runs `fn` for about `ms` milliseconds; returns [operations, elapsed nanoseconds, CPU microseconds]. */
async function runSlice (c: BenchCase, ms: number, batch: number): Promise<[number, bigint, number]> {
  const budget = BigInt(Math.round(ms * 1e6))
  const fn = c.fn
  let ops = 0
  const cpuStart = process.cpuUsage()
  const start = process.hrtime.bigint()
  let elapsed = 0n
  if (c.async === true) {
    do {
      for (let i = 0; i < batch; i++) sink[sinkIndex++ & 15] = await fn()
      ops += batch
      elapsed = process.hrtime.bigint() - start
    } while (elapsed < budget)
  } else {
    do {
      for (let i = 0; i < batch; i++) sink[sinkIndex++ & 15] = fn()
      ops += batch
      elapsed = process.hrtime.bigint() - start
    } while (elapsed < budget)
  }
  const cpu = process.cpuUsage(cpuStart)
  return [ops, elapsed, cpu.user + cpu.system]
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Measures the cases interleaved and returns one result per case, in input order.
 */
export async function runInterleaved (cases: readonly BenchCase[], options: HarnessOptions = {}): Promise<CaseResult[]> {
  const rounds = options.rounds ?? 30
  const sliceMs = options.sliceMs ?? 150
  const warmupMs = options.warmupMs ?? 1000
  // Batch size per case: ops between two clock reads, calibrated during warm-up to ~0.5 ms so
  // the clock read costs nothing measurable and a slice overshoots by at most ~0.5 ms.
  const batches = cases.map(() => 1)

  const warmupSlices = 5
  for (let w = 0; w < warmupSlices; w++) {
    for (let i = 0; i < cases.length; i++) {
      const [ops, ns] = await runSlice(cases[i] as BenchCase, warmupMs / warmupSlices, batches[i] as number)
      const perOpNs = Number(ns) / ops
      batches[i] = Math.max(1, Math.round(0.5e6 / perOpNs))
    }
  }

  const perRound: number[][] = cases.map(() => [])
  const cpuPerRound: number[][] = cases.map(() => [])
  const totals = cases.map(() => 0)
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + r) % cases.length
      const [ops, ns, cpuMicros] = await runSlice(cases[i] as BenchCase, sliceMs, batches[i] as number)
      ;(perRound[i] as number[]).push(ops / (Number(ns) / 1e9))
      ;(cpuPerRound[i] as number[]).push(ops / (Math.max(cpuMicros, 1) / 1e6))
      totals[i] = (totals[i] as number) + ops
    }
    options.onRound?.(r + 1)
  }

  return cases.map((c, i) => {
    const values = perRound[i] as number[]
    return {
      name: c.name,
      note: c.note,
      median: median(values),
      min: Math.min(...values),
      max: Math.max(...values),
      perRound: values,
      cpuMedian: median(cpuPerRound[i] as number[]),
      cpuPerRound: cpuPerRound[i] as number[],
      ops: totals[i] as number
    }
  })
}

/** Median of the per-round ratios a/b (rounds are paired, since turns alternate). */
export function pairedRatio (a: CaseResult, b: CaseResult): number {
  return median(a.perRound.map((v, i) => v / (b.perRound[i] as number)))
}

/** Node version, CPU model, core count and load average (a noise indicator), for the report header. */
export function environment (): string {
  const cpu = cpus()
  const model = cpu[0]?.model.trim() ?? 'unknown CPU'
  const load = loadavg().map((l) => l.toFixed(2)).join(' ')
  return `node ${process.version} (V8 ${process.versions.v8}), ${process.platform}/${process.arch}, ${model} x${cpu.length}, load avg ${load}`
}

/** Formats a number with thousands separators and no decimals. */
export function formatOps (value: number): string {
  return Math.round(value).toLocaleString('en-US')
}

/** Renders rows as a plain-text table; the first row is the header. Numeric-looking cells align right. */
export function table (rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  const numeric = /^[-+]?[\d,.]+[x%]?$/
  return rows.map((row, r) => {
    const line = row.map((cell, i) => r > 0 && numeric.test(cell) ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number)).join('  ')
    return r === 0 ? line + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') : line
  }).join('\n').replace(/ +$/gm, '')
}

/**
 * Runs one benchmark part; on failure prints why, sets a failing exit code and gives `undefined`.
 * Ends the progress-dot line either way.
 */
export async function runOrAbort<T> (part: () => Promise<T>): Promise<T | undefined> {
  try {
    return await part()
  } catch (error) {
    console.error('\n' + String(error instanceof Error ? error.message : error))
    console.error('Benchmark aborted.')
    process.exitCode = 1
    return undefined
  } finally {
    process.stderr.write('\n')
  }
}
