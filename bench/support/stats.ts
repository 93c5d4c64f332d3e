// Latency statistics and timing shared by our own benchmarks and the DBOS peers, so both sides of a
// comparison are measured and summarised by exactly the same code.
import { performance } from 'node:perf_hooks';

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export interface MeasuredBatch {
  /** Start-to-finish time of every task, in milliseconds, in completion order. */
  latencies: number[];
  /** Wall-clock time of the whole batch, in milliseconds. */
  wallMs: number;
}

/**
 * Nearest-rank percentile (p in 0..100): always one of the observed samples, never an interpolation,
 * so a p99 over a few hundred runs is a latency that really happened.
 */
export function percentile(sortedOrUnsorted: number[], p: number): number {
  if (sortedOrUnsorted.length === 0) {
    // An empty sample is a benchmark bug; NaN would slip silently into the report.
    throw new RangeError('percentile of an empty sample');
  }
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile must be within 0..100, got ${p}`);
  }
  const sorted = isAscending(sortedOrUnsorted) ? sortedOrUnsorted : ascending(sortedOrUnsorted);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function summarize(latencies: number[]): LatencySummary {
  // Sort once here so the three percentile calls only pay the O(n) sortedness check.
  const sorted = ascending(latencies);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    mean: total / sorted.length,
  };
}

/** Rounds for reports: sub-microsecond digits of a millisecond figure are noise. */
export function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function elapsedMs(startMs: number): number {
  return performance.now() - startMs;
}

/**
 * Runs task(0..total-1) with at most `concurrency` in flight and times each one, so throughput and
 * per-item latency come from the same pass rather than two runs under different load.
 */
export async function measureEach(
  total: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<MeasuredBatch> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const startedMs = performance.now();
      await task(index);
      latencies.push(elapsedMs(startedMs));
    }
  };
  const batchStartMs = performance.now();
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, total)) }, worker);
  await Promise.all(workers);
  return { latencies, wallMs: elapsedMs(batchStartMs) };
}

function ascending(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function isAscending(values: number[]): boolean {
  for (let i = 1; i < values.length; i++) {
    if (values[i - 1]! > values[i]!) return false;
  }
  return true;
}
