// npm run bench:approval — how fast a decided gate wakes its run, beside DBOS's send → recv, and what
// waiting runs cost in memory. On PostgreSQL, with the HTTP API deciding (a real request per gate).
// Env: BENCH_PG_URL (server, no database), BENCH_WAKE_COUNT (1000), BENCH_RSS_RUNS (10000),
// BENCH_SKIP_DBOS=1 to measure firebreak alone.
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/config.ts';
import { runbook, z } from '../src/index.ts';
import { startServer } from '../src/server.ts';
import { envInt } from './peers/dbos-engine.ts';
import { runDbosWakeBench } from './peers/dbos-wake.ts';
import { databaseUrl, recreateDatabase } from './support/pg.ts';
import { roundTo, summarize } from './support/stats.ts';

const serverUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const count = envInt('BENCH_WAKE_COUNT', 1000);
const rssRuns = envInt('BENCH_RSS_RUNS', 10_000);
const DATABASE = 'firebreak_bench_approval';

const committedAt = new Map<string, number>();
const stepStartedAt = new Map<string, number>();

const gated = runbook({ id: 'bench-gate', title: 'A gate, then a step', input: z.object({ i: z.number() }) })
  .approval('gate', { summary: 'bench' })
  .diagnostic('next', async ({ run }) => {
    stepStartedAt.set(run.id, performance.now());
    return { ok: true };
  });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main() {
  await recreateDatabase(serverUrl, DATABASE);
  const config = parseConfig({
    DATABASE_URL: databaseUrl(serverUrl, DATABASE),
    PORT: '0',
    HOST: '127.0.0.1',
    RUNBOOKS_DIR: '/nonexistent',
    LOG_LEVEL: 'warn',
    FIREBREAK_MAX_CONCURRENT_RUNS: '500',
  });
  const server = await startServer(config, { print: () => {} });
  server.fb.registry.add(gated);
  const { store } = server.fb;
  // The decision's commit: the store call inside Approvals.decide has returned.
  server.approvals.onDecision((approval) => committedAt.set(approval.runId, performance.now()));
  const pending = async (n: number) => (await store.listApprovals({ status: 'pending' })).length >= n;

  try {
    // Wake latency: park `count` runs at their gates, then decide them one at a time through the API.
    const runIds: string[] = [];
    for (let i = 0; i < count; i++) runIds.push((await server.fb.start('bench-gate', { i })).runId);
    await until('runs parked at gates', () => pending(count));
    const approvals = await store.listApprovals({ status: 'pending' });
    const latencies: number[] = [];
    for (const a of approvals) {
      const res = await fetch(`${server.url}/api/approvals/${a.id}/approve`, { method: 'POST', body: '{}' });
      if (res.status !== 200) throw new Error(`approve answered ${res.status}: ${await res.text()}`);
      await until('the next step to start', async () => stepStartedAt.has(a.runId), 10_000);
      latencies.push(stepStartedAt.get(a.runId)! - committedAt.get(a.runId)!);
    }
    const wake = summarize(latencies);

    // Memory: RSS with `rssRuns` runs parked at gates against none.
    global.gc?.();
    const before = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    const batch = 200;
    for (let i = 0; i < rssRuns; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, rssRuns - i) }, (_, j) =>
          server.fb.start('bench-gate', { i: i + j }),
        ),
      );
    }
    await until('10k runs parked', () => pending(rssRuns));
    global.gc?.();
    const after = process.memoryUsage().rss;
    const rssGrowthMb = roundTo((after - before) / 1024 / 1024, 1);
    // What is still referenced after a GC, as opposed to heap the burst grew and V8 keeps.
    const heapGrowthMb = roundTo((process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024, 1);
    return { wake, rssGrowthMb, heapGrowthMb, active: server.fb.engine.activeRuns };
  } finally {
    await server.close();
  }
}

const r = await main();
console.log(
  `firebreak  wake after decision (${count} gates, API decisions): p50 ${roundTo(r.wake.p50, 2)} ms  ` +
    `p95 ${roundTo(r.wake.p95, 2)} ms  p99 ${roundTo(r.wake.p99, 2)} ms`,
);
console.log(
  `firebreak  RSS growth with ${rssRuns} runs waiting at gates: ${r.rssGrowthMb} MB; live heap after GC: ` +
    `${r.heapGrowthMb} MB (executors in memory: ${r.active})`,
);
if (process.env.BENCH_SKIP_DBOS === '1') {
  console.log(
    `RESULT bench:approval wake_p50_ms=${roundTo(r.wake.p50, 2)} wake_p99_ms=${roundTo(r.wake.p99, 2)} rss_growth_mb=${r.rssGrowthMb}`,
  );
} else {
  const dbos = await runDbosWakeBench({ serverUrl, count });
  console.log(
    `dbos       send → recv wake (${count}): p50 ${dbos.p50} ms  p95 ${dbos.p95} ms  p99 ${dbos.p99} ms`,
  );
  console.log(
    `RESULT bench:approval wake_p50_ms=${roundTo(r.wake.p50, 2)} wake_p99_ms=${roundTo(r.wake.p99, 2)} ` +
      `dbos_wake_p99_ms=${dbos.p99} rss_growth_mb=${r.rssGrowthMb}`,
  );
}
